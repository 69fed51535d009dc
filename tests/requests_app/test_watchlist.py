"""Requests from a member's Plex watchlist, over the plex.tv and TMDB simulators."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from core import queueing as core_queueing
from plexkiosk.celery import app
from plexkiosk.simulators.plextv import PlexTVSimulator, watch_item
from requests_app import flow, notifications, plextv, queueing, watchlist
from requests_app.models import MediaRequest, PlexAccount, Profile, Status, WatchlistItem
from requests_app.tasks import sync_watchlist_task
from tests.conftest import requires_services
from tests.requests_app.conftest import _SentTask
from tests.requests_app.plextv_helpers import plextv as plextv_sim  # noqa: F401

pytestmark = pytest.mark.django_db

User = get_user_model()
BOB_TOKEN = "sim-bob-token"
BOB = 1002
WATCHLIST = "/library/sections/watchlist/all"
METADATA = "/library/metadata/"

INCEPTION = watch_item(27205, "Inception", "movie", 2010, imdb="tt1375666")
MATRIX = watch_item(603, "The Matrix", "movie", 1999, imdb="tt0133093")
DUNE_BARE = watch_item(438631, "Dune", "movie", 2021, imdb="tt1160419", inline_guids=False)
HOME_MOVIE = watch_item(None, "A Home Movie", "movie", 2020, imdb="tt9999999")
BREAKING_BAD = watch_item(1396, "Breaking Bad", "show", 2008, tvdb=81189, seasons=5)


@pytest.fixture
def sim(plextv_sim: PlexTVSimulator, settings: SettingsWrapper) -> PlexTVSimulator:  # noqa: F811
    settings.REQUESTS_NEED_APPROVAL = True
    settings.REQUEST_QUOTA_MOVIES = 10
    settings.REQUEST_QUOTA_SEASONS = 10
    plextv_sim.set_watchlist(BOB, [])
    return plextv_sim


@pytest.fixture
def bob(db: None) -> PlexAccount:
    """Bob, signed in with Plex (his token kept), watchlist on, told at an ntfy address."""
    user = User.objects.create_user("bob")
    Profile.objects.create(user=user, notify_urls="ntfy://ntfy.sh/bob-topic")
    account = PlexAccount(
        user=user, plex_id=BOB, username="bob", kind="friend", watchlist_enabled=True
    )
    account.set_token(BOB_TOKEN)
    account.save()
    return account


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every notification sent, with where it went."""
    sent: list[dict] = []
    monkeypatch.setattr(
        notifications.apprise_client, "send", lambda urls, **kw: sent.append({"urls": urls, **kw})
    )
    return sent


@pytest.fixture
def sent_tasks() -> Iterator[dict[str, mock.MagicMock]]:
    """The tasks queued by name (after the commit), recorded instead of sent."""
    sent: dict[str, mock.MagicMock] = defaultdict(mock.MagicMock)
    with mock.patch.object(core_queueing, "task_named", lambda name: _SentTask(sent[name])):
        yield sent


@pytest.fixture
def world(sim, bob, tmdb_sim, told, sent_tasks):
    return sim


def outcomes(account: PlexAccount) -> dict[str, str]:
    return dict(account.watchlist_items.values_list("title", "outcome"))


def test_each_new_title_becomes_a_request_of_the_member_and_they_are_told_once(
    world: PlexTVSimulator, bob: PlexAccount, told: list[dict], django_capture_on_commit_callbacks
) -> None:
    world.set_watchlist(BOB, [INCEPTION, HOME_MOVIE, DUNE_BARE])
    with django_capture_on_commit_callbacks(execute=True):
        outcome = watchlist.sync_watchlist(bob.pk)
    assert outcome.state == "synced" and len(outcome.new_items) == 3
    requests = MediaRequest.objects.order_by("title")
    assert [(r.title, r.requested_by_id, r.status) for r in requests] == [
        ("Dune", bob.user_id, Status.PENDING),  # its ids came from its metadata
        ("Inception", bob.user_id, Status.PENDING),
    ]
    assert outcomes(bob) == {
        "Inception": "requested",
        "Dune": "requested",
        "A Home Movie": "no_tmdb_id",
    }
    item = WatchlistItem.objects.get(title="Inception")
    assert item.request == requests.get(title="Inception") and item.tmdb_id == 27205
    # One message for the whole sync, naming each new title and what became of it.
    mine = [t for t in told if t["urls"] == ["ntfy://ntfy.sh/bob-topic"]]
    assert len(mine) == 1
    assert mine[0]["title"] == "From your Plex watchlist: 2 titles requested"
    body = mine[0]["body"]
    assert "Inception: Waiting for approval." in body
    assert "Dune: Waiting for approval." in body
    assert "A Home Movie (2020): Plex gives no TMDB id for it, so it cannot be requested." in body
    bob.refresh_from_db()
    assert bob.watchlist_synced_at is not None and bob.watchlist_etag
    assert bob.watchlist_error == ""


