"""The library's disk fills up during an import, on a real (2 MB tmpfs) file system: the import
fails with a reason a person can act on, leaves nothing half-done in the library and nothing
touched in the download, and once space is freed the retry files exactly one copy."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from downloads import importer, lifecycle
from downloads.models import Blocklist, Download
from downloads.signals import import_delayed
from requests_app.models import MediaRequest, Status, owner_ref
from tests.conftest import WorkerProcess, requires_services
from tests.processes import wait_for

DISK_BYTES = 2 * 1024 * 1024
FILM_BYTES = 1_500_000
RELEASE = "Dune.2021.1080p.BluRay.x264-FIRST"
HASH = "d" * 40


@dataclass
class SmallDisk:
    """A 2 MB library disk (tmpfs) with a filler file, beside a download on the big disk."""

    media: Path
    movies: Path
    filler: Path
    downloads: Path
    content: Path

    def free(self) -> int:
        return shutil.disk_usage(self.media).free

    def library_tree(self) -> dict[str, int]:
        return {str(p.relative_to(self.media)): p.lstat().st_size for p in self.media.rglob("*")}

    def download_tree(self) -> dict[str, str]:
        return {
            str(p.relative_to(self.downloads)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.downloads.rglob("*"))
            if p.is_file()
        }

    def filed(self) -> list[Path]:
        return sorted(p for p in self.movies.rglob("*") if p.is_file())


def mount_tmpfs(folder: Path) -> None:
    folder.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        # Root may mount; anyone else gets that right from `make test`, which runs pytest in
        # a user namespace of its own (scripts/with_mount_rights.sh).
        pytest.fail(
            f"cannot mount a small tmpfs library disk: {done.stderr.strip()}; run the tests as "
            "root or through `make test` (or scripts/with_mount_rights.sh .venv/bin/pytest …)",
            pytrace=False,
        )


def unmount(folder: Path) -> None:
    if subprocess.run(["umount", str(folder)], check=False).returncode != 0:
        # A worker that still holds a file open: detach now, freed when it lets go.
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def disk(tmp_path: Path, settings: Any) -> Iterator[SmallDisk]:
    media = tmp_path / "media"
    mount_tmpfs(media)
    try:
        movies = media / "Movies"
        movies.mkdir()
        filler = media / "filler.bin"
        filler.write_bytes(os.urandom(1_200_000))
        downloads = tmp_path / "downloads"
        content = downloads / HASH[:16] / RELEASE
        content.mkdir(parents=True)
        # Random bytes: a copy has to write every page; the film does not fit next to the filler.
        (content / f"{RELEASE}.mkv").write_bytes(os.urandom(FILM_BYTES))
        (content / f"{RELEASE}.nfo").write_text("release notes")
        small = SmallDisk(media, movies, filler, downloads, content)
        assert small.free() < FILM_BYTES < small.free() + filler.stat().st_size
        settings.MOVIES_DIR = movies
        settings.TV_DIR = media / "TV"
        settings.DOWNLOADS_DIR = downloads
        # Hard links cannot cross into the tmpfs: the importer has to copy.
        settings.TRANSFER_MODE = "hardlink"
        yield small
    finally:
        unmount(media)


def completed_download(disk: SmallDisk, owner: str) -> Download:
    return Download.objects.create(
        info_hash=HASH,
        release_title=RELEASE,
        owner_ref=owner,
        media_type="movie",
        title="Dune",
        year=2021,
        size=FILM_BYTES,
        state=Download.State.COMPLETED,
        save_path=str(disk.content.parent),
        content_path=str(disk.content),
    )


def fill_the_disk_during_the_copy(disk: SmallDisk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Free the space, then let another program fill it right after the free-space check."""
    disk.filler.unlink()
    real_copyfile = shutil.copyfile

    def other_writer_then_copy(source: Path, destination: Path) -> Any:
        disk.filler.write_bytes(os.urandom(disk.free() - 300_000))
        return real_copyfile(source, destination)

    monkeypatch.setattr(importer.shutil, "copyfile", other_writer_then_copy)


def assert_readable(reason: str, disk: SmallDisk) -> None:
    assert "no space left on the library disk" in reason
    assert str(disk.movies) in reason  # names the library folder to free space in
    assert "1.5 MB" in reason
    for machine_talk in ("Traceback", "Errno", "OSError", ".partial", "bytes"):
        assert machine_talk not in reason


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["too-little-space-before-the-copy", "disk-fills-during-the-copy"])
def test_a_full_library_disk_fails_the_import_cleanly_and_the_retry_files_one_copy(
    disk: SmallDisk,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
    how: str,
) -> None:
    download = completed_download(disk, owner="")
    library_before, download_before = disk.library_tree(), disk.download_tree()
    heard: list[str] = []
    import_delayed.connect(lambda sender, reason, **kw: heard.append(reason), weak=False,
                           dispatch_uid="test-delayed")  # fmt: skip
    if how == "disk-fills-during-the-copy":
        fill_the_disk_during_the_copy(disk, monkeypatch)

    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(importer.NotEnoughSpace) as failed,
        ):
            lifecycle.import_download(download.pk)
    finally:
        import_delayed.disconnect(dispatch_uid="test-delayed")

    assert failed.value.temporary
    # The kernel's own "No space left on device", or the check that saw it coming.
    cause = failed.value.__cause__
    if how == "disk-fills-during-the-copy":
        assert isinstance(cause, OSError) and cause.errno == errno.ENOSPC
    else:
        assert cause is None
    download.refresh_from_db()
    # The download says why, readably, and stays claimable for the retry.
    assert download.state == Download.State.IMPORTING
    assert download.error.startswith("import failed: no space left on the library disk")
    assert_readable(download.error, disk)
    assert heard == [download.error.removeprefix("import failed: ")]
    # Nothing partial in the library (no temporary file, no "Dune (2021)" folder) ...
    assert disk.library_tree().keys() == library_before.keys()
    # ... and the torrent's own files are untouched.
    assert disk.download_tree() == download_before

    monkeypatch.undo()
    disk.filler.unlink()
    out = StringIO()
    call_command("import_download", HASH[:8], stdout=out)  # the admin's retry

    film = disk.movies / "Dune (2021)" / "Dune (2021).mkv"
    assert disk.filed() == [film]
    assert film.read_bytes() == (disk.content / f"{RELEASE}.mkv").read_bytes()
    assert not film.samefile(disk.content / f"{RELEASE}.mkv")  # a copy, on the small disk
    assert "imported" in out.getvalue() and "(copied)" in out.getvalue()
    download.refresh_from_db()
    assert (download.state, download.error) == (Download.State.IMPORTED, "")
    assert disk.download_tree() == download_before


