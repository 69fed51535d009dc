"""Tasks, their schedule rows, the operator command, and a real worker on the plex_sync queue."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.locks import DATABASE_GONE
from library.models import LibraryItem, SyncRun
from library.plex import PlexTemporaryError
from library.tasks import cleanup_old_sync_data, sync_plex_library_task
from plexkiosk.celery import app
from plexkiosk.simulators.plex import PlexSimulator
from tests.conftest import ROOT, process_env, requires_services

pytestmark = pytest.mark.django_db


def test_the_migration_creates_the_three_library_schedule_rows() -> None:
    rows = {row.name: row for row in PeriodicTask.objects.filter(task__startswith="library.")}
    hourly, full, cleanup = (
        rows["plex-sync-hourly"],
        rows["plex-sync-daily-full"],
        rows["cleanup-sync-data"],
    )
    assert hourly.task == full.task == "library.tasks.sync_plex_library_task"
    assert (hourly.crontab.minute, hourly.crontab.hour) == ("0", "*")
    assert json.loads(hourly.kwargs) == {}
    assert (full.crontab.minute, full.crontab.hour) == ("0", "3")
    assert json.loads(full.kwargs) == {"full_sync": True}
    assert cleanup.task == "library.tasks.cleanup_old_sync_data"
    assert cleanup.crontab.hour == "4"


def test_the_sync_task_retries_temporary_plex_errors_with_jittered_backoff() -> None:
    assert sync_plex_library_task.autoretry_for == (PlexTemporaryError, *DATABASE_GONE)
    assert sync_plex_library_task.retry_backoff and sync_plex_library_task.retry_jitter
    assert app.amqp.router.route({}, sync_plex_library_task.name)["queue"].name == "plex_sync"


def test_the_sync_task_mirrors_plex_and_reports_counts(plex_settings: PlexSimulator) -> None:
    result = sync_plex_library_task.apply(kwargs={"full_sync": True}).get()
    assert result["status"] == "succeeded"
    assert result["added"] == 28


def test_the_sync_task_does_nothing_until_plex_is_configured(settings: object) -> None:
    settings.PLEX_URL = ""
    assert sync_plex_library_task.apply().get() == {"status": "not_configured"}
    assert not SyncRun.objects.exists()


def test_cleanup_deletes_sync_records_older_than_30_days() -> None:
    now = timezone.now()
    old = SyncRun.objects.create(
        kind="full", status="succeeded", started_at=now - timedelta(days=31)
    )
    recent = SyncRun.objects.create(
        kind="full", status="succeeded", started_at=now - timedelta(days=29)
    )
    assert cleanup_old_sync_data() == {"deleted": 1}
    assert not SyncRun.objects.filter(pk=old.pk).exists()
    assert SyncRun.objects.filter(pk=recent.pk).exists()


def test_the_command_prints_progress_and_a_summary_line(
    plex_settings: PlexSimulator, capsys: pytest.CaptureFixture
) -> None:
    call_command("sync_plex", "--full")
    out = capsys.readouterr().out
    assert "58/58 items read" in out
    assert "full sync succeeded: 28 added, 0 updated, 0 removed" in out
    call_command("sync_plex")
    again = capsys.readouterr().out
    assert not [line for line in again.splitlines() if line.startswith("  ")]  # no progress
    assert "incremental sync succeeded: 0 added, 0 updated, 0 removed (0 items read" in again


def test_the_command_fails_with_one_line_when_the_token_is_wrong(
    plex_settings: PlexSimulator, settings: object
) -> None:
    settings.PLEX_TOKEN = "wrong"
    with pytest.raises(CommandError, match=r"Plex refused the token.*PLEX_TOKEN"):
        call_command("sync_plex")
    assert SyncRun.objects.get().status == "failed"


def test_the_command_fails_with_one_line_when_plex_is_unreachable(settings: object) -> None:
    settings.PLEX_URL = "http://127.0.0.1:9"
    settings.PLEX_TOKEN = "x"
    settings.PLEX_TIMEOUT = 2
    with pytest.raises(CommandError, match=r"unreachable at http://127\.0\.0\.1:9"):
        call_command("sync_plex", "--full")


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_plex_sync_runs_the_sync_against_the_simulator(
    plex: PlexSimulator, celery_worker_process: Callable
) -> None:
    celery_worker_process(queues="plex_sync", PLEX_URL=plex.url, PLEX_TOKEN=plex.token)
    # send_task routes by name, exactly as beat does for the schedule rows.
    result = app.send_task("library.tasks.sync_plex_library_task", kwargs={"full_sync": True})
    assert result.get(timeout=60)["added"] == 28
    assert LibraryItem.objects.count() == 28
    assert SyncRun.objects.get().status == "succeeded"


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_manage_py_sync_plex_exits_non_zero_with_one_line_when_plex_is_unreachable() -> None:
    finished = subprocess.run(
        [sys.executable, "manage.py", "sync_plex"],
        cwd=ROOT,
        env=process_env(PLEX_URL="http://127.0.0.1:9", PLEX_TOKEN="secret-xyz", PLEX_TIMEOUT="2"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        "CommandError: Plex sync failed: Plex is unreachable at http://127.0.0.1:9 (connecting)"
    ]
    assert "secret-xyz" not in finished.stdout + finished.stderr
