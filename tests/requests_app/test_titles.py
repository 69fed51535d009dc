"""A title's page data (requests_app.titles) over the TMDB simulator and the Plex mirror."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from library.models import Episode, LibraryItem, PlexSection, Season
from plexkiosk.simulators.tmdb import (
    AiringSeason,
)
from requests_app import titles
from requests_app.models import MediaRequest, Status

pytestmark = pytest.mark.django_db

DUNE, MATRIX, BREAKING_BAD = 438631, 603, 1396


@pytest.fixture
def ana(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ana", password="pw-ana-123", first_name="Ana")


@pytest.fixture
def ben(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ben", password="pw-ben-123")


def put_movie_in_plex(tmdb_id: int, title: str, year: int) -> LibraryItem:
    section, _ = PlexSection.objects.get_or_create(
        key="1", defaults={"type": "movie", "title": "Movies"}
    )
    return LibraryItem.objects.create(
        section=section, rating_key=500 + tmdb_id, type="movie", title=title, year=year,
        tmdb_id=tmdb_id,
    )  # fmt: skip


def put_episodes_in_plex(tmdb_id: int, title: str, episodes: dict[int, int]) -> LibraryItem:
    """Mirror a show with the first `episodes[season]` episodes of each season."""
    section, _ = PlexSection.objects.get_or_create(
        key="2", defaults={"type": "show", "title": "TV shows"}
    )
    show = LibraryItem.objects.create(
        section=section, rating_key=9000, type="show", title=title, tmdb_id=tmdb_id
    )
    for number, count in episodes.items():
        season = Season.objects.create(show=show, rating_key=9100 + number, index=number)
        for k in range(1, count + 1):
            Episode.objects.create(
                show=show, season=season, rating_key=9000 * 100 + number * 100 + k,
                season_number=number, index=k,
            )  # fmt: skip
    return show


def ask(
    user: AbstractUser, tmdb_id: int, *, season: int | None = None, **fields: object
) -> MediaRequest:
    return MediaRequest.objects.create(
        requested_by=user, media_type="tv" if season else "movie", tmdb_id=tmdb_id,
        season=season, title="Asked", **fields,
    )  # fmt: skip


@pytest.fixture
def breaking_bad_here(ana: AbstractUser) -> MediaRequest:
    """Season 1 in Plex 8/8, season 2 half (4/8), season 3 requested by Ana."""
    put_episodes_in_plex(BREAKING_BAD, "Breaking Bad", {1: 8, 2: 4})
    return ask(ana, BREAKING_BAD, season=3, status=Status.SEARCHING)


def test_a_movie_in_plex_is_in_plex_with_its_mirror_item(tmdb_sim, ana) -> None:
    item = put_movie_in_plex(DUNE, "Dune", 2021)

    page = titles.title_page(user=ana, media_type="movie", tmdb_id=DUNE)

    assert page.in_plex
    assert page.plex_item == item
    assert page.ask is None
    assert page.details.runtime == 120
    assert page.details.cast[0].name == "Timothée Chalamet"


def test_a_requested_movie_names_its_requester_and_status(tmdb_sim, ana, ben) -> None:
    request = ask(ana, MATRIX, status=Status.DOWNLOADING)

    for_ana = titles.title_page(user=ana, media_type="movie", tmdb_id=MATRIX)
    for_ben = titles.title_page(user=ben, media_type="movie", tmdb_id=MATRIX)

    assert not for_ana.in_plex
    assert for_ana.ask.request == request
    assert for_ana.ask.requested_by == "Ana"
    assert for_ana.ask.can_view
    assert not for_ben.ask.can_view  # Ben cannot open Ana's request page; he can join it


def test_an_active_request_stands_for_a_movie_over_an_older_finished_one(tmdb_sim, ana) -> None:
    ask(ana, MATRIX, status=Status.COMPLETED)
    ask(ana, MATRIX, status=Status.CANCELLED)
    active = ask(ana, MATRIX, status=Status.PENDING)

    page = titles.title_page(user=ana, media_type="movie", tmdb_id=MATRIX)

    assert page.ask.request == active


def test_a_movie_nobody_asked_for_is_neither_in_plex_nor_requested(tmdb_sim, ana) -> None:
    ask(ana, MATRIX, status=Status.DECLINED)

    page = titles.title_page(user=ana, media_type="movie", tmdb_id=MATRIX)

    assert (page.in_plex, page.ask) == (False, None)


def test_a_show_lists_each_season_with_plex_episodes_and_requests(
    tmdb_sim, ana, breaking_bad_here
) -> None:
    page = titles.title_page(user=ana, media_type="tv", tmdb_id=BREAKING_BAD)

    rows = {s.number: s for s in page.seasons}
    assert list(rows) == [1, 2, 3, 4, 5]  # no Specials row
    assert (rows[1].in_plex, rows[1].episode_count, rows[1].complete) == (8, 8, True)
    assert (rows[2].in_plex, rows[2].complete, rows[2].missing) == (4, False, True)
    assert rows[3].requested and rows[3].ask.request == breaking_bad_here
    assert not rows[3].missing
    assert page.missing_seasons == [2, 4, 5]
    assert page.number_of_seasons == 5
    assert not page.in_plex


def test_a_season_on_the_air_says_so(tmdb_sim, ana) -> None:
    tmdb_sim.air(AiringSeason(95396, 2, datetime.now(UTC) - timedelta(days=15), timedelta(days=7)))

    page = titles.title_page(user=ana, media_type="tv", tmdb_id=95396)

    assert [s.number for s in page.seasons if s.airing] == [2]


def test_an_unknown_title_is_not_found(tmdb_sim, ana) -> None:
    with pytest.raises(titles.TitleNotFound):
        titles.title_page(user=ana, media_type="movie", tmdb_id=999_999)


def test_tmdb_away_makes_the_title_unavailable_with_a_plain_message(tmdb_sim, ana) -> None:
    tmdb_sim.fail("500", times=3)

    with pytest.raises(titles.TitleUnavailable, match="not answering"):
        titles.title_page(user=ana, media_type="movie", tmdb_id=DUNE)
