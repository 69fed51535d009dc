"""A request's notice is sent exactly once: a message delivered twice sends it once, a notice
lost with the broker is sent late by the recover-requests sweep, old news is not sent again
after the upgrade, and a request that comes back to a state is announced again."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError
from pytest_django.fixtures import Settings as SettingsWrapper

from requests_app import flow, recovery, steps
from requests_app.models import MediaRequest, Profile, Status
from requests_app.tasks import notify_request_task, recover_requests_task
from tests.e2e.world import NotificationSink
from tests.requests_app.conftest import DUNE, approved_dune

pytestmark = pytest.mark.django_db

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379.")


@pytest.fixture
def sink() -> Iterator[NotificationSink]:
    sink = NotificationSink()
    yield sink
    sink.stop()


@pytest.fixture
def told(
    member: AbstractUser, sink: NotificationSink, settings: SettingsWrapper
) -> NotificationSink:
    """Send the member's and the admins' notices to the sink, through Apprise."""
    Profile.objects.update_or_create(user=member, defaults={"notify_urls": sink.url})
    settings.NOTIFY_URLS = [sink.url.replace("/notify", "/admins")]
    return sink


@pytest.fixture
def delivered(queued: mock.MagicMock, monkeypatch: pytest.MonkeyPatch) -> mock.MagicMock:
    """Run each notice queued (after its commit) as the worker would, others only recorded."""
    # Tasks queued outside a web request wait for no commit; the test's transaction would
    # otherwise hold every send until the test ends.
    monkeypatch.setattr(transaction, "on_commit", lambda send, *a, **kw: send())
    queued.notify.side_effect = lambda pk, event: notify_request_task.apply(args=(pk, event))
    return queued


def titles(sink: NotificationSink) -> list[str]:
    return [notice["title"] for notice in sink.received]


def waited(request: MediaRequest, delta: timedelta) -> None:
    MediaRequest.objects.filter(pk=request.pk).update(updated_at=timezone.now() - delta)


def test_a_notice_delivered_twice_is_sent_once(member, fake_tmdb, plex_has, told) -> None:
    plex_has(DUNE.tmdb_id)
    request = approved_dune(member)
    assert request.status == Status.COMPLETED
    notify_request_task.apply(args=(request.pk, "finished"))
    # The worker was killed after the send, before its SUCCESS row: Redis delivers it again.
    notify_request_task.apply(args=(request.pk, "finished"))
    assert titles(told) == ["Dune (2021) is in Plex"]
    request.refresh_from_db()
    assert request.told_status == Status.COMPLETED
    assert request.told_at is not None


def test_the_admins_hear_of_a_pending_request_once(member, fake_tmdb, plex_has, told) -> None:
    request = approved_dune(member)
    assert request.status == Status.PENDING
    notify_request_task.apply(args=(request.pk, "pending"))
    notify_request_task.apply(args=(request.pk, "pending"))
    assert titles(told) == ["ana asks for Dune (2021)"]


def test_a_notice_lost_with_the_broker_is_sent_by_the_sweep_once(
    member, fake_tmdb, plex_has, told, delivered, django_capture_on_commit_callbacks
) -> None:
    plex_has(DUNE.tmdb_id)
    kiosk = Client()
    kiosk.force_login(member)
    delivered.notify.side_effect = BROKER_DOWN
    with django_capture_on_commit_callbacks(execute=True):
        answer = kiosk.post("/requests/new/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id})
    assert answer.status_code == 302
    request = MediaRequest.objects.get()
    assert request.status == Status.COMPLETED  # answered at once: already in Plex
    assert delivered.notify.call_count == 1  # tried, and the broker refused
    assert titles(told) == []

    delivered.notify.side_effect = lambda pk, event: notify_request_task.apply(args=(pk, event))
    assert recovery.recover_requests().notices == []  # it may still be on its way
    waited(request, timedelta(minutes=16))
    assert recover_requests_task.apply().get()["notices"] == [request.pk]
    assert titles(told) == ["Dune (2021) is in Plex"]
    # The next sweep finds it told; nor does the lost message, should it turn up, say more.
    assert recovery.recover_requests().notices == []
    notify_request_task.apply(args=(request.pk, "finished"))
    assert titles(told) == ["Dune (2021) is in Plex"]


def test_the_sweep_tells_the_admins_of_a_pending_request_whose_notice_was_lost(
    member, fake_tmdb, plex_has, told, delivered
) -> None:
    delivered.notify.side_effect = BROKER_DOWN
    request = approved_dune(member)
    assert request.status == Status.PENDING
    delivered.notify.side_effect = lambda pk, event: notify_request_task.apply(args=(pk, event))
    waited(request, timedelta(minutes=16))
    assert recovery.recover_requests().notices == [request.pk]
    assert recovery.recover_requests().notices == []
    assert titles(told) == ["ana asks for Dune (2021)"]


def test_a_sweep_sends_a_bounded_number_of_notices_oldest_first(
    member, fake_tmdb, plex_has, delivered, monkeypatch
) -> None:
    monkeypatch.setattr(recovery, "NOTICES_PER_SWEEP", 2)
    delivered.notify.side_effect = None
    untold = []
    for minutes, tmdb_id in ((60, 1), (20, 2), (40, 3)):
        request = MediaRequest.objects.create(
            requested_by=member, media_type="movie", title=f"Film {tmdb_id}", tmdb_id=tmdb_id,
            status=Status.COMPLETED,
        )  # fmt: skip
        waited(request, timedelta(minutes=minutes))
        untold.append(request.pk)
    assert recovery.recover_requests().notices == [untold[0], untold[2]]
    assert delivered.notify.call_args_list == [
        mock.call(untold[0], "finished"),
        mock.call(untold[2], "finished"),
    ]


def test_old_finished_requests_are_not_announced_again_after_the_upgrade(
    member, fake_tmdb, plex_has, told, delivered
) -> None:
    old = {}
    for tmdb_id, status in enumerate(
        (Status.COMPLETED, Status.FAILED, Status.DECLINED, Status.PENDING, Status.APPROVED),
        start=1,
    ):
        old[status] = MediaRequest.objects.create(
            requested_by=member, media_type="movie", title=f"Film {tmdb_id}", tmdb_id=tmdb_id,
            status=status,
        )  # fmt: skip
        waited(old[status], timedelta(days=40))
    migration = importlib.import_module("requests_app.migrations.0013_request_told_status")
    migration.mark_old_news_told(apps, None)

    assert recovery.recover_requests().notices == []
    assert titles(told) == []
    # A request still on its way is news when it ends.
    steps.give_up(old[Status.APPROVED].pk, "Every release was broken.")
    assert titles(told) == ["Film 5 could not be fetched"] * 2  # the member and the admins


def test_a_request_retried_is_announced_again_each_time_it_ends(
    member, staff, fake_tmdb, plex_has, told, delivered
) -> None:
    request = approved_dune(member)
    assert flow.approve(request.pk, by=staff) is not None
    steps.give_up(request.pk, "No seeders.")
    assert flow.retry(request.pk, by=staff) is not None
    steps.give_up(request.pk, "No seeders again.")
    assert flow.retry(request.pk, by=staff) is not None
    assert steps.complete(request.pk)
    notify_request_task.apply(args=(request.pk, "finished"))  # delivered again: told already

    failed = "Dune (2021) could not be fetched"  # to the member and to the admins
    assert titles(told) == ["ana asks for Dune (2021)", *[failed] * 4, "Dune (2021) is in Plex"]
    assert recovery.recover_requests(now=timezone.now() + timedelta(hours=1)).notices == []
