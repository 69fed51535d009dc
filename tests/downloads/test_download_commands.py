"""`manage.py monitor_downloads` and `manage.py import_download HASH`, as an operator runs them."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from downloads.models import Download
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.conftest import ROOT, process_env
from tests.downloads.lifecycle_helpers import completed_download, start, under_way
from tests.downloads.qbt_harness import free_port

pytestmark = pytest.mark.django_db
S = Download.State


def run(command: str, *args: str) -> str:
    """Run a management command in this process and return what it printed."""
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def run_process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `manage.py` in its own process, as an operator would."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- monitor_downloads ----------------------------------------------------------------------
def test_monitor_downloads_prints_state_progress_speed_and_eta(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int]
) -> None:
    qbt_sim.speed = 1 << 20
    running = start(qbt_sim, 1)
    stalled = start(qbt_sim, 2)
    qbt_sim.stall(stalled.info_hash)
    under_way(qbt_sim, running)

    lines = run("monitor_downloads").splitlines()

    assert lines[0].split() == ["ID", "STATE", "PROGRESS", "SPEED", "ETA", "SEEDERS", "RELEASE"]
    row = next(line for line in lines if line.startswith(f"{running.pk} "))
    assert row.split()[1] == "downloading" and "1.0 MB/s" in row and " s " in row
    assert row.endswith(running.release_title)
    assert next(line for line in lines if line.startswith(f"{stalled.pk} ")).split()[1:3] == [
        "stalled",
        "0.0",
    ]
    assert lines[-1] == (
        "2 torrent(s) in qBittorrent, 2 updated, 0 completed (import queued), 0 failed."
    )


def test_monitor_downloads_shows_what_this_pass_completed_and_failed(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    done = start(qbt_sim, 1)
    broken = start(qbt_sim, 2)
    qbt_sim.finish(done.info_hash)
    qbt_sim.error(broken.info_hash)

    # Outside a test's transaction the command queues the import at once.
    with django_capture_on_commit_callbacks(execute=True):
        out = run("monitor_downloads")

    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert rows[str(done.pk)].split()[1:4] == ["completed", "100.0", "%"]
    assert rows[str(broken.pk)].split()[1] == "failed"
    assert rows[str(broken.pk)].endswith("(qBittorrent reports an error (error))")
    assert out.splitlines()[-1].endswith("1 completed (import queued), 1 failed.")
    assert queued_imports == [done.pk]


def test_monitor_downloads_with_nothing_running_says_so(qbt_sim: QBittorrentSimulator) -> None:
    assert run("monitor_downloads").splitlines()[0] == "No downloads in progress."


def test_monitor_downloads_fails_in_one_line_when_qbittorrent_is_down(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt_sim.down("503")
    with pytest.raises(CommandError, match=r"^qBittorrent failed to list torrents: HTTP 503"):
        run("monitor_downloads")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QBITTORRENT_PASSWORD": "wrong"}, "refused user 'admin': check the password"),
        ({"QBITTORRENT_URL": "gone"}, "unreachable to list torrents"),
    ],
)
def test_monitor_downloads_exits_non_zero_with_one_line_for_an_operator(
    qbt_sim: QBittorrentSimulator, env: dict[str, str], message: str
) -> None:
    settings_env = {
        "QBITTORRENT_URL": qbt_sim.url,
        "QBITTORRENT_USERNAME": "admin",
        "QBITTORRENT_PASSWORD": "adminadmin",
    }
    settings_env.update(env)
    if settings_env["QBITTORRENT_URL"] == "gone":
        settings_env["QBITTORRENT_URL"] = f"http://127.0.0.1:{free_port()}"
    done = run_process("monitor_downloads", **settings_env)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert done.stderr.startswith("CommandError: qBittorrent")


# --- import_download ------------------------------------------------------------------------
def test_import_download_files_a_completed_download(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str], settings: Any
) -> None:
    download = completed_download(qbt_sim, queued_imports)

    out = run("import_download", download.info_hash)

    folder = settings.MOVIES_DIR / "Dune (2021)"
    assert out.strip() == (
        f"imported {download.release_title} into {folder}: Dune (2021).mkv (linked)"
    )
    assert (folder / "Dune (2021).mkv").is_file() and library == [str(folder)]
    assert run("import_download", download.info_hash[:8]).startswith(
        f"{download.release_title} is already in {folder}"
    )


def test_import_download_retries_after_the_library_disk_comes_back(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str], settings: Any
) -> None:
    download = completed_download(qbt_sim, queued_imports)
    mounted = settings.MOVIES_DIR
    settings.MOVIES_DIR = mounted.parent / "unmounted"
    with pytest.raises(CommandError, match=r"^import failed, try again later: MOVIES_DIR .*"):
        run("import_download", download.info_hash)

    settings.MOVIES_DIR = mounted
    run("import_download", download.info_hash)
    assert Download.objects.get(pk=download.pk).state == S.IMPORTED


def test_import_download_takes_back_a_download_whose_import_failed(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str]
) -> None:
    download = completed_download(qbt_sim, queued_imports)
    Download.objects.filter(pk=download.pk).update(
        state=S.FAILED, error="import failed: gave up after 8 tries: disk full"
    )
    run("import_download", download.info_hash)
    download.refresh_from_db()
    assert download.state == S.IMPORTED and download.error == ""


def test_import_download_fails_in_one_line_when_there_is_nothing_to_import(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str]
) -> None:
    download = completed_download(qbt_sim, queued_imports)
    Path(download.content_path).unlink()  # someone deleted the files by hand
    with pytest.raises(CommandError, match=r"^import failed: .*does not exist"):
        run("import_download", download.info_hash)
    assert Download.objects.get(pk=download.pk).state == S.FAILED


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        (S.DOWNLOADING, "", "is still downloading"),
        (S.FAILED, "no seeders for 1 h", r"failed before completing \(no seeders for 1 h\)"),
        (S.CANCELLED, "", "is cancelled; nothing to import"),
    ],
)
def test_import_download_refuses_downloads_with_nothing_to_import(
    state: str, error: str, message: str
) -> None:
    Download.objects.create(
        info_hash="ab" * 20, release_title="Heat", media_type="movie", title="Heat", state=state,
        error=error,
    )  # fmt: skip
    with pytest.raises(CommandError, match=message):
        run("import_download", "ab" * 20)


def test_import_download_exits_non_zero_on_an_unknown_hash() -> None:
    done = run_process("import_download", "cd" * 20)
    assert done.returncode == 1
    assert done.stderr == f"CommandError: no download with info hash {'cd' * 20}\n"
