"""Lookups other apps use: is it in Plex, and scan this folder."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction

from library.lookups import (
    has_media_under,
    is_in_plex,
    request_partial_scan,
    season_episodes,
    to_plex_path,
)
from library.models import LibraryItem, SyncRun
from library.plex import PlexPermanentError
from library.signals import media_changed
from library.sync import refresh_folder, sync_library
from library.tasks import refresh_after_scan_task
from plexkiosk.settings import parse_path_map
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
    settings.PLEX_PATH_MAP = parse_path_map("/srv/media=/media,/srv/media/TV=/tv")
    assert to_plex_path("/srv/media/TV/Show (2020)/Season 01") == "/tv/Show (2020)/Season 01"
    assert to_plex_path("/srv/media/Movies/Film (2001)") == "/media/Movies/Film (2001)"
    assert to_plex_path("/srv/media") == "/media"
    assert to_plex_path("/elsewhere/x") == "/elsewhere/x"


def test_a_partial_scan_asks_plex_to_scan_the_mapped_folder_of_the_right_section(
    mirrored: PlexSimulator, settings: object
) -> None:
    settings.PLEX_PATH_MAP = parse_path_map("/app/movies=/data/movies,/app/tv=/data/tv")
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


def test_a_partial_scan_queues_the_librarys_refresh_of_that_folder(
    mirrored: PlexSimulator, django_capture_on_commit_callbacks: object
) -> None:
    with (
        mock.patch("library.tasks.refresh_after_scan_task.apply_async") as refresh,
        django_capture_on_commit_callbacks(execute=True),
    ):
        request_partial_scan("/data/movies/Dune (2021)")
    refresh.assert_called_once_with(args=["/data/movies/Dune (2021)", 0], countdown=2)


def test_the_refresh_after_a_scan_reads_one_section_and_announces_what_plex_filed(
    mirrored: PlexSimulator, django_capture_on_commit_callbacks: object
) -> None:
    folder = "/data/movies/Dune (2021)"
    assert not refresh_folder(folder)  # Plex has not scanned it yet
    mirrored.tick()
    # Plex matched the file to nothing yet: no ids, a title from the file name.
    filed = mirrored.add_movie(
        "Dune 2021", 2021, matched=False, files=[f"{folder}/Dune (2021).mkv"]
    )
    mirrored.add_show("Andor", 2022, seasons=1, episodes=2)  # another section: not read
    heard: list[list[int]] = []
    media_changed.connect(
        lambda sender, **kw: heard.append(kw["item_ids"]), weak=False, dispatch_uid="r"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert refresh_folder(folder)
    finally:
        media_changed.disconnect(dispatch_uid="r")
    assert heard == [[LibraryItem.objects.get(rating_key=filed.rating_key).pk]]
    assert not LibraryItem.objects.filter(title="Andor").exists()
    run = SyncRun.objects.latest()
    assert (run.kind, run.status, run.added) == ("refresh", "succeeded", 1)
    # A refresh read one section: the next incremental sync still reads since the last one.
    assert sync_library().since < run.started_at - timedelta(minutes=4)
    assert has_media_under(folder)
    assert not has_media_under("/data/movies/Dune (1984)")


def test_the_refresh_task_looks_again_until_plex_lists_the_folder(
    mirrored: PlexSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The task runs outside any transaction, where its next look is queued at once.
    monkeypatch.setattr(transaction, "on_commit", lambda send, *a, **kw: send())
    folder = "/data/movies/Arrival (2016)"
    with mock.patch("library.tasks.refresh_after_scan_task.apply_async") as again:
        assert refresh_after_scan_task.apply(args=[folder, 0]).get() == "waiting"
        again.assert_called_once_with(args=[folder, 1], countdown=4)
        mirrored.tick()
        mirrored.add_movie("Arrival", 2016, files=[f"{folder}/Arrival (2016).mkv"])
        again.reset_mock()
        assert refresh_after_scan_task.apply(args=[folder, 1]).get() == "found"
        assert refresh_after_scan_task.apply(args=["/data/movies/Never (2000)", 12]).get() == (
            "left to the hourly sync"
        )
        again.assert_not_called()
