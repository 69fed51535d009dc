"""A season's request, episode by episode: what is searched, started, followed and told.

TMDB is the simulator over HTTP (Severance season 3 on the air, weekly, by a movable
clock), the indexer the Torznab simulator; only the hand-over to qBittorrent is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core import queueing as core_queueing
from downloads.models import Blocklist, Download, Indexer, QualityProfile, ReleaseSearch
from library.models import Episode, LibraryItem, Season
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, AiringSeason, start_tmdb_simulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app import flow, notifications, pipeline, recovery, seasons, tmdb
from requests_app.models import EpisodeState, MediaRequest, Profile, RequestEpisode, Status
from tests.requests_app.test_episodes import FIRST_AIRS, NOW, SEVERANCE, TVDB, Clock, in_mirror

pytestmark = pytest.mark.django_db

E = EpisodeState
IDS = {"tvdb_id": TVDB, "season": 3, "category": 5000}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def sent_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send what is queued after the commit at once (each test runs in one transaction)."""
    monkeypatch.setattr(core_queueing.transaction, "on_commit", lambda send, **_: send())


@pytest.fixture
def tmdb_airing(settings, clock: Clock) -> Iterator[object]:
    """Severance season 3 on the air: episodes 1 and 2 have aired at NOW, 3 to 8 have not."""
    server, base_url = start_tmdb_simulator(clock=clock)
    server.air(AiringSeason(SEVERANCE, 3, FIRST_AIRS, timedelta(weeks=1), 8))
    settings.TMDB_URL, settings.TMDB_API_KEY, settings.TMDB_TIMEOUT = base_url, DEFAULT_API_KEY, 2
    cache.clear()
    yield server
    server.stop()
    cache.clear()


def episode(number: int, group: str = "NTb", gb: float = 2.0, seeders: int = 100) -> SimRelease:
    return SimRelease(
        f"Severance.S03E{number:02d}.1080p.WEB-DL.DDP5.1.H.264-{group}",
        int(gb * GB),
        seeders,
        **IDS,
    )


SEASON_PACK = SimRelease("Severance.S03.1080p.WEB-DL.DDP5.1.H.264-PACK", int(16 * GB), 300, **IDS)


@pytest.fixture
def indexer() -> Iterator[TorznabSimulator]:
    """An indexer with each episode of season 3, and a second release of episode 2."""
    held = [episode(n) for n in range(1, 9)] + [episode(2, group="OTHER", seeders=20)]
    with TorznabSimulator(held, api_key="k") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        yield simulator


@pytest.fixture
def releases(indexer: TorznabSimulator) -> list[SimRelease]:
    """What the indexer serves, live: tests add and remove releases."""
    return indexer.state.releases


@pytest.fixture
def started() -> Iterator[list[dict]]:
    """Record each hand-over to qBittorrent (release, episodes, file selection)."""
    calls: list[dict] = []

    def start(
        *,
        candidate,
        owner_ref,
        media,
        episodes=(),
        select_files=False,
        absolute_offset=None,
        client=None,
    ):
        calls.append(
            {"title": candidate.title, "episodes": tuple(episodes), "select_files": select_files}
            | ({"absolute_offset": absolute_offset} if absolute_offset is not None else {})
        )
        return Download.objects.create(
            info_hash=candidate.info_hash,
            release_title=candidate.title,
            owner_ref=owner_ref,
            media_type="tv",
            title="Severance",
            year=2022,
            season=3,
            state="downloading",
        )

    with mock.patch("downloads.lifecycle.start_download", side_effect=start):
        yield calls


def request_for_season_three(user) -> MediaRequest:
    return MediaRequest.objects.create(
        requested_by=user, media_type="tv", tmdb_id=SEVERANCE, tvdb_id=TVDB, title="Severance",
        year=2022, season=3, status=Status.APPROVED, celery_task_id="t1",
    )  # fmt: skip


def states(request: MediaRequest) -> dict[int, str]:
    return dict(request.episodes.values_list("number", "state"))


def search(request: MediaRequest, clock: Clock, task_id: str = "t1") -> str:
    MediaRequest.objects.filter(pk=request.pk).update(celery_task_id=task_id)
    return pipeline.search_and_download(request.pk, task_id=task_id, now=clock.now)


def filed(request: MediaRequest, *numbers: int) -> None:
    """The downloads of these episodes are filed and Plex lists them."""
    in_mirror(*numbers)
    for row in request.episodes.filter(number__in=numbers):
        Download.objects.filter(info_hash=row.download_hash).update(state="imported")
        pipeline.download_done(request.pk, info_hash=row.download_hash)