def test_a_title_without_a_tmdb_id_is_recorded_with_its_reason_and_requests_nothing(
    world: PlexTVSimulator, bob: PlexAccount
) -> None:
    world.set_watchlist(BOB, [HOME_MOVIE])
    watchlist.sync_watchlist(bob.pk)
    item = WatchlistItem.objects.get()
    assert (item.outcome, item.tmdb_id, item.request) == ("no_tmdb_id", None, None)
    assert "no TMDB id" in item.message
    assert not MediaRequest.objects.exists()


def test_a_long_watchlist_is_read_to_its_end_page_by_page(
    world: PlexTVSimulator, bob: PlexAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plextv, "WATCHLIST_PAGE_SIZE", 50)
    home_movies = [
        watch_item(None, f"Home movie {n}", "movie", 2000, imdb=f"tt90{n:05d}") for n in range(119)
    ]
    world.set_watchlist(BOB, [*home_movies, INCEPTION])  # the last of 120, on the third page
    watchlist.sync_watchlist(bob.pk)
    assert world.count(WATCHLIST) == 3  # 50 + 50 + 20
    assert bob.watchlist_items.count() == 120
    assert MediaRequest.objects.get().title == "Inception"


def test_an_unchanged_watchlist_costs_one_call_and_changes_only_the_time(
    world: PlexTVSimulator, bob: PlexAccount, told: list[dict]
) -> None:
    world.set_watchlist(BOB, [INCEPTION, DUNE_BARE])
    watchlist.sync_watchlist(bob.pk)
    bob.refresh_from_db()
    calls, first_sync, told_before = len(world.requests), bob.watchlist_synced_at, len(told)

    outcome = watchlist.sync_watchlist(bob.pk)

    assert outcome.state == "not_modified"
    assert len(world.requests) == calls + 1
    assert world.requests[-1]["path"] == WATCHLIST
    assert world.requests[-1]["headers"]["If-None-Match"] == bob.watchlist_etag
    after = PlexAccount.objects.get(pk=bob.pk)
    assert after.watchlist_synced_at > first_sync
    assert (after.watchlist_etag, after.token_state) == (bob.watchlist_etag, "valid")
    assert MediaRequest.objects.count() == 2 and WatchlistItem.objects.count() == 2
    assert len(told) == told_before


def test_running_twice_requests_nothing_twice_and_a_new_title_alone_is_asked_for(
    world: PlexTVSimulator, bob: PlexAccount, told: list[dict]
) -> None:
    world.set_watchlist(BOB, [INCEPTION])
    watchlist.sync_watchlist(bob.pk)
    # Even when the ETag is lost, what was looked at is not asked for again.
    PlexAccount.objects.filter(pk=bob.pk).update(watchlist_etag="")
    assert watchlist.sync_watchlist(bob.pk).new_items == []
    assert len(told) == 1

    world.add_to_watchlist(BOB, MATRIX)
    outcome = watchlist.sync_watchlist(bob.pk)

    assert [i.title for i in outcome.new_items] == ["The Matrix"]
    assert sorted(MediaRequest.objects.values_list("title", flat=True)) == [
        "Inception",
        "The Matrix",
    ]
    assert len(told) == 2 and "Inception" not in told[-1]["body"]


def test_over_the_quota_a_title_is_recorded_with_the_quota_sentence(
    world: PlexTVSimulator, bob: PlexAccount, settings: SettingsWrapper
) -> None:
    settings.REQUEST_QUOTA_MOVIES = 1
    world.set_watchlist(BOB, [INCEPTION, MATRIX])
    watchlist.sync_watchlist(bob.pk)
    assert outcomes(bob) == {"Inception": "requested", "The Matrix": "over_quota"}
    matrix = WatchlistItem.objects.get(title="The Matrix")
    assert matrix.message == (
        "The Matrix: You have reached your limit of 1 movies per 7 days."
    )  # fmt: skip
    assert list(MediaRequest.objects.values_list("title", flat=True)) == ["Inception"]


