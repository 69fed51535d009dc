"""French pages: TMDB's titles and overviews in the reader's language, requests unchanged."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import translation

from requests_app import episodes, flow, tmdb
from requests_app.models import MediaRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]

SHAWSHANK, CHIHIRO, INCEPTION, BREAKING_BAD = 278, 129, 27205, 1396
FRENCH_OVERVIEW = "Condamné pour un double meurtre"


@pytest.fixture
def ana(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ana", password="pw-ana-123")


def page(user: AbstractUser, url: str, *, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("code", "tmdb_language"),
    [("fr", "fr-FR"), ("fr-ca", "fr-FR"), ("en", "en-US"), ("en-gb", "en-US"), ("de", "en-US")],
)
def test_the_sites_languages_map_to_tmdbs(code: str, tmdb_language: str) -> None:
    assert tmdb.language_for(code) == tmdb_language


def test_a_french_search_shows_french_titles_and_an_english_one_does_not(tmdb_sim, ana) -> None:
    french = page(ana, "/search/?q=shawshank", language="fr")
    english = page(ana, "/search/?q=shawshank", language="en")

    assert "Les Évadés" in french
    assert "The Shawshank Redemption" not in french
    assert "The Shawshank Redemption" in english
    assert "Les Évadés" not in english  # the French answer was cached apart


def test_a_french_reader_finds_a_title_by_its_french_name(tmdb_sim, ana) -> None:
    french = page(ana, "/search/?q=voyage+chihiro", language="fr")

    assert "Le Voyage de Chihiro" in french


def test_a_french_title_page_shows_the_french_title_and_overview(tmdb_sim, ana) -> None:
    english = page(ana, f"/movie/{SHAWSHANK}/", language="en")
    french = page(ana, f"/movie/{SHAWSHANK}/", language="fr")

    assert "<h1>Les Évadés" in french
    assert FRENCH_OVERVIEW in french
    assert "Science-Fiction" in french  # genres too
    assert "<h1>The Shawshank Redemption" in english
    assert FRENCH_OVERVIEW not in english


def test_a_title_tmdb_has_not_translated_reads_in_english(tmdb_sim, ana) -> None:
    french = page(ana, f"/movie/{INCEPTION}/", language="fr")

    assert "<h1>Inception" in french
    assert "A thief who steals secrets" in french


def test_a_french_show_page_has_the_french_overview(tmdb_sim, ana) -> None:
    french = page(ana, f"/tv/{BREAKING_BAD}/", language="fr")

    assert "Un professeur de chimie" in french


def test_the_home_pages_rows_are_in_french_for_a_french_reader(tmdb_sim, ana) -> None:
    french = page(ana, "/", language="fr")
    english = page(ana, "/", language="en")

    assert "Les Évadés" in french and "Le Trône de fer" in french
    assert "Les Évadés" not in english and "The Shawshank Redemption" in english


def test_a_request_from_a_french_page_keeps_the_titles_releases_are_named_by(tmdb_sim, ana) -> None:
    with translation.override("fr"):
        tmdb.search("shawshank", language=tmdb.page_language())  # what the page showed
        made = flow.create_request(user=ana, media_type="movie", tmdb_id=SHAWSHANK).request

    stored = MediaRequest.objects.get(pk=made.pk)
    assert stored.title == "The Shawshank Redemption"
    assert "Les Évadés" not in stored.aliases


def test_episode_names_are_written_in_the_households_language(tmdb_sim, ana, settings) -> None:
    request = MediaRequest.objects.create(
        requested_by=ana, media_type="tv", tmdb_id=BREAKING_BAD, season=1, title="Breaking Bad"
    )
    episodes.refresh_episodes(request.pk)
    assert request.episodes.get(number=1).title == "Episode 1"

    settings.LANGUAGE_CODE = "fr"
    episodes.refresh_episodes(request.pk)

    assert request.episodes.get(number=1).title == "Épisode 1"
