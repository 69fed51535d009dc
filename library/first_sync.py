"""Queue a full library sync when beat starts and Plex was never read in full.

Without it, a new household's mirror stays empty until minute 0 of the next hour (the
hourly row), and "already in Plex" answers nothing in the meantime. Beat is the one
process a deployment runs exactly once, so it is the one that asks.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from library import queueing
from library.models import SyncRun

logger = logging.getLogger(__name__)


def queue_first_full_sync(**_: Any) -> bool:
    """Queue a full sync if Plex is configured and no full sync has ever succeeded."""
    if not settings.PLEX_URL or not settings.PLEX_TOKEN:
        return False
    if SyncRun.objects.filter(kind=SyncRun.Kind.FULL, status=SyncRun.Status.SUCCEEDED).exists():
        return False
    queueing.full_sync()
    logger.warning(
        "No full Plex library sync has succeeded yet: one is queued now. Requests for what "
        "Plex already has are answered at once when it ends (Plex library -> Sync runs in "
        "admin, or manage.py sync_plex to watch it)."
    )
    return True