@pytest.mark.django_db
def test_an_import_given_up_on_a_full_disk_blocklists_nothing_and_can_be_filed_by_hand_later(
    disk: SmallDisk, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from downloads.tasks import import_download_task

    download = completed_download(disk, owner="")
    library_before, download_before = disk.library_tree(), disk.download_tree()
    Download.objects.filter(pk=download.pk).update(state=Download.State.IMPORTING)
    # The last of the task's retries (about 45 minutes after the first try).
    with django_capture_on_commit_callbacks(execute=True):
        outcome = import_download_task.apply(
            args=[download.pk], retries=import_download_task.max_retries
        )

    assert outcome.result == "failed"
    download.refresh_from_db()
    assert download.state == Download.State.FAILED
    assert download.error.startswith("import failed: no space left on the library disk")
    assert_readable(download.error, disk)
    # A full disk says nothing against the release: nobody is barred from it.
    assert not Blocklist.objects.exists()
    assert disk.library_tree() == library_before
    assert disk.download_tree() == download_before

    disk.filler.unlink()
    call_command("import_download", HASH, stdout=StringIO())
    assert [p.name for p in disk.filed()] == ["Dune (2021).mkv"]
    download.refresh_from_db()
    assert (download.state, download.error) == (Download.State.IMPORTED, "")


# --- the whole path, with a real worker -------------------------------------------------


@pytest.fixture
def plex(disk: SmallDisk) -> Iterator[Any]:
    from plexkiosk.simulators.plex import PlexSimulator

    simulator = PlexSimulator(token="t", movie_root=str(disk.movies), tv_root=str(disk.media))
    simulator.start()
    yield simulator
    simulator.stop()


@requires_services
@pytest.mark.django_db(transaction=True)
def test_a_worker_importing_onto_a_full_disk_tells_the_requester_and_its_own_retry_files_one_copy(
    disk: SmallDisk, plex: Any, celery_worker_process: Callable[..., WorkerProcess]
) -> None:
    from downloads.tasks import import_download_task

    user = get_user_model().objects.create_user("ana", password="pw-ana-123")
    request = MediaRequest.objects.create(
        requested_by=user, media_type="movie", title="Dune", year=2021, tmdb_id=438631,
        status=Status.DOWNLOADING, download_hash=HASH, celery_task_id=str(uuid.uuid4()),
        status_reason=f"Downloading {RELEASE}.",
    )  # fmt: skip
    download = completed_download(disk, owner_ref(request.pk))
    library_before, download_before = disk.library_tree(), disk.download_tree()
    worker = celery_worker_process(
        MOVIES_DIR=str(disk.movies),
        TV_DIR=str(disk.media / "TV"),
        DOWNLOADS_DIR=str(disk.downloads),
        TRANSFER_MODE="hardlink",
        PLEX_URL=plex.url,
        PLEX_TOKEN="t",
    )
    import_download_task.delay(download.pk)

    def request_told() -> bool:
        request.refresh_from_db()
        return "not in the library yet" in request.status_reason

    wait_for(request_told, 60, what="the requester being told", logs=[worker])
    assert request.status == Status.DOWNLOADING
    assert request.status_reason.startswith("Downloaded, but not in the library yet: no space")
    assert_readable(request.status_reason, disk)
    download.refresh_from_db()
    assert download.state == Download.State.IMPORTING
    assert_readable(download.error, disk)
    assert disk.library_tree() == library_before
    assert disk.download_tree() == download_before

    disk.filler.unlink()  # the household frees space; the task's own retry (30 s) does the rest

    def filed() -> bool:
        request.refresh_from_db()
        return request.status == Status.PROCESSING

    wait_for(filed, 120, what="the retried import filing the film", logs=[worker])
    assert [p.name for p in disk.filed()] == ["Dune (2021).mkv"]
    assert request.status_reason == "Filed into the library; waiting for Plex to show it."
    download.refresh_from_db()
    assert (download.state, download.error, download.attempts) == ("imported", "", 2)
    assert plex.refreshes == [(1, str(disk.movies / "Dune (2021)"))]
    assert disk.download_tree() == download_before
