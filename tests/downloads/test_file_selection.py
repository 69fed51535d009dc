"""Which files of a torrent are fetched for some episodes: a file list in, the kept ids out.

Plus the monitor's side over the qBittorrent simulator: a pass selects once, a pass with
nothing to select stays one call and the same queries, and a pack's magnet (its metadata
from the Torznab simulator) waits stopped for the monitor to select its files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from downloads import file_selection, lifecycle, monitor
from downloads.file_selection import wanted_file_ids
from downloads.models import Download
from downloads.qbittorrent import TorrentFile
from downloads.releases import MediaQuery
from plexkiosk.simulators.qbittorrent import METADATA_SECONDS, QBittorrentSimulator
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator
from tests.downloads.lifecycle_helpers import OWNER, client_for, make_candidate, start
from tests.processes import wait_for

MB = 1 << 20


def torrent(*names: str, size: int = 500 * MB) -> list[TorrentFile]:
    """Return a torrent's file list as qBittorrent gives it, every file at priority 1."""
    return [TorrentFile(index, name, size, 1, 0.0) for index, name in enumerate(names)]


def kept(files: list[TorrentFile], season: int, episodes: list[int]) -> list[str]:
    """Return the names of the files selection keeps."""
    ids = wanted_file_ids(files, season=season, episodes=episodes)
    return [file.name for file in files if file.index in ids]


def test_a_multi_season_pack_keeps_only_the_wanted_seasons_episodes_and_their_subtitles() -> None:
    files = torrent(
        "Show.S01-S03/Show.S01/Show.S01E02.mkv",
        "Show.S01-S03/Show.S02/Show.S02E01.mkv",
        "Show.S01-S03/Show.S02/Show.S02E02.mkv",
        "Show.S01-S03/Show.S02/Show.S02E02.en.srt",
        "Show.S01-S03/Show.S02/Subs/Show.S02E02/2_English.srt",
        "Show.S01-S03/Show.S03/Show.S03E02.mkv",
        "Show.S01-S03/Show.S02/Show.S02E02.nfo",
        "Show.S01-S03/Show.S02/Sample/show.s02e02.sample.mkv",
        "Show.S01-S03/Extras/Show.S02E02.Behind.The.Scenes.mkv",
        "Show.S01-S03/Show.S02/show.s02e02-sample.mkv",
    )
    assert kept(files, 2, [2]) == [
        "Show.S01-S03/Show.S02/Show.S02E02.mkv",
        "Show.S01-S03/Show.S02/Show.S02E02.en.srt",
        "Show.S01-S03/Show.S02/Subs/Show.S02E02/2_English.srt",
    ]


def test_episodes_named_without_their_season_take_it_from_their_folder() -> None:
    files = torrent(
        "Show.Complete/Season 1/Show.E03.mkv",
        "Show.Complete/Season 2/Show.E03.mkv",
        "Show.Complete/Season 2/Show.E04.mkv",
    )
    assert kept(files, 2, [3]) == ["Show.Complete/Season 2/Show.E03.mkv"]


def test_a_multi_episode_file_is_kept_for_any_of_its_episodes() -> None:
    files = torrent("Show.S02/Show.S02E01E02.mkv", "Show.S02/Show.S02E03.mkv")
    assert kept(files, 2, [2, 9]) == ["Show.S02/Show.S02E01E02.mkv"]


@pytest.mark.parametrize(
    "hostile",
    [
        "../../Show.S02E01.mkv",
        "Show.S02/../../../Show.S02E01.mkv",
        "/etc/Show.S02E01.mkv",
        "Show.S02/./Show.S02E01.mkv",
        "Show.S02\\..\\..\\Show.S02E01.mkv",
        "Show.S02/Show.S02E01\x00.mkv",
    ],
)
def test_a_file_whose_path_would_leave_the_download_is_never_selected(hostile: str) -> None:
    files = torrent(hostile, "Show.S02/Show.S02E02.mkv")
    assert kept(files, 2, [1, 2]) == ["Show.S02/Show.S02E02.mkv"]


def test_files_numbered_from_the_shows_first_episode_are_counted_back_into_the_season() -> None:
    files = torrent(
        "[SubsPlease] Show (01-26)/[SubsPlease] Show - 12 (1080p).mkv",
        "[SubsPlease] Show (01-26)/[SubsPlease] Show - 13 (1080p).mkv",
        "[SubsPlease] Show (01-26)/[SubsPlease] Show - 14 (1080p).mkv",
    )
    ids = wanted_file_ids(files, season=2, episodes=[1, 2], absolute_offset=12)
    assert [files[i].name.rsplit(" - ", 1)[1] for i in ids] == ["13 (1080p).mkv", "14 (1080p).mkv"]


