"""Project-wide housekeeping: task results, database upkeep, temporary files."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django_celery_results.models import GroupResult, TaskResult

logger = logging.getLogger(__name__)


def delete_expired_results(*, older_than_days: int) -> int:
    """Delete finished task results older than the given age; return how many."""
    expires = timedelta(days=older_than_days)
    count = TaskResult.objects.get_all_expired(expires).count()
    TaskResult.objects.delete_expired(expires)
    GroupResult.objects.delete_expired(expires)
    logger.info("deleted %d task results older than %d days", count, older_than_days)
    return count


def vacuum_analyze() -> str:
    """Run VACUUM ANALYZE on PostgreSQL; on other databases log that there is nothing to do."""
    if connection.vendor != "postgresql":
        logger.info("database maintenance: nothing to do on %s", connection.vendor)
        return f"skipped ({connection.vendor})"
    # VACUUM cannot run inside a transaction block; Django's autocommit gives none here.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    logger.info("database maintenance: VACUUM ANALYZE done")
    return "vacuum analyze"


def remove_old_temp_files(*, root: Path, max_age_hours: int) -> int:
    """Delete regular files under `root` older than the age; never follow links out of it."""
    if not root.is_dir():
        return 0
    cutoff = time.time() - max_age_hours * 3600
    removed = 0
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folders
        if path.is_symlink() or path.is_file():
            if path.lstat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    logger.info("removed %d temporary files older than %d h from %s", removed, max_age_hours, root)
    return removed
