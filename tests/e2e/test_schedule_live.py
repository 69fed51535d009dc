"""A schedule edited in the database is obeyed by the running beat, without a restart."""

from __future__ import annotations

import time

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from tests.processes import Stack, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]


def test_a_row_set_to_every_two_seconds_runs_within_seconds_on_the_running_beat(
    stack: Stack,
) -> None:
    task = "plexkiosk.tasks.cleanup_temp_files_task"
    stack.worker()
    stack.beat()
    time.sleep(2)  # time passes: nothing may run in it (nothing to poll for)
    assert not TaskResult.objects.filter(task_name=task).exists()  # 05:15 daily by default

    row = PeriodicTask.objects.get(name="cleanup-temp-files")
    row.crontab = None
    row.interval, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
    row.save()  # what saving the admin form does

    wait_for(
        lambda: TaskResult.objects.filter(task_name=task).count() >= 2,
        40,
        what="the 2-second row running twice",
        logs=[stack.logs_text],
    )
    stored = TaskResult.objects.filter(task_name=task).first()
    assert stored.periodic_task_name == "cleanup-temp-files"

    row.enabled = False
    row.save()
    time.sleep(3)  # let the last queued run finish
    count = TaskResult.objects.filter(task_name=task).count()
    time.sleep(5)  # time passes: a 2-second row still on would run twice in it
    assert TaskResult.objects.filter(task_name=task).count() == count
