"""What the staff status page shows: checks, queues, the schedule, failures, downloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from core.checks import Check
from plexkiosk.service_checks import queue_lengths, run_service_checks


@dataclass(frozen=True)
class JobRow:
    name: str
    task: str
    enabled: bool
    schedule: str
    last_run_at: datetime | None
    last_status: str | None


def schedule_rows() -> list[JobRow]:
    """Every periodic task with its schedule, last run, and the outcome of that run."""
    latest = TaskResult.objects.filter(periodic_task_name=OuterRef("name")).order_by("-date_done")
    rows = (
        PeriodicTask.objects.select_related("interval", "crontab")
        .annotate(last_status=Subquery(latest.values("status")[:1]))
        .order_by("name")
    )
    return [
        JobRow(
            name=row.name,
            task=row.task,
            enabled=row.enabled,
            schedule=str(row.interval or row.crontab or row.solar or row.clocked),
            last_run_at=row.last_run_at,
            last_status=row.last_status,
        )
        for row in rows
    ]


def recent_failures(limit: int = 10) -> list[TaskResult]:
    return list(
        TaskResult.objects.filter(status="FAILURE")
        .only("task_id", "task_name", "date_done", "result")
        .order_by("-date_done")[:limit]
    )


def active_downloads(limit: int = 20) -> list[Any]:
    # the project layer imports no app at load time (DESIGN: apps depend on it)
    from downloads.models import Download

    return list(
        Download.objects.exclude(state__in=["imported", "failed", "removed", "cancelled"]).order_by(
            "-pk"
        )[:limit]
    )


def status_context() -> dict[str, Any]:
    checks: list[Check] = run_service_checks()
    return {
        "checks": checks,
        "all_ok": not any(c.failing for c in checks),
        "starting": [c.name for c in checks if c.starting],
        "queues": queue_lengths(),
        "jobs": schedule_rows(),
        "failures": recent_failures(),
        "downloads": active_downloads(),
    }