def test_a_title_already_in_plex_is_answered_at_once_without_a_request(
    world: PlexTVSimulator, bob: PlexAccount, plex_has, told: list[dict]
) -> None:
    plex_has(603)
    world.set_watchlist(BOB, [MATRIX])
    watchlist.sync_watchlist(bob.pk)
    item = WatchlistItem.objects.get()
    assert (item.outcome, item.message) == ("already_in_plex", "The Matrix is already in Plex.")
    assert not MediaRequest.objects.exists()  # no quota spent on it
    assert told[-1]["body"] == "• The Matrix is already in Plex."


def test_a_title_someone_asked_for_already_is_joined(
    world: PlexTVSimulator, bob: PlexAccount
) -> None:
    ana = User.objects.create_user("ana")
    world.set_watchlist(BOB, [INCEPTION])
    asked = flow.create_request(user=ana, media_type="movie", tmdb_id=27205).request
    watchlist.sync_watchlist(bob.pk)
    item = WatchlistItem.objects.get()
    assert (item.outcome, item.request) == ("already_requested", asked)
    assert list(asked.watchers.all()) == [bob.user]


@pytest.mark.parametrize(
    ("policy", "seasons"),
    [("latest_season", [5]), ("first_season", [1]), ("all_missing", [1, 2, 3, 4, 5])],
)
def test_a_show_requests_the_seasons_of_the_members_policy(
    world: PlexTVSimulator, bob: PlexAccount, policy: str, seasons: list[int]
) -> None:
    PlexAccount.objects.filter(pk=bob.pk).update(watchlist_shows=policy)
    world.set_watchlist(BOB, [BREAKING_BAD])
    watchlist.sync_watchlist(bob.pk)
    asked = MediaRequest.objects.filter(title="Breaking Bad", media_type="tv")
    assert sorted(asked.values_list("season", flat=True)) == seasons
    item = WatchlistItem.objects.get()
    assert item.outcome == "requested" and item.request in asked
    assert item.message.startswith("Breaking Bad")


def test_a_revoked_token_stops_the_watchlist_and_tells_the_member_once(
    world: PlexTVSimulator, bob: PlexAccount, told: list[dict]
) -> None:
    world.set_watchlist(BOB, [INCEPTION])
    world.revoke(BOB_TOKEN)

    outcome = watchlist.sync_watchlist(bob.pk)

    assert outcome.state == "token_expired"
    bob.refresh_from_db()
    assert bob.token_state == "expired"
    assert "sign in with Plex again" in bob.watchlist_error
    assert bob.watchlist_enabled  # their choice stands for when they sign in again
    assert not WatchlistItem.objects.exists() and not MediaRequest.objects.exists()
    assert len(told) == 1
    assert told[0]["title"] == "Your Plex watchlist is no longer read"
    assert BOB_TOKEN not in told[0]["body"]
    # The next round does not read it (nor tell them again).
    calls = len(world.requests)
    assert watchlist.sync_watchlist(bob.pk).state == "skipped"
    assert watchlist.eligible_accounts() == []
    assert len(world.requests) == calls and len(told) == 1


def test_plex_tv_down_records_nothing_and_the_task_tries_again(
    world: PlexTVSimulator, bob: PlexAccount, told: list[dict]
) -> None:
    world.set_watchlist(BOB, [INCEPTION])
    world.down = True
    with pytest.raises(plextv.PlexTVTemporaryError):
        watchlist.sync_watchlist(bob.pk)
    bob.refresh_from_db()
    assert (bob.watchlist_synced_at, bob.watchlist_etag, bob.watchlist_error) == (None, "", "")
    assert not WatchlistItem.objects.exists() and told == []

    # Two more 503s, then plex.tv answers: the task's retries get there, once.
    world.down = False
    world.override(WATCHLIST, status=503, times=2)
    result = sync_watchlist_task.apply(args=[bob.pk])
    assert result.get() == "1 new"
    assert world.count(WATCHLIST) == 4
    assert MediaRequest.objects.count() == 1 and WatchlistItem.objects.count() == 1
    assert len(told) == 1


