"""Downloads of some episodes only, against a real qbittorrent-nox pair (issue 15, TV).

A multi-season pack fetches only the season asked for, a season pack only the missing
episodes, a magnet waits stopped for the monitor to pick its files, two single-episode
releases file into one season folder, and a torrent without the wanted episodes fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bencodepy
import pytest

from downloads import lifecycle, monitor
from downloads.models import Blocklist, Download
from downloads.releases import MediaQuery
from tests.downloads.lifecycle_helpers import OWNER, S, make_candidate
from tests.downloads.qbt_harness import (
    QbtPair,
    SeededTorrent,
    qbt_pair_fixture,  # noqa: F401 - provides the module-scoped `qbt_pair`
)
from tests.processes import wait_for

pytestmark = pytest.mark.django_db

SEASON_2 = MediaQuery(media_type="tv", title="Show", year=2020, season=2)
EPISODE_BYTES = 300_000  # not a multiple of the 256 KiB pieces: pieces straddle the files


@pytest.fixture
def real_qbt(qbt_pair: QbtPair, settings: Any, tmp_path: Path) -> QbtPair:
    """Point the app's settings at the real qBittorrent client of the pair."""
    settings.QBITTORRENT_URL = qbt_pair.client.url
    settings.QBITTORRENT_USERNAME = qbt_pair.client.username
    settings.QBITTORRENT_PASSWORD = qbt_pair.client.password
    settings.QBITTORRENT_CATEGORY = "plexkiosk-episodes"
    settings.DOWNLOADS_DIR = tmp_path / "downloads"
    settings.DOWNLOADS_DIR.mkdir()
    settings.TRANSFER_MODE = "copy"
    return qbt_pair


def pack(pair: QbtPair, name: str, seasons: dict[int, list[int]]) -> SeededTorrent:
    """Seed a pack with season folders of episodes, a subtitle, a sample and an .nfo."""
    files: dict[str, int] = {f"{name}.nfo": 500}
    for season, episodes in seasons.items():
        for episode in episodes:
            code = f"S{season:02d}E{episode:02d}"
            files[f"Show.S{season:02d}/Show.{code}.1080p.WEB.mkv"] = EPISODE_BYTES
            files[f"Show.S{season:02d}/Show.{code}.1080p.WEB.en.srt"] = 2_000
        files[f"Show.S{season:02d}/Sample/show.s{season:02d}.sample.mkv"] = 40_000
    return pair.make_torrent(name, 0, files=files)


def by_link(seeded: SeededTorrent, link: Callable[[bytes], str]) -> Any:
    """Return a candidate whose indexer link serves the seeded torrent's .torrent file."""
    return make_candidate(seeded.name, seeded.size, link=link(seeded.torrent_bytes))


def priorities(pair: QbtPair, info_hash: str) -> dict[str, int]:
    """Return each file's priority in the real qBittorrent, by its path inside the torrent."""
    return {
        f.name.split("/", 1)[1]: f.priority
        for f in pair.client.api.torrents_files(torrent_hash=info_hash)
    }


def monitor_until_completed(download: Download, run: Callable[..., Any]) -> list[float]:
    """Run monitor passes until the download completes; return the progress each pass saw."""
    seen: list[float] = []

    def completed() -> bool:
        with run(execute=True):
            monitor.monitor_once()
        row = Download.objects.get(pk=download.pk)
        seen.append(row.progress)
        return row.state == S.COMPLETED

    wait_for(completed, timeout=30, what="the monitor to see the download complete")
    return seen


