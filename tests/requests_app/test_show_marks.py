"""Show cards on the home and search pages say which of their seasons are requested."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from library.models import LibraryItem, PlexSection
from requests_app import search, tmdb
from requests_app.models import MediaRequest, Status

pytestmark = pytest.mark.django_db

BREAKING_BAD, MATRIX = 1396, 603


@pytest.fixture
def ana(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ana", password="pw-ana-123")


def title(media_type: str, tmdb_id: int) -> tmdb.TitleResult:
    return tmdb.TitleResult(
        media_type=media_type, tmdb_id=tmdb_id, title=f"{media_type} {tmdb_id}", year=2008,
        overview="", poster_url="",
    )  # fmt: skip


def ask(user: AbstractUser, tmdb_id: int, season: int, status: str) -> MediaRequest:
    return MediaRequest.objects.create(
        requested_by=user, media_type="tv", tmdb_id=tmdb_id, season=season,
        title="Breaking Bad", status=status,
    )  # fmt: skip


def show_in_plex(tmdb_id: int) -> None:
    section = PlexSection.objects.create(key="2", type="show", title="TV shows")
    LibraryItem.objects.create(
        section=section, rating_key=9000, type="show", title="Breaking Bad", tmdb_id=tmdb_id
    )


def page(user: AbstractUser, url: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(url).content.decode()


def test_a_show_with_a_season_on_its_way_is_marked_with_that_season(ana) -> None:
    asked = ask(ana, BREAKING_BAD, 2, Status.DOWNLOADING)

    (hit,) = search.mark_titles([title("tv", BREAKING_BAD)])

    assert (hit.request_id, hit.request_status) == (asked.pk, Status.DOWNLOADING)
    assert hit.requested_seasons == (2,)
    assert hit.request_label == "Season 2 requested"


def test_several_seasons_on_their_way_are_all_named(ana) -> None:
    ask(ana, BREAKING_BAD, 3, Status.SEARCHING)
    newest = ask(ana, BREAKING_BAD, 1, Status.PENDING)

    (hit,) = search.mark_titles([title("tv", BREAKING_BAD)])

    assert hit.request_id == newest.pk
    assert hit.request_label == "Seasons 1, 3 requested"


def test_finished_season_requests_do_not_mark_a_show(ana) -> None:
    for number, status in enumerate([Status.COMPLETED, Status.CANCELLED, Status.FAILED], 1):
        ask(ana, BREAKING_BAD, number, status)

    (hit,) = search.mark_titles([title("tv", BREAKING_BAD)])

    assert (hit.request_id, hit.requested_seasons) == (None, ())


def test_a_season_request_does_not_mark_a_movie_with_the_same_tmdb_id(ana) -> None:
    ask(ana, MATRIX, 1, Status.SEARCHING)  # TMDB numbers movies and shows apart

    movie, show = search.mark_titles([title("movie", MATRIX), title("tv", MATRIX)])

    assert (movie.request_id, movie.request_label) == (None, "Requested")
    assert show.requested_seasons == (1,)


def test_the_home_pages_show_card_says_which_season_is_requested(tmdb_sim, ana) -> None:
    show_in_plex(BREAKING_BAD)  # seasons 1 and 2 there; season 3 asked for
    ask(ana, BREAKING_BAD, 3, Status.SEARCHING)

    home = page(ana, "/")

    assert '<span class="badge ">Season 3 requested</span>' in home


def test_a_search_result_links_a_requested_show_to_its_seasons(tmdb_sim, ana) -> None:
    ask(ana, BREAKING_BAD, 2, Status.SEARCHING)

    results = page(ana, "/search/?q=breaking+bad")

    assert f'<a class="badge" href="/tv/{BREAKING_BAD}/">Season 2 requested</a>' in results
    assert 'name="season"' not in results  # its seasons are asked for on the title page