def test_the_periodic_row_queues_one_sync_per_member_who_asked_for_it(
    world: PlexTVSimulator,
    bob: PlexAccount,
    sent_tasks: dict[str, mock.MagicMock],
    django_capture_on_commit_callbacks,
) -> None:
    off = User.objects.create_user("off")
    PlexAccount.objects.create(user=off, plex_id=2001, kind="friend", watchlist_enabled=False)
    never_signed_in = User.objects.create_user("new")
    PlexAccount.objects.create(
        user=never_signed_in, plex_id=2002, kind="friend", watchlist_enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert watchlist.sync_watchlists() == 1
    # By account id only: a token never travels in a task's arguments.
    sent_tasks[queueing.SYNC_WATCHLIST].assert_called_once_with(bob.pk)


def test_the_plex_watchlists_row_runs_every_ten_minutes() -> None:
    row = PeriodicTask.objects.get(name="plex-watchlists")
    assert row.task == "requests_app.tasks.sync_watchlists_task"
    assert (row.interval.every, row.interval.period) == (600, "seconds")
    assert row.enabled


# --- the member's profile page -------------------------------------------------------------


def test_a_member_with_plex_turns_the_watchlist_on_and_its_first_read_is_queued(
    bob: PlexAccount, sent_tasks: dict[str, mock.MagicMock], django_capture_on_commit_callbacks
) -> None:
    PlexAccount.objects.filter(pk=bob.pk).update(watchlist_enabled=False)
    client = Client()
    client.force_login(bob.user)
    page = client.get("/profile/").content.decode()
    assert "Request what I add to my Plex watchlist" in page
    assert 'name="watchlist_enabled"' in page and 'name="watchlist_shows"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/profile/",
            {"notify_urls": "", "watchlist_enabled": "on", "watchlist_shows": "all_missing"},
        )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.watchlist_enabled, bob.watchlist_shows) == (True, "all_missing")
    sent_tasks[queueing.SYNC_WATCHLIST].assert_called_once_with(bob.pk)

    client.post("/profile/", {"notify_urls": "", "watchlist_shows": "first_season"})
    bob.refresh_from_db()
    assert (bob.watchlist_enabled, bob.watchlist_shows) == (False, "first_season")


def test_the_profile_page_shows_why_the_watchlist_stopped(bob: PlexAccount) -> None:
    PlexAccount.objects.filter(pk=bob.pk).update(
        token_state="expired", watchlist_error="Plex no longer accepts your sign-in."
    )
    client = Client()
    client.force_login(bob.user)
    assert "Plex no longer accepts your sign-in." in client.get("/profile/").content.decode()


def test_a_member_without_plex_is_not_offered_the_watchlist(db: None) -> None:
    client = Client()
    client.force_login(User.objects.create_user("local", password="pw-local-123"))
    page = client.get("/profile/").content.decode()
    assert "Plex watchlist" not in page and "watchlist_enabled" not in page
    response = client.post("/profile/", {"notify_urls": "", "watchlist_enabled": "on"})
    assert response.status_code == 302
    assert not PlexAccount.objects.exists()


def test_a_title_tmdb_cannot_look_up_now_is_asked_for_at_the_next_sync(
    world: PlexTVSimulator, bob: PlexAccount, tmdb_sim
) -> None:
    world.set_watchlist(BOB, [INCEPTION, MATRIX])
    tmdb_sim.fail("500", times=20, path="/3/movie/27205")

    first = watchlist.sync_watchlist(bob.pk)

    assert [i.title for i in first.new_items] == ["The Matrix"]
    bob.refresh_from_db()
    assert bob.watchlist_etag == ""  # else the unchanged list would hide Inception for good
    while tmdb_sim.next_failure("/3/movie/27205"):  # TMDB is back: the outage's rest goes
        pass
    second = watchlist.sync_watchlist(bob.pk)
    assert [i.title for i in second.new_items] == ["Inception"]
    assert outcomes(bob) == {"The Matrix": "requested", "Inception": "requested"}


