"""The torrent's real size: a fake's files are refused before anything is fetched (issue 16)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from downloads import lifecycle, monitor
from downloads.models import Blocklist, Download, Indexer, QualityProfile
from downloads.real_size import contents_problem
from downloads.releases import MediaQuery
from downloads.torrentfile import ContentFile, torrent_files
from plexkiosk.simulators.qbittorrent import METADATA_SECONDS, QBittorrentSimulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator, bencode
from requests_app import flow, pipeline, tmdb
from requests_app.models import EpisodeState, MediaRequest, Profile, Status, owner_ref
from tests.downloads.lifecycle_helpers import DUNE, OWNER, make_candidate
from tests.requests_app.conftest import DUNE as DUNE_ON_TMDB
from tests.requests_app.conftest import DUNE_IDS
from tests.requests_app.test_episodes import (  # noqa: F401 - clock, tmdb_airing: fixtures
    NOW,
    SEVERANCE,
    TVDB,
    clock,
    tmdb_airing,
)

MB = 1_000_000
SHOW_S02 = MediaQuery(media_type="tv", title="Show", year=2020, season=2)
# The issue's fake: a "9.2 GB" 1080p film whose .torrent holds 31 MB.
FAKE = SimRelease(
    "Dune.2021.1080p.BluRay.x264-FAKE",
    31 * MB,
    900,
    declared_size=int(9.2 * GB),
    magnet_in_feed=False,
    **DUNE_IDS,
)
GOOD = SimRelease(
    "Dune.2021.1080p.WEB-DL.DDP5.1.H.264-GOOD",
    6 * GB,
    200,
    files=(("Dune.2021.1080p.WEB-DL.DDP5.1.H.264-GOOD.mkv", 6 * GB),),
    magnet_in_feed=False,
    **DUNE_IDS,
)


def judge(title: str, declared: float, files: list[tuple[str, float]], **kwargs: Any) -> Any:
    """Judge a torrent's files (sizes in GB) under the default profile."""
    return contents_problem(
        title=title,
        declared_size=int(declared * GB),
        files=[ContentFile(path=path, size=int(size * GB)) for path, size in files],
        media=kwargs.pop("media", DUNE),
        rules=QualityProfile.get_default().rules(),
        **kwargs,
    )


@pytest.fixture
def indexer() -> Iterator[TorznabSimulator]:
    """An indexer whose best-seeded Dune is the fake, the next one a real release."""
    with TorznabSimulator([FAKE, GOOD], api_key="k") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        yield simulator


def link_of(indexer: TorznabSimulator, release: SimRelease) -> str:
    """Return the release's .torrent link on the simulated indexer."""
    return f"{indexer.url.removesuffix('/api')}/download/{release.info_hash}.torrent"


# --- judging the files --------------------------------------------------------------------
@pytest.mark.django_db
def test_a_torrent_holding_far_less_than_the_indexer_said_is_a_fake_with_both_sizes() -> None:
    problem = judge("Dune.2021.1080p.BluRay.x264-FAKE", 9.2, [("Dune.2021.1080p.mkv", 0.031)])
    assert problem.fake
    assert problem.reason == "the .torrent holds 31 MB, not the 9.2 GB the indexer said: a fake"


@pytest.mark.django_db
def test_a_torrent_holding_far_more_than_the_indexer_said_is_a_fake_too() -> None:
    problem = judge("Dune.2021.1080p.BluRay.x264-GRP", 2.0, [("Dune.2021.1080p.mkv", 14.0)])
    assert problem.fake and problem.reason.startswith("the .torrent holds 14 GB, not the 2 GB")


@pytest.mark.django_db
def test_honest_differences_like_gib_written_as_gb_pass() -> None:
    # "9.2 GB" on the indexer that is 9.2 GiB, or GB rounding the other way.
    assert judge("Dune.2021.1080p.BluRay.x264-GRP", 9.2, [("Dune.mkv", 9.2 * 1.074)]) is None
    assert judge("Dune.2021.1080p.BluRay.x264-GRP", 9.2, [("Dune.mkv", 8.6)]) is None


