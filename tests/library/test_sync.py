"""The library sync against the Plex simulator, through the real plexapi/HTTP path."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import locks
from core.models import JobLock
from library.models import Episode, LibraryItem, PlexSection, Season, SyncRun
from library.plex import PlexClient, PlexTemporaryError
from library.signals import media_changed
from library.sync import LOCK_NAME, sync_library
from plexkiosk.simulators.plex import PlexSimulator
from tests.processes import wait_for

pytestmark = pytest.mark.django_db


def _movie_keys() -> set[int]:
    return set(LibraryItem.objects.filter(type="movie").values_list("rating_key", flat=True))


def test_the_first_sync_imports_every_movie_show_season_and_episode(
    plex_settings: PlexSimulator,
) -> None:
    run = sync_library()
    assert run.kind == SyncRun.Kind.FULL  # no earlier successful run to be incremental from
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.added, run.updated, run.removed) == (28, 0, 0)
    assert (run.items_done, run.items_total) == (25 + 3 + 6 + 24, 58)
    assert LibraryItem.objects.filter(type="movie").count() == 25
    assert LibraryItem.objects.filter(type="show").count() == 3
    assert Season.objects.count() == 6
    assert Episode.objects.count() == 24
    movie = LibraryItem.objects.get(title="Generated Movie 000003")
    sim_movie = plex_settings.items[movie.rating_key]
    assert movie.year == sim_movie.year
    assert movie.imdb_id == f"tt{movie.rating_key:07d}"
    assert movie.tmdb_id == movie.rating_key
    assert movie.plex_guid == sim_movie.guid
    assert movie.file_locations == sim_movie.files
    assert movie.added_at.timestamp() == sim_movie.added_at
    assert list(PlexSection.objects.values_list("key", "type", "locations")) == [
        ("1", "movie", ["/data/movies"]),
        ("2", "show", ["/data/tv"]),
    ]


def test_a_shows_seasons_and_episodes_are_mirrored(plex_settings: PlexSimulator) -> None:
    sync_library(full=True)
    show = LibraryItem.objects.get(title="Generated Show 00001")
    assert show.type == "show"
    assert show.tvdb_id == show.rating_key
    assert show.leaf_count == 8
    assert show.file_locations == ["/data/tv/Generated Show 00001 (1981)"]
    assert [(s.index, s.leaf_count) for s in show.seasons.order_by("index")] == [(1, 4), (2, 4)]
    episodes = list(show.episodes.order_by("season_number", "index"))
    assert [(e.season_number, e.index) for e in episodes] == [
        (season, number) for season in (1, 2) for number in (1, 2, 3, 4)
    ]
    assert episodes[5].file_locations == [
        "/data/tv/Generated Show 00001 (1981)/Season 02/Generated Show 00001 (1981) - s02e02.mkv"
    ]
    assert episodes[5].season.index == 2


def test_incremental_sync_picks_up_additions_and_changes_only(plex_settings: PlexSimulator) -> None:
    plex = plex_settings
    sync_library(full=True)
    plex.tick()
    gone = [i for i in plex.items.values() if i.type == "movie"][-1]
    plex.remove_item(gone.rating_key)
    new_movie = plex.add_movie("Brand New Film", 2026, tmdb=777)
    changed = next(i for i in plex.items.values() if i.type == "movie")
    plex.update_item(changed.rating_key, title="Renamed Film", files=["/data/movies/Renamed/R.mkv"])
    show = next(i for i in plex.items.values() if i.type == "show")
    episode = plex.add_episode(plex.items[plex.children[show.rating_key][1]], 5)
    plex.add_show("Fresh Show", 2026, seasons=1, episodes=2, tvdb=4242)

    run = sync_library()

    assert run.kind == SyncRun.Kind.INCREMENTAL
    assert (run.added, run.updated, run.removed) == (2, 1, 0)
    assert LibraryItem.objects.get(tmdb_id=777).rating_key == new_movie.rating_key
    renamed = LibraryItem.objects.get(rating_key=changed.rating_key)
    assert (renamed.title, renamed.file_locations) == (
        "Renamed Film",
        ["/data/movies/Renamed/R.mkv"],
    )
    # Incremental never removes: deletions wait for the full sync.
    assert LibraryItem.objects.filter(rating_key=gone.rating_key).exists()
    mirrored = Episode.objects.get(rating_key=episode.rating_key)
    assert (mirrored.show.rating_key, mirrored.season_number, mirrored.index) == (
        show.rating_key,
        2,
        5,
    )
    assert Season.objects.get(show__rating_key=show.rating_key, index=2).leaf_count == 5
    fresh = LibraryItem.objects.get(tvdb_id=4242)
    assert fresh.episodes.count() == 2
    assert fresh.seasons.get().index == 1


def test_incremental_sync_with_nothing_changed_asks_plex_at_most_twice_per_section(
    plex_settings: PlexSimulator,
) -> None:
    sync_library(full=True)
    plex_settings.reset_counts()
    run = sync_library()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.added, run.updated, run.removed) == (0, 0, 0)
    per_section = {
        path: count
        for path, count in plex_settings.requests.items()
        if path.startswith("/library/sections/")
    }
    assert per_section == {"/library/sections/1/all": 2, "/library/sections/2/all": 2}
    # Plus one to connect and one to list the sections.
    assert run.http_requests == 6


def test_a_full_sync_removes_what_plex_deleted(plex_settings: PlexSimulator) -> None:
    plex = plex_settings
    sync_library(full=True)
    movie = next(i for i in plex.items.values() if i.type == "movie")
    show = next(i for i in plex.items.values() if i.type == "show")
    other_show = [i for i in plex.items.values() if i.type == "show"][1]
    season_two = plex.children[other_show.rating_key][1]
    episode = plex.children[plex.children[other_show.rating_key][0]][0]
    for key in (movie.rating_key, show.rating_key, season_two, episode):
        plex.remove_item(key)

    run = sync_library(full=True)

    assert run.removed == 2
    assert not LibraryItem.objects.filter(
        rating_key__in=[movie.rating_key, show.rating_key]
    ).exists()
    assert LibraryItem.objects.count() == 26
    kept = LibraryItem.objects.get(rating_key=other_show.rating_key)
    assert [s.index for s in kept.seasons.all()] == [1]
    assert kept.episodes.count() == 3
    assert Episode.objects.count() == 3 + 8


@pytest.mark.parametrize(
    ("mode", "error"),
    [("status", "HTTP 500"), ("short", "1 of 2"), ("cut", "broken page")],
)
def test_a_sync_that_fails_half_way_removes_nothing_and_records_the_error(
    plex_settings: PlexSimulator, mode: str, error: str
) -> None:
    plex = plex_settings
    sync_library(full=True)
    before = _movie_keys()
    doomed = [i.rating_key for i in plex.items.values() if i.type == "movie"][:3]
    for key in doomed:
        plex.remove_item(key)
    # 22 movies in pages of 10: the third page (index 2) fails.
    plex.fail(path="/library/sections/1/all", page=2, status=500, mode=mode)

    with pytest.raises(PlexTemporaryError, match=error):
        sync_library(full=True)

    assert _movie_keys() == before
    run = SyncRun.objects.latest()
    assert run.status == SyncRun.Status.FAILED
    assert error in run.error
    assert run.removed == 0
    assert run.finished_at is not None


def test_the_next_full_sync_after_a_failure_completes_the_removal(
    plex_settings: PlexSimulator,
) -> None:
    plex = plex_settings
    sync_library(full=True)
    doomed = next(i.rating_key for i in plex.items.values() if i.type == "movie")
    plex.remove_item(doomed)
    plex.fail(path="/library/sections/1/all", page=1, times=1)
    with pytest.raises(PlexTemporaryError):
        sync_library(full=True)
    assert LibraryItem.objects.filter(rating_key=doomed).exists()
    run = sync_library(full=True)
    assert run.removed == 1
    assert not LibraryItem.objects.filter(rating_key=doomed).exists()


def test_a_sync_is_skipped_while_another_holds_the_lock(plex_settings: PlexSimulator) -> None:
    token = locks.acquire(LOCK_NAME, ttl=60)
    assert token is not None
    plex_settings.reset_counts()
    run = sync_library(full=True)
    assert run.status == SyncRun.Status.SKIPPED
    assert plex_settings.request_count == 0
    assert LibraryItem.objects.count() == 0


def test_a_lock_left_by_a_crashed_worker_lapses_and_the_stale_run_is_closed(
    plex_settings: PlexSimulator,
) -> None:
    locks.acquire(LOCK_NAME, ttl=60)
    JobLock.objects.filter(name=LOCK_NAME).update(expires_at=timezone.now() - timedelta(seconds=1))
    stale = SyncRun.objects.create(kind="full", started_at=timezone.now() - timedelta(hours=2))
    run = sync_library(full=True)
    assert run.status == SyncRun.Status.SUCCEEDED
    stale.refresh_from_db()
    assert (stale.status, stale.error) == ("failed", "the worker stopped during the run")
    assert not JobLock.objects.filter(name=LOCK_NAME).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_syncs_one_runs_and_the_other_skips(plex_settings: PlexSimulator) -> None:
    plex_settings.delay_seconds = 0.05  # about 1 s for the whole run
    results: dict[str, SyncRun] = {}

    def first() -> None:
        try:
            results["first"] = sync_library(full=True)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    wait_for(
        JobLock.objects.filter(name=LOCK_NAME).exists,
        2,
        what="the first sync holding its lock",
        every=0.02,
    )
    results["second"] = sync_library(full=True)
    thread.join(timeout=30)

    assert results["second"].status == SyncRun.Status.SKIPPED
    assert results["first"].status == SyncRun.Status.SUCCEEDED
    assert LibraryItem.objects.count() == 28


def test_progress_is_recorded_page_by_page(plex_settings: PlexSimulator) -> None:
    seen: list[tuple[int, int]] = []
    run = sync_library(full=True, progress=lambda r: seen.append((r.items_done, r.items_total)))
    # Movies 25 (3 pages), shows 3, seasons 6, episodes 24 (3 pages): 8 pages.
    assert [done for done, _ in seen] == [10, 20, 25, 28, 34, 44, 54, 58]
    assert {total for _, total in seen} == {58}
    run.refresh_from_db()
    assert (run.items_done, run.items_total) == (58, 58)


def test_a_long_sync_logs_its_progress(
    plex_settings: PlexSimulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("library.sync.PROGRESS_LOG_SECONDS", 0)
    caplog.set_level("INFO", logger="library.sync")
    sync_library(full=True)
    assert "Plex full sync: 10/58 items read, 10 added, 0 updated" in caplog.text
    assert "Plex full sync: 58/58 items read, 28 added, 0 updated" in caplog.text


def test_sql_queries_grow_with_pages_not_with_items(settings: object) -> None:
    counts = []
    # Pages of at most 50 rows: SQLite caps a statement at 999 parameters, and Django
    # splits bigger inserts there (PostgreSQL takes a page in one statement).
    for movies, page_size in ((30, 10), (150, 50)):
        simulator = PlexSimulator()
        simulator.sections.pop(2)
        simulator.seed(movies=movies)
        simulator.start()
        try:
            settings.PLEX_PAGE_SIZE = page_size
            with CaptureQueriesContext(connection) as queries:
                run = sync_library(full=True, client=PlexClient(simulator.url, simulator.token))
        finally:
            simulator.stop()
        assert run.added == movies
        counts.append(len(queries))
        PlexSection.objects.all().delete()
        SyncRun.objects.all().delete()
    assert counts[0] == counts[1]
    assert counts[0] < 50


def test_new_and_changed_items_are_announced_after_the_sync_commits(
    plex_settings: PlexSimulator, django_capture_on_commit_callbacks: object
) -> None:
    sync_library(full=True)
    plex_settings.tick()
    movie = plex_settings.add_movie("Announced", 2026)
    # "Fix Match": an item Plex already had gets other ids; a waiting request looks for them.
    rematched = next(i for i in plex_settings.items.values() if i.type == "movie")
    plex_settings.update_item(rematched.rating_key, title="Matched Again")
    show = next(i for i in plex_settings.items.values() if i.type == "show")
    episode = plex_settings.add_episode(
        plex_settings.items[plex_settings.children[show.rating_key][0]], 9
    )
    heard: list[dict] = []

    def receiver(sender: object, **kwargs: object) -> None:
        heard.append(kwargs)

    media_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sync_library()
    finally:
        media_changed.disconnect(receiver)
    assert len(heard) == 1
    assert sorted(heard[0]["item_ids"]) == sorted(
        LibraryItem.objects.get(rating_key=key).pk
        for key in (movie.rating_key, rematched.rating_key)
    )
    assert heard[0]["episode_ids"] == [Episode.objects.get(rating_key=episode.rating_key).pk]


def test_an_unmatched_movie_is_mirrored_without_external_ids(plex_settings: PlexSimulator) -> None:
    lonely = plex_settings.add_movie("Home Video", 2019, matched=False)
    sync_library(full=True)
    item = LibraryItem.objects.get(rating_key=lonely.rating_key)
    assert (item.imdb_id, item.tmdb_id, item.tvdb_id) == ("", None, None)
    assert item.plex_guid == f"local://{lonely.rating_key}"


def test_a_full_sync_drops_a_section_plex_no_longer_has(plex_settings: PlexSimulator) -> None:
    sync_library(full=True)
    plex_settings.sections.pop(2)
    run = sync_library(full=True)
    assert run.removed == 3
    assert list(PlexSection.objects.values_list("key", flat=True)) == ["1"]
    assert not LibraryItem.objects.filter(type="show").exists()
    assert Episode.objects.count() == 0


def test_an_incremental_sync_never_drops_a_section(plex_settings: PlexSimulator) -> None:
    sync_library(full=True)
    plex_settings.sections.pop(2)
    sync_library()
    assert LibraryItem.objects.filter(type="show").count() == 3


def test_read_ahead_keeps_page_order_and_raises_an_error_after_the_pages_before_it() -> None:
    from library.plex import Page
    from library.sync import read_ahead

    def pages():
        for start in (0, 10, 20):
            yield Page(items=[{"n": start}], start=start, total=40)
        raise PlexTemporaryError("page 4 failed")

    seen = []
    with pytest.raises(PlexTemporaryError, match="page 4 failed"):
        for page in read_ahead(pages()):
            seen.append(page.start)
    assert seen == [0, 10, 20]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "bulk_create"])
def test_both_write_paths_mirror_the_same_rows_and_report_new_ones(
    plex_settings: PlexSimulator,
    monkeypatch: pytest.MonkeyPatch,
    use_copy: bool,
    django_capture_on_commit_callbacks: object,
) -> None:
    monkeypatch.setattr("core.bulk.USE_COPY", use_copy)
    first = sync_library(full=True)
    assert first.added == 28
    plex_settings.tick()
    changed = next(i for i in plex_settings.items.values() if i.type == "movie")
    plex_settings.update_item(changed.rating_key, title="Changed", files=["/data/movies/C/c.mkv"])
    added = plex_settings.add_movie("Added Later", 2026)
    heard: list[list[int]] = []
    media_changed.connect(
        lambda sender, **kw: heard.append(kw["item_ids"]), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = sync_library(full=True)
    finally:
        media_changed.disconnect(dispatch_uid="t")
    assert (run.added, run.updated) == (1, 1)
    row = LibraryItem.objects.get(rating_key=changed.rating_key)
    assert (row.title, row.file_locations) == ("Changed", ["/data/movies/C/c.mkv"])
    assert row.first_seen_at < row.synced_at
    assert [sorted(ids) for ids in heard] == [
        sorted(LibraryItem.objects.get(rating_key=i.rating_key).pk for i in (added, changed))
    ]