@pytest.fixture
def season_request(member, tmdb_airing, indexer, started, queued) -> MediaRequest:
    return request_for_season_three(member)


def test_an_airing_season_takes_each_aired_episode_as_its_own_release(
    season_request, started, clock, releases
):
    releases.append(SEASON_PACK)  # a pack claiming the whole season is never taken while it airs
    assert search(season_request, clock) == Status.DOWNLOADING

    assert [c["episodes"] for c in started] == [(1,), (2,)]
    assert [c["title"] for c in started] == [episode(1).title, episode(2).title]
    assert not any(c["select_files"] for c in started)
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert states(request) == {1: E.DOWNLOADING, 2: E.DOWNLOADING} | {
        n: E.NOT_AIRED for n in range(3, 9)
    }
    hashes = dict(request.episodes.values_list("number", "download_hash"))
    assert hashes[1] == episode(1).info_hash and hashes[2] == episode(2).info_hash
    assert request.status == Status.DOWNLOADING
    assert request.status_reason == "Downloading S03E01+E02 (0 of 8 in Plex)."
    # Read TMDB again within TV_AIRING_CHECK_MINUTES (6 h), well before episode 3 airs.
    assert request.next_search_at == NOW + timedelta(hours=6)
    # The stored search says what was taken (the ranking alone saw no season pack).
    stored = ReleaseSearch.objects.get(request_ref=request.owner_ref)
    assert stored.status == ReleaseSearch.Status.FOUND
    chosen = stored.candidates.filter(chosen=True).values_list("title", flat=True)
    assert sorted(chosen) == [episode(1).title, episode(2).title]


def test_each_episode_reaching_plex_is_marked_and_the_season_then_follows(
    season_request, clock, queued
):
    search(season_request, clock)
    filed(season_request, 1)
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert states(request)[1] == E.IN_PLEX and states(request)[2] == E.DOWNLOADING
    assert request.status == Status.DOWNLOADING

    filed(season_request, 2)
    request.refresh_from_db()
    assert request.status == Status.FOLLOWING
    assert request.status_reason == "2 of 8 in Plex; next episode Tue 1 Dec."
    assert request.is_active


def test_the_first_episode_is_told_at_once_then_one_digest_a_day(
    season_request, clock, queued, member
):
    search(season_request, clock)
    filed(season_request, 1)
    filed(season_request, 2)
    # S03E01 told at once; S03E02, a minute later, waits for the day's digest.
    assert queued.notify_episodes.call_args_list == [mock.call(season_request.pk, [1])]
    assert seasons.send_held_digests(now=timezone_now() + timedelta(hours=23)) == 0
    assert seasons.send_held_digests(now=timezone_now() + timedelta(hours=25)) == 1
    assert queued.notify_episodes.call_args_list[-1] == mock.call(season_request.pk, [2])
    assert seasons.send_held_digests(now=timezone_now() + timedelta(hours=26)) == 0


def timezone_now() -> datetime:
    return timezone.now()


def test_an_episode_notice_names_the_episodes_and_counts_the_season(
    season_request, clock, member, monkeypatch
):
    search(season_request, clock)
    in_mirror(1, 2)
    RequestEpisode.objects.filter(request=season_request, number__in=[1, 2]).update(state=E.IN_PLEX)
    Profile.objects.update_or_create(user=member, defaults={"notify_urls": "json://localhost"})
    sent = []
    monkeypatch.setattr(notifications.apprise_client, "send", lambda urls, **kw: sent.append(kw))
    notifications.episodes_arrived(season_request.pk, [1, 2])
    assert sent == [
        {
            "title": "Severance S03E01+E02 are in Plex",
            "body": "2 of 8 episodes of season 3 are in Plex.",
        }
    ]


def test_the_next_episode_is_searched_when_it_airs_and_arrives(season_request, clock, started):
    search(season_request, clock)
    filed(season_request, 1, 2)
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert request.status == Status.FOLLOWING

    # Episode 3 (1 December) counts as aired at the start of 3 December, UTC.
    clock.now = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)
    MediaRequest.objects.filter(pk=request.pk).update(next_search_at=clock.now)
    assert pipeline.search_due_again(now=clock.now) == 1
    task_id = MediaRequest.objects.get(pk=request.pk).celery_task_id
    assert pipeline.search_and_download(request.pk, task_id=task_id, now=clock.now) == (
        Status.DOWNLOADING
    )
    assert started[-1]["episodes"] == (3,)
    filed(season_request, 3)
    request.refresh_from_db()
    assert request.status == Status.FOLLOWING
    assert request.status_reason == "3 of 8 in Plex; next episode Tue 8 Dec."


