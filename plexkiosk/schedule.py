"""Project-wide maintenance jobs, as default rows of the database schedule."""

from __future__ import annotations

from core.scheduling import ScheduledJob

JOBS = [
    ScheduledJob(
        name="cleanup-expired-results",
        task="plexkiosk.tasks.cleanup_expired_results_task",
        crontab="0 5 * * *",
        description="Delete task results older than TASK_RESULT_RETENTION_DAYS.",
    ),
    ScheduledJob(
        name="database-maintenance",
        task="plexkiosk.tasks.database_maintenance_task",
        crontab="30 5 * * 0",
        description="VACUUM ANALYZE on PostgreSQL (a logged no-op on SQLite), weekly.",
    ),
    ScheduledJob(
        name="cleanup-temp-files",
        task="plexkiosk.tasks.cleanup_temp_files_task",
        crontab="15 5 * * *",
        description=(
            "Delete files older than TEMP_FILE_MAX_AGE_HOURS from the data tmp folder; trim "
            "the poster cache to IMAGE_CACHE_MAX_MB, oldest first."
        ),
    ),
    ScheduledJob(
        name="beat-heartbeat",
        task="plexkiosk.tasks.beat_heartbeat_task",
        every_seconds=60,
        description="Proves beat is alive: check_services and /status/ read its last run.",
    ),
]
