"""Creating, joining, approving, declining and cancelling requests."""

from __future__ import annotations

import pytest

from requests_app import flow, pipeline, quotas
from requests_app.models import MediaRequest, RequestEvent, Status
from tests.requests_app.conftest import BREAKING_BAD, DUNE

pytestmark = pytest.mark.django_db


def test_a_members_request_waits_for_approval_and_queues_nothing(
    member, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outcome = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    request = outcome.request
    assert outcome.created
    assert request.status == Status.PENDING
    assert (request.title, request.year, request.imdb_id) == ("Dune", 2021, "tt1160419")
    assert list(request.events.values_list("from_status", "to_status")) == [("", "pending")]
    queued.process.assert_not_called()
    queued.notify.assert_called_once_with(request.pk, "pending")


def test_an_auto_approved_request_is_queued_after_commit_with_its_task_id(
    trusted_member, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = flow.create_request(user=trusted_member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    queued.process.assert_not_called()  # nothing leaves before the row is committed
    for callback in callbacks:
        callback()
    request = outcome.request
    assert request.status == Status.APPROVED
    queued.process.assert_called_once_with(request.pk, task_id=request.celery_task_id)
    # The search will also accept releases named by TMDB's other titles for it.
    assert pipeline.media_query(request).aliases == ("Dune: Part One",)


def test_a_title_already_in_plex_is_completed_at_once_without_a_download(
    member, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    plex_has(DUNE.tmdb_id)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    assert outcome.request.status == Status.COMPLETED
    assert outcome.message == "Already in your library."
    assert MediaRequest.objects.get().completed_at is not None
    queued.process.assert_not_called()
    # The requester hears it like any other completion, once.
    queued.notify.assert_called_once_with(outcome.request.pk, "finished")


def test_asking_again_returns_the_active_request_and_adds_a_watcher(
    member, other_member, fake_tmdb, plex_has, queued
) -> None:
    first = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    second = flow.create_request(user=other_member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    assert not second.created
    assert second.request.pk == first.request.pk
    assert list(first.request.watchers.all()) == [other_member]
    assert MediaRequest.objects.count() == 1


def test_staff_asking_for_a_pending_title_approves_it_with_a_recorded_reason(
    member, staff, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    first = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    assert first.status == Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        joined = flow.create_request(user=staff, media_type="movie", tmdb_id=DUNE.tmdb_id)
    assert not joined.created
    assert (joined.request.status, joined.message) == (
        Status.APPROVED,
        "Already requested; now approved.",
    )
    first.refresh_from_db()
    assert first.status == Status.APPROVED
    queued.process.assert_called_once_with(first.pk, task_id=first.celery_task_id)
    event = first.events.last()
    assert (event.from_status, event.to_status, event.actor_label) == ("pending", "approved", "sam")
    assert event.reason == "Approved: sam asked for it too."
    assert list(first.watchers.all()) == [staff]


def test_a_member_who_needs_approval_joining_leaves_the_request_pending(
    member, other_member, fake_tmdb, plex_has, queued
) -> None:
    first = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    flow.create_request(user=other_member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    first.refresh_from_db()
    assert first.status == Status.PENDING
    queued.process.assert_not_called()


def test_two_seasons_of_a_show_are_two_requests(member, fake_tmdb, plex_has, queued) -> None:
    one = flow.create_request(user=member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=1)
    two = flow.create_request(user=member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=2)
    assert one.request.pk != two.request.pk
    assert two.request.display_title == "Breaking Bad (2008) – Season 2"


@pytest.mark.parametrize(
    ("kind", "season", "field"),
    [
        ("tv", None, "season"),
        ("movie", 2, "season"),
        ("tv", 9, "season"),
        ("book", None, "media_type"),
    ],
)
def test_an_impossible_request_is_refused_and_creates_nothing(
    member, fake_tmdb, plex_has, queued, kind, season, field
) -> None:
    tmdb_id = BREAKING_BAD.tmdb_id if kind == "tv" else DUNE.tmdb_id
    with pytest.raises(flow.RequestRefused) as refused:
        flow.create_request(user=member, media_type=kind, tmdb_id=tmdb_id, season=season)
    assert refused.value.field == field
    assert MediaRequest.objects.count() == 0


def test_an_unknown_title_is_refused(member, fake_tmdb, plex_has, queued) -> None:
    with pytest.raises(flow.RequestRefused, match="No such title"):
        flow.create_request(user=member, media_type="movie", tmdb_id=999999)
    assert MediaRequest.objects.count() == 0


def test_the_quota_stops_a_request_with_a_clear_message(
    member, fake_tmdb, plex_has, queued, settings
) -> None:
    settings.REQUEST_QUOTA_SEASONS = 2
    for season in (1, 2):
        flow.create_request(
            user=member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=season
        )
    with pytest.raises(flow.RequestRefused, match="limit of 2 TV seasons per 7 days"):
        flow.create_request(user=member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=3)
    assert MediaRequest.objects.count() == 2
    # Movies have their own allowance.
    movie = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    assert movie.created
    assert movie.request.status == Status.PENDING
    assert MediaRequest.objects.count() == 3


def test_a_declined_request_does_not_count_against_the_quota(
    member, staff, fake_tmdb, plex_has, queued, settings
) -> None:
    settings.REQUEST_QUOTA_MOVIES = 1
    declined = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    flow.decline(declined.pk, by=staff, reason="Not on a school night")
    again = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    assert again.created
    assert again.request.pk != declined.pk
    assert again.request.status == Status.PENDING
    assert again.message == "Waiting for approval."
    assert MediaRequest.objects.get(pk=declined.pk).status == Status.DECLINED
    assert MediaRequest.objects.count() == 2
    # The new request, not the declined one, now uses the one movie of the allowance.
    assert quotas.quota_for(member, "movie").remaining == 0


def test_staff_approve_a_pending_request_once(
    member, staff, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    with django_capture_on_commit_callbacks(execute=True):
        approved = flow.approve(request.pk, by=staff)
        again = flow.approve(request.pk, by=staff)
    assert approved.status == Status.APPROVED
    assert again is None
    queued.process.assert_called_once_with(request.pk, task_id=approved.celery_task_id)
    event = RequestEvent.objects.filter(request=request).last()
    assert (event.from_status, event.to_status, event.actor_label) == ("pending", "approved", "sam")


def test_a_decline_keeps_its_reason_for_the_requester_and_notifies(
    member, staff, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    with django_capture_on_commit_callbacks(execute=True):
        flow.decline(request.pk, by=staff, reason="We own the Blu-ray")
    request.refresh_from_db()
    assert request.status == Status.DECLINED
    assert request.status_reason == "We own the Blu-ray"
    queued.notify.assert_called_with(request.pk, "finished")


def test_cancelling_mid_download_stops_the_torrent(
    trusted_member, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    request = flow.create_request(
        user=trusted_member, media_type="movie", tmdb_id=DUNE.tmdb_id
    ).request
    MediaRequest.objects.filter(pk=request.pk).update(
        status=Status.DOWNLOADING, download_hash="a" * 40
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = flow.cancel(request.pk, by=trusted_member)
    assert cancelled.status == Status.CANCELLED
    queued.stop.assert_called_once_with("a" * 40)


def test_a_finished_request_cannot_be_cancelled(member, fake_tmdb, plex_has, queued) -> None:
    plex_has(DUNE.tmdb_id)
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    assert flow.cancel(request.pk, by=member) is None
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_members_see_their_own_and_joined_requests_and_staff_see_all(
    member, other_member, staff, fake_tmdb, plex_has, queued
) -> None:
    mine = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    theirs = flow.create_request(
        user=other_member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=1
    ).request
    assert list(flow.visible_requests(member)) == [mine]
    assert set(flow.visible_requests(staff)) == {mine, theirs}
    flow.create_request(user=member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=1)
    assert set(flow.visible_requests(member)) == {mine, theirs}  # joined as a watcher
    assert not flow.can_cancel(member, theirs)
