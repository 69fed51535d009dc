"""The Torznab client against the simulator: real XML over real HTTP."""

from __future__ import annotations

import hashlib
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import requests

from downloads import torznab as client
from downloads.releases import MediaQuery
from downloads.torznab import IndexerConfig, search_indexers
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator, bencode
from tests.conftest import ROOT
from tests.processes import wait_for

GB = 1_000_000_000
MATRIX = MediaQuery(media_type="movie", title="The Matrix", year=1999, imdb_id="tt0133093")
OFFICE = MediaQuery(media_type="tv", title="The Office (US)", year=2005, season=2, tvdb_id=73244)


def config(simulator: TorznabSimulator, name: str = "sim", **overrides: object) -> IndexerConfig:
    options = {"id": None, "name": name, "url": simulator.url, "api_key": "simkey", "timeout": 3.0}
    options.update(overrides)
    return IndexerConfig(**options)


def searches(simulator: TorznabSimulator) -> list[dict[str, str]]:
    return [r for r in simulator.requests if r.get("t") != "caps"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_movie_is_searched_by_imdb_id_when_the_caps_allow_it(torznab: Callable) -> None:
    sim = torznab()
    results = search_indexers(MATRIX, [config(sim)])
    assert searches(sim)[0] == {
        "t": "movie", "imdbid": "tt0133093", "cat": "2000", "limit": "100", "apikey": "simkey",
    }  # fmt: skip
    assert {r.title for r in results.releases} >= {"The.Matrix.1999.1080p.BluRay.x264-AMIABLE"}
    assert not any("Reloaded" in r.title for r in results.releases)


def test_a_movie_is_searched_by_title_and_year_when_ids_are_not_supported(
    torznab: Callable,
) -> None:
    sim = torznab(movie_params=("q",))
    results = search_indexers(MATRIX, [config(sim)])
    assert searches(sim)[0]["t"] == "movie"
    assert searches(sim)[0]["q"] == "The Matrix 1999"
    assert "imdbid" not in searches(sim)[0]
    assert any(r.title.startswith("The.Matrix.1999") for r in results.releases)


def test_an_indexer_without_movie_search_gets_a_plain_search(torznab: Callable) -> None:
    sim = torznab(movie_params=None)
    search_indexers(MATRIX, [config(sim)])
    assert searches(sim)[0]["t"] == "search"
    assert searches(sim)[0]["q"] == "The Matrix 1999"


def test_a_tv_season_is_searched_by_tvdb_id_and_season(torznab: Callable) -> None:
    sim = torznab()
    results = search_indexers(OFFICE, [config(sim)])
    first = searches(sim)[0]
    assert (first["t"], first["tvdbid"], first["season"], first["cat"]) == (
        "tvsearch", "73244", "2", "5000",
    )  # fmt: skip
    assert any(
        r.title == "The.Office.US.S02.1080p.WEB-DL.DD5.1.H.264-NTb" for r in results.releases
    )


def test_a_tv_season_is_searched_by_title_without_tvdb_support(torznab: Callable) -> None:
    sim = torznab(tv_params=("q", "season"))
    search_indexers(OFFICE, [config(sim)])
    first = searches(sim)[0]
    assert (first["t"], first["q"], first["season"]) == ("tvsearch", "The Office US", "2")


def test_an_id_search_that_finds_nothing_is_retried_by_title(torznab: Callable) -> None:
    untagged = SimRelease("Heat.1995.1080p.BluRay.x264-AMIABLE", 10 * GB, 50)
    sim = torznab([untagged])
    query = MediaQuery(media_type="movie", title="Heat", year=1995, imdb_id="tt0113277")
    results = search_indexers(query, [config(sim)])
    sent = [(s.get("imdbid"), s.get("q")) for s in searches(sim)]
    assert sent == [("tt0113277", None), (None, "Heat 1995")]
    assert [r.title for r in results.releases] == [untagged.title]


def test_results_carry_seeders_peers_size_hash_and_links(torznab: Callable) -> None:
    sim = torznab([SimRelease("Heat.1995.1080p.BluRay.x264", 10 * GB, 42, peers=50)])
    (release,) = search_indexers(
        MediaQuery(media_type="movie", title="Heat", year=1995), [config(sim)]
    ).releases
    assert (release.size, release.seeders, release.peers) == (10 * GB, 42, 50)
    assert release.info_hash == sim.state.releases[0].info_hash
    assert release.magnet_url.startswith(f"magnet:?xt=urn:btih:{release.info_hash}")
    assert release.indexer == "sim"


def test_the_torrent_link_serves_a_torrent_whose_info_hash_is_the_advertised_one(
    torznab: Callable,
) -> None:
    sim = torznab([SimRelease("Heat.1995.1080p.BluRay.x264", 10 * GB, 42)])
    (release,) = search_indexers(
        MediaQuery(media_type="movie", title="Heat", year=1995), [config(sim)]
    ).releases
    response = requests.get(release.download_url, timeout=5)
    assert response.headers["Content-Type"] == "application/x-bittorrent"
    assert response.content == sim.state.releases[0].torrent
    info = bencode(sim.state.releases[0].info)
    assert info in response.content  # the info dict is embedded verbatim, as BEP 3 wants
    assert hashlib.sha1(info).hexdigest() == release.info_hash  # noqa: S324


@pytest.mark.parametrize(
    ("mode", "temporary", "message"),
    [
        ("down", True, "connection failed"),
        ("slow", True, "no answer within"),
        ("trickle", True, "within"),
        ("server-error", True, "HTTP 503"),
        ("rate-limit", True, "retry after 60 s"),
        ("html", False, "HTML page"),
        ("garbage", False, "not XML"),
        ("wrong-type", False, "application/json"),
        ("error", False, "Torznab error 100"),
    ],
)
def test_one_broken_indexer_is_skipped_while_the_others_answer(
    torznab: Callable, mode: str, temporary: bool, message: str
) -> None:
    good = torznab()
    bad = torznab(mode=mode, delay=3.0)
    results = search_indexers(MATRIX, [config(good, "good"), config(bad, "bad", timeout=1.0)])
    assert results.answered == ["good"]
    assert len(results.releases) >= 3
    (failure,) = results.failures
    assert (failure.indexer, failure.temporary) == ("bad", temporary)
    assert message in failure.message


def test_a_slow_indexer_costs_its_own_timeout_not_more(torznab: Callable) -> None:
    slow = torznab(mode="slow", delay=10.0)
    started = time.monotonic()
    results = search_indexers(MATRIX, [config(slow, timeout=1.0)])
    assert time.monotonic() - started < 2.5
    assert results.all_failed_temporarily


def test_a_refused_connection_is_a_temporary_failure() -> None:
    dead = IndexerConfig(id=None, name="dead", url=f"http://127.0.0.1:{free_port()}/api",
                         api_key="k", timeout=2.0)  # fmt: skip
    results = search_indexers(MATRIX, [dead])
    assert results.failures[0].temporary
    assert results.all_failed_temporarily


def test_the_api_key_never_reaches_logs_or_failure_messages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cr3t-api-key-4242"
    dead = IndexerConfig(id=None, name="dead", url=f"http://127.0.0.1:{free_port()}/api",
                         api_key=secret, timeout=2.0)  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        results = search_indexers(MATRIX, [dead])
    assert results.failures
    assert secret not in caplog.text
    assert secret not in results.failures[0].message
    assert "/api?t=caps&apikey=*** " in results.failures[0].message  # the URL, key masked


def test_a_wrong_api_key_is_a_permanent_failure(torznab: Callable) -> None:
    sim = torznab(api_key="right")
    results = search_indexers(MATRIX, [config(sim, api_key="wrong")])
    assert not results.failures[0].temporary
    assert "Incorrect user credentials" in results.failures[0].message


@pytest.mark.parametrize("mode", ["xxe", "billion-laughs"])
def test_hostile_xml_is_refused_without_being_expanded(torznab: Callable, mode: str) -> None:
    good = torznab()
    hostile = torznab(mode=mode)
    started = time.monotonic()
    results = search_indexers(MATRIX, [config(good, "good"), config(hostile, "hostile")])
    assert time.monotonic() - started < 2
    (failure,) = results.failures
    assert not failure.temporary
    assert "unsafe XML refused" in failure.message
    assert all("root:" not in r.title and "lol" not in r.title for r in results.releases)


def test_a_huge_answer_is_cut_off_at_the_cap(torznab: Callable) -> None:
    huge = torznab(mode="huge")
    results = search_indexers(MATRIX, [config(huge, timeout=10.0)])
    (failure,) = results.failures
    assert "over the cap" in failure.message
    assert not failure.temporary


def test_the_same_release_from_two_indexers_is_kept_once_with_the_best_counts(
    torznab: Callable,
) -> None:
    shared = [SimRelease("Heat.1995.1080p.BluRay.x264-AMIABLE", 10 * GB, 40)]
    busier = [SimRelease("Heat.1995.1080p.BluRay.x264-AMIABLE", 10 * GB, 400)]
    first = torznab(shared)
    second = torznab(busier)
    query = MediaQuery(media_type="movie", title="Heat", year=1995)
    results = search_indexers(
        query, [config(first, "preferred", priority=1), config(second, "other", priority=50)]
    )
    (release,) = results.releases
    assert release.seeders == 400
    assert release.indexer == "preferred"
    assert sorted(results.answered) == ["other", "preferred"]


def test_caps_are_parsed_from_the_simulator_answer(torznab: Callable) -> None:
    sim = torznab(movie_params=("q", "imdbid"), tv_params=None)
    caps = torznab_caps(sim)
    assert caps.movie_search == frozenset({"q", "imdbid"})
    assert caps.tv_search is None
    assert client.Caps.from_dict(caps.as_dict()) == caps


def torznab_caps(sim: TorznabSimulator) -> client.Caps:
    return client.fetch_caps(config(sim))


def test_redact_url_hides_keys_in_download_links() -> None:
    url = "http://jackett:9117/dl/x/?jackett_apikey=abc123&path=Q2&file=Heat"
    assert (
        client.redact_url(url) == "http://jackett:9117/dl/x/?jackett_apikey=***&path=Q2&file=Heat"
    )


def test_hostile_item_fields_are_cleaned_capped_or_skipped() -> None:
    long_title = "Heat.1995.1080p." + "A" * 5000
    link = "http://indexer/dl/1.torrent"
    body = (
        '<rss xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        f"<item><title>{long_title}</title><size>8000000000</size><link>{link}</link></item>"
        f"<item><title>Heat\t.1995.720p.BluRay</title><size>4000000000</size><link>{link}</link>"
        '<torznab:attr name="seeders" value="-5"/><torznab:attr name="peers" value="lots"/></item>'
        "<item><title>no size</title></item>"
        "<item><title></title><size>1</size></item>"
        "</channel></rss>"
    ).encode()
    releases = client.parse_results(client._parse_xml(body), IndexerConfig(
        id=None, name="x", url="http://x/api", api_key="k"))  # fmt: skip
    assert [len(r.title) for r in releases] == [client.MAX_TITLE_LENGTH, 22]
    assert releases[1].title == "Heat .1995.720p.BluRay"
    assert (releases[1].seeders, releases[1].peers) == (0, None)


def test_the_simulator_can_be_switched_to_another_mode_over_http(torznab: Callable) -> None:
    sim = torznab()
    base = sim.url.removesuffix("/api")
    assert requests.get(f"{base}/control?mode=html", timeout=5).json() == {"mode": "html"}
    assert requests.get(f"{base}/control?mode=nonsense", timeout=5).status_code == 400
    results = search_indexers(MATRIX, [config(sim)])
    assert "HTML page" in results.failures[0].message


def test_the_simulator_runs_standalone_on_the_given_port() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "plexkiosk.simulators.torznab", "--port", str(port),
         "--api-key", "demo"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:

        def caps() -> tuple[int, str] | None:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/api",
                    params={"t": "caps", "apikey": "demo"},
                    timeout=2,
                )
            except requests.ConnectionError:
                return None
            return answer.status_code, answer.text

        status, text = wait_for(caps, 15, what="the simulator answering on its port")
        assert status == 200
        assert "<caps>" in text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_tmdb_id_is_used_when_there_is_no_imdb_id_and_the_caps_allow_it() -> None:
    caps = client.Caps(movie_search=frozenset({"q", "tmdbid"}))
    query = MediaQuery(media_type="movie", title="Heat", year=1995, tmdb_id=949)
    attempts = client.search_params(query, caps, (2040,))
    assert [(a.get("tmdbid"), a.get("q")) for a in attempts] == [("949", None), (None, "Heat 1995")]
    assert attempts[0]["cat"] == "2040"


def test_a_tv_search_without_season_support_puts_the_season_in_the_text() -> None:
    caps = client.Caps(tv_search=frozenset({"q"}))
    (attempt,) = client.search_params(OFFICE, caps, ())
    assert (attempt["t"], attempt["q"], "season" in attempt) == (
        "tvsearch",
        "The Office US S02",
        False,
    )
