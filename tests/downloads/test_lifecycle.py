"""The download life cycle: start, monitor, fail over, import and clean up.

Against the qBittorrent simulator for most cases (fault cases are easy there), and against
a real qbittorrent-nox pair for a whole download and a stall.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from downloads import importer, lifecycle
from downloads.models import Blocklist, Download, ReleaseCandidate, ReleaseSearch
from downloads.qbittorrent import QBittorrent
from downloads.releases import MediaQuery
from downloads.signals import download_completed, download_failed
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator
from tests.downloads.qbt_harness import (
    QbtPair,
    qbt_pair_fixture,  # noqa: F401 - provides the module-scoped `qbt_pair`
    wait_for,
)

pytestmark = pytest.mark.django_db
S = Download.State
DUNE = MediaQuery(media_type="movie", title="Dune", year=2021)
OWNER = "test:1"  # not a request: the request flow's receivers leave it alone


def make_candidate(title: str, size: int, *, magnet: str = "", link: str = "") -> ReleaseCandidate:
    """Store a search with one accepted candidate, as the release search leaves it."""
    search = ReleaseSearch.objects.create(
        media_type="movie", title="Dune", year=2021, status=ReleaseSearch.Status.FOUND
    )
    return ReleaseCandidate.objects.create(
        search=search,
        rank=1,
        title=title,
        indexer="Simulated",
        size=size,
        seeders=10,
        magnet_url=magnet,
        download_url=link,
        score=100,
        accepted=True,
        chosen=True,
    )


def fake_hash(n: int) -> str:
    """Return a made-up info hash whose first 16 digits (its folder's name) are its own."""
    return f"{n:02x}" * 20


def magnet_for(n: int, name: str = "Dune.2021.1080p.BluRay.x264-SIM", size: int = 2 << 20) -> str:
    """Return a magnet with a made-up hash, a name and a size."""
    return f"magnet:?xt=urn:btih:{fake_hash(n)}&dn={name}&xl={size}"


def client_for(sim: QBittorrentSimulator) -> QBittorrent:
    """Return a logged-in client for the simulator."""
    qbt = QBittorrent(url=sim.url, username=sim.username, password=sim.password)
    qbt.login()
    return qbt


@pytest.fixture
def told() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record the download_completed and download_failed signals."""
    heard: list[tuple[str, dict[str, Any]]] = []

    def completed(sender: Any, **kwargs: Any) -> None:
        heard.append(("completed", kwargs))

    def failed(sender: Any, **kwargs: Any) -> None:
        heard.append(("failed", kwargs))

    download_completed.connect(completed, dispatch_uid="test-completed")
    download_failed.connect(failed, dispatch_uid="test-failed")
    yield heard
    download_completed.disconnect(dispatch_uid="test-completed")
    download_failed.disconnect(dispatch_uid="test-failed")


def start(sim: QBittorrentSimulator, n: int = 1, **kwargs: Any) -> Download:
    """Start a download of a made-up magnet in the simulator."""
    candidate = make_candidate(f"Dune.2021.1080p.BluRay.x264-SIM{n}", 2 << 20, magnet=magnet_for(n))
    return lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE, **kwargs)


def completed_download(sim: QBittorrentSimulator, queued: list[int]) -> Download:
    """Start a download, let it finish and have the monitor see it complete."""
    download = start(sim)
    sim.finish(download.info_hash)
    lifecycle.monitor_once()
    download.refresh_from_db()
    assert download.state == S.COMPLETED
    return download


# --- starting -------------------------------------------------------------------------------
def test_start_download_knows_the_hash_before_adding_and_adds_a_candidate_once(
    qbt_sim: QBittorrentSimulator,
) -> None:
    candidate = make_candidate("Dune.2021.1080p.BluRay.x264-SIM", 2 << 20, magnet=magnet_for(7))
    first = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    again = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)

    assert first.pk == again.pk and first.info_hash == fake_hash(7)
    assert Download.objects.count() == 1
    assert list(qbt_sim.torrents) == [first.info_hash]
    assert qbt_sim.calls["torrents/add"] == 1
    torrent = qbt_sim.torrents[first.info_hash]
    assert torrent.category == "plexkiosk" and torrent.tags == [f"pk-{first.info_hash[:8]}"]
    assert Path(torrent.save_path) == lifecycle.download_folder(first.info_hash)


def test_start_download_fetches_the_indexers_torrent_file(
    qbt_sim: QBittorrentSimulator, torznab: Callable[..., TorznabSimulator]
) -> None:
    release = SimRelease(title="Dune.2021.1080p.BluRay.x264-SIM", size=3 << 20, seeders=5)
    indexer = torznab([release])
    link = indexer.url.removesuffix("/api") + f"/download/{release.info_hash}.torrent?apikey=k"
    candidate = make_candidate(release.title, release.size, link=link)

    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)

    assert download.info_hash == release.info_hash
    assert qbt_sim.torrents[release.info_hash].size == 3 << 20


@pytest.mark.parametrize(
    ("magnet", "link"),
    [
        ("magnet:?xt=urn:btmh:1220" + "ab" * 32, ""),  # v2 only: no hash qBittorrent 4 knows
        ("", "/download/" + "0" * 40 + ".torrent"),  # the indexer has no such file
        ("", ""),
    ],
)
def test_a_broken_release_is_unusable_and_nothing_is_added(
    qbt_sim: QBittorrentSimulator,
    torznab: Callable[..., TorznabSimulator],
    magnet: str,
    link: str,
) -> None:
    if link:
        link = torznab([]).url.removesuffix("/api") + link
    candidate = make_candidate("Broken.2021.1080p", 1 << 20, magnet=magnet, link=link)
    with pytest.raises(lifecycle.ReleaseUnusable):
        lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    assert Download.objects.count() == 0 and qbt_sim.torrents == {}


# --- the monitor ----------------------------------------------------------------------------
def _monitor_cost(sim: QBittorrentSimulator, downloads: int) -> tuple[int, int]:
    """Add `downloads` active downloads; return (HTTP calls, SQL queries) of one monitor pass."""
    Download.objects.all().delete()
    sim.torrents.clear()
    for torrent in sim.add_many(downloads):
        Download.objects.create(
            info_hash=torrent.hash,
            release_title=torrent.name,
            media_type="movie",
            title="Bench",
            state=S.DOWNLOADING,
            owner_ref=OWNER,
        )
    client = client_for(sim)
    sim.reset_counts()
    with CaptureQueriesContext(connection) as queries:
        report = lifecycle.monitor_once(client=client)
    assert report.updated == downloads
    return sum(sim.calls.values()), len(queries)


def test_the_monitor_makes_one_call_and_the_same_queries_for_1_or_50_downloads(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int]
) -> None:
    calls_one, queries_one = _monitor_cost(qbt_sim, 1)
    calls_fifty, queries_fifty = _monitor_cost(qbt_sim, 50)

    assert calls_one == calls_fifty == 1
    assert qbt_sim.calls["torrents/info"] == 1
    assert queries_one == queries_fifty <= 4
    assert Download.objects.filter(progress__gt=0.2).count() > 10


def test_the_monitor_follows_progress_then_queues_the_import_once(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    qbt_sim.speed = 1 << 20
    download = start(qbt_sim)
    time.sleep(0.5)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.monitor_once()
    download.refresh_from_db()
    assert download.state == S.DOWNLOADING
    assert 0 < download.progress < 1 and download.dlspeed == 1 << 20 and download.eta
    assert queued_imports == []

    qbt_sim.finish(download.info_hash)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.monitor_once()
    download.refresh_from_db()
    assert download.state == S.COMPLETED and download.progress == 1
    assert download.completed_at is not None and download.content_path.endswith(".mkv")
    assert queued_imports == [download.pk]


@pytest.mark.parametrize(
    ("stall", "no_seeders", "reason"),
    [(0, 3600, "no progress for 0 min"), (21600, 0, "no seeders for 0 min")],
)
def test_a_stalled_download_is_failed_blocklisted_and_its_owner_told(
    qbt_sim: QBittorrentSimulator,
    settings: Any,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
    stall: int,
    no_seeders: int,
    reason: str,
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = stall
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = no_seeders
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    time.sleep(0.05)
    with django_capture_on_commit_callbacks(execute=True):
        report = lifecycle.monitor_once()

    download.refresh_from_db()
    assert download.state == S.FAILED and download.error == reason
    assert report.failed == [(download.pk, reason)]
    assert download.info_hash not in qbt_sim.torrents
    assert Blocklist.objects.filter(info_hash=download.info_hash, request_ref="").exists()
    assert Blocklist.objects.filter(info_hash=download.info_hash, request_ref=OWNER).exists()
    assert [(kind, kw["owner_ref"], kw["reason"]) for kind, kw in told] == [
        ("failed", OWNER, reason)
    ]


def test_a_download_with_nothing_wrong_is_left_alone_within_the_timeouts(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 3600
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 3600
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    lifecycle.monitor_once()
    download.refresh_from_db()
    assert download.state == S.STALLED and download.info_hash in qbt_sim.torrents


def test_an_errored_download_is_removed_with_its_data_and_failed(
    qbt_sim: QBittorrentSimulator,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    time.sleep(0.3)
    content = Path(client_for(qbt_sim).get(download.info_hash).content_path)
    assert content.exists()
    qbt_sim.error(download.info_hash)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.monitor_once()

    download.refresh_from_db()
    assert download.state == S.FAILED and download.error == "qBittorrent reports an error (error)"
    assert download.info_hash not in qbt_sim.torrents and not content.exists()
    assert Blocklist.objects.filter(info_hash=download.info_hash).exists()
    assert told[0][0] == "failed"


def test_a_download_qbittorrent_lost_fails_after_a_grace_period(
    qbt_sim: QBittorrentSimulator,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    qbt_sim.lose(download.info_hash)
    lifecycle.monitor_once()
    download.refresh_from_db()
    assert download.state == S.QUEUED  # just added: qBittorrent may not list it yet

    Download.objects.filter(pk=download.pk).update(added_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.monitor_once()
    download.refresh_from_db()
    assert download.state == S.FAILED
    assert download.error == "qBittorrent no longer has this torrent"
    assert told == [("failed", mock.ANY)] and told[0][1]["reason"] == download.error


def test_the_monitor_never_touches_torrents_outside_the_category(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 0
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 0
    for n, category in enumerate(["", "movies", "plexkiosk-other"]):
        torrent = qbt_sim.add(
            info_hash=fake_hash(n + 100), name=f"Mine.{n}", size=1 << 20, category=category
        )
        qbt_sim.error(torrent.hash)
    # Even a Download row for that hash does not make a foreign torrent the app's.
    Download.objects.create(
        info_hash=fake_hash(100), release_title="x", media_type="movie", title="x", state=S.QUEUED
    )
    report = lifecycle.monitor_once()

    assert report.seen == 0
    assert len(qbt_sim.torrents) == 3 and qbt_sim.calls["torrents/delete"] == 0


# --- import ---------------------------------------------------------------------------------
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
    real = importer.import_download

    def file_then_crash(**kwargs: Any) -> importer.ImportResult:
        real(**kwargs)
        raise SystemExit("worker killed")

    monkeypatch.setattr(importer, "import_download", file_then_crash)
    with pytest.raises(SystemExit):
        lifecycle.import_download(download.pk)
    assert Download.objects.get(pk=download.pk).state == S.IMPORTING
    monkeypatch.setattr(importer, "import_download", real)

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
    assert not folder.exists() or list(folder.iterdir()) == []
    assert Download.objects.get(pk=download.pk).state == S.IMPORTING  # the task retries
    assert library == []


# --- cleanups -------------------------------------------------------------------------------
def test_only_imported_torrents_past_the_ratio_or_time_are_removed(
    qbt_sim: QBittorrentSimulator, settings: Any, tmp_path: Path
) -> None:
    settings.SEED_RATIO_LIMIT = 2.0
    settings.SEED_DAYS_LIMIT = 14
    downloads = {}
    for n, (state, ratio, days) in enumerate(
        [
            ("ratio", 2.5, 0),
            ("time", 0.1, 15),
            ("fresh", 0.5, 1),
            ("not imported", 9.0, 30),
        ]
    ):
        download = start(qbt_sim, n)
        qbt_sim.finish(download.info_hash)
        qbt_sim.update(download.info_hash, ratio=ratio, seeding_time=days * 86400)
        Download.objects.filter(pk=download.pk).update(
            state=S.COMPLETED if state == "not imported" else S.IMPORTED
        )
        downloads[state] = download
    foreign = qbt_sim.add(info_hash="f" * 40, name="Theirs", size=10, category="movies")
    qbt_sim.update(foreign.hash, downloaded=10, ratio=50.0)
    # The library's hard link outlives the torrent's own file.
    ratio_file = Path(client_for(qbt_sim).get(downloads["ratio"].info_hash).content_path)
    kept = tmp_path / "library-copy.mkv"
    os.link(ratio_file, kept)

    assert lifecycle.remove_seeded_torrents() == 2

    assert set(qbt_sim.torrents) == {
        downloads["fresh"].info_hash,
        downloads["not imported"].info_hash,
        foreign.hash,
    }
    states = dict(Download.objects.values_list("info_hash", "state"))
    assert states[downloads["ratio"].info_hash] == states[downloads["time"].info_hash] == S.REMOVED
    assert states[downloads["fresh"].info_hash] == S.IMPORTED
    assert not ratio_file.exists() and kept.stat().st_size == 2 << 20


def test_old_downloads_are_deleted_with_their_files_and_never_anything_outside(
    settings: Any, tmp_path: Path
) -> None:
    settings.DOWNLOADS_DIR = tmp_path / "downloads"
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "family.mkv").write_bytes(b"keep me")
    old = timezone.now() - timedelta(days=40)

    def row(n: int, state: str, when: Any) -> Download:
        download = Download.objects.create(
            info_hash=fake_hash(n), release_title="x", media_type="movie", title="x", state=state
        )
        Download.objects.filter(pk=download.pk).update(added_at=when)
        return download

    gone = row(1, S.FAILED, old)
    folder = lifecycle.download_folder(gone.info_hash)
    folder.mkdir(parents=True)
    (folder / "leftover.mkv").write_bytes(b"x" * 100)
    planted = row(2, S.REMOVED, old)
    lifecycle.download_folder(planted.info_hash).symlink_to(outside, target_is_directory=True)
    recent = row(3, S.FAILED, timezone.now())
    seeding = row(4, S.IMPORTED, old)

    assert lifecycle.delete_old_downloads(days=30) == 2

    assert set(Download.objects.values_list("pk", flat=True)) == {recent.pk, seeding.pk}
    assert not folder.exists()
    assert (outside / "family.mkv").read_bytes() == b"keep me"


# --- a real qBittorrent ---------------------------------------------------------------------
@pytest.fixture
def real_qbt(qbt_pair: QbtPair, settings: Any, tmp_path: Path) -> QbtPair:
    """Point the app's settings at the real qBittorrent client of the pair."""
    settings.QBITTORRENT_URL = qbt_pair.client.url
    settings.QBITTORRENT_USERNAME = qbt_pair.client.username
    settings.QBITTORRENT_PASSWORD = qbt_pair.client.password
    settings.QBITTORRENT_CATEGORY = "plexkiosk-lifecycle"
    settings.DOWNLOADS_DIR = tmp_path / "downloads"
    settings.DOWNLOADS_DIR.mkdir()
    return qbt_pair


def test_a_real_qbittorrent_download_is_monitored_to_completion_and_filed(
    real_qbt: QbtPair, queued_imports: list[int], library: list[str], settings: Any
) -> None:
    seeded = real_qbt.make_torrent("Dune.2021.1080p.BluRay.x264-REAL.mkv", 3 << 20)
    tracker = f"http://127.0.0.1:{real_qbt.seeder.tracker_port}/announce"
    candidate = make_candidate(seeded.name, seeded.size, magnet=f"{seeded.magnet}&tr={tracker}")
    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    assert download.info_hash == seeded.info_hash

    def completed() -> bool:
        lifecycle.monitor_once()
        return Download.objects.get(pk=download.pk).state == S.COMPLETED

    wait_for(completed, timeout=30, what="the monitor to see the download complete")
    lifecycle.import_download(download.pk)

    film = settings.MOVIES_DIR / "Dune (2021)" / "Dune (2021).mkv"
    assert film.read_bytes() == seeded.path.read_bytes()
    assert Download.objects.get(pk=download.pk).state == S.IMPORTED
    assert library == [str(film.parent)]


def test_a_real_download_nobody_seeds_is_failed_by_the_monitor(
    real_qbt: QbtPair,
    settings: Any,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 1
    unseeded = real_qbt.make_torrent("Nobody.2020.1080p.WEB-DL.mkv", 1 << 20, seed=False)
    candidate = make_candidate(unseeded.name, unseeded.size, magnet=unseeded.magnet)
    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)

    def failed() -> bool:
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.monitor_once()
        return Download.objects.get(pk=download.pk).state == S.FAILED

    wait_for(failed, timeout=15, what="the monitor to fail the stalled download")
    assert Download.objects.get(pk=download.pk).error == "no seeders for 0 min"
    assert real_qbt.client.api.torrents_info(torrent_hashes=download.info_hash) == []
    assert Blocklist.objects.filter(info_hash=download.info_hash).exists()
    assert told[0][0] == "failed"


def test_a_download_qbittorrent_finished_long_ago_is_queued_for_import_once(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)
    # Already complete in qBittorrent for an hour (a release seeded before it was asked for).
    qbt_sim.update(download.info_hash, completion_on=int(time.time()) - 3600)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.monitor_once()
    assert queued_imports == [download.pk]


def test_the_monitor_marks_the_downloads_it_updated(qbt_sim: QBittorrentSimulator) -> None:
    download = start(qbt_sim)
    Download.objects.filter(pk=download.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    lifecycle.monitor_once()
    download.refresh_from_db()
    assert timezone.now() - download.updated_at < timedelta(minutes=1)


def test_an_import_with_no_video_fails_the_download_even_without_qbittorrent_settings(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], library: list[str], settings: Any
) -> None:
    download = completed_download(qbt_sim, queued_imports)
    Path(download.content_path).unlink()
    settings.QBITTORRENT_URL = ""
    assert lifecycle.import_download(download.pk) is None
    assert Download.objects.get(pk=download.pk).state == S.FAILED
