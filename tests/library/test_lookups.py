"""Lookups other apps use: is it in Plex, and scan this folder."""

from __future__ import annotations

import pytest

from library.lookups import is_in_plex, request_partial_scan, season_episodes, to_plex_path
from library.models import LibraryItem
from library.plex import PlexPermanentError
from library.sync import sync_library
from plexkiosk.simulators.plex import PlexSimulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirrored(plex_settings: PlexSimulator) -> PlexSimulator:
    plex_settings.add_movie("The Matrix", 1999, imdb="tt0133093", tmdb=603)
    plex_settings.add_show("Severance", 2022, seasons=2, episodes=3, tvdb=371980)
    sync_library(full=True)
    return plex_settings


def test_a_movie_is_found_by_any_of_its_ids_or_by_title_and_year(mirrored: PlexSimulator) -> None:
    assert is_in_plex(tmdb_id=603)
    assert is_in_plex(imdb_id="tt0133093")
    assert is_in_plex(title="the matrix", year=1999)
    assert not is_in_plex(title="The Matrix", year=2021)
    assert not is_in_plex(tmdb_id=604)
    assert not is_in_plex()


def test_a_season_is_in_plex_only_when_it_has_episodes(mirrored: PlexSimulator) -> None:
    assert is_in_plex(tvdb_id=371980)
    assert is_in_plex(tvdb_id=371980, season=2)
    assert not is_in_plex(tvdb_id=371980, season=3)
    show = LibraryItem.objects.get(tvdb_id=371980)
    assert season_episodes(show=show, season=1) == [1, 2, 3]


def test_app_paths_are_mapped_to_plex_paths_by_the_longest_prefix(settings: object) -> None:
    settings.PLEX_PATH_MAP = "/srv/media=/media,/srv/media/TV=/tv"
    assert to_plex_path("/srv/media/TV/Show (2020)/Season 01") == "/tv/Show (2020)/Season 01"
    assert to_plex_path("/srv/media/Movies/Film (2001)") == "/media/Movies/Film (2001)"
    assert to_plex_path("/srv/media") == "/media"
    assert to_plex_path("/elsewhere/x") == "/elsewhere/x"


def test_a_partial_scan_asks_plex_to_scan_the_mapped_folder_of_the_right_section(
    mirrored: PlexSimulator, settings: object
) -> None:
    settings.PLEX_PATH_MAP = "/app/movies=/data/movies,/app/tv=/data/tv"
    assert request_partial_scan("/app/tv/Severance (2022)/Season 02") == "2"
    assert request_partial_scan("/app/movies/A + B (2020)") == "1"
    assert mirrored.refreshes == [
        (2, "/data/tv/Severance (2022)/Season 02"),
        (1, "/data/movies/A + B (2020)"),
    ]


def test_a_partial_scan_outside_every_section_is_refused(mirrored: PlexSimulator) -> None:
    with pytest.raises(PlexPermanentError, match="no Plex section holds /tmp/x"):
        request_partial_scan("/tmp/x")
    assert mirrored.refreshes == []
