"""Queue the downloads app's tasks by their documented names (`downloads.tasks.*`).

The only door from download code to Celery: domain modules never import `tasks`, so the
tasks can import them without a cycle. Every send waits for the current transaction to
commit, and a broker that is down is logged, not raised: the monitor's changes are saved
either way, and a completed download whose import was not queued is queued again by a
later pass (`downloads.monitor.IMPORT_REQUEUE_AFTER`).
"""

from __future__ import annotations

from core.queueing import send_after_commit

IMPORT = "downloads.tasks.import_download_task"
STOP = "downloads.tasks.stop_download_task"
CHECK = "downloads.tasks.check_download_task"
INSTALL_HOOK = "downloads.tasks.install_hook_task"


def queue_import(download_id: int) -> None:
    """Queue the filing of a completed download into the library."""
    send_after_commit(IMPORT, download_id, what=f"import of download {download_id}")


def queue_stop(info_hash: str) -> None:
    """Queue the removal of a download (and its data) from qBittorrent."""
    send_after_commit(STOP, info_hash, what=f"removal of {info_hash}")


def queue_check(info_hash: str) -> None:
    """Queue a look at one download now (qBittorrent said its torrent finished)."""
    send_after_commit(CHECK, info_hash, what=f"check of {info_hash}")


def queue_install_hook() -> None:
    """Queue setting qBittorrent's "on torrent finished" call to the app."""
    send_after_commit(INSTALL_HOOK, what="installing qBittorrent's call to the app")
