"""`manage.py qbittorrent_hook`: the "run on torrent finished" line, shown, installed, removed.

Against the qBittorrent simulator for every case, and against a real qbittorrent-nox that
then really runs the line when a torrent finishes (its own argument splitting, `%I`, and
the token in the header, received by a local HTTP endpoint).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from core.log_redaction import RedactSecrets
from downloads import hook, receivers
from downloads.tasks import install_hook_task
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture  # noqa: F401
from tests.processes import wait_for

HOOK_TOKEN = "test-hook-token-0123456789abcdef"
THEIRS = '/usr/local/bin/notify-me "%N"'


@pytest.fixture(autouse=True)
def hook_settings(settings: Any) -> None:
    settings.QBITTORRENT_HOOK_TOKEN = HOOK_TOKEN
    settings.APP_URL = "http://kiosk.lan:8000"
    settings.ALLOWED_HOSTS = ["kiosk.lan", "web", "127.0.0.1"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("qbittorrent_hook", *args, stdout=out)
    return out.getvalue()


def autorun(sim: QBittorrentSimulator) -> tuple[bool, str]:
    return sim.preferences["autorun_enabled"], sim.preferences["autorun_program"]


def test_install_sets_the_line_that_posts_the_hash_with_the_token(
    qbt_sim: QBittorrentSimulator,
) -> None:
    out = run("--install")

    line = (
        f'curl -fsS -m 5 -X POST -H "Authorization: Bearer {HOOK_TOKEN}" '
        "-d hash=%I http://kiosk.lan:8000/api/v1/downloads/finished/"
    )
    assert autorun(qbt_sim) == (True, line)
    assert line in out
    assert "qBittorrent runs this line when a torrent finishes." in run("--show")


def test_show_prints_the_line_to_paste_and_changes_nothing(qbt_sim: QBittorrentSimulator) -> None:
    out = run("--show")

    assert "Run on torrent finished" in out
    assert hook.program_line() in out
    assert "runs nothing when a torrent finishes" in out
    assert autorun(qbt_sim) == (False, "")
    assert run() == out  # --show is what it does by default


def test_install_refuses_to_replace_another_program_unless_forced(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt_sim.preferences.update(autorun_enabled=True, autorun_program=THEIRS)
    assert "runs another program" in run("--show")

    with pytest.raises(CommandError, match=r"already runs another program.*--force"):
        run("--install")
    assert autorun(qbt_sim) == (True, THEIRS)

    run("--install", "--force")
    assert autorun(qbt_sim) == (True, hook.program_line())


def test_a_disabled_program_of_someone_else_is_not_a_conflict(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt_sim.preferences.update(autorun_enabled=False, autorun_program=THEIRS)
    run("--install")
    assert autorun(qbt_sim) == (True, hook.program_line())


def test_an_older_line_of_the_app_is_shown_as_such_and_replaced_without_force(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    run("--install")
    settings.QBITTORRENT_HOOK_TOKEN = "a-new-token-after-a-leak-0123456789"

    assert "older line of this app" in run("--show")
    run("--install")
    assert autorun(qbt_sim) == (True, hook.program_line())
    assert "a-new-token-after-a-leak-0123456789" in autorun(qbt_sim)[1]


def test_url_sets_the_address_qbittorrents_machine_reaches(qbt_sim: QBittorrentSimulator) -> None:
    run("--install", "--url", "http://web:8000/")
    assert autorun(qbt_sim)[1].endswith(" http://web:8000/api/v1/downloads/finished/")
    assert "runs this line" in run("--show", "--url", "http://web:8000")

    with pytest.raises(CommandError, match="--url must start with http"):
        run("--install", "--url", "web:8000")


def test_an_address_outside_allowed_hosts_is_warned_about(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["kiosk.lan"]
    warnings = StringIO()

    call_command("qbittorrent_hook", "--install", "--url", "http://web:8000", stderr=warnings)
    call_command("qbittorrent_hook", "--show", stderr=warnings)  # APP_URL, kiosk.lan: fine

    assert warnings.getvalue().count("not in ALLOWED_HOSTS") == 1
    assert "http://web:8000 is not in ALLOWED_HOSTS" in warnings.getvalue()
    assert autorun(qbt_sim)[0] is True  # a warning only: a proxy may rewrite the host


def test_remove_clears_the_apps_line_and_leaves_another_program_alone(
    qbt_sim: QBittorrentSimulator,
) -> None:
    run("--install")
    assert "Removed" in run("--remove")
    assert autorun(qbt_sim) == (False, "")

    qbt_sim.preferences.update(autorun_enabled=True, autorun_program=THEIRS)
    assert "Nothing removed" in run("--remove")
    assert autorun(qbt_sim) == (True, THEIRS)


def test_force_goes_only_with_install(qbt_sim: QBittorrentSimulator) -> None:
    with pytest.raises(CommandError, match="--force goes with --install"):
        run("--remove", "--force")


def test_a_qbittorrent_that_is_away_is_one_line_and_show_still_prints_the_line(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt_sim.down()

    with pytest.raises(CommandError, match="unreachable"):
        run("--install")
    out = run("--show")
    assert hook.program_line() in out
    assert "could not be asked" in out


def test_the_install_task_installs_and_never_replaces_another_program(
    qbt_sim: QBittorrentSimulator,
) -> None:
    assert install_hook_task.apply().get() == "installed"
    assert autorun(qbt_sim) == (True, hook.program_line())

    qbt_sim.preferences.update(autorun_enabled=True, autorun_program=THEIRS)
    assert install_hook_task.apply().get() == "another program is set"
    assert autorun(qbt_sim) == (True, THEIRS)


@pytest.mark.django_db
@pytest.mark.parametrize("allowed", [True, False])
def test_a_starting_worker_installs_the_line_only_when_allowed(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
    allowed: bool,
) -> None:
    settings.QBITTORRENT_SET_HOOK = allowed
    settings.QBITTORRENT_URL = "http://127.0.0.1:9"
    sent: list[str] = []
    monkeypatch.setattr(
        "downloads.tasks.install_hook_task.apply_async", lambda *a, **k: sent.append("install")
    )

    with django_capture_on_commit_callbacks(execute=True):
        receivers.on_worker_ready()

    assert sent == (["install"] if allowed else [])


def test_installing_logs_no_token_and_the_log_filter_masks_one_a_library_would_log(
    qbt_sim: QBittorrentSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "qbittorrentapi", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)

    run("--install")

    assert caplog.records, "nothing was logged: the assertion below would hold for nothing"
    assert HOOK_TOKEN not in caplog.text
    # What the console handler's filter does to a line quoting the program (a library's
    # DEBUG line, a traceback): the token goes, the rest of the line stays.
    record = logging.getLogger("qbittorrentapi").makeRecord(
        "qbittorrentapi", logging.DEBUG, __file__, 1, "prefs %s", (hook.program_line(),), None
    )
    RedactSecrets().filter(record)
    assert HOOK_TOKEN not in record.getMessage()
    assert "Authorization: Bearer ***" in record.getMessage()


# --- a real qbittorrent-nox ----------------------------------------------------------------
class Received:
    """A local endpoint standing for the app: keeps each POST's path, header and body."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, str]] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                received.posts.append((self.path, self.headers.get("Authorization", ""), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def app_endpoint() -> Iterator[Received]:
    endpoint = Received()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.fixture
