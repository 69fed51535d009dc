"""Default periodic jobs, kept as django-celery-beat rows that admins edit.

Each app lists its own jobs in `<app>/schedule.py` as `JOBS`. The app's data migration
creates them with `ensure_jobs`, and `manage.py reset_schedule` restores them. Nothing
periodic is put in `CELERY_BEAT_SCHEDULE`: beat would overwrite admin edits from it.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class ScheduledJob:
    """One default row: a task, and either a crontab ("m h dom mon dow") or an interval."""

    name: str
    task: str
    description: str
    crontab: str | None = None
    every_seconds: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True

    def __post_init__(self) -> None:
        if (self.crontab is None) == (self.every_seconds is None):
            raise ValueError(f"{self.name}: give exactly one of crontab or every_seconds")
        if self.crontab is not None and len(self.crontab.split()) != 5:
            raise ValueError(f"{self.name}: crontab needs five fields, got {self.crontab!r}")

    def describe_schedule(self) -> str:
        if self.crontab is not None:
            return f"crontab {self.crontab}"
        return f"every {self.every_seconds} s"


def default_jobs() -> list[ScheduledJob]:
    """Collect `JOBS` from the `schedule` module of every installed app that has one."""
    jobs: list[ScheduledJob] = []
    for config in django_apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedule":
                raise
            continue
        jobs.extend(getattr(module, "JOBS", []))
    return jobs


def _row_schedule(row: Any) -> str:
    if row.crontab_id:
        c = row.crontab
        return f"crontab {c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
    if row.interval_id:
        seconds = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}.get(
            row.interval.period, 0
        )
        if seconds == 0:  # microseconds: never one of ours
            return f"every {row.interval.every} {row.interval.period}"
        return f"every {row.interval.every * seconds} s"
    return "another kind of schedule"


def differences(job: ScheduledJob, row: Any) -> list[str]:
    """Say how a row differs from its default, in words an operator reads."""
    found = []
    if row.task != job.task:
        found.append(f"task {row.task} (default {job.task})")
    if _row_schedule(row) != job.describe_schedule():
        found.append(f"{_row_schedule(row)} (default {job.describe_schedule()})")
    if json.loads(row.kwargs or "{}") != job.kwargs:
        found.append(f"kwargs {row.kwargs} (default {json.dumps(job.kwargs)})")
    if row.enabled != job.enabled:
        found.append(
            f"{'enabled' if row.enabled else 'disabled'} (default "
            f"{'enabled' if job.enabled else 'disabled'})"
        )
    return found


def _schedule_for(job: ScheduledJob, models: Any) -> dict[str, Any]:
    if job.crontab is not None:
        minute, hour, dom, month, dow = job.crontab.split()
        crontab, _ = models.get_model(
            "django_celery_beat", "CrontabSchedule"
        ).objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=dom,
            month_of_year=month,
            day_of_week=dow,
            timezone=settings.TIME_ZONE,
        )
        return {"crontab": crontab, "interval": None}
    interval, _ = models.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=job.every_seconds, period="seconds"
    )
    return {"interval": interval, "crontab": None}


def ensure_jobs(
    jobs: list[ScheduledJob], *, models: Any = django_apps, force: bool = False
) -> list[str]:
    """Create missing rows; with `force`, reset edited rows to their default. Report each change.

    `models` is the app registry: the live one, or a migration's historical `apps`.
    """
    periodic_task = models.get_model("django_celery_beat", "PeriodicTask")
    report = []
    for job in jobs:
        row = periodic_task.objects.filter(name=job.name).first()
        if row is None:
            periodic_task.objects.create(
                name=job.name,
                task=job.task,
                kwargs=json.dumps(job.kwargs),
                enabled=job.enabled,
                description=job.description,
                **_schedule_for(job, models),
            )
            report.append(f"created {job.name}: {job.task}, {job.describe_schedule()}")
            continue
        changed = differences(job, row)
        if not changed:
            continue
        if not force:
            report.append(f"kept {job.name} as edited: {'; '.join(changed)}")
            continue
        for key, value in _schedule_for(job, models).items():
            setattr(row, key, value)
        row.task = job.task
        row.kwargs = json.dumps(job.kwargs)
        row.enabled = job.enabled
        row.description = job.description
        row.save()
        report.append(f"reset {job.name}: {'; '.join(changed)}")
    if any(not line.startswith("kept") for line in report):
        # Historical models and bulk writes don't notify beat; this does.
        models.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )
    return report


def ensure_jobs_migration(jobs: list[ScheduledJob]):
    """Build the forward function of an app's schedule data migration."""

    def forward(apps: Any, schema_editor: Any) -> None:
        ensure_jobs(jobs, models=apps)

    return forward


def remove_jobs_migration(jobs: list[ScheduledJob]):
    """Build the backward function: remove the rows the forward one created."""

    def backward(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
            name__in=[job.name for job in jobs]
        ).delete()

    return backward
