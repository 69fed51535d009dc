"""The recover-requests sweep: a request whose next step was lost (broker down when it was
made, a queue lost with Redis, a download's news lost with a dead process) is sent on
again, once, and a superseded message that turns up later does nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from downloads.models import Download
from requests_app import recovery
from requests_app.models import MediaRequest, Status, owner_ref
from requests_app.pipeline import search_and_download
from requests_app.tasks import recover_requests_task
from tests.requests_app.conftest import DUNE, approved_dune

pytestmark = pytest.mark.django_db

NOTHING = {
    "searches": [],
    "completions": [],
    "failovers": [],
    "removals": [],
    "in_plex": [],
    "notices": [],
}


@pytest.fixture
def sent(queued: mock.MagicMock, monkeypatch: pytest.MonkeyPatch) -> mock.MagicMock:
    """Capture what the sweep sends instead of queuing it."""
    # The sweep's task runs outside any transaction, where a send waits for no commit;
    # the test's own transaction would otherwise hold every send until the test ends.
    monkeypatch.setattr(transaction, "on_commit", lambda send, *a, **kw: send())
    return mock.MagicMock(
        search=queued.process,
        complete=queued.complete,
        failover=queued.fail_over,
        remove=queued.stop,
        notify=queued.notify,
    )


def waited(request: MediaRequest, delta: timedelta, **fields: Any) -> None:
    MediaRequest.objects.filter(pk=request.pk).update(updated_at=timezone.now() - delta, **fields)


def download_of(request: MediaRequest, state: str, *, ago: timedelta, **fields: Any) -> Download:
    info_hash = f"{request.pk:040x}"
    MediaRequest.objects.filter(pk=request.pk).update(download_hash=info_hash)
    download = Download.objects.create(
        info_hash=info_hash,
        release_title="Dune.2021.1080p.BluRay.x264-FIRST",
        owner_ref=owner_ref(request.pk),
        media_type="movie",
        title="Dune",
        year=2021,
        state=state,
        **fields,
    )
    Download.objects.filter(pk=download.pk).update(updated_at=timezone.now() - ago)
    return download


def test_a_request_saved_while_the_broker_was_down_is_accepted_then_searched_by_the_sweep(
    trusted_member, fake_tmdb, plex_has, sent, django_capture_on_commit_callbacks
) -> None:
    api = APIClient()
    api.force_authenticate(trusted_member)
    sent.search.side_effect = OperationalError("Error 111 connecting to 127.0.0.1:6379.")
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id})
    assert answer.status_code == 201, answer.content
    assert sent.search.call_count == 1  # tried, and the broker refused
    request = MediaRequest.objects.get()
    assert request.status == Status.APPROVED
    first_id = request.celery_task_id

    sent.search.reset_mock(side_effect=True)
    assert recovery.recover_requests().searches == []  # a minute is not "lost"
    waited(request, timedelta(minutes=31))
    assert recover_requests_task.apply().get() == {
        "searches": [request.pk],
        "completions": [],
        "failovers": [],
        "removals": [],
        "in_plex": [],
        "notices": [],
    }
    request.refresh_from_db()
    assert request.celery_task_id != first_id
    sent.search.assert_called_once_with(request.pk, task_id=request.celery_task_id)
    # Sent once: the next sweep finds it freshly handed over.
    assert recovery.recover_requests().searches == []


def test_the_superseded_message_is_skipped_and_the_new_one_searches_once(
    trusted_member,
    fake_tmdb,
    plex_has,
    indexer,
    qbittorrent,
    sent,
    queued,
) -> None:
    request = approved_dune(trusted_member)
    lost_id = request.celery_task_id
    waited(request, timedelta(minutes=31))
    recovery.recover_requests()
    new_id = queued.process.call_args.kwargs["task_id"]

    # The "lost" message turns up after all: it no longer owns the request.
    assert search_and_download(request.pk, task_id=lost_id).startswith("skipped")
    assert search_and_download(request.pk, task_id=new_id) == "downloading"
    assert search_and_download(request.pk, task_id=lost_id).startswith("skipped")
    assert len(qbittorrent) == 1


def test_a_search_whose_message_is_gone_is_sent_again_only_after_redelivery_had_its_chance(
    trusted_member, fake_tmdb, plex_has, sent, settings
) -> None:
    request = approved_dune(trusted_member)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}
    # A worker died mid-search: Redis gives the message back after 2 h; don't race it.
    waited(request, timedelta(hours=2, minutes=59), status=Status.SEARCHING)
    assert recovery.recover_requests().searches == []
    waited(request, timedelta(hours=3, minutes=1))
    assert recovery.recover_requests().searches == [request.pk]


@pytest.mark.parametrize(
    ("state", "sent_as"),
    [
        (Download.State.IMPORTED, "complete"),
        (Download.State.REMOVED, "complete"),
        (Download.State.FAILED, "failover"),
        (Download.State.CANCELLED, "failover"),
    ],
)
def test_a_download_that_ended_long_ago_tells_its_waiting_request(
    trusted_member, fake_tmdb, plex_has, sent, state: str, sent_as: str
) -> None:
    request = approved_dune(trusted_member)
    waited(request, timedelta(minutes=20), status=Status.DOWNLOADING)
    download = download_of(request, state, ago=timedelta(minutes=16), error="no seeders for 1 h")

    found = recovery.recover_requests()
    if sent_as == "complete":
        assert found.completions == [request.pk]
        sent.complete.assert_called_once_with(request.pk, download.info_hash)
        sent.failover.assert_not_called()
    else:
        assert found.failovers == [request.pk]
        sent.failover.assert_called_once_with(request.pk, download.info_hash, "no seeders for 1 h")
        sent.complete.assert_not_called()


@pytest.mark.parametrize(
    ("request_ago", "download_ago", "state"),
    [
        (timedelta(minutes=20), timedelta(minutes=5), Download.State.IMPORTED),  # just ended
        (timedelta(minutes=5), timedelta(minutes=20), Download.State.FAILED),  # just told
        (timedelta(hours=9), timedelta(hours=9), Download.State.DOWNLOADING),  # still going
        (timedelta(hours=9), timedelta(hours=9), Download.State.IMPORTING),  # still filing
    ],
)
def test_requests_that_are_moving_are_left_alone(
    trusted_member, fake_tmdb, plex_has, sent, request_ago, download_ago, state
) -> None:
    request = approved_dune(trusted_member)
    waited(request, request_ago, status=Status.DOWNLOADING)
    download_of(request, state, ago=download_ago)
    assert recovery.recover_requests().as_dict() == NOTHING


def test_another_requests_download_of_the_same_release_is_not_taken_as_news(
    trusted_member, fake_tmdb, plex_has, sent
) -> None:
    request = approved_dune(trusted_member)
    waited(request, timedelta(minutes=20), status=Status.DOWNLOADING)
    download = download_of(request, Download.State.IMPORTED, ago=timedelta(hours=1))
    Download.objects.filter(pk=download.pk).update(owner_ref="request:999999")
    assert recovery.recover_requests().completions == []


def test_finished_pending_and_not_found_requests_are_never_touched_once_told(
    member, trusted_member, fake_tmdb, plex_has, sent
) -> None:
    request = approved_dune(trusted_member)
    for status in (Status.PENDING, Status.NOT_FOUND, Status.COMPLETED, Status.FAILED):
        told = status if status != Status.NOT_FOUND else ""  # nobody is told of "not found"
        waited(request, timedelta(days=30), status=status, told_status=told)
        assert recovery.recover_requests().as_dict() == NOTHING
    assert MediaRequest.objects.filter(pk=request.pk, updated_at__lt=F("created_at")).exists()


def test_a_cancel_whose_removal_was_lost_removes_the_download_later(
    trusted_member, fake_tmdb, plex_has, sent, django_capture_on_commit_callbacks
) -> None:
    from requests_app import flow

    request = approved_dune(trusted_member)
    waited(request, timedelta(minutes=20), status=Status.DOWNLOADING)
    download = download_of(request, Download.State.DOWNLOADING, ago=timedelta(minutes=1))
    sent.remove.side_effect = OperationalError("Error 111 connecting to 127.0.0.1:6379.")
    with django_capture_on_commit_callbacks(execute=True):
        assert flow.cancel(request.pk, by=trusted_member) is not None  # saved, not an error
    assert sent.remove.call_count == 1
    sent.remove.reset_mock(side_effect=True)

    assert recovery.recover_requests().removals == []  # it may still be on its way
    waited(request, timedelta(minutes=16))
    assert recovery.recover_requests().removals == [request.pk]
    sent.remove.assert_called_once_with(download.info_hash)
    # Once qBittorrent removed it, there is nothing more to do.
    Download.objects.filter(pk=download.pk).update(state=Download.State.CANCELLED)
    assert recovery.recover_requests().removals == []


def test_a_pending_request_made_while_the_broker_is_down_is_saved_without_an_error(
    member, fake_tmdb, plex_has, queued, django_capture_on_commit_callbacks
) -> None:
    api = APIClient()
    api.force_authenticate(member)
    queued.notify.side_effect = OperationalError("Error 111 connecting to 127.0.0.1:6379.")
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id})
    assert answer.status_code == 201, answer.content
    assert queued.notify.call_count == 1
    assert MediaRequest.objects.get().status == Status.PENDING


def test_a_request_still_processing_long_after_plex_listed_it_is_completed_by_the_sweep(
    trusted_member, fake_tmdb, plex_has, sent
) -> None:
    request = approved_dune(trusted_member)
    waited(request, timedelta(minutes=14), status=Status.PROCESSING)
    plex_has(DUNE.tmdb_id)  # the library's announcement of it was lost
    assert recovery.recover_requests().in_plex == []  # the announcement may still come
    waited(request, timedelta(minutes=16))
    assert recovery.recover_requests().in_plex == [request.pk]
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    sent.notify.assert_called_once_with(request.pk, "finished")
