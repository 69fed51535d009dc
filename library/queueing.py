"""Queue the library's tasks by their documented names (domain code never imports `tasks`)."""

from __future__ import annotations

from core.queueing import send_after_commit

REFRESH_AFTER_SCAN = "library.tasks.refresh_after_scan_task"
SYNC = "library.tasks.sync_plex_library_task"


def refresh_after_scan(folder: str, *, attempt: int = 0, countdown: float = 0) -> None:
    """Queue a look at Plex's recent changes for `folder`, once the transaction commits."""
    send_after_commit(
        REFRESH_AFTER_SCAN, folder, attempt, countdown=countdown, what=f"refresh of {folder}"
    )


def full_sync() -> None:
    """Queue a full library sync, once the transaction commits."""
    send_after_commit(SYNC, kwargs={"full_sync": True}, what="full library sync")
