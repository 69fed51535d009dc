"""The schedule lives in the database: default rows, admin edits, reset_schedule."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from core.scheduling import ScheduledJob, default_jobs
from plexkiosk.celery import app

pytestmark = pytest.mark.django_db


def crontab_of(name: str) -> str:
    c = PeriodicTask.objects.get(name=name).crontab
    return f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week} {c.timezone}"


def test_migrate_creates_the_maintenance_rows_with_their_schedules() -> None:
    assert crontab_of("cleanup-expired-results") == "0 5 * * * Europe/Paris"
    assert crontab_of("cleanup-temp-files") == "15 5 * * * Europe/Paris"
    assert crontab_of("database-maintenance") == "30 5 * * 0 Europe/Paris"
    for name in ("cleanup-expired-results", "cleanup-temp-files", "database-maintenance"):
        assert PeriodicTask.objects.get(name=name).enabled


def test_every_default_row_points_at_a_registered_task() -> None:
    app.loader.import_default_modules()
    missing = [job.task for job in default_jobs() if job.task not in app.tasks]
    assert missing == []


def test_no_schedule_comes_from_settings() -> None:
    assert app.conf.beat_schedule == {}
    assert app.conf.result_expires is None  # else beat adds its own backend_cleanup row


@pytest.mark.usefixtures("default_schedule")
def test_a_row_disabled_in_admin_leaves_the_running_scheduler_without_a_restart() -> None:
    scheduler = DatabaseScheduler(app=app)
    assert "cleanup-temp-files" in scheduler.schedule

    row = PeriodicTask.objects.get(name="cleanup-temp-files")
    row.enabled = False
    row.save()  # what the admin's change form does

    assert "cleanup-temp-files" not in scheduler.schedule
    assert "cleanup-expired-results" in scheduler.schedule


@pytest.mark.usefixtures("default_schedule")
def test_a_new_interval_set_in_admin_is_used_by_the_running_scheduler() -> None:
    scheduler = DatabaseScheduler(app=app)
    row = PeriodicTask.objects.get(name="cleanup-temp-files")
    from django_celery_beat.models import IntervalSchedule

    row.crontab = None
    row.interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="seconds")
    row.save()

    entry = scheduler.schedule["cleanup-temp-files"]
    assert entry.schedule.run_every.total_seconds() == 5


def test_reset_schedule_keeps_admin_edits_unless_forced() -> None:
    row = PeriodicTask.objects.get(name="cleanup-temp-files")
    row.enabled = False
    row.kwargs = json.dumps({"unexpected": 1})
    row.save()
    PeriodicTask.objects.filter(name="cleanup-expired-results").delete()

    out = StringIO()
    call_command("reset_schedule", stdout=out)
    text = out.getvalue()
    assert "created cleanup-expired-results" in text
    assert "kept cleanup-temp-files as edited: " in text
    assert "disabled (default enabled)" in text
    assert not PeriodicTask.objects.get(name="cleanup-temp-files").enabled
    assert crontab_of("cleanup-expired-results") == "0 5 * * * Europe/Paris"

    out = StringIO()
    call_command("reset_schedule", "--force", stdout=out)
    assert "reset cleanup-temp-files" in out.getvalue()
    row.refresh_from_db()
    assert row.enabled
    assert json.loads(row.kwargs) == {}


def test_reset_schedule_on_defaults_changes_nothing() -> None:
    before = list(PeriodicTask.objects.order_by("name").values_list("name", "date_changed"))
    out = StringIO()
    call_command("reset_schedule", stdout=out)
    after = list(PeriodicTask.objects.order_by("name").values_list("name", "date_changed"))
    assert before == after
    assert "0 changed, 0 kept" in out.getvalue()


def test_a_job_needs_exactly_one_kind_of_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ScheduledJob(name="x", task="t", description="", crontab="0 * * * *", every_seconds=5)
    with pytest.raises(ValueError, match="five fields"):
        ScheduledJob(name="x", task="t", description="", crontab="0 *")
