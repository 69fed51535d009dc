"""A requested season's episodes: aired or not (TMDB over HTTP), in Plex or not (the mirror)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from downloads.models import Download
from library.models import Episode, LibraryItem, PlexSection, Season
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, AiringSeason, start_tmdb_simulator
from requests_app import episodes, flow, pipeline
from requests_app.models import EpisodeState, MediaRequest, Status
from requests_app.tasks import refresh_airing_episodes_task, refresh_episodes_task

pytestmark = pytest.mark.django_db

SEVERANCE, TVDB = 95396, 371980
# Season 3 airs weekly, a Tuesday from 17 November: episodes 1 and 2 have aired by then.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FIRST_AIRS = datetime(2026, 11, 17, 2, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tmdb_airing(settings, clock: Clock) -> Iterator[None]:
    """The TMDB simulator over HTTP, with Severance season 3 on the air, weekly."""
    server, base_url = start_tmdb_simulator(clock=clock)
    server.air(AiringSeason(SEVERANCE, 3, FIRST_AIRS, timedelta(weeks=1), 8))
    settings.TMDB_URL, settings.TMDB_API_KEY, settings.TMDB_TIMEOUT = base_url, DEFAULT_API_KEY, 2
    cache.clear()
    yield
    server.stop()
    cache.clear()


def in_mirror(*numbers: int) -> None:
    """Put Severance season 3's episodes in the library mirror."""
    section, _ = PlexSection.objects.get_or_create(
        key="2", defaults={"type": "show", "title": "TV"}
    )
    show, _ = LibraryItem.objects.get_or_create(
        rating_key=7000,
        defaults={
            "section": section,
            "type": "show",
            "title": "Severance",
            "year": 2022,
            "tvdb_id": TVDB,
        },
    )
    season, _ = Season.objects.get_or_create(rating_key=7003, defaults={"show": show, "index": 3})
    for n in numbers:
        Episode.objects.get_or_create(
            rating_key=7300 + n,
            defaults={"show": show, "season": season, "season_number": 3, "index": n},
        )


def season_three(user, **fields) -> MediaRequest:
    return MediaRequest.objects.create(
        requested_by=user, media_type="tv", tmdb_id=SEVERANCE, tvdb_id=TVDB, title="Severance",
        year=2022, season=3, status=fields.pop("status", Status.APPROVED), **fields,
    )  # fmt: skip


def states(request: MediaRequest) -> dict[int, str]:
    return dict(request.episodes.values_list("number", "state"))


def test_a_season_on_the_air_lists_each_episode_as_in_plex_wanted_or_not_aired(
    member, tmdb_airing, clock
) -> None:
    request = season_three(member)
    in_mirror(1)
    found = episodes.refresh_episodes(request.pk, now=clock.now)
    assert (found.in_plex, found.total, found.aired) == (1, 8, 2)
    assert found.next_air_date == date(2026, 12, 1)
    assert states(request) == {
        1: EpisodeState.IN_PLEX,
        2: EpisodeState.WANTED,
        **{n: EpisodeState.NOT_AIRED for n in range(3, 9)},
    }
    assert request.episodes.get(number=3).air_date == date(2026, 12, 1)


def test_a_week_later_the_next_episode_is_wanted_and_plex_news_marks_one_in_plex(
    member, tmdb_airing, clock
) -> None:
    request = season_three(member)
    episodes.refresh_episodes(request.pk, now=clock.now)
    clock.now += timedelta(weeks=1)
    episodes.refresh_episodes(request.pk, now=clock.now, refresh=True)
    assert states(request)[3] == EpisodeState.WANTED
    in_mirror(2)
    assert episodes.mark_from_mirror(request) == [2]
    assert episodes.mark_from_mirror(request) == []  # told twice: once
    assert states(request)[2] == EpisodeState.IN_PLEX


def test_the_request_page_and_the_api_show_the_season_at_a_glance(
    member, client, tmdb_airing, clock
) -> None:
    request = season_three(member, status=Status.DOWNLOADING)
    in_mirror(1)
    episodes.refresh_episodes(request.pk, now=clock.now)
    Download.objects.create(
        info_hash="e2" * 20, release_title="Severance.S03E02.1080p", media_type="tv",
        title="Severance", season=3, episodes=[2], state="downloading", progress=0.42,
    )  # fmt: skip
    request.episodes.filter(number=2).update(state="downloading", download_hash="e2" * 20)
    client.force_login(member)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert "1 of 8 in Plex · next episode Tuesday 1 December" in page
    assert page.count('class="episode in_plex"') == 1
    assert page.count('class="episode downloading"') == 1
    assert page.count('class="episode not_aired"') == 6
    assert 'aria-label="Episode 2" aria-valuemin="0" aria-valuemax="100" aria-valuenow="42"' in page
    # The live part (polled) carries the episodes too.
    live = client.get(f"/requests/{request.pk}/status/").content.decode()
    assert live.count('class="episode downloading"') == 1
    api = APIClient()
    api.force_authenticate(member)
    body = api.get(f"/api/v1/requests/{request.pk}/").json()
    assert [(e["number"], e["state"]) for e in body["episodes"][:3]] == [
        (1, "in_plex"),
        (2, "downloading"),
        (3, "not_aired"),
    ]
    assert body["episodes"][2]["air_date"] == "2026-12-01"
    assert body["episodes"][1]["progress"]["percent"] == 42.0
    assert body["episodes"][0]["progress"] is None


