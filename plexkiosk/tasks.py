"""Project-wide maintenance tasks (thin doors onto plexkiosk.maintenance)."""

from __future__ import annotations

import socket
from pathlib import Path

from celery import shared_task
from django.conf import settings

from core.locks import LockHeld, single_flight
from plexkiosk import maintenance
from requests_app import images


@shared_task
def ping_task() -> dict[str, str]:
    """Answer from a worker; used to prove the broker → worker → result path works."""
    return {"pong": socket.gethostname()}


@shared_task(ignore_result=True)
def beat_heartbeat_task() -> None:
    """Do nothing: beat's sending it every minute is what the service checks look at."""


@shared_task
def cleanup_expired_results_task() -> int:
    return maintenance.delete_expired_results(older_than_days=settings.TASK_RESULT_RETENTION_DAYS)


@shared_task
def database_maintenance_task() -> str:
    try:
        with single_flight("database-maintenance", ttl=3600):
            return maintenance.vacuum_analyze()
    except LockHeld:
        return "skipped: already running"


@shared_task
def cleanup_temp_files_task() -> int:
    removed = maintenance.remove_old_temp_files(
        root=settings.TEMP_DIR, max_age_hours=settings.TEMP_FILE_MAX_AGE_HOURS
    )
    # The poster cache is the other folder that only grows; the same daily row bounds it.
    return removed + images.trim_cache(
        root=Path(settings.IMAGE_CACHE_DIR), max_bytes=settings.IMAGE_CACHE_MAX_MB * 1024 * 1024
    )