def test_an_episode_not_out_yet_is_searched_again_1_2_6_and_24_hours_after_it_aired(
    season_request, clock, releases
):
    releases.remove(next(r for r in releases if r.title == episode(1).title))
    search(season_request, clock)
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert states(request)[1] == E.WANTED
    aired = tmdb.aired_at(FIRST_AIRS.date())
    rows = list(request.episodes.all())
    due = [
        seasons.next_search_at([r for r in rows if r.number == 1], now=aired + offset, attempts=1)
        for offset in (timedelta(0), timedelta(hours=1), timedelta(hours=3), timedelta(hours=7))
    ]
    assert due == [aired + timedelta(hours=h) for h in (1, 2, 6, 24)]
    later = aired + timedelta(hours=30)
    assert seasons.next_search_at([rows[0]], now=later, attempts=2) == later + timedelta(hours=12)


def test_a_finished_season_half_in_plex_takes_the_pack_but_only_its_missing_files(
    season_request, clock, started, releases
):
    releases[:] = [SEASON_PACK]  # no single episodes at all
    clock.now = datetime(2027, 2, 1, tzinfo=UTC)  # every episode aired long ago
    in_mirror(1, 2, 3)
    assert search(season_request, clock) == Status.DOWNLOADING
    assert started == [
        {"title": SEASON_PACK.title, "episodes": (4, 5, 6, 7, 8), "select_files": True}
    ]
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert states(request) == {n: E.IN_PLEX for n in (1, 2, 3)} | {
        n: E.DOWNLOADING for n in range(4, 9)
    }


def test_a_finished_season_prefers_its_pack_to_eight_episodes(
    season_request, clock, started, releases
):
    releases.append(SEASON_PACK)
    clock.now = datetime(2027, 2, 1, tzinfo=UTC)
    search(season_request, clock)
    assert started == [
        {"title": SEASON_PACK.title, "episodes": tuple(range(1, 9)), "select_files": False}
    ]


def test_a_stalled_episode_fails_over_to_its_next_release_alone(season_request, clock, started):
    search(season_request, clock)
    failed_hash = episode(2).info_hash
    Download.objects.filter(info_hash=failed_hash).update(state="failed")
    Blocklist.objects.create(info_hash=failed_hash, request_ref=season_request.owner_ref)
    request = MediaRequest.objects.get(pk=season_request.pk)

    outcome = seasons.fail_over(request, info_hash=failed_hash, task_id="t2", now=clock.now)

    assert outcome == Status.DOWNLOADING
    titles = [episode(1).title, episode(2).title, episode(2, group="OTHER").title]
    assert [c["title"] for c in started] == titles
    hashes = dict(request.episodes.values_list("number", "download_hash"))
    assert hashes[1] == episode(1).info_hash  # untouched
    assert hashes[2] == episode(2, group="OTHER").info_hash
    assert request.episodes.get(number=2).failovers == 1
    # Told twice (a redelivered failover): nothing more happens.
    assert seasons.fail_over(request, info_hash=failed_hash, task_id="t3") == (
        "skipped: not this download"
    )
    assert len(started) == 3


def test_an_episode_whose_releases_all_failed_is_given_up_with_the_reason(
    season_request, clock, settings, queued
):
    settings.REQUEST_MAX_FAILOVERS = 0
    clock.now = datetime(2027, 2, 1, tzinfo=UTC)
    in_mirror(*range(1, 8))
    search(season_request, clock)
    request = MediaRequest.objects.get(pk=season_request.pk)
    eight = request.episodes.get(number=8).download_hash
    Download.objects.filter(info_hash=eight).update(state="failed")
    assert seasons.fail_over(request, info_hash=eight, task_id="t2", now=clock.now) == (
        Status.FAILED
    )
    request.refresh_from_db()
    assert request.status == Status.FAILED
    assert request.status_reason == "S03E08: every release failed; no more to try."