def test_the_daily_row_reads_again_only_seasons_still_airing(
    member, other_member, tmdb_airing, clock, monkeypatch
) -> None:
    airing = season_three(member)
    finished = MediaRequest.objects.create(
        requested_by=other_member, media_type="tv", tmdb_id=1396, title="Breaking Bad",
        year=2008, season=1, status=Status.DOWNLOADING,
    )  # fmt: skip
    movie = MediaRequest.objects.create(
        requested_by=member, media_type="movie", tmdb_id=438631, title="Dune", year=2021
    )
    monkeypatch.setattr(episodes.timezone, "now", clock)
    assert refresh_episodes_task.apply(args=[finished.pk]).get() == "0/8 in Plex"
    assert refresh_episodes_task.apply(args=[movie.pk]).get() == "skipped"
    # Never read yet (airing) and still airing are read; a finished season is not.
    assert episodes.airing_requests() == [airing.pk]
    assert refresh_airing_episodes_task.apply().get() == 1
    assert episodes.airing_requests() == [airing.pk]  # six episodes still to air
    clock.now += timedelta(weeks=8)
    assert refresh_airing_episodes_task.apply().get() == 1
    assert episodes.airing_requests() == []


def test_a_tv_request_queues_the_reading_of_its_episodes_and_a_movie_does_not(
    trusted_member, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        show = flow.create_request(user=trusted_member, media_type="tv", tmdb_id=1396, season=1)
        flow.create_request(user=trusted_member, media_type="movie", tmdb_id=438631)
    queued.refresh_episodes.assert_called_once_with(show.request.pk)


def test_a_season_tmdb_cannot_describe_fails_the_reading_with_its_reason_not_the_request(
    member, tmdb_airing, caplog
) -> None:
    request = MediaRequest.objects.create(
        requested_by=member, media_type="tv", tmdb_id=SEVERANCE, title="Severance", year=2022,
        season=9, status=Status.APPROVED,
    )  # fmt: skip
    assert refresh_episodes_task.apply(args=[request.pk]).get() == "failed"
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert not request.episodes.exists()
    assert f"request {request.pk}: episodes not read from TMDB" in caplog.text


def test_the_season_reads_in_french_for_a_french_browser(member, client, tmdb_airing, clock):
    request = season_three(member)
    in_mirror(1)
    episodes.refresh_episodes(request.pk, now=clock.now)
    client.force_login(member)
    page = client.get(f"/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1 sur 8 dans Plex · prochain épisode mardi 1 décembre" in page
    assert "Pas encore diffusé" in page


def breaking_bad_in_mirror(*numbers: int) -> None:
    section, _ = PlexSection.objects.get_or_create(
        key="2", defaults={"type": "show", "title": "TV"}
    )
    show = LibraryItem.objects.create(
        section=section, rating_key=8000, type="show", title="Breaking Bad", year=2008,
        tvdb_id=81189, tmdb_id=1396,
    )  # fmt: skip
    season = Season.objects.create(show=show, rating_key=8001, index=1)
    for n in numbers:
        Episode.objects.create(
            show=show, season=season, rating_key=8100 + n, season_number=1, index=n
        )


def test_a_season_plex_holds_only_part_of_is_not_already_in_plex(
    trusted_member, tmdb_airing, queued
) -> None:
    breaking_bad_in_mirror(1, 2, 3)
    outcome = flow.create_request(user=trusted_member, media_type="tv", tmdb_id=1396, season=1)
    assert outcome.request.status == Status.APPROVED  # 3 of 8 is not the season
    queued.process.assert_not_called()  # sent after the commit only


def test_a_season_plex_holds_every_aired_episode_of_is_already_in_plex(
    trusted_member, tmdb_airing
) -> None:
    breaking_bad_in_mirror(*range(1, 9))
    outcome = flow.create_request(user=trusted_member, media_type="tv", tmdb_id=1396, season=1)
    assert outcome.request.status == Status.COMPLETED
    assert outcome.message == "Already in your library."


def test_a_season_still_airing_follows_once_every_aired_episode_is_in_plex(
    member, tmdb_airing, clock, monkeypatch
) -> None:
    monkeypatch.setattr("requests_app.availability.timezone.now", clock)
    request = season_three(member, status=Status.PROCESSING)
    episodes.refresh_episodes(request.pk, now=clock.now)
    in_mirror(1)
    assert not pipeline.complete_if_in_plex(request)
    in_mirror(2)  # episodes 3 to 8 have not aired: the season is followed, not complete
    assert not pipeline.complete_if_in_plex(request)
    request.refresh_from_db()
    assert request.status == Status.FOLLOWING
    assert request.status_reason.startswith("2 of 8 in Plex; next episode")


def test_asking_for_a_season_on_the_air_plex_holds_so_far_follows_it(
    trusted_member, tmdb_airing, clock, monkeypatch, queued
) -> None:
    monkeypatch.setattr("requests_app.availability.timezone.now", clock)
    in_mirror(1, 2)  # every aired episode: not "already in your library", the rest is wanted
    outcome = flow.create_request(user=trusted_member, media_type="tv", tmdb_id=SEVERANCE, season=3)
    assert outcome.request.status == Status.APPROVED
