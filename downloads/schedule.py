"""Default periodic jobs of downloads."""

from __future__ import annotations

from core.scheduling import ScheduledJob

JOBS = [
    ScheduledJob(
        name="download-monitor",
        task="downloads.tasks.monitor_downloads_task",
        every_seconds=300,
        description="Follow the torrents: progress, completion, stalls (admins may set 15 s).",
    ),
    ScheduledJob(
        name="cleanup-finished-torrents",
        task="downloads.tasks.cleanup_finished_torrents",
        crontab="30 4 * * *",
        description="Remove torrents that reached SEED_RATIO_LIMIT or SEED_DAYS_LIMIT.",
    ),
    ScheduledJob(
        name="cleanup-downloads",
        task="downloads.tasks.cleanup_old_downloads_task",
        crontab="0 4 * * *",
        kwargs={"days": 30},
        description="Delete download records older than the given days, and their leftover files.",
    ),
]
