"""The download life cycle: start once by hash, cleanups, and a whole real download.

Against the qBittorrent simulator, and against a real qbittorrent-nox pair for a whole
download and a stall (monitor and import cases: test_monitor.py, test_import_flow.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from downloads import cleanup, lifecycle, monitor
from downloads.models import Blocklist, Download
from downloads.releases import MediaQuery
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator
from tests.downloads.lifecycle_helpers import (
    DUNE,
    OWNER,
    S,
    client_for,
    fake_hash,
    magnet_for,
    make_candidate,
    start,
)
from tests.downloads.qbt_harness import (
    QbtPair,
    qbt_pair_fixture,  # noqa: F401 - provides the module-scoped `qbt_pair`
)
from tests.processes import wait_for

pytestmark = pytest.mark.django_db


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


def test_the_same_release_asked_again_by_its_owner_holds_the_union_of_episodes(
    qbt_sim: QBittorrentSimulator,
) -> None:
    season = MediaQuery(media_type="tv", title="Show", year=2020, season=2)
    candidate = make_candidate("Show.S02E01E02.1080p.WEB", 2 << 20, magnet=magnet_for(8))

    def ask(episodes: list[int], owner: str = OWNER) -> list[int]:
        lifecycle.start_download(
            candidate=candidate, owner_ref=owner, media=season, episodes=episodes
        )
        return Download.objects.get().episodes

    assert ask([2]) == [2]
    assert ask([1, 2]) == [1, 2]
    assert ask([2], owner="test:2") == [1, 2]  # another owner's ask changes nothing
    assert ask([]) == []  # now for everything it holds
    assert qbt_sim.calls["torrents/add"] == 1


def test_select_files_without_episodes_to_fetch_is_refused(qbt_sim: QBittorrentSimulator) -> None:
    candidate = make_candidate("Show.S02.1080p.WEB", 2 << 20, magnet=magnet_for(9))
    season = MediaQuery(media_type="tv", title="Show", year=2020, season=2)
    with pytest.raises(ValueError, match="needs a season and the episodes"):
        lifecycle.start_download(
            candidate=candidate, owner_ref=OWNER, media=season, select_files=True
        )
    assert qbt_sim.torrents == {} and not Download.objects.exists()


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
        ("magnet://[::1?xt=urn:btih:" + "ab" * 20, ""),  # a bracket urlsplit refuses
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

    assert cleanup.remove_seeded_torrents() == 2

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

    assert cleanup.delete_old_downloads(days=30) == 2

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


@pytest.mark.parametrize(
    ("added_by", "mode"), [("magnet", "hardlink"), (".torrent", "copy")], ids=["magnet", "torrent"]
)
def test_a_real_qbittorrent_download_is_monitored_filed_and_removed_after_seeding(
    real_qbt: QbtPair,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    torrent_link: Callable[[bytes], str],
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
    added_by: str,
    mode: str,
) -> None:
    settings.TRANSFER_MODE = mode
    seeded = real_qbt.make_torrent(f"Dune.2021.1080p.BluRay.x264-{mode.upper()}.mkv", 3 << 20)
    if added_by == "magnet":
        tracker = f"http://127.0.0.1:{real_qbt.seeder.tracker_port}/announce"
        candidate = make_candidate(seeded.name, seeded.size, magnet=f"{seeded.magnet}&tr={tracker}")
    else:
        candidate = make_candidate(
            seeded.name, seeded.size, link=torrent_link(seeded.torrent_bytes)
        )
    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    assert download.info_hash == seeded.info_hash
    tags = real_qbt.client.api.torrents_info(torrent_hashes=download.info_hash)[0].tags
    assert f"pk-{download.info_hash[:8]}" in tags

    progress: list[float] = []

    def completed() -> bool:
        with django_capture_on_commit_callbacks(execute=True):
            monitor.monitor_once()
        row = Download.objects.get(pk=download.pk)
        progress.append(row.progress)
        return row.state == S.COMPLETED

    wait_for(completed, timeout=30, what="the monitor to see the download complete")
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert queued_imports == [download.pk]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.import_download(download.pk)

    film = settings.MOVIES_DIR / "Dune (2021)" / "Dune (2021).mkv"
    assert film.read_bytes() == seeded.path.read_bytes()
    kept = Path(Download.objects.get(pk=download.pk).content_path)
    # A hard link is the same file as qBittorrent's; a copy is another one.
    assert film.samefile(kept) is (mode == "hardlink")
    assert Download.objects.get(pk=download.pk).state == S.IMPORTED
    assert library == [str(film.parent)]
    assert [(kind, kw["owner_ref"]) for kind, kw in told] == [("completed", OWNER)]

    # Seeded enough (a ratio of 0 is reached at once): gone from qBittorrent, film kept.
    settings.SEED_RATIO_LIMIT = 0.0
    assert cleanup.remove_seeded_torrents() == 1
    assert real_qbt.client.api.torrents_info(torrent_hashes=download.info_hash) == []
    assert Download.objects.get(pk=download.pk).state == S.REMOVED
    assert film.read_bytes() == seeded.path.read_bytes()


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
            monitor.monitor_once()
        return Download.objects.get(pk=download.pk).state == S.FAILED

    wait_for(failed, timeout=15, what="the monitor to fail the stalled download")
    assert Download.objects.get(pk=download.pk).error == "no seeders for 0 min"
    assert real_qbt.client.api.torrents_info(torrent_hashes=download.info_hash) == []
    assert Blocklist.objects.filter(info_hash=download.info_hash).exists()
    assert told[0][0] == "failed"