@pytest.mark.django_db
def test_a_torrent_of_programs_and_shortcuts_is_a_fake_that_names_them() -> None:
    files = [
        ("Dune.2021.1080p/Dune.2021.1080p.exe", 5.0),
        ("Dune.2021.1080p/Play Movie.lnk", 0.001),
        ("Dune.2021.1080p/password.txt", 0.001),
        ("Dune.2021.1080p/Codec.zip", 0.2),
    ]
    problem = judge("Dune.2021.1080p.BluRay.x264-GRP", 5.2, files)
    assert problem.fake
    assert problem.reason == (
        "the .torrent holds no video, only Dune.2021.1080p.exe, Play Movie.lnk, password.txt "
        "and 1 more: a fake"
    )


@pytest.mark.django_db
def test_a_split_archive_or_a_lone_sample_is_no_video_but_a_film_beside_them_is() -> None:
    rars = [(f"Dune/dune.r{n:02d}", 0.1) for n in range(10)] + [("Dune/dune.rar", 0.1)]
    assert judge("Dune.2021.1080p.BluRay.x264-GRP", 1.1, rars).fake
    assert judge("Dune.2021.1080p.BluRay.x264-GRP", 0.1, [("Dune/sample.mkv", 0.1)]).fake
    with_film = [("Dune/Dune.2021.1080p.mkv", 9.0), ("Dune/Dune.nfo", 0.0001)]
    assert judge("Dune.2021.1080p.BluRay.x264-GRP", 9.0, with_film) is None


@pytest.mark.django_db
def test_a_file_named_like_a_release_without_an_extension_is_not_called_a_fake() -> None:
    # The last dot of a scene name is no extension: nothing says what the file is.
    assert (
        judge("Dune.2021.1080p.BluRay.x264-GRP", 9.0, [("Dune.2021.1080p.x264-GRP", 9.0)]) is None
    )


@pytest.mark.django_db
def test_a_real_size_below_the_profiles_minimum_for_its_resolution_is_refused_not_blocked() -> None:
    # 60 % of the declared size: no fake by the ratio, but a "1080p" film of 0.9 GB is
    # what the ranking refuses (under 1 GB), and the profile's rule holds for the real size.
    problem = judge("Dune.2021.1080p.BluRay.x264-GRP", 1.5, [("Dune.mkv", 0.9)])
    assert not problem.fake
    assert problem.reason == (
        "the .torrent holds 900 MB (the indexer said 1.5 GB): "
        "size 0.9 GB too small for 1080p (< 1 GB): fake?"
    )


@pytest.mark.django_db
def test_a_real_size_over_the_profiles_maximum_is_refused() -> None:
    problem = judge("Dune.2021.1080p.BluRay.x264-GRP", 15.0, [("Dune.mkv", 21.0)])
    assert problem.reason.endswith("size 21 GB > 20 GB") and not problem.fake


@pytest.mark.django_db
def test_an_episode_is_judged_by_the_episode_sizes_and_a_season_pack_by_the_seasons() -> None:
    episode = judge(
        "Show.S02E03.1080p.WEB-DL.x264-GRP",
        0.5,
        [("Show.S02E03.1080p.mkv", 0.28)],
        media=SHOW_S02,
        episodes=[3],
    )
    assert episode.reason.endswith("0.28 GB for an episode < 0.3 GB at 1080p: fake?")
    pack = judge(
        "Show.S02.1080p.WEB-DL.x264-GRP",
        2.0,
        [(f"Show.S02/Show.S02E{n:02d}.mkv", 0.12) for n in range(1, 11)],
        media=SHOW_S02,
    )
    assert pack.reason.endswith("size 1.2 GB too small for 1080p (< 1.5 GB): fake?")
    fine = judge(
        "Show.S02E03.1080p.WEB-DL.x264-GRP",
        0.5,
        [("Show.S02E03.1080p.mkv", 0.45)],
        media=SHOW_S02,
        episodes=[3],
    )
    assert fine is None


