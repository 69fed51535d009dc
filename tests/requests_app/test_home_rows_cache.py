"""The home page's TMDB rows, kept rendered in the cache while their cards stay the same."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings as SettingsWrapper

from requests_app import home
from requests_app.models import MediaRequest, Status

pytestmark = pytest.mark.django_db

INCEPTION = 27205


class DeadCache(LocMemCache):
    """A cache whose server is away: every read and write fails, as Redis down does."""

    def get(self, *args: object, **kwargs: object) -> object:
        raise ConnectionError("cache server unreachable")

    def set(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("cache server unreachable")


@pytest.fixture
def ana(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ana", password="pw-ana-123")


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def card(page: str, row: str, title: str) -> str:
    """Return the HTML of the card for `title` in the row `row` of a home page."""
    section = page.split(f'aria-labelledby="row-{row}"', 1)[1].split("</section>", 1)[0]
    return next(li for li in re.split(r"<li>", section) if f"<strong>{title}</strong>" in li)


def tmdb_cards(user: AbstractUser) -> int:
    return sum(len(row.hits) for row in home.home_page(user=user).rows)


def cards_rendered(response: object) -> int:
    return sum(t.name == "requests_app/_card.html" for t in response.templates)


def test_a_title_requested_since_the_last_load_shows_requested_at_once(tmdb_sim, ana) -> None:
    client = logged_in(ana)
    before = client.get("/").content.decode()
    assert "Requested" not in card(before, "popular-movies", "Inception")

    ben = get_user_model().objects.create_user("ben", password="pw-ben-123")
    MediaRequest.objects.create(
        requested_by=ben, media_type="movie", tmdb_id=INCEPTION, title="Inception",
        status=Status.PENDING,
    )  # fmt: skip
    after = client.get("/").content.decode()

    assert "Requested" in card(after, "popular-movies", "Inception")
    assert "Requested" in card(after, "trending", "Inception")


def test_a_second_load_reuses_the_rows_and_reads_the_same(tmdb_sim, ana) -> None:
    client = logged_in(ana)
    first = client.get("/")
    second = client.get("/")

    assert cards_rendered(first) == tmdb_cards(ana) > 40
    assert cards_rendered(second) == 0  # nothing of Ana's, nothing in Plex: no card to draw
    assert without_csrf_tokens(second.content.decode()) == without_csrf_tokens(
        first.content.decode()
    )


def without_csrf_tokens(page: str) -> str:
    """The page without its CSRF tokens, which are masked afresh at every render."""
    return re.sub(r"[A-Za-z0-9]{64}", "<token>", page)


def test_the_rows_are_kept_apart_by_language(tmdb_sim, ana) -> None:
    client = logged_in(ana)
    english = client.get("/").content.decode()
    french = client.get("/", headers={"Accept-Language": "fr"}).content.decode()
    translation.activate("en")

    assert '<h2 id="row-popular-movies">Popular movies</h2>' in english
    assert '<h2 id="row-popular-movies">Films populaires</h2>' in french


def test_the_home_page_shows_its_rows_when_the_cache_is_down(
    tmdb_sim, ana, settings: SettingsWrapper
) -> None:
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.DeadCache"}}

    response = logged_in(ana).get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>Inception</strong>" in card(page, "popular-movies", "Inception")
    assert cards_rendered(response) == tmdb_cards(ana) > 40