def test_a_torrent_without_the_wanted_episodes_keeps_nothing() -> None:
    files = torrent("Show.S02/Show.S02E01.mkv", "Show.S02/Show.S02E02.mkv", "Show.S02.nfo")
    assert kept(files, 2, [5]) == []
    assert kept(files, 3, [1]) == []


# --- the monitor over the simulator -----------------------------------------------------


@pytest.mark.django_db
def test_the_monitor_selects_a_download_once_its_magnet_has_its_metadata(
    qbt_sim: QBittorrentSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    qbt_sim.speed = 1000  # it stays downloading for the test's passes
    download = start(qbt_sim)
    Download.objects.filter(pk=download.pk).update(
        media_type="tv", season=2, episodes=[1], select_files=True
    )
    calls: list[int] = []

    def select(row: Download, client: Any) -> bool:
        calls.append(row.pk)
        row.files_selected_at = row.added_at
        Download.objects.filter(pk=row.pk).update(files_selected_at=row.added_at)
        return True

    monkeypatch.setattr(file_selection, "select_episode_files", select)
    waiting = monitor.monitor_once()  # metaDL: no file list to select from yet
    time.sleep(METADATA_SECONDS)
    first = monitor.monitor_once()
    second = monitor.monitor_once()

    assert calls == [download.pk]
    assert (waiting.selected, first.selected, second.selected) == ([], [download.pk], [])


@pytest.mark.django_db
def test_a_pass_with_nothing_to_select_is_one_call_and_the_same_queries(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt_sim.speed = 1  # nothing completes between passes: every one follows the same rows
    client = client_for(qbt_sim)
    for n in range(1, 3):
        start(qbt_sim, n)
    time.sleep(METADATA_SECONDS)  # the magnets' files are listed: the first pass checks them
    monitor.monitor_once(client=client)  # the first pass writes what it saw

    def one_pass() -> tuple[int, int]:
        qbt_sim.reset_counts()
        with CaptureQueriesContext(connection) as queries:
            monitor.monitor_once(client=client)
        return sum(qbt_sim.calls.values()), len(queries)

    few = one_pass()
    for n in range(3, 9):
        start(qbt_sim, n)
    time.sleep(METADATA_SECONDS)
    monitor.monitor_once(client=client)
    many = one_pass()
    assert few == many and few[0] == 1


@pytest.mark.django_db
def test_over_the_simulators_a_pack_magnet_is_stopped_selected_by_the_monitor_then_filed(
    torznab: Callable[..., TorznabSimulator],
    tmp_path: Path,
    settings: Any,
    queued_imports: list[int],
    library: list[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    files = tuple(
        (f"Show.S0{season}/Show.S0{season}E0{episode}.1080p.WEB.mkv", 400 * MB)
        for season in (1, 2)
        for episode in (1, 2)
    )
    release = SimRelease(title="Show.S01-S02.1080p.WEB", size=1600 * MB, seeders=5, files=files)
    indexer = torznab([release])
    settings.DOWNLOADS_DIR = tmp_path / "downloads"
    settings.DOWNLOADS_DIR.mkdir()
    sim = QBittorrentSimulator(torrents_url=indexer.url, save_path=str(settings.DOWNLOADS_DIR))
    settings.QBITTORRENT_URL = sim.start()
    settings.QBITTORRENT_USERNAME, settings.QBITTORRENT_PASSWORD = sim.username, sim.password
    try:
        candidate = make_candidate(release.title, release.size, magnet=release.magnet)
        media = MediaQuery(media_type="tv", title="Show", year=2020, season=2)
        download = lifecycle.start_download(
            candidate=candidate, owner_ref=OWNER, media=media, episodes=[2], select_files=True
        )
        assert download.files_selected_at is None
        client = client_for(sim)
        wait_for(lambda: client.files(download.info_hash), 5, what="the magnet's metadata")
        assert client.get(download.info_hash).state == "pausedDL"  # stopped by the condition

        report = monitor.monitor_once()
        assert report.selected == [download.pk]
        assert [f.name for f in client.files(download.info_hash) if f.priority] == [
            "Show.S01-S02.1080p.WEB/Show.S02/Show.S02E02.1080p.WEB.mkv"
        ]
        assert client.get(download.info_hash).size == 400 * MB  # only the selected file counts
        sim.finish(download.info_hash)
        with django_capture_on_commit_callbacks(execute=True):
            monitor.monitor_once()
        assert queued_imports == [download.pk]
        lifecycle.import_download(download.pk)
    finally:
        sim.stop()
    season = settings.TV_DIR / "Show (2020)" / "Season 02"
    assert [p.name for p in season.iterdir()] == ["Show (2020) - S02E02.mkv"]
    assert not (settings.TV_DIR / "Show (2020)" / "Season 01").exists()
