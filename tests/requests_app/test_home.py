"""The home page (requests_app.home and the kiosk view) over the TMDB simulator."""

from __future__ import annotations

import logging
import socket

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from downloads.models import Download
from library.models import LibraryItem, PlexSection
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY
from requests_app import home, tmdb
from requests_app.models import EpisodeState, MediaRequest, Status

pytestmark = pytest.mark.django_db

DUNE, MATRIX, INCEPTION, DUNE_PART_TWO, BREAKING_BAD = 438631, 603, 27205, 693134, 1396
LISTS = ("/3/trending/all/week", "/3/movie/popular", "/3/tv/popular", "/3/movie/upcoming")


@pytest.fixture
def ana(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ana", password="pw-ana-123")


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_plex(tmdb_id: int, title: str, n: int = 0) -> LibraryItem:
    section, _ = PlexSection.objects.get_or_create(
        key="1", defaults={"type": "movie", "title": "Movies"}
    )
    return LibraryItem.objects.create(
        section=section, rating_key=500 + tmdb_id + n, type="movie", title=title,
        tmdb_id=tmdb_id, added_at=timezone.now(),
    )  # fmt: skip


def downloading(user: AbstractUser, tmdb_id: int, title: str, percent: float) -> MediaRequest:
    """A movie request whose download is `percent` done."""
    info_hash = f"{tmdb_id:040d}"
    Download.objects.create(
        info_hash=info_hash, release_title=f"{title}.1080p", size=4 << 30, state="downloading",
        progress=percent / 100, dlspeed=1 << 20, eta=600, owner_ref="request:x",
        media_type="movie", title=title,
    )  # fmt: skip
    return MediaRequest.objects.create(
        requested_by=user, media_type="movie", tmdb_id=tmdb_id, title=title,
        status=Status.DOWNLOADING, download_hash=info_hash,
    )  # fmt: skip


def row(page: home.HomePage, key: str) -> home.DiscoveryRow:
    return next(r for r in page.rows if r.key == key)


def test_the_home_page_has_tmdbs_four_rows_in_order(tmdb_sim, ana) -> None:
    page = home.home_page(user=ana)

    assert [r.key for r in page.rows] == ["trending", "popular-movies", "popular-shows", "upcoming"]
    trending = row(page, "trending").hits
    assert {h.media_type for h in trending} == {"movie", "tv"}
    assert trending[0].title == "Game of Thrones"  # the catalogue's most popular
    assert len(trending) == 20
    assert {h.media_type for h in row(page, "popular-movies").hits} == {"movie"}
    assert {h.media_type for h in row(page, "popular-shows").hits} == {"tv"}
    upcoming = [h.title for h in row(page, "upcoming").hits]
    assert "Dune: Part Two" in upcoming and "Dune: Part Three" in upcoming
    assert "The Matrix" not in upcoming


def test_cards_say_in_plex_or_requested(tmdb_sim, ana) -> None:
    in_plex(DUNE, "Dune")
    asked = MediaRequest.objects.create(
        requested_by=ana, media_type="movie", tmdb_id=MATRIX, title="The Matrix",
        status=Status.SEARCHING,
    )  # fmt: skip

    hits = {h.tmdb_id: h for h in row(home.home_page(user=ana), "popular-movies").hits}

    assert hits[DUNE].in_plex and hits[DUNE].request_id is None
    assert hits[MATRIX].request_id == asked.pk and not hits[MATRIX].in_plex
    assert not hits[INCEPTION].in_plex and hits[INCEPTION].request_id is None
    page = logged_in(ana).get("/").content.decode()
    assert '<span class="badge ok">In Plex</span>' in page
    assert '<span class="badge ">Requested</span>' in page


def test_a_second_load_asks_tmdb_nothing(tmdb_sim, ana) -> None:
    logged_in(ana).get("/")
    assert [tmdb_sim.count(path) for path in LISTS] == [1, 1, 1, 1]
    asked = len(tmdb_sim.requests)

    page = logged_in(ana).get("/").content.decode()

    assert len(tmdb_sim.requests) == asked
    assert "Trending this week" in page and "Coming soon" in page


def test_tmdb_away_hides_the_rows_and_keeps_the_rest(settings, ana, caplog) -> None:
    with socket.socket() as unused:  # a port nobody listens on: connection refused
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.TMDB_URL = f"http://127.0.0.1:{port}/3"
    settings.TMDB_API_KEY = DEFAULT_API_KEY
    cache.clear()
    downloading(ana, DUNE, "Dune", 42.0)
    in_plex(MATRIX, "The Matrix")

    with caplog.at_level(logging.WARNING, logger="requests_app.tmdb"):
        response = logged_in(ana).get("/")
        logged = caplog.text
        caplog.clear()
        logged_in(ana).get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your requests" in page and "Dune" in page and 'aria-valuenow="42"' in page
    assert "Recently added to Plex" in page and "The Matrix" in page
    assert "Trending this week" not in page and "Popular movies" not in page
    assert "TMDB /trending/all/week failed: Could not reach TMDB" in logged
    assert "/trending/all/week" not in caplog.text  # the next load did not try again


def test_a_failed_row_is_hidden_and_not_asked_again_for_minutes(tmdb_sim, ana) -> None:
    tmdb_sim.fail("500", times=1, path="/3/tv/popular")

    first = home.home_page(user=ana)
    second = home.home_page(user=ana)

    assert [r.key for r in first.rows] == ["trending", "popular-movies", "upcoming"]
    assert [r.key for r in second.rows] == ["trending", "popular-movies", "upcoming"]
    assert tmdb_sim.count("/3/tv/popular") == 1
    with pytest.raises(tmdb.TMDBError) as failed:
        tmdb.popular_shows()
    assert failed.value.temporary


def test_tmdb_not_set_up_leaves_only_the_rows_out(settings, ana) -> None:
    settings.TMDB_API_KEY = ""
    in_plex(MATRIX, "The Matrix")

    page = logged_in(ana).get("/").content.decode()

    assert "The Matrix" in page and "Trending this week" not in page


def test_your_requests_show_live_progress_bars(tmdb_sim, ana) -> None:
    downloading(ana, DUNE, "Dune", 42.4)
    MediaRequest.objects.create(
        requested_by=ana, media_type="movie", tmdb_id=MATRIX, title="The Matrix",
        status=Status.COMPLETED,
    )  # fmt: skip

    mine = home.your_requests(user=ana)
    fragment = logged_in(ana).get("/home/requests/").content.decode()

    assert [c.request.title for c in mine] == ["Dune"]  # finished ones leave the row
    assert mine[0].progress is not None and mine[0].progress.percent == 42.4
    assert 'aria-valuenow="42"' in fragment and "10 min 00 s left" in fragment
    assert 'hx-trigger="every 3s"' in fragment
    assert "The Matrix" not in fragment


def season_downloading(user: AbstractUser, season: int) -> MediaRequest:
    """A Breaking Bad season request with its first episode's download under way."""
    request = MediaRequest.objects.create(
        requested_by=user, media_type="tv", tmdb_id=BREAKING_BAD, season=season,
        title="Breaking Bad", status=Status.DOWNLOADING,
    )  # fmt: skip
    info_hash = f"{season:040d}"
    Download.objects.create(
        info_hash=info_hash, release_title=f"Breaking.Bad.S0{season}E01", size=1 << 30,
        state="downloading", progress=0.5, owner_ref="request:x", media_type="tv",
        title="Breaking Bad",
    )  # fmt: skip
    request.episodes.create(number=1, state=EpisodeState.DOWNLOADING, download_hash=info_hash)
    return request


def test_the_home_page_costs_the_same_queries_for_more_cards(tmdb_sim, ana) -> None:
    client = logged_in(ana)
    downloading(ana, DUNE, "Dune", 10)
    season_downloading(ana, 1)
    in_plex(INCEPTION, "Inception")
    client.get("/")  # TMDB's rows into the cache
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n, (tmdb_id, title) in enumerate([(MATRIX, "The Matrix"), (DUNE_PART_TWO, "Dune 2")]):
        downloading(ana, tmdb_id, title, 50)
        in_plex(tmdb_id, title, n=n + 1)
    season_downloading(ana, 2)

    with CaptureQueriesContext(connection) as many:
        page = client.get("/").content.decode()

    assert page.count('role="progressbar"') == 5
    assert len(many) == len(few)


def test_the_home_page_speaks_french_to_a_french_browser(tmdb_sim, ana) -> None:
    downloading(ana, DUNE, "Dune", 42.0)

    page = logged_in(ana).get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Vos demandes" in page and "Téléchargement de Dune" in page
    assert "Tendances de la semaine" in page and "Films populaires" in page
    assert "Séries populaires" in page and "Bientôt au cinéma" in page


def test_a_row_tmdb_garbles_is_a_permanent_tmdb_error_and_hidden(tmdb_sim, ana) -> None:
    tmdb_sim.fail("bad-json", times=1, path="/3/movie/upcoming")

    with pytest.raises(tmdb.TMDBError) as failed:
        tmdb.upcoming_movies()

    assert not failed.value.temporary
    assert "upcoming" not in [r.key for r in home.home_page(user=ana).rows]
    assert tmdb_sim.count("/3/movie/upcoming") == 1  # remembered, not asked at each load