def test_the_season_completes_when_every_episode_is_in_plex(season_request, clock, queued):
    clock.now = datetime(2027, 2, 1, tzinfo=UTC)
    in_mirror(*range(1, 7))
    search(season_request, clock)
    filed(season_request, 7, 8)
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert request.status == Status.COMPLETED
    assert request.status_reason == "Every episode of season 3 is in Plex."
    assert queued.notify.call_args_list == [mock.call(request.pk, "finished")]
    assert queued.notify_episodes.call_count == 0  # the completion says it all
    assert notifications._message(request)[0] == "Season 3 of Severance is complete"


def test_a_release_claiming_99_episodes_is_refused_and_blocks_nothing_else(
    season_request, clock, started, releases
):
    releases.insert(
        0, SimRelease("Severance.S03E01-E99.1080p.WEB-DL-FAKE", int(50 * GB), 999, **IDS)
    )
    search(season_request, clock)
    assert [c["episodes"] for c in started] == [(1,), (2,)]
    assert "FAKE" not in " ".join(c["title"] for c in started)


def test_a_season_tmdb_lists_without_episodes_is_followed_not_searched(
    member, indexer, started, queued, settings, clock
):
    server, base_url = start_tmdb_simulator(clock=clock)
    settings.TMDB_URL, settings.TMDB_API_KEY = base_url, DEFAULT_API_KEY
    cache.clear()
    try:
        with mock.patch.object(
            tmdb, "season", side_effect=tmdb.SeasonWithoutEpisodes("no episodes", temporary=False)
        ):
            request = request_for_season_three(member)
            assert search(request, clock) == Status.FOLLOWING
    finally:
        server.stop()
        cache.clear()
    request.refresh_from_db()
    assert started == []
    assert request.status_reason == "TMDB lists no episode of season 3 yet; checking again later."


def test_a_claim_left_by_a_dead_step_is_wanted_again(season_request, clock):
    search(season_request, clock)
    RequestEpisode.objects.filter(request=season_request, number=1).update(download_hash="")
    later = timezone_now() + timedelta(minutes=20)
    assert seasons.release_stale_claims(now=later) == [season_request.pk]
    assert states(season_request)[1] == E.WANTED
    assert MediaRequest.objects.get(pk=season_request.pk).next_search_at == later


def test_a_search_while_episodes_download_keeps_the_request_downloading(
    season_request, clock, started
):
    search(season_request, clock)
    clock.now = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # episode 3 aired
    assert search(season_request, clock, task_id="t9") == Status.DOWNLOADING
    assert [c["episodes"] for c in started] == [(1,), (2,), (3,)]
    # A message for an older task id finds the claim gone and does nothing.
    assert pipeline.search_and_download(season_request.pk, task_id="t1", now=clock.now) == (
        "skipped: not waiting for a search"
    )


def test_recovery_tells_a_season_what_became_of_downloads_whose_news_was_lost(
    season_request, clock, queued
):
    search(season_request, clock)
    long_ago = timezone_now() - timedelta(minutes=20)
    one, two = (episode(1).info_hash, episode(2).info_hash)
    Download.objects.filter(info_hash=one).update(
        state="failed", error="stalled", updated_at=long_ago
    )
    Download.objects.filter(info_hash=two).update(state="imported", updated_at=long_ago)
    recovered = recovery.recover_requests()
    assert queued.fail_over.call_args_list == [mock.call(season_request.pk, one, "stalled")]
    # Episode 1's download is not filed: the request is not "done downloading" yet.
    assert queued.complete.call_count == 0
    assert recovered.failovers == [season_request.pk]

    Download.objects.filter(info_hash=one).update(state="imported", updated_at=long_ago)
    recovery.recover_requests()
    assert queued.complete.call_args_list == [mock.call(season_request.pk, one)]


def test_cancelling_a_season_stops_every_episode_download(season_request, clock, queued, member):
    search(season_request, clock)
    flow.cancel(season_request.pk, by=member)
    stopped = sorted(c.args[0] for c in queued.stop.call_args_list)
    assert stopped == sorted([episode(1).info_hash, episode(2).info_hash])


def test_a_retried_season_tries_its_given_up_episodes_again(season_request, clock, staff):
    search(season_request, clock)
    RequestEpisode.objects.filter(request=season_request).update(failovers=9)
    MediaRequest.objects.filter(pk=season_request.pk).update(status=Status.FAILED)
    assert flow.retry(season_request.pk, by=staff) is not None
    assert set(season_request.episodes.values_list("failovers", flat=True)) == {0}