def filed(settings: Any) -> list[str]:
    """Return the files in the show's season 2 folder."""
    folder = settings.TV_DIR / "Show (2020)" / "Season 02"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_multi_season_pack_fetches_and_files_only_the_season_asked_for(
    real_qbt: QbtPair,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    torrent_link: Callable[[bytes], str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    seeded = pack(real_qbt, "Show.S01-S02.1080p.WEB", {1: [1, 2, 3], 2: [1, 2, 3]})
    download = lifecycle.start_download(
        candidate=by_link(seeded, torrent_link),
        owner_ref=OWNER,
        media=SEASON_2,
        episodes=[3, 1, 2],
        select_files=True,
    )

    assert download.episodes == [1, 2, 3] and download.files_selected_at is not None
    chosen = priorities(real_qbt, download.info_hash)
    assert {path for path, priority in chosen.items() if priority} == {
        f"Show.S02/Show.S02E0{n}.1080p.WEB{ext}" for n in (1, 2, 3) for ext in (".mkv", ".en.srt")
    }
    seen = monitor_until_completed(download, django_capture_on_commit_callbacks)
    assert seen[-1] == 1.0 and queued_imports == [download.pk]
    content = Path(Download.objects.get(pk=download.pk).content_path)
    for episode in (1, 2, 3):
        season_1 = content / "Show.S01" / f"Show.S01E0{episode}.1080p.WEB.mkv"
        # Never fetched whole: absent, or only the bytes of a piece shared with a wanted file.
        assert (
            not season_1.exists()
            or season_1.read_bytes() != (seeded.path / "Show.S01" / season_1.name).read_bytes()
        )

    result = lifecycle.import_download(download.pk)

    assert result is not None
    assert filed(settings) == [
        f"Show (2020) - S02E0{n}{ext}" for n in (1, 2, 3) for ext in (".en.srt", ".mkv")
    ]
    assert not (settings.TV_DIR / "Show (2020)" / "Season 01").exists()
    assert Download.objects.get(pk=download.pk).state == S.IMPORTED


def test_a_season_pack_fetches_and_files_only_the_missing_episodes(
    real_qbt: QbtPair,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    torrent_link: Callable[[bytes], str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    seeded = pack(real_qbt, "Show.S02.1080p.WEB", {2: [1, 2, 3, 4]})
    download = lifecycle.start_download(
        candidate=by_link(seeded, torrent_link),
        owner_ref=OWNER,
        media=SEASON_2,
        episodes=[2, 3],
        select_files=True,
    )
    chosen = priorities(real_qbt, download.info_hash)
    assert sorted(path for path, priority in chosen.items() if priority and ".mkv" in path) == [
        "Show.S02/Show.S02E02.1080p.WEB.mkv",
        "Show.S02/Show.S02E03.1080p.WEB.mkv",
    ]

    monitor_until_completed(download, django_capture_on_commit_callbacks)
    result = lifecycle.import_download(download.pk)

    assert filed(settings) == [
        "Show (2020) - S02E02.en.srt",
        "Show (2020) - S02E02.mkv",
        "Show (2020) - S02E03.en.srt",
        "Show (2020) - S02E03.mkv",
    ]
    episode_2 = settings.TV_DIR / "Show (2020)" / "Season 02" / "Show (2020) - S02E02.mkv"
    source = seeded.path / "Show.S02" / "Show.S02E02.1080p.WEB.mkv"
    assert episode_2.read_bytes() == source.read_bytes()
    # Episodes 1 and 4 partly on disk (pieces they share with 2 and 3) are never filed.
    assert result is not None and len(result.files) == 4


def test_a_magnet_waits_stopped_until_the_monitor_selects_its_files(
    real_qbt: QbtPair,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    seeded = pack(real_qbt, "Show.Complete.Series.1080p.WEB", {1: [1, 2], 2: [1, 2]})
    tracker = f"http://127.0.0.1:{real_qbt.seeder.tracker_port}/announce"
    candidate = make_candidate(seeded.name, seeded.size, magnet=f"{seeded.magnet}&tr={tracker}")
    download = lifecycle.start_download(
        candidate=candidate, owner_ref=OWNER, media=SEASON_2, episodes=[2], select_files=True
    )
    assert download.files_selected_at is None  # no file list yet: nothing to select from

    api = real_qbt.client.api
    wait_for(
        lambda: api.torrents_files(torrent_hash=seeded.info_hash),
        timeout=15,
        what="the magnet's metadata",
    )
    wait_for(
        lambda: api.torrents_info(torrent_hashes=seeded.info_hash)[0].state == "pausedDL",
        timeout=5,
        what="qBittorrent to stop the magnet once it has its metadata",
    )
    assert api.torrents_info(torrent_hashes=seeded.info_hash)[0].progress == 0

    with django_capture_on_commit_callbacks(execute=True):
        report = monitor.monitor_once()

    assert report.selected == [download.pk]
    assert {path for path, p in priorities(real_qbt, download.info_hash).items() if p} == {
        "Show.S02/Show.S02E02.1080p.WEB.mkv",
        "Show.S02/Show.S02E02.1080p.WEB.en.srt",
    }
    monitor_until_completed(download, django_capture_on_commit_callbacks)
    lifecycle.import_download(download.pk)
    assert filed(settings) == ["Show (2020) - S02E02.en.srt", "Show (2020) - S02E02.mkv"]


def test_two_single_episode_releases_of_one_owner_file_into_one_season_folder(
    real_qbt: QbtPair,
    queued_imports: list[int],
    library: list[str],
    settings: Any,
    torrent_link: Callable[[bytes], str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    downloads = []
    for episode in (1, 2):
        seeded = real_qbt.make_torrent(f"Show.S02E0{episode}.720p.HDTV.x264.mkv", EPISODE_BYTES)
        downloads.append(
            lifecycle.start_download(
                candidate=by_link(seeded, torrent_link),
                owner_ref=OWNER,
                media=SEASON_2,
                episodes=[episode],
            )
        )
    for download in downloads:
        monitor_until_completed(download, django_capture_on_commit_callbacks)
        lifecycle.import_download(download.pk)

    assert [d.episodes for d in downloads] == [[1], [2]]
    assert filed(settings) == ["Show (2020) - S02E01.mkv", "Show (2020) - S02E02.mkv"]
    assert {Download.objects.get(pk=d.pk).state for d in downloads} == {S.IMPORTED}


def test_the_same_torrent_asked_again_by_its_owner_fetches_the_new_episodes_too(
    real_qbt: QbtPair, torrent_link: Callable[[bytes], str]
) -> None:
    seeded = pack(real_qbt, "Show.S02.720p.WEB", {2: [1, 2, 3]})
    link = torrent_link(seeded.torrent_bytes)
    first = lifecycle.start_download(
        candidate=make_candidate(seeded.name, seeded.size, link=link),
        owner_ref=OWNER,
        media=SEASON_2,
        episodes=[3],
        select_files=True,
    )
    again = lifecycle.start_download(
        candidate=make_candidate(seeded.name, seeded.size, link=link),
        owner_ref=OWNER,
        media=SEASON_2,
        episodes=[1],
        select_files=True,
    )

    assert again.pk == first.pk and Download.objects.get(pk=first.pk).episodes == [1, 3]
    fetched = priorities(real_qbt, first.info_hash)
    assert sorted(path for path, on in fetched.items() if on and path.endswith(".mkv")) == [
        "Show.S02/Show.S02E01.1080p.WEB.mkv",
        "Show.S02/Show.S02E03.1080p.WEB.mkv",
    ]


def test_a_torrent_without_the_wanted_episodes_fails_with_the_reason_for_its_owner_only(
    real_qbt: QbtPair,
    torrent_link: Callable[[bytes], str],
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    seeded = pack(real_qbt, "Show.S02.Part1.1080p.WEB", {2: [1, 2]})
    with django_capture_on_commit_callbacks(execute=True):
        download = lifecycle.start_download(
            candidate=by_link(seeded, torrent_link),
            owner_ref=OWNER,
            media=SEASON_2,
            episodes=[5, 6],
            select_files=True,
        )

    row = Download.objects.get(pk=download.pk)
    assert row.state == S.FAILED
    assert row.error == "the torrent holds none of the wanted episodes (S02E05, S02E06)"
    assert real_qbt.client.api.torrents_info(torrent_hashes=download.info_hash) == []
    # Fine for the season's first episodes: barred for this request, not for everyone.
    assert list(
        Blocklist.objects.filter(info_hash=download.info_hash).values_list("request_ref", flat=True)
    ) == [OWNER]
    assert [(kind, kw["reason"]) for kind, kw in told] == [("failed", row.error)]


def hostile_torrent() -> bytes:
    """Return a .torrent whose file paths climb out of its folder ("../../x.mkv")."""
    paths = [
        [b"..", b"..", b"Show.S02E01.mkv"],
        [b"Show.S02", b"Show.S02E02.mkv"],
        [b"Show.S02", b"..", b"..", b"..", b"x.mkv"],
    ]
    info = {
        b"name": b"Show.S02.Hostile",
        b"piece length": 1 << 18,
        b"pieces": hashlib.sha1(b"\0" * 3000, usedforsecurity=False).digest(),
        b"files": [{b"path": path, b"length": 1000} for path in paths],
    }
    return bencodepy.encode({b"info": info})


def test_a_torrent_with_climbing_file_names_is_refused_before_qbittorrent_sees_it(
    real_qbt: QbtPair, torrent_link: Callable[[bytes], str]
) -> None:
    data = hostile_torrent()
    with pytest.raises(lifecycle.ReleaseUnusable, match="unsafe file name"):
        lifecycle.start_download(
            candidate=make_candidate("Show.S02.Hostile", 3000, link=torrent_link(data)),
            owner_ref=OWNER,
            media=SEASON_2,
            episodes=[1, 2],
            select_files=True,
        )
    # (A magnet's names come from peers: libtorrent drops their ".." parts, and selection
    # refuses any left, see test_file_selection.)
    assert not Download.objects.exists()
    assert [t.name for t in real_qbt.client.api.torrents_info() if "Hostile" in t.name] == []