def real_qbittorrent(qbt_pair: QbtPair, settings: Any) -> Iterator[QbtPair]:
    settings.QBITTORRENT_URL = qbt_pair.client.url
    settings.QBITTORRENT_USERNAME = qbt_pair.client.username
    settings.QBITTORRENT_PASSWORD = qbt_pair.client.password
    yield qbt_pair
    qbt_pair.client.api.app_set_preferences(prefs={"autorun_enabled": False, "autorun_program": ""})


def test_a_real_qbittorrent_runs_the_installed_line_when_a_torrent_finishes(
    real_qbittorrent: QbtPair, app_endpoint: Received
) -> None:
    qbt = real_qbittorrent
    run("--install", "--url", app_endpoint.url)
    preferences = qbt.client.api.app_preferences()
    assert preferences["autorun_enabled"] is True
    assert preferences["autorun_program"] == hook.program_line(app_url=app_endpoint.url)
    assert "runs this line" in run("--show", "--url", app_endpoint.url)

    seeded = qbt.make_torrent("Hook.Film.2020.1080p-GRP.mkv", 4 << 20)
    qbt.client.api.torrents_add(
        torrent_files=seeded.torrent_bytes, save_path=str(qbt.client.save_path)
    )

    wait_for(lambda: app_endpoint.posts, 20, what="qBittorrent running the line")
    assert app_endpoint.posts == [
        ("/api/v1/downloads/finished/", f"Bearer {HOOK_TOKEN}", f"hash={seeded.info_hash}")
    ]


def test_a_real_qbittorrent_stops_calling_once_the_line_is_removed(
    real_qbittorrent: QbtPair, app_endpoint: Received
) -> None:
    qbt = real_qbittorrent
    run("--install", "--url", app_endpoint.url)
    run("--remove")
    preferences = qbt.client.api.app_preferences()
    assert (preferences["autorun_enabled"], preferences["autorun_program"]) == (False, "")

    seeded = qbt.make_torrent("Hook.Removed.2020.1080p-GRP.mkv", 4 << 20)
    qbt.client.api.torrents_add(
        torrent_files=seeded.torrent_bytes, save_path=str(qbt.client.save_path)
    )
    wait_for(
        lambda: any(
            t.progress == 1 for t in qbt.client.api.torrents_info(torrent_hashes=seeded.info_hash)
        ),
        20,
        what="the torrent finishing",
    )
    # qBittorrent runs the program right after the status that says "finished" (seen
    # ~10 ms apart on 4.5.2); a second is ample for a call that will not come.
    threading.Event().wait(1)
    assert app_endpoint.posts == []
