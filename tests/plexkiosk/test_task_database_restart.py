"""A PostgreSQL restart under a running task: the task is retried, not lost with its step."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from celery import states
from django.db import InterfaceError, OperationalError
from django_celery_results.backends.database import DatabaseBackend as DjangoDatabaseBackend
from django_celery_results.models import TaskResult

from downloads.tasks import check_download_task
from plexkiosk.celery import app
from plexkiosk.results import DatabaseBackend
from requests_app.tasks import complete_request_task

GONE = OperationalError("connection failed: Connection refused")


@pytest.mark.django_db
def test_the_started_mark_is_skipped_while_the_database_is_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = app.backend
    assert isinstance(backend, DatabaseBackend)
    with (
        mock.patch.object(DjangoDatabaseBackend, "_store_result", side_effect=GONE),
        caplog.at_level(logging.WARNING, logger="plexkiosk.results"),
    ):
        # Celery writes this before the task's body: raising here failed the task outside
        # its retries and acknowledged its message.
        backend.store_result("task-1", {"pid": 1}, states.STARTED)
        assert "task-1 started without its started mark" in caplog.text
        # A task's outcome is not skipped: its failure to be stored is Celery's to handle.
        with pytest.raises(OperationalError):
            backend.store_result("task-1", "done", states.SUCCESS)


@pytest.mark.parametrize("error", [GONE, InterfaceError("connection already closed")])
def test_a_task_that_names_no_database_error_is_retried_when_the_database_goes(
    error: Exception,
) -> None:
    calls: list[int] = []

    @app.task(name=f"tests.flaky_database_task_{type(error).__name__}")
    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return "done"

    # apply() runs the retry at once (its countdown is the worker's to wait).
    assert flaky.apply().get() == "done"
    assert len(calls) == 2
    assert flaky.retry_backoff == 5


def test_a_task_that_names_its_own_errors_keeps_them() -> None:
    assert OperationalError in check_download_task.autoretry_for
    assert complete_request_task.autoretry_for == (OperationalError, InterfaceError)


@pytest.mark.django_db
def test_a_message_delivered_again_after_its_task_succeeded_does_not_run_it_twice() -> None:
    sent: list[int] = []

    @app.task(name="tests.notice_task")
    def notice(request_id: int) -> str:
        sent.append(request_id)
        return "sent"

    TaskResult.objects.create(task_id="notice-1", task_name=notice.name, status=states.SUCCESS)
    app.backend.store_result("notice-1", "sent", states.SUCCESS)
    # Redelivered (its acknowledgement went with a lost broker connection): the worker
    # marks it started, then calls it, as Celery's trace does.
    app.backend.store_result("notice-1", {"pid": 1}, states.STARTED)
    assert TaskResult.objects.get(task_id="notice-1").status == states.SUCCESS
    notice.push_request(id="notice-1", called_directly=False, is_eager=False)
    try:
        assert notice(7) == "sent"
    finally:
        notice.pop_request()
    assert sent == []

    # A message whose task never finished runs.
    notice.push_request(id="notice-2", called_directly=False, is_eager=False)
    try:
        assert notice(8) == "sent"
    finally:
        notice.pop_request()
    assert sent == [8]


@pytest.mark.django_db
def test_a_message_runs_when_the_database_cannot_say_whether_it_ran() -> None:
    runs: list[int] = []

    @app.task(name="tests.step_task")
    def step() -> str:
        runs.append(1)
        return "done"

    step.push_request(id="step-1", called_directly=False, is_eager=False)
    try:
        with mock.patch.object(DjangoDatabaseBackend, "_get_task_meta_for", side_effect=GONE):
            # Raising here, before the body, failed the task outside its retries.
            assert step() == "done"
    finally:
        step.pop_request()
    assert runs == [1]
