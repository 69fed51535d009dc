"""The TMDB client against the TMDB simulator, over real HTTP."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper

from plexkiosk.simulators.tmdb import (
    DEFAULT_API_KEY,
    DEFAULT_READ_TOKEN,
    TMDBSimulatorServer,
    start_tmdb_simulator,
)
from requests_app import tmdb
from requests_app.tmdb import titles as tmdb_titles


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_movie_search_finds_both_dunes_with_year_and_poster(
    simulator: TMDBSimulatorServer,
) -> None:
    results = tmdb.search("dune", media_type="movie")

    by_id = {r.tmdb_id: r for r in results}
    assert by_id[438631].title == "Dune"
    assert by_id[438631].year == 2021
    assert by_id[841].year == 1984
    assert by_id[693134].title == "Dune: Part Two"
    assert all(r.media_type == "movie" for r in results)
    poster = by_id[438631].poster_url
    assert (
        poster
        == f"http://{simulator.server_address[0]}:{simulator.server_port}/t/p/w342/sim438631m.jpg"
    )
    # The poster really is served where configuration said.
    assert requests.get(poster, timeout=5).headers["Content-Type"] == "image/svg+xml"


def test_tv_search_returns_both_offices_as_tv(simulator: TMDBSimulatorServer) -> None:
    results = tmdb.search("The Office", media_type="tv")

    assert {(r.tmdb_id, r.year) for r in results} == {(2316, 2005), (2996, 2001)}
    assert {r.media_type for r in results} == {"tv"}


def test_tv_search_results_carry_their_seasons_and_ids(simulator: TMDBSimulatorServer) -> None:
    results = {r.tmdb_id: r for r in tmdb.search("office", media_type="tv")}

    assert results[2316].seasons == tuple(range(1, 10))
    assert (results[2316].imdb_id, results[2316].tvdb_id) == ("tt0386676", 73244)
    assert results[2996].seasons == (1, 2)
    assert results[2996].tvdb_id == 78107


def test_a_show_whose_details_fail_stays_in_the_results_and_the_page_is_not_cached(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.fail("500", path="/3/tv/1396")

    (first,) = tmdb.search("breaking bad", media_type="tv")
    (again,) = tmdb.search("breaking bad", media_type="tv")

    assert (first.title, first.year, first.seasons) == ("Breaking Bad", 2008, ())
    assert again.seasons == (1, 2, 3, 4, 5)
    assert simulator.count("/3/search/tv") == 2


def test_search_without_a_type_mixes_movies_and_tv_and_leaves_out_people(
    simulator: TMDBSimulatorServer,
) -> None:
    results = tmdb.search("it")

    assert ("movie", 346364) in {(r.media_type, r.tmdb_id) for r in results}
    assert ("tv", 19614) in {(r.media_type, r.tmdb_id) for r in results}
    assert tmdb.search("Denis Villeneuve") == []
    assert simulator.count("/3/search/multi") == 2


def test_a_title_without_date_or_poster_has_no_year_and_an_empty_poster(
    simulator: TMDBSimulatorServer,
) -> None:
    (part_three,) = [r for r in tmdb.search("dune part three") if r.tmdb_id == 1170608]

    assert part_three.year is None
    assert part_three.poster_url == ""


def test_search_pages_the_way_tmdb_does(simulator: TMDBSimulatorServer) -> None:
    simulator.page_size = 2

    first = tmdb.search_page("dune", media_type="movie", page=1)
    second = tmdb.search_page("dune", media_type="movie", page=2)

    assert (first.total_results, first.total_pages) == (4, 2)
    assert len(first.results) == len(second.results) == 2
    assert not {r.tmdb_id for r in first.results} & {r.tmdb_id for r in second.results}


def test_movie_details_carry_the_imdb_id(simulator: TMDBSimulatorServer) -> None:
    dune = tmdb.details("movie", 438631)

    assert (dune.title, dune.year, dune.imdb_id) == ("Dune", 2021, "tt1160419")
    assert dune.tvdb_id is None
    assert dune.seasons == ()
    assert (
        "/3/movie/438631?append_to_response=external_ids,alternative_titles"
        "&language=en-US&include_image_language=en,null"
    ) in (simulator.requests)


def test_details_carry_the_original_and_alternative_titles_once_each(
    simulator: TMDBSimulatorServer,
) -> None:
    spirited_away = tmdb.details("movie", 129)
    dune = tmdb.details("movie", 438631)

    assert spirited_away.aliases == (
        "千と千尋の神隠し",
        "Sen to Chihiro no Kamikakushi",
        "Chihiros Reise ins Zauberland",
    )
    assert dune.aliases == ()  # its original title is its title


def test_odd_alternative_titles_are_left_out() -> None:
    item = {
        "original_title": "Dune",
        "alternative_titles": {
            "titles": [
                {"title": "DUNE"},
                {"title": None},
                {"title": "Bad\x00name"},
                "not a dict",
                {"title": "  Dune   Part  One "},
                *({"title": f"Dune {n}"} for n in range(40)),
            ]
        },
    }
    aliases = tmdb_titles._aliases("movie", item, "Dune")
    assert aliases[0] == "Dune Part One"
    assert len(aliases) == tmdb.MAX_ALIASES
    assert not any("\x00" in a for a in aliases)


def test_tv_details_carry_imdb_and_tvdb_ids_and_seasons_without_specials(
    simulator: TMDBSimulatorServer,
) -> None:
    office = tmdb.details("tv", 2316)
    breaking_bad = tmdb.details("tv", 1396)

    assert (office.imdb_id, office.tvdb_id) == ("tt0386676", 73244)
    assert office.seasons == tuple(range(1, 10))
    assert breaking_bad.seasons == (1, 2, 3, 4, 5)
    assert breaking_bad.year == 2008


def test_details_of_an_unknown_title_is_a_permanent_error(
    simulator: TMDBSimulatorServer,
) -> None:
    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.details("movie", 999999999)

    assert caught.value.temporary is False
    assert caught.value.status == 404
    assert "no movie with id 999999999" in str(caught.value)


def test_a_second_identical_search_is_answered_from_the_cache(
    simulator: TMDBSimulatorServer,
) -> None:
    first = tmdb.search("Blade Runner", media_type="movie")
    before = len(simulator.requests)

    again = tmdb.search("  blade   runner ", media_type="movie")

    assert again == first
    assert {r.year for r in first} == {1982, 2017}
    assert len(simulator.requests) == before


def test_details_are_cached_too(simulator: TMDBSimulatorServer) -> None:
    tmdb.details("tv", 95396)
    tmdb.details("tv", 95396)

    assert simulator.count("/3/tv/95396") == 1


def test_a_v4_read_token_is_sent_as_a_bearer_header_not_in_the_url(
    simulator: TMDBSimulatorServer, settings: SettingsWrapper
) -> None:
    settings.TMDB_API_KEY = DEFAULT_READ_TOKEN

    results = tmdb.search("severance", media_type="tv")

    assert [r.tmdb_id for r in results] == [95396]
    # The simulator refuses a token passed as api_key, so this also proves the header.
    assert all(DEFAULT_READ_TOKEN not in path for path in simulator.requests)


def test_a_wrong_key_is_a_permanent_error_that_does_not_show_the_key(
    simulator: TMDBSimulatorServer,
    settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.TMDB_API_KEY = "wrong-key-0123456789abcdef"
    caplog.set_level(logging.DEBUG)

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.search("dune")

    assert caught.value.temporary is False
    assert caught.value.status == 401
    assert "TMDB_API_KEY" in str(caught.value)
    assert "Invalid API key" in str(caught.value)
    assert "wrong-key-0123456789abcdef" not in str(caught.value)
    assert "wrong-key-0123456789abcdef" not in caplog.text
    assert "TMDB /search/multi failed" in caplog.text


def test_a_server_error_is_temporary(simulator: TMDBSimulatorServer) -> None:
    simulator.fail("500")

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.search("dune")

    assert caught.value.temporary is True
    assert caught.value.status == 500
    # Nothing was cached: the next search asks TMDB again and succeeds.
    assert tmdb.search("dune")


def test_rate_limiting_is_temporary_and_says_when_to_retry(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.fail("429")

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.details("movie", 78)

    assert caught.value.temporary is True
    assert caught.value.retry_after == 2.0


def test_a_slow_answer_times_out_as_a_temporary_error_without_the_key(
    simulator: TMDBSimulatorServer,
    settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.TMDB_TIMEOUT = 0.3
    simulator.slow_seconds = 1.5
    simulator.fail("slow")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.search("dune")

    assert caught.value.temporary is True
    assert "0.3 s" in str(caught.value)
    assert DEFAULT_API_KEY not in str(caught.value)
    assert DEFAULT_API_KEY not in caplog.text
    # The original exception (whose text holds the URL and key) is not chained.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_an_unreachable_tmdb_is_temporary_and_the_key_is_scrubbed(
    settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TMDB_URL = f"http://127.0.0.1:{free_port()}/3"
    settings.TMDB_API_KEY = "secret-v3-key-abcdef0123456789"
    caplog.set_level(logging.DEBUG)
    cache.clear()

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.search("dune")

    assert caught.value.temporary is True
    assert "Could not reach TMDB" in str(caught.value)
    assert "secret-v3-key-abcdef0123456789" not in str(caught.value)
    assert "secret-v3-key-abcdef0123456789" not in caplog.text


def test_an_answer_that_is_not_json_is_a_permanent_error(simulator: TMDBSimulatorServer) -> None:
    simulator.fail("bad-json")

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.search("dune")

    assert caught.value.temporary is False
    assert "not JSON" in str(caught.value)


def test_without_a_key_search_says_tmdb_is_not_configured(
    settings: SettingsWrapper,
) -> None:
    settings.TMDB_API_KEY = "  "

    assert tmdb.is_configured() is False
    with pytest.raises(tmdb.TMDBNotConfigured, match="TMDB_API_KEY"):
        tmdb.search("dune")
    with pytest.raises(tmdb.TMDBNotConfigured):
        tmdb.details("movie", 438631)


def test_the_client_is_configured_with_a_key(simulator: TMDBSimulatorServer) -> None:
    assert tmdb.is_configured() is True


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_is_refused_with_a_clear_message(
    simulator: TMDBSimulatorServer, query: str
) -> None:
    with pytest.raises(ValueError, match="Type a title"):
        tmdb.search(query)

    assert simulator.requests == []


def test_a_long_query_is_shortened_at_a_word_boundary(simulator: TMDBSimulatorServer) -> None:
    query = "blade runner " + "very " * 40

    tmdb.search(query, media_type="movie")

    sent = tmdb.clean_query(query)
    assert len(sent) <= tmdb.MAX_QUERY_LENGTH
    assert sent.startswith("blade runner very")
    assert not sent.endswith(" ")
    assert sent.endswith("very")
    assert simulator.count("/3/search/movie?query=blade runner very") == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tmdb.search("dune", media_type="person"), "media_type"),
        (lambda: tmdb.search("dune", page=0), "page"),
        (lambda: tmdb.search("dune", page=501), "page"),
        (lambda: tmdb.details("episode", 1), "media_type"),
        (lambda: tmdb.details("movie", 0), "tmdb_id"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    simulator: TMDBSimulatorServer, call: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]

    assert simulator.requests == []


def test_posters_use_tmdb_image_host_when_configuration_fails(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.fail("500", path="/3/configuration")

    (alien,) = tmdb.search("alien", media_type="movie")

    assert alien.poster_url == "https://image.tmdb.org/t/p/w342/sim348m.jpg"


def test_the_simulator_runs_on_its_own_from_the_command_line() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plexkiosk.simulators.tmdb", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert f"http://127.0.0.1:{port}/3" in proc.stdout.readline()
        answer = requests.get(
            f"http://127.0.0.1:{port}/3/movie/693134",
            params={"api_key": DEFAULT_API_KEY},
            timeout=5,
        )
        refused = requests.get(f"http://127.0.0.1:{port}/3/movie/693134", timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    assert answer.json()["title"] == "Dune: Part Two"
    assert refused.status_code == 401
    assert refused.json()["status_code"] == 7


def test_the_cache_holds_neither_the_key_in_its_keys_nor_in_its_values(
    simulator: TMDBSimulatorServer,
) -> None:
    tmdb.search("breaking bad")
    tmdb.details("tv", 1396)

    stored = cache._cache  # locmem: key -> pickled value
    assert len(stored) >= 3  # search, details, configuration
    assert not any(DEFAULT_API_KEY in key for key in stored)
    assert not any(DEFAULT_API_KEY.encode() in value for value in stored.values())