def season_in_mirror(season: int, numbers: range) -> None:
    """Put these episodes of a Severance season in the library mirror."""
    in_mirror()  # the show itself
    show = LibraryItem.objects.get(rating_key=7000)
    row, _ = Season.objects.get_or_create(
        rating_key=7000 + season, defaults={"show": show, "index": season}
    )
    for n in numbers:
        Episode.objects.get_or_create(
            rating_key=7000 + season * 100 + n,
            defaults={"show": show, "season": row, "season_number": season, "index": n},
        )


def test_all_missing_seasons_asks_for_each_season_plex_lacks(
    trusted_member, tmdb_airing, queued, sent_at_once
):
    season_in_mirror(1, range(1, 9))  # season 1 is all in Plex
    outcomes = flow.request_missing_seasons(user=trusted_member, tmdb_id=SEVERANCE, follow=True)
    assert [(o.request.season, o.created) for o in outcomes] == [(2, True), (3, True)]
    assert [o.request.follow_show for o in outcomes] == [False, True]  # the newest follows
    assert all(o.request.status == Status.APPROVED for o in outcomes)
    # Asked again: both seasons are joined, nothing new.
    again = flow.request_missing_seasons(user=trusted_member, tmdb_id=SEVERANCE)
    assert [(o.request.season, o.created) for o in again] == [(2, False), (3, False)]


def test_all_missing_seasons_of_a_show_plex_holds_is_refused(trusted_member, tmdb_airing, clock):
    clock.now = datetime(2027, 3, 1, tzinfo=UTC)  # season 3 has finished airing
    for season in (1, 2, 3):
        season_in_mirror(season, range(1, 9))
    with pytest.raises(flow.RequestRefused, match="Every season of Severance is already in Plex"):
        flow.request_missing_seasons(user=trusted_member, tmdb_id=SEVERANCE)
    assert not MediaRequest.objects.exists()


def test_a_followed_show_asks_for_its_next_season_when_tmdb_announces_it(
    trusted_member, tmdb_airing, queued, clock
):
    first = flow.create_request(
        user=trusted_member, media_type="tv", tmdb_id=SEVERANCE, season=3, follow=True
    ).request
    assert flow.request_announced_seasons() == []  # nothing announced after season 3 yet
    tmdb_airing.air(AiringSeason(SEVERANCE, 4, NOW + timedelta(days=200), timedelta(weeks=1), 10))
    outcomes = flow.request_announced_seasons()
    assert [(o.request.season, o.request.follow_show) for o in outcomes] == [(4, True)]
    first.refresh_from_db()
    assert first.follow_show is False  # the newest season carries the following on
    assert flow.request_announced_seasons() == []


def test_the_api_asks_for_all_missing_seasons_and_refuses_bad_input(
    trusted_member, tmdb_airing, queued
):
    api = APIClient()
    api.force_authenticate(trusted_member)
    answer = api.post(
        "/api/v1/requests/missing-seasons/", {"tmdb_id": SEVERANCE, "follow_show": True}
    )
    assert answer.status_code == 201, answer.content
    assert [r["season"] for r in answer.json()] == [1, 2, 3]
    assert api.post("/api/v1/requests/missing-seasons/", {"tmdb_id": "x"}).status_code == 400
    assert MediaRequest.objects.count() == 3


def test_the_kiosk_form_asks_for_all_missing_seasons(trusted_member, tmdb_airing, queued, client):
    client.force_login(trusted_member)
    answer = client.post(
        "/requests/new/",
        {"media_type": "tv", "tmdb_id": SEVERANCE, "season": "missing", "follow_show": "on"},
        follow=True,
    )
    assert "Seasons 1, 2, 3 requested." in answer.content.decode()
    assert MediaRequest.objects.filter(follow_show=True).get().season == 3
    bad = client.post("/requests/new/", {"media_type": "tv", "tmdb_id": SEVERANCE, "season": "x"})
    assert bad.status_code == 302 and MediaRequest.objects.count() == 3


def test_anime_style_releases_numbered_from_the_first_episode_fill_the_season(
    season_request, clock, started, releases
):
    # Seasons 1 and 2 of the simulated show have 8 episodes each: the show's 17th is S03E01.
    releases[:] = [
        SimRelease(f"[SubsPlease] Severance - {n} (1080p) [ABCD1234].mkv", int(1.4 * GB), 90, **IDS)
        for n in (9, 17, 18)
    ]
    search(season_request, clock)
    assert started == [
        {
            "title": releases[1].title,
            "episodes": (1,),
            "select_files": False,
            "absolute_offset": 16,
        },
        {
            "title": releases[2].title,
            "episodes": (2,),
            "select_files": False,
            "absolute_offset": 16,
        },
    ]


