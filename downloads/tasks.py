"""Download tasks: thin doors onto `lifecycle`, `monitor` and `cleanup`, each taking ids only.

Queued by name through `downloads.queueing`; the names (`downloads.tasks.*`) are the ones
the schedule rows and the README use.
"""

from __future__ import annotations

from celery import Task, shared_task

from core.locks import DATABASE_GONE, LockHeld, single_flight
from downloads import cleanup, lifecycle, monitor
from downloads.importer import ImportFailed
from downloads.qbittorrent import QBittorrentTemporaryError
from library.plex import PlexTemporaryError


@shared_task(
    # qBittorrent away, or the database restarted mid-pass: both pass, so try again.
    autoretry_for=(QBittorrentTemporaryError, *DATABASE_GONE),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def monitor_downloads_task() -> dict[str, int]:
    """One pass over the app's torrents; passes never overlap."""
    try:
        # Owned by the task id: a retry takes over a lock its cut attempt left behind.
        owner = monitor_downloads_task.request.id
        with single_flight("download-monitor", ttl=300, owner=owner):
            report = monitor.monitor_once()
    except LockHeld:
        return {"skipped": 1}
    return {
        "seen": report.seen,
        "updated": report.updated,
        "completed": len(report.completed),
        "failed": len(report.failed),
    }


@shared_task(bind=True, max_retries=8)
def import_download_task(self: Task, download_id: int) -> str:
    """File a completed download into the library and ask Plex to scan it."""
    try:
        result = lifecycle.import_download(download_id)
    except (ImportFailed, PlexTemporaryError) as exc:
        if self.request.retries >= self.max_retries:
            lifecycle.give_up_import(download_id, f"import failed: {exc}")
            return "failed"
        # 30 s, 1, 2, 4… min (capped at 10): room to free disk space or bring Plex back.
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
    return "nothing to do" if result is None else str(result.folder)


@shared_task(
    # 12 retries, 10 s doubling to 10 min with full jitter (35 min on average, 70 at most):
    # nothing else removes a cancelled torrent, which would go on downloading once
    # qBittorrent is back.
    autoretry_for=(QBittorrentTemporaryError,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
)
def stop_download_task(info_hash: str) -> None:
    """Remove a cancelled download and its data from qBittorrent."""
    lifecycle.stop_download(info_hash)


@shared_task(autoretry_for=(QBittorrentTemporaryError,), retry_backoff=60, max_retries=3)
def cleanup_finished_torrents() -> int:
    """Remove torrents that seeded enough; their media stays in the library."""
    return cleanup.remove_seeded_torrents()


@shared_task
def cleanup_old_downloads_task(days: int = 30) -> dict[str, int]:
    """Delete old download records (and leftover files) and old searches."""
    return cleanup.delete_old_records(days=days)
