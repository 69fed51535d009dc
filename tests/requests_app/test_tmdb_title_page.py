"""The title page's TMDB details (credits, genres, backdrop) against the simulator, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper

from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer, start_tmdb_simulator
from requests_app import tmdb


@pytest.fixture
def simulator(settings: SettingsWrapper) -> Iterator[TMDBSimulatorServer]:
    """Start a TMDB simulator and point the client at it, with an empty cache."""
    server, base_url = start_tmdb_simulator()
    settings.TMDB_URL = base_url
    settings.TMDB_API_KEY = DEFAULT_API_KEY
    settings.TMDB_TIMEOUT = 2.0
    cache.clear()
    yield server
    server.stop()
    cache.clear()


def test_a_movie_page_has_runtime_genres_rating_backdrop_and_the_first_eight_actors(
    simulator: TMDBSimulatorServer,
) -> None:
    page = tmdb.title_page_details("movie", 438631)

    assert (page.title.title, page.title.year, page.title.imdb_id) == ("Dune", 2021, "tt1160419")
    assert page.runtime == 120
    assert page.genres == ("Science Fiction",)
    assert page.vote_average == 7.5
    assert [c.name for c in page.cast][:2] == ["Timothée Chalamet", "Rebecca Ferguson"]
    assert len(page.cast) == tmdb.MAX_CAST
    assert page.cast[0].character == "Paul Atreides"
    assert page.backdrop_url.endswith("/t/p/w1280/sim438631mb.jpg")
    assert requests.get(page.backdrop_url, timeout=5).headers["Content-Type"] == "image/svg+xml"
    assert simulator.count("/3/movie/438631?append_to_response=credits") == 1


def test_a_show_page_lists_its_seasons_with_their_episode_counts(
    simulator: TMDBSimulatorServer,
) -> None:
    page = tmdb.title_page_details("tv", 1396)

    assert page.title.tvdb_id == 81189
    assert [(s.season_number, s.episode_count) for s in page.seasons] == [
        (n, 8) for n in range(0, 6)
    ]
    assert page.cast[0].name == "Bryan Cranston"
    assert page.runtime is None
    assert page.genres == ("Drama",)


def test_the_page_details_are_cached(simulator: TMDBSimulatorServer) -> None:
    tmdb.title_page_details("tv", 1396)
    asked = simulator.count("/3/tv/1396")

    tmdb.title_page_details("tv", 1396)

    assert simulator.count("/3/tv/1396") == asked


def test_an_unknown_title_is_a_permanent_404_saying_so(simulator: TMDBSimulatorServer) -> None:
    with pytest.raises(tmdb.TMDBError) as raised:
        tmdb.title_page_details("movie", 999_999)

    assert (raised.value.temporary, raised.value.status) == (False, 404)
    assert "no movie with id 999999" in str(raised.value)


def test_a_server_error_is_temporary_and_not_cached(simulator: TMDBSimulatorServer) -> None:
    simulator.fail("500", path="/3/movie/")
    with pytest.raises(tmdb.TMDBError) as raised:
        tmdb.title_page_details("movie", 603)
    assert raised.value.temporary

    assert tmdb.title_page_details("movie", 603).title.title == "The Matrix"