def test_a_pack_another_season_downloads_is_not_taken_over(season_request, clock, started):
    Download.objects.create(
        info_hash=episode(1).info_hash, release_title=episode(1).title, owner_ref="request:999",
        media_type="tv", title="Severance", season=2, episodes=[1], state="downloading",
    )  # fmt: skip
    with mock.patch("downloads.lifecycle.start_download", return_value=Download.objects.get()):
        search(season_request, clock)
    assert states(season_request)[1] == E.WANTED  # searched again later, not stolen
    assert Download.objects.get().owner_ref == "request:999"


def test_a_search_out_of_retries_keeps_the_episodes_already_downloading(season_request, clock):
    search(season_request, clock)
    MediaRequest.objects.filter(pk=season_request.pk).update(status=Status.SEARCHING)
    assert pipeline.out_of_retries(season_request.pk, "qBittorrent away") == Status.DOWNLOADING
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert request.status == Status.DOWNLOADING


def test_a_movie_search_out_of_retries_fails_with_the_reason(member, queued):
    movie = MediaRequest.objects.create(
        requested_by=member, media_type="movie", tmdb_id=438631, title="Dune", year=2021,
        status=Status.SEARCHING,
    )  # fmt: skip
    assert pipeline.out_of_retries(movie.pk, "Gave up after 7 tries: away") == "failed"
    movie.refresh_from_db()
    assert (movie.status, movie.status_reason) == (Status.FAILED, "Gave up after 7 tries: away")


def test_an_episode_without_an_air_date_is_followed_not_searched(
    season_request, clock, started, settings
):
    undated = tmdb.Season(
        tmdb_id=SEVERANCE,
        season_number=3,
        name="Season 3",
        episodes=(
            tmdb.Episode(1, "Hello", FIRST_AIRS.date(), 50),
            tmdb.Episode(2, "To be announced", None, None),
        ),
    )
    with mock.patch.object(tmdb, "season", return_value=undated):
        assert search(season_request, clock) == Status.DOWNLOADING
    assert [c["episodes"] for c in started] == [(1,)]
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert states(request) == {1: E.DOWNLOADING, 2: E.NOT_AIRED}
    assert request.next_search_at == NOW + timedelta(minutes=settings.TV_AIRING_CHECK_MINUTES)


def test_an_episode_plex_lists_twice_counts_once(season_request, clock):
    search(season_request, clock)
    in_mirror(1)
    show, season = LibraryItem.objects.get(rating_key=7000), Season.objects.get(rating_key=7003)
    Episode.objects.create(show=show, season=season, rating_key=7999, season_number=3, index=1)
    filed(season_request, 1)
    request = MediaRequest.objects.get(pk=season_request.pk)
    assert request.status_reason == "Downloading S03E02 (1 of 8 in Plex)."


def test_a_season_is_searched_with_its_requester_s_quality_profile(
    member, tmdb_airing, releases, started, clock, queued
) -> None:
    for number in (1, 2):
        name = f"Severance.S03E{number:02d}.MULTi.1080p.WEB.H264-FRG"
        releases.append(SimRelease(name, int(2 * GB), 5, **IDS))
    french = QualityProfile.objects.get(name="Français")  # French audio required
    Profile.objects.update_or_create(user=member, defaults={"quality_profile": french})
    assert search(request_for_season_three(member), clock) == Status.DOWNLOADING
    assert [c["title"] for c in started] == [
        "Severance.S03E01.MULTi.1080p.WEB.H264-FRG",
        "Severance.S03E02.MULTi.1080p.WEB.H264-FRG",
    ]


def test_the_first_episode_notice_counts_one_episode_in_the_singular(
    season_request, clock, member, monkeypatch
):
    search(season_request, clock)
    RequestEpisode.objects.filter(request=season_request, number=1).update(state=E.IN_PLEX)
    Profile.objects.update_or_create(user=member, defaults={"notify_urls": "json://localhost"})
    sent = []
    monkeypatch.setattr(notifications.apprise_client, "send", lambda urls, **kw: sent.append(kw))
    notifications.episodes_arrived(season_request.pk, [1])
    assert sent == [
        {"title": "Severance S03E01 is in Plex", "body": "1 of 8 episodes of season 3 is in Plex."}
    ]
