"""The library's default periodic jobs, kept as django-celery-beat rows that admins edit."""

from __future__ import annotations

from core.scheduling import ScheduledJob

JOBS = [
    ScheduledJob(
        name="plex-sync-hourly",
        task="library.tasks.sync_plex_library_task",
        crontab="0 * * * *",
        description="Mirror what changed in Plex since the last successful sync.",
    ),
    ScheduledJob(
        name="plex-sync-daily-full",
        task="library.tasks.sync_plex_library_task",
        crontab="0 3 * * *",
        kwargs={"full_sync": True},
        description="Read all of Plex and remove from the mirror what Plex no longer has.",
    ),
    ScheduledJob(
        name="cleanup-sync-data",
        task="library.tasks.cleanup_old_sync_data",
        crontab="45 4 * * *",
        description="Delete library sync records older than 30 days.",
    ),
]