def test_a_garbled_watchlist_answer_is_said_on_the_account_and_records_nothing(
    world: PlexTVSimulator, bob: PlexAccount, told: list[dict]
) -> None:
    world.set_watchlist(BOB, [INCEPTION])
    world.override(WATCHLIST, status=200, body="<html>Hello from a captive portal</html>")
    outcome = watchlist.sync_watchlist(bob.pk)
    assert outcome.state == "failed"
    bob.refresh_from_db()
    assert bob.watchlist_error.startswith("Your Plex watchlist could not be read")
    assert bob.token_state == "valid"  # the sign-in is fine; the next sync tries again
    assert not WatchlistItem.objects.exists() and told == []
    assert watchlist.sync_watchlist(bob.pk).state == "synced"
    bob.refresh_from_db()
    assert bob.watchlist_error == "" and WatchlistItem.objects.count() == 1


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_periodic_sync_and_each_members_sync_by_id_only(
    sim: PlexTVSimulator, bob: PlexAccount, tmdb_sim, celery_worker_process
) -> None:
    sim.set_watchlist(BOB, [INCEPTION, HOME_MOVIE])
    celery_worker_process(
        queues="default",
        PLEX_TV_URL=sim.url,
        PLEX_DISCOVER_URL=sim.url,
        TMDB_URL=settings.TMDB_URL,
        TMDB_API_KEY=settings.TMDB_API_KEY,
    )
    # send_task routes by name, exactly as beat does for the plex-watchlists row.
    queued = app.send_task("requests_app.tasks.sync_watchlists_task")
    assert queued.get(timeout=60) == 1
    done = TaskResult.objects.filter(
        task_name="requests_app.tasks.sync_watchlist_task", status="SUCCESS"
    )
    deadline = time.monotonic() + 60
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)

    assert outcomes(bob) == {"Inception": "requested", "A Home Movie": "no_tmdb_id"}
    assert MediaRequest.objects.get().requested_by == bob.user
    ran = TaskResult.objects.get(task_name="requests_app.tasks.sync_watchlist_task")
    assert (ran.status, ran.task_args) == ("SUCCESS", f'"[{bob.pk}]"')
    everything = " ".join(str(v) for v in TaskResult.objects.values_list())
    assert BOB_TOKEN not in everything


def test_the_profile_page_lists_what_became_of_the_latest_watchlist_titles(
    world: PlexTVSimulator, bob: PlexAccount
) -> None:
    world.set_watchlist(BOB, [INCEPTION, HOME_MOVIE])
    watchlist.sync_watchlist(bob.pk)
    client = Client()
    client.force_login(bob.user)
    page = client.get("/profile/").content.decode()
    request = MediaRequest.objects.get(title="Inception")
    assert f'<a href="/requests/{request.pk}/">Inception: Waiting for approval.</a>' in page
    assert "A Home Movie (2020): Plex gives no TMDB id for it" in page


def test_a_title_left_over_the_quota_is_asked_for_once_the_quota_has_room(
    world: PlexTVSimulator, bob: PlexAccount, settings: SettingsWrapper, told: list[dict]
) -> None:
    settings.REQUEST_QUOTA_MOVIES = 1
    world.set_watchlist(BOB, [INCEPTION, MATRIX])
    watchlist.sync_watchlist(bob.pk)
    assert outcomes(bob) == {"Inception": "requested", "The Matrix": "over_quota"}

    # Still no room: the unchanged list costs its one call, and nobody is told again.
    calls = len(world.requests)
    assert watchlist.sync_watchlist(bob.pk).state == "not_modified"
    assert len(world.requests) == calls + 1 and len(told) == 1

    flow.cancel(MediaRequest.objects.get(title="Inception").pk, by=bob.user)  # room again
    outcome = watchlist.sync_watchlist(bob.pk)

    assert [i.title for i in outcome.new_items] == ["The Matrix"]
    assert outcomes(bob) == {"Inception": "requested", "The Matrix": "requested"}
    matrix = WatchlistItem.objects.get(title="The Matrix")
    assert matrix.request == MediaRequest.objects.get(title="The Matrix", status=Status.PENDING)
    assert len(told) == 2 and told[-1]["body"] == "• The Matrix: Waiting for approval."
    # Asked for once: the next sync has nothing left to do.
    assert watchlist.sync_watchlist(bob.pk).state == "not_modified"
    assert MediaRequest.objects.filter(title="The Matrix").count() == 1


def test_a_title_over_the_quota_taken_off_the_watchlist_is_not_asked_for(
    world: PlexTVSimulator, bob: PlexAccount, settings: SettingsWrapper
) -> None:
    settings.REQUEST_QUOTA_MOVIES = 1
    world.set_watchlist(BOB, [INCEPTION, MATRIX])
    watchlist.sync_watchlist(bob.pk)
    world.set_watchlist(BOB, [INCEPTION])  # the member took The Matrix off
    settings.REQUEST_QUOTA_MOVIES = 5
    watchlist.sync_watchlist(bob.pk)
    assert list(MediaRequest.objects.values_list("title", flat=True)) == ["Inception"]
    assert outcomes(bob) == {"Inception": "requested"}  # no longer waiting for room
    calls = len(world.requests)
    assert watchlist.sync_watchlist(bob.pk).state == "not_modified"
    assert len(world.requests) == calls + 1

    world.add_to_watchlist(BOB, MATRIX)  # put back: a new title again
    watchlist.sync_watchlist(bob.pk)
    assert outcomes(bob) == {"Inception": "requested", "The Matrix": "requested"}
