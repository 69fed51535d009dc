"""Import: filing into the library by hard link and copy, Plex's partial scan, retries."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from downloads import importer, lifecycle
from downloads.models import Download
from library.plex import PlexTemporaryError
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.downloads.lifecycle_helpers import (
    OWNER,
    S,
    completed_download,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mode", ["hardlink", "copy"])
def test_import_files_the_movie_asks_plex_to_scan_that_folder_and_tells_the_owner(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
    mode: str,
) -> None:
    settings.TRANSFER_MODE = mode
    download = completed_download(qbt_sim, queued_imports)
    with django_capture_on_commit_callbacks(execute=True):
        result = lifecycle.import_download(download.pk)

    film = settings.MOVIES_DIR / "Dune (2021)" / "Dune (2021).mkv"
    source = Path(download.content_path)
    assert result is not None and result.folder == film.parent
    assert film.stat().st_size == source.stat().st_size == 2 << 20
    assert film.samefile(source) == (mode == "hardlink")
    assert library == [str(film.parent)]
    download.refresh_from_db()
    assert download.state == S.IMPORTED and download.library_folder == str(film.parent)
    assert [(kind, kw["owner_ref"]) for kind, kw in told] == [("completed", OWNER)]
    # qBittorrent keeps seeding from its own copy.
    assert source.exists() and download.info_hash in qbt_sim.torrents


def test_import_asks_a_real_plex_to_scan_only_the_movies_folder(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MOVIES_DIR = tmp_path / "media" / "Movies"
    settings.MOVIES_DIR.mkdir(parents=True)
    plex = PlexSimulator(movie_root=str(settings.MOVIES_DIR), tv_root=str(tmp_path / "tv"))
    settings.PLEX_URL = plex.start()
    settings.PLEX_TOKEN = plex.token
    try:
        download = completed_download(qbt_sim, queued_imports)
        lifecycle.import_download(download.pk)
    finally:
        plex.stop()
    # Section 1 holds MOVIES_DIR; Plex learnt of it from Plex itself (no sync has run).
    assert plex.refreshes == [(1, str(settings.MOVIES_DIR / "Dune (2021)"))]


def test_importing_twice_leaves_one_copy(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str], settings: Any
) -> None:
    download = completed_download(qbt_sim, queued_imports)
    lifecycle.import_download(download.pk)
    assert lifecycle.import_download(download.pk) is None  # already imported: nothing to do
    # Even when made to import again (an admin's retry), the file is found in place.
    Download.objects.filter(pk=download.pk).update(state=S.COMPLETED)
    again = lifecycle.import_download(download.pk)

    assert again is not None and not again.changed
    assert sorted(p.name for p in (settings.MOVIES_DIR / "Dune (2021)").iterdir()) == [
        "Dune (2021).mkv"
    ]


def test_a_crash_after_filing_and_before_saving_leaves_no_duplicate_after_the_retry(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.TRANSFER_MODE = "copy"
    download = completed_download(qbt_sim, queued_imports)
    real = importer.file_into_library

    def file_then_crash(**kwargs: Any) -> importer.ImportResult:
        real(**kwargs)
        raise SystemExit("worker killed")

    monkeypatch.setattr(importer, "file_into_library", file_then_crash)
    with pytest.raises(SystemExit):
        lifecycle.import_download(download.pk)
    assert Download.objects.get(pk=download.pk).state == S.IMPORTING
    monkeypatch.setattr(importer, "file_into_library", real)

    lifecycle.import_download(download.pk)

    folder = settings.MOVIES_DIR / "Dune (2021)"
    assert [p.name for p in folder.iterdir()] == ["Dune (2021).mkv"]
    download.refresh_from_db()
    assert download.state == S.IMPORTED and download.attempts == 2


def test_a_full_disk_is_a_temporary_error_that_leaves_nothing_partial(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.TRANSFER_MODE = "copy"
    download = completed_download(qbt_sim, queued_imports)

    def half_then_full(source: Path, destination: Path) -> None:
        Path(destination).write_bytes(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importer.shutil, "copyfile", half_then_full)
    with pytest.raises(importer.NotEnoughSpace) as caught:
        lifecycle.import_download(download.pk)

    assert caught.value.temporary
    folder = settings.MOVIES_DIR / "Dune (2021)"
    assert not folder.exists()  # the folder this import made is removed with its half file
    assert Download.objects.get(pk=download.pk).state == S.IMPORTING  # the task retries
    assert library == []


def test_an_import_with_no_video_fails_the_download_even_without_qbittorrent_settings(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str], settings: Any
) -> None:
    download = completed_download(qbt_sim, queued_imports)
    Path(download.content_path).unlink()
    settings.QBITTORRENT_URL = ""
    assert lifecycle.import_download(download.pk) is None
    assert Download.objects.get(pk=download.pk).state == S.FAILED


def test_plex_away_during_the_scan_keeps_the_file_and_the_retry_finishes_once(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    settings: Any,
    tmp_path: Path,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.MOVIES_DIR = tmp_path / "media" / "Movies"
    settings.MOVIES_DIR.mkdir(parents=True)
    plex = PlexSimulator(movie_root=str(settings.MOVIES_DIR), tv_root=str(tmp_path / "tv"))
    settings.PLEX_URL = plex.start()
    settings.PLEX_TOKEN = plex.token
    try:
        download = completed_download(qbt_sim, queued_imports)
        plex.fail(path="/refresh", status=503)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(PlexTemporaryError, match="503"),
        ):
            lifecycle.import_download(download.pk)
        download.refresh_from_db()
        # Filed, not yet announced: the task retries (PlexTemporaryError) and nobody is told.
        assert download.state == S.IMPORTING and told == []

        plex.clear_failures()
        with django_capture_on_commit_callbacks(execute=True):
            result = lifecycle.import_download(download.pk)
    finally:
        plex.stop()

    folder = settings.MOVIES_DIR / "Dune (2021)"
    assert result is not None and not result.changed
    assert [p.name for p in folder.iterdir()] == ["Dune (2021).mkv"]
    assert plex.refreshes == [(1, str(folder))]
    download.refresh_from_db()
    assert download.state == S.IMPORTED
    assert [kind for kind, _ in told] == ["completed"]