def test_a_torrents_files_are_read_as_qbittorrent_lists_them_without_padding() -> None:
    info = {
        "name": "Show.S02",
        "piece length": 16384,
        "pieces": b"x" * 20,
        "files": [
            {"path": ["Show.S02E01.mkv"], "length": 700},
            {"path": [".pad", "300"], "length": 300, "attr": "p"},
            {"path": ["Subs", "Show.S02E01.en.srt"], "length": 5},
        ],
    }
    assert torrent_files(bencode({"info": info})) == (
        ContentFile("Show.S02/Show.S02E01.mkv", 700),
        ContentFile("Show.S02/Subs/Show.S02E01.en.srt", 5),
    )
    assert torrent_files(FAKE.torrent) == (ContentFile(FAKE.title, 31 * MB),)


# --- starting a download ------------------------------------------------------------------
@pytest.mark.django_db
def test_starting_the_issues_fake_adds_nothing_and_blocklists_it_for_everyone(
    qbt_sim: QBittorrentSimulator, indexer: TorznabSimulator
) -> None:
    candidate = make_candidate(FAKE.title, int(9.2 * GB), link=link_of(indexer, FAKE))
    with pytest.raises(lifecycle.ReleaseUnusable) as refused:
        lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    reason = "the .torrent holds 31 MB, not the 9.2 GB the indexer said: a fake"
    assert str(refused.value) == reason
    assert qbt_sim.torrents == {} and not Download.objects.exists()
    entry = Blocklist.objects.get(info_hash=FAKE.info_hash)
    assert entry.is_global and entry.reason == reason


@pytest.mark.django_db
def test_a_release_whose_torrent_holds_what_was_declared_starts_with_its_real_size(
    qbt_sim: QBittorrentSimulator, indexer: TorznabSimulator
) -> None:
    # The indexer rounds: "6.2 GB" for a torrent of 6 GB.
    candidate = make_candidate(GOOD.title, int(6.2 * GB), link=link_of(indexer, GOOD))
    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    assert GOOD.info_hash in qbt_sim.torrents
    assert download.size == 6 * GB and download.files_selected_at is not None


@pytest.mark.django_db
def test_a_real_size_the_requesters_profile_refuses_is_refused_under_that_profile(
    qbt_sim: QBittorrentSimulator, indexer: TorznabSimulator
) -> None:
    candidate = make_candidate(GOOD.title, int(5 * GB), link=link_of(indexer, GOOD))
    small = QualityProfile.objects.create(name="Small films", movie_max_gb=4.0)
    candidate.search.profile = small  # the profile the requester's search ranked it under
    candidate.search.save()
    with pytest.raises(lifecycle.ReleaseUnusable, match=r"size 6 GB > 4 GB"):
        lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    # The release is fine for a household with other rules: not blocklisted for everyone.
    assert not Blocklist.objects.filter(request_ref="").exists()


# --- a magnet, once its metadata comes ------------------------------------------------------
@pytest.fixture
def metadata_qbt(
    indexer: TorznabSimulator, settings: Any, tmp_path: Path
) -> Iterator[QBittorrentSimulator]:
    """A qBittorrent that learns a magnet's files from the torrent itself (the indexer's)."""
    simulator = QBittorrentSimulator(torrents_url=indexer.url, save_path=str(tmp_path), speed=1)
    settings.QBITTORRENT_URL = simulator.start()
    settings.QBITTORRENT_USERNAME = simulator.username
    settings.QBITTORRENT_PASSWORD = simulator.password
    settings.DOWNLOADS_DIR = tmp_path
    yield simulator
    simulator.stop()


@pytest.mark.django_db
def test_a_magnet_whose_metadata_holds_a_fake_fails_once_the_monitor_sees_its_files(
    metadata_qbt: QBittorrentSimulator, told: list
) -> None:
    candidate = make_candidate(FAKE.title, int(9.2 * GB), magnet=FAKE.magnet)
    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    time.sleep(METADATA_SECONDS)
    report = monitor.monitor_once()
    reason = "the magnet's metadata holds 31 MB, not the 9.2 GB the indexer said: a fake"
    assert report.failed == [(download.pk, reason)]
    assert FAKE.info_hash not in metadata_qbt.torrents
    download.refresh_from_db()
    assert (download.state, download.error) == (Download.State.FAILED, reason)
    assert Blocklist.objects.get(info_hash=FAKE.info_hash, request_ref="").reason == reason


