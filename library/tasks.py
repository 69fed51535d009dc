"""Celery tasks of the library app (routed to the `plex_sync` queue by name)."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings

from core.locks import DATABASE_GONE
from library import queueing
from library.lookups import REFRESH_DELAYS
from library.plex import PlexError, PlexTemporaryError
from library.sync import cleanup_old_sync_runs, refresh_folder, sync_library

logger = logging.getLogger(__name__)


@shared_task(
    # A database restart mid-run is as temporary as Plex being away.
    autoretry_for=(PlexTemporaryError, *DATABASE_GONE),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def sync_plex_library_task(full_sync: bool = False) -> dict[str, object]:
    """Mirror the Plex library (full with deletions, or only recent changes) and report counts."""
    if not settings.PLEX_URL or not settings.PLEX_TOKEN:
        # A fresh install without Plex yet: the hourly row should not fail every hour.
        logger.info("PLEX_URL or PLEX_TOKEN is not set; the library sync has nothing to do")
        return {"status": "not_configured"}
    # The task id stays the same on a retry: the retry may take over the lock its
    # first attempt could not release while the database was away.
    run = sync_library(full=full_sync, lock_owner=sync_plex_library_task.request.id)
    return {
        "sync_run": run.pk,
        "kind": run.kind,
        "status": run.status,
        "added": run.added,
        "updated": run.updated,
        "removed": run.removed,
    }


@shared_task
def cleanup_old_sync_data(days: int = 30) -> dict[str, int]:
    """Delete library sync records older than `days` days."""
    deleted = cleanup_old_sync_runs(days=days)
    logger.info("Deleted %d old library sync records", deleted)
    return {"deleted": deleted}


@shared_task(bind=True, autoretry_for=DATABASE_GONE, retry_backoff=True, max_retries=5)
def refresh_after_scan_task(self: Task, folder: str, attempt: int = 0) -> str:
    """Look at Plex's recent changes until what was filed in `folder` shows, then stop."""
    try:
        if refresh_folder(folder, lock_owner=self.request.id):
            return "found"
    except PlexError as exc:
        logger.warning("Plex not asked for news of %s: %s", folder, exc)
    if attempt + 1 < len(REFRESH_DELAYS):
        queueing.refresh_after_scan(
            folder, attempt=attempt + 1, countdown=REFRESH_DELAYS[attempt + 1]
        )
        return "waiting"
    # The hourly sync announces it whenever Plex lists it.
    return "left to the hourly sync"
