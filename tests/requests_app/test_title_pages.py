"""Title pages (/movie/<id>/, /tv/<id>/), rendered over the TMDB simulator and the mirror."""

# The fixtures come from test_titles, so the tests name them as arguments again.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from library.models import LibraryItem
from requests_app.models import MediaRequest, Status
from tests.requests_app.test_titles import (  # noqa: F401 (fixtures are used by name)
    BREAKING_BAD,
    DUNE,
    MATRIX,
    ana,
    ask,
    ben,
    breaking_bad_here,
    put_movie_in_plex,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/movie/438631/", "/tv/1396/"])
def test_title_pages_send_anonymous_visitors_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_movie_page_shows_what_it_is_and_that_plex_has_it(tmdb_sim, ana) -> None:
    put_movie_in_plex(DUNE, "Dune", 2021)

    page = logged_in(ana).get(f"/movie/{DUNE}/").content.decode()

    assert "<h1>Dune" in page
    assert "120 min" in page
    assert "Science Fiction" in page
    assert "Rated 7.5/10" in page
    assert "Timothée Chalamet" in page and "Paul Atreides" in page
    assert "Charlotte Rampling" not in page  # the ninth and tenth actors are left out
    assert 'src="/img/backdrop/w1280/sim438631mb.jpg"' in page  # through the image cache
    assert "In Plex" in page
    assert 'name="tmdb_id"' not in page  # nothing to request


def test_a_movie_nobody_asked_for_has_a_request_button(tmdb_sim, ana) -> None:
    page = logged_in(ana).get(f"/movie/{MATRIX}/").content.decode()

    assert ">Request</button>" in page
    assert f'name="tmdb_id" value="{MATRIX}"' in page


def test_the_requester_sees_the_live_status_and_the_way_to_the_request(tmdb_sim, ana) -> None:
    request = ask(ana, MATRIX, status=Status.SEARCHING)

    page = logged_in(ana).get(f"/movie/{MATRIX}/").content.decode()

    assert "Requested by Ana" in page
    assert f'hx-get="/requests/{request.pk}/status/"' in page  # polled while it runs
    assert f'href="/requests/{request.pk}/"' in page
    assert ">Request</button>" not in page


def test_another_member_sees_who_asked_and_can_ask_too(tmdb_sim, ana, ben) -> None:
    request = ask(ana, MATRIX, status=Status.SEARCHING)
    client = logged_in(ben)

    page = client.get(f"/movie/{MATRIX}/").content.decode()
    assert "Requested by Ana · " in page and "Searching" in page
    assert f'href="/requests/{request.pk}/"' not in page  # Ben may not open Ana's page

    client.post("/requests/new/", {"media_type": "movie", "tmdb_id": MATRIX})
    assert list(request.watchers.all()) == [ben]


def test_a_show_page_has_a_row_per_season_with_plex_and_request_state(
    tmdb_sim, ana, breaking_bad_here
) -> None:
    page = logged_in(ana).get(f"/tv/{BREAKING_BAD}/").content.decode()

    assert "5 seasons" in page
    assert "In Plex 8/8" in page
    assert "4 of 8 in Plex" in page
    assert f'href="/requests/{breaking_bad_here.pk}/">Requested · Searching' in page
    assert 'aria-label="Request season 1"' not in page
    assert 'aria-label="Request season 3"' not in page
    for missing in (2, 4, 5):
        assert f'aria-label="Request season {missing}"' in page
    assert "Request all missing seasons" in page
    assert "Bryan Cranston" in page


def test_a_season_request_button_makes_the_request_and_opens_its_page(
    tmdb_sim, ana, breaking_bad_here
) -> None:
    response = logged_in(ana).post(
        "/requests/new/", {"media_type": "tv", "tmdb_id": BREAKING_BAD, "season": "4"}
    )

    made = MediaRequest.objects.get(tmdb_id=BREAKING_BAD, season=4)
    assert response["Location"] == f"/requests/{made.pk}/"


def test_the_show_page_reads_in_french(tmdb_sim, ana, breaking_bad_here) -> None:
    page = logged_in(ana).get(f"/tv/{BREAKING_BAD}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Saison 2" in page
    assert "Demander toutes les saisons manquantes" in page


def test_an_unknown_title_is_a_404(tmdb_sim, ana) -> None:
    assert logged_in(ana).get("/movie/999999/").status_code == 404
    assert logged_in(ana).get("/film/603/").status_code == 404


def test_tmdb_away_gives_a_503_page_saying_so_and_the_kiosk_still_works(tmdb_sim, ana) -> None:
    tmdb_sim.fail("500", times=5)
    client = logged_in(ana)

    response = client.get(f"/movie/{DUNE}/")

    assert response.status_code == 503
    assert "The title database is not answering; try again soon." in response.content.decode()
    assert client.get("/requests/").status_code == 200


def test_search_results_open_the_title_page(tmdb_sim, ana) -> None:
    page = logged_in(ana).get("/search/?q=breaking").content.decode()

    assert f'href="/tv/{BREAKING_BAD}/"' in page


def test_recently_added_cards_on_the_kiosk_open_the_title_page(ana) -> None:
    put_movie_in_plex(DUNE, "Dune", 2021)
    LibraryItem.objects.update(added_at=timezone.now())

    page = logged_in(ana).get("/").content.decode()

    assert f'href="/movie/{DUNE}/"' in page