@pytest.mark.django_db
def test_a_magnet_whose_files_pass_is_checked_once_and_keeps_downloading(
    metadata_qbt: QBittorrentSimulator,
) -> None:
    candidate = make_candidate(GOOD.title, int(6.2 * GB), magnet=GOOD.magnet)
    download = lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE)
    assert download.files_selected_at is None  # no file list yet
    time.sleep(METADATA_SECONDS)
    assert monitor.monitor_once().failed == []
    metadata_qbt.reset_counts()
    monitor.monitor_once()
    assert metadata_qbt.calls["torrents/files"] == 0  # checked: not asked again
    download.refresh_from_db()
    assert download.state == Download.State.DOWNLOADING and download.size == 6 * GB


# --- through the request flow -------------------------------------------------------------
@pytest.mark.django_db
def test_a_request_whose_best_release_is_a_fake_downloads_the_next_one(
    qbt_sim: QBittorrentSimulator, indexer: TorznabSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tmdb, "details", lambda media_type, tmdb_id: DUNE_ON_TMDB)
    member = get_user_model().objects.create_user("ana", password="pw-ana-123")
    Profile.objects.create(user=member, auto_approve=True)
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE_ON_TMDB.tmdb_id)
    assert pipeline.search_and_download(request.request.pk) == "downloading"
    request.request.refresh_from_db()
    assert request.request.status == Status.DOWNLOADING
    assert request.request.download_hash == GOOD.info_hash
    assert list(qbt_sim.torrents) == [GOOD.info_hash]
    reason = "the .torrent holds 31 MB, not the 9.2 GB the indexer said: a fake"
    # Blocklisted for this request, and for everyone: the next search never takes it.
    assert set(
        Blocklist.objects.filter(info_hash=FAKE.info_hash).values_list("request_ref", "reason")
    ) == {("", reason), (owner_ref(request.request.pk), reason)}


def severance_episode(number: int, group: str, seeders: int, **kwargs: Any) -> SimRelease:
    """Return a release of one Severance season 3 episode, as the indexer lists it."""
    return SimRelease(
        f"Severance.S03E{number:02d}.1080p.WEB-DL.DDP5.1.H.264-{group}",
        kwargs.pop("size", 2 * GB),
        seeders,
        tvdb_id=TVDB,
        season=3,
        category=5000,
        magnet_in_feed=False,
        **kwargs,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("tmdb_airing")  # Severance season 3: episodes 1 and 2 aired at NOW
def test_a_seasons_fake_episode_is_blocklisted_and_the_next_search_takes_another_release(
    qbt_sim: QBittorrentSimulator,
) -> None:
    fake = severance_episode(1, "FAKE", 900, size=20 * MB, declared_size=2 * GB)
    good = [severance_episode(1, "NTb", 50), severance_episode(2, "NTb", 50)]
    member = get_user_model().objects.create_user("ana", password="pw-ana-123")
    request = MediaRequest.objects.create(
        requested_by=member, media_type="tv", tmdb_id=SEVERANCE, tvdb_id=TVDB,
        title="Severance", year=2022, season=3, status=Status.APPROVED, celery_task_id="t1",
    )  # fmt: skip
    with TorznabSimulator([fake, *good], api_key="k") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        pipeline.search_and_download(request.pk, task_id="t1", now=NOW)
        reason = "the .torrent holds 20 MB, not the 2 GB the indexer said: a fake"
        assert set(
            Blocklist.objects.filter(info_hash=fake.info_hash).values_list("request_ref", "reason")
        ) == {("", reason), (owner_ref(request.pk), reason)}
        # Episode 2 downloads; episode 1 is wanted again, for the next search.
        assert set(qbt_sim.torrents) == {good[1].info_hash}
        assert request.episodes.get(number=1).state == EpisodeState.WANTED
        # The season's next search (as its schedule would queue it).
        MediaRequest.objects.filter(pk=request.pk).update(status=Status.APPROVED)
        pipeline.search_and_download(request.pk, task_id="t1", now=NOW)
    assert set(qbt_sim.torrents) == {good[0].info_hash, good[1].info_hash}
    assert request.episodes.get(number=1).state == EpisodeState.DOWNLOADING
