"""Celery through the real broker and a real worker process."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest
from django_celery_results.models import TaskResult

from plexkiosk.celery import app
from plexkiosk.tasks import ping_task
from tests.conftest import requires_services


def test_the_app_is_configured_not_to_lose_work() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_retry_on_startup is True
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert (conf.task_time_limit, conf.task_soft_time_limit) == (3600, 3300)
    assert conf.worker_max_tasks_per_child == 100
    assert conf.worker_max_memory_per_child == 400_000
    assert conf.result_backend == "plexkiosk.results:DatabaseBackend"  # django-db's
    assert conf.result_extended is True
    assert conf.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("library.tasks.sync_plex_library_task", "plex_sync"),
        ("downloads.tasks.monitor_downloads_task", "downloads"),
        ("requests_app.tasks.process_request_task", "priority"),
        ("plexkiosk.tasks.ping_task", "default"),
    ],
)
def test_tasks_are_routed_to_their_queue(task_name: str, queue: str) -> None:
    assert app.amqp.router.route({}, task_name)["queue"].name == queue


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_and_its_result_is_stored_in_the_database(
    celery_worker_process: Callable,
) -> None:
    worker = celery_worker_process()
    result = ping_task.delay()
    # The worker is a child process on this machine: it answers with this host's name.
    assert result.get(timeout=30) == {"pong": socket.gethostname()}
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert json.loads(stored.result) == {"pong": socket.gethostname()}
    assert stored.task_name == "plexkiosk.tasks.ping_task"
    assert stored.worker == worker.hostname


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_library_task_reaches_a_worker_that_listens_only_on_plex_sync(
    celery_worker_process: Callable,
) -> None:
    worker = celery_worker_process(queues="plex_sync")
    # send_task applies the routes by name, as beat does for a schedule row.
    result = app.send_task("library.tasks.cleanup_old_sync_data")
    assert result.get(timeout=30) == {"deleted": 0}  # a fresh database has no old sync runs
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.worker == worker.hostname


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_each_task_outcome_is_one_json_log_line_with_id_and_duration(
    celery_worker_process: Callable,
) -> None:
    worker = celery_worker_process(LOG_FORMAT="json")
    result = ping_task.delay()
    result.get(timeout=30)
    worker.stop()
    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    outcome = [line for line in lines if line.get("task_id") == result.id and "duration" in line]
    assert len(outcome) == 1, worker.log()
    assert outcome[0]["state"] == "SUCCESS"
    assert outcome[0]["task"] == "plexkiosk.tasks.ping_task"
    assert outcome[0]["level"] == "INFO"
    assert outcome[0]["duration"] >= 0
