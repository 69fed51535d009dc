"""The library page and API: login required, search, ids, pagination, posters through the app."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from library.sync import sync_library
from plexkiosk.simulators.plex import PlexSimulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client: Client, member: User, plex_settings: PlexSimulator) -> Client:
    plex_settings.add_movie("The Matrix", 1999, imdb="tt0133093", tmdb=603)
    plex_settings.add_movie("The Matrix Reloaded", 2003, imdb="tt0234215", tmdb=604)
    sync_library(full=True)
    client.force_login(member)
    return client


def test_the_library_needs_a_login(client: Client) -> None:
    page = client.get("/library/")
    assert page.status_code == 302
    assert page["Location"] == "/login/?next=/library/"
    assert client.get("/api/v1/library/").status_code == 403


def test_the_page_searches_titles_and_shows_posters_through_the_app(browser: Client) -> None:
    response = browser.get("/library/", {"q": "matrix"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 items" in body
    assert "The Matrix Reloaded" in body
    assert "Generated Movie" not in body
    assert "/poster" in body
    assert "sim-token" not in body


def test_the_page_is_paginated_and_filters_by_type(
    browser: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("library.views.PAGE_SIZE", 12)
    first = browser.get("/library/").content.decode()
    assert "30 items" in first
    assert "Page 1 of 3" in first
    last = browser.get("/library/", {"page": 3}).content.decode()
    assert last.count('class="library-item"') == 6
    shows = browser.get("/library/", {"type": "show"}).content.decode()
    assert "3 items" in shows
    assert "8 episodes" in shows


def test_a_poster_is_fetched_from_plex_without_giving_the_browser_the_token(
    browser: Client, plex_settings: PlexSimulator
) -> None:
    from library.models import LibraryItem

    item = LibraryItem.objects.get(tmdb_id=603)
    response = browser.get(f"/library/{item.pk}/poster")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_the_api_searches_by_title_and_by_each_id(browser: Client) -> None:
    by_title = browser.get("/api/v1/library/", {"q": "reloaded"}).json()
    assert [r["title"] for r in by_title["results"]] == ["The Matrix Reloaded"]
    assert browser.get("/api/v1/library/", {"tmdb_id": 603}).json()["results"][0]["imdb_id"] == (
        "tt0133093"
    )
    assert browser.get("/api/v1/library/", {"imdb_id": "tt0234215"}).json()["count"] == 1
    show = browser.get("/api/v1/library/", {"type": "show", "q": "00001"}).json()["results"][0]
    assert [s["index"] for s in show["seasons"]] == [1, 2]
    assert browser.get("/api/v1/library/", {"tvdb_id": show["tvdb_id"]}).json()["count"] == 1


def test_the_api_is_paginated(browser: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rest_framework.pagination.PageNumberPagination.page_size", 12)
    first = browser.get("/api/v1/library/").json()
    assert (first["count"], len(first["results"])) == (30, 12)
    last = browser.get(first["next"].replace("http://testserver", "")).json()
    last = browser.get(last["next"].replace("http://testserver", "")).json()
    assert len(last["results"]) == 6
    assert last["next"] is None


def test_the_api_answers_400_with_field_errors_for_bad_ids(browser: Client) -> None:
    response = browser.get("/api/v1/library/", {"tmdb_id": "abc", "imdb_id": "603"})
    assert response.status_code == 400
    assert set(response.json()) == {"tmdb_id", "imdb_id"}
