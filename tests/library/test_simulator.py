"""The Plex simulator checked against the real plexapi client, so it cannot drift from Plex."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from plexapi import exceptions as plex_exceptions
from plexapi.server import PlexServer

from plexkiosk.simulators.plex import PlexSimulator


@pytest.fixture
def server(plex: PlexSimulator) -> PlexServer:
    return PlexServer(plex.url, plex.token, timeout=5)


def test_plexapi_connects_and_reads_the_sections_with_their_folders(
    plex: PlexSimulator, server: PlexServer
) -> None:
    sections = server.library.sections()
    assert server.friendlyName == "Plex Simulator"
    assert [(s.key, s.type, s.title, s.locations) for s in sections] == [
        (1, "movie", "Movies", ["/data/movies"]),
        (2, "show", "TV Shows", ["/data/tv"]),
    ]


def test_plexapi_pages_through_every_movie_with_guids_and_files(
    plex: PlexSimulator, server: PlexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plexapi.base.X_PLEX_CONTAINER_SIZE", 7)
    plex.reset_counts()
    movies = server.library.sectionByID(1).all()
    assert len(movies) == 25
    first = movies[0]
    assert first.title == "Generated Movie 000000"
    assert first.year == 1950
    assert [g.id for g in first.guids] == [
        f"imdb://tt{first.ratingKey:07d}",
        f"tmdb://{first.ratingKey}",
    ]
    assert first.locations == [
        "/data/movies/Generated Movie 000000 (1950)/Generated Movie 000000 (1950).mkv"
    ]
    # 25 items in pages of 7 is 4 requests, and reading guids/locations fetched nothing more.
    assert plex.requests["/library/sections/1/all"] == 4


def test_plexapi_filters_by_added_date_after_reading_the_filter_metadata(
    plex: PlexSimulator, server: PlexServer
) -> None:
    plex.tick(3600)
    added = plex.add_movie("Amélie", 2001)
    section = server.library.sectionByID(1)
    found = section.search(filters={"addedAt>>": datetime.fromtimestamp(plex.now - 60, tz=UTC)})
    assert [(m.ratingKey, m.title) for m in found] == [(added.rating_key, "Amélie")]
    assert plex.requests["/library/sections/1/collections"] == 1


def test_plexapi_finds_new_episodes_by_their_added_date(
    plex: PlexSimulator, server: PlexServer
) -> None:
    show = next(i for i in plex.items.values() if i.type == "show")
    season = plex.items[plex.children[show.rating_key][0]]
    plex.tick(3600)
    episode = plex.add_episode(season, 5)
    section = server.library.sectionByID(2)
    found = section.search(
        libtype="episode",
        filters={"episode.addedAt>>": datetime.fromtimestamp(plex.now - 60, tz=UTC)},
    )
    assert [(e.ratingKey, e.parentIndex, e.index, e.grandparentRatingKey) for e in found] == [
        (episode.rating_key, 1, 5, show.rating_key)
    ]


def test_plexapi_reads_shows_seasons_and_episodes_without_reloading_each_show(
    plex: PlexSimulator, server: PlexServer
) -> None:
    plex.reset_counts()
    shows = server.library.sectionByID(2).all()
    assert [(s.childCount, s.leafCount) for s in shows] == [(2, 8)] * 3
    assert plex.requests["/library/sections/2/all"] == 1
    assert not [path for path in plex.request_log if path.startswith("/library/metadata")]
    seasons = shows[0].seasons()
    assert [s.index for s in seasons] == [1, 2]
    episodes = shows[0].episodes()
    assert [(e.seasonNumber, e.index) for e in episodes][:5] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (2, 1),
    ]
    assert episodes[0].locations[0].startswith("/data/tv/Generated Show 00000 (1980)/Season 01/")


def test_a_deleted_item_answers_404_and_plexapi_raises_not_found(
    plex: PlexSimulator, server: PlexServer
) -> None:
    key = next(i.rating_key for i in plex.items.values() if i.type == "movie")
    assert server.fetchItem(key).ratingKey == key
    plex.remove_item(key)
    with pytest.raises(plex_exceptions.NotFound):
        server.fetchItem(key)


def test_a_partial_scan_records_the_path_plexapi_sent(
    plex: PlexSimulator, server: PlexServer
) -> None:
    server.library.sectionByID(1).update(path="/data/movies/Fast + Furious (2009)")
    server.library.sectionByID(2).update()
    assert plex.refreshes == [(1, "/data/movies/Fast + Furious (2009)"), (2, None)]


def test_a_wrong_token_is_refused_as_plex_does(plex: PlexSimulator) -> None:
    with pytest.raises(plex_exceptions.Unauthorized):
        PlexServer(plex.url, "wrong-token", timeout=5)


def test_a_non_ascii_title_survives_the_round_trip(plex: PlexSimulator, server: PlexServer) -> None:
    plex.add_movie("Le Fabuleux Destin d'Amélie Poulain & «Co»", 2001)
    titles = {m.title for m in server.library.sectionByID(1).all()}
    assert "Le Fabuleux Destin d'Amélie Poulain & «Co»" in titles


def test_injected_failures_hit_only_the_page_asked_for(plex: PlexSimulator) -> None:
    plex.fail(path="/all", page=2, status=500)
    headers = {"X-Plex-Token": plex.token, "X-Plex-Container-Size": "10"}
    url = f"{plex.url}/library/sections/1/all?type=1"
    pages = [
        requests.get(url, headers={**headers, "X-Plex-Container-Start": str(s)}, timeout=5)
        for s in (0, 10, 20)
    ]
    assert [p.status_code for p in pages] == [200, 200, 500]
    assert pages[0].headers["Content-Type"] == "text/xml;charset=utf-8"
    assert 'totalSize="25"' in pages[0].text


def test_the_request_counts_are_readable_over_http(plex: PlexSimulator) -> None:
    plex.reset_counts()
    requests.get(f"{plex.url}/library/sections", headers={"X-Plex-Token": plex.token}, timeout=5)
    stats = requests.get(f"{plex.url}/_sim/stats", timeout=5).json()
    assert stats["requests"]["/library/sections"] == 1
