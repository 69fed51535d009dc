"""Download tasks: thin doors onto `lifecycle`, `monitor` and `cleanup`, each taking ids only.

Queued by name through `downloads.queueing`; the names (`downloads.tasks.*`) are the ones
the schedule rows and the README use.
"""

from __future__ import annotations

import logging
import time

from celery import Task, shared_task

from core.locks import DATABASE_GONE, LockHeld, single_flight
from downloads import cleanup, hook, lifecycle, monitor
from downloads.importer import ImportFailed
from downloads.qbittorrent import QBittorrentPermanentError, QBittorrentTemporaryError
from library.plex import PlexTemporaryError

logger = logging.getLogger(__name__)

# How long a push check waits for a running monitor pass before trying again later.
LOCK_WAIT = 10.0
# A finished torrent being checked or moved by qBittorrent is looked at again after
# these delays (seconds), then left to the monitor's passes. With the lock waits they
# outlast a lock a killed pass left behind (it lapses after 300 s).
CHECK_AGAIN = [0.5, 1, 2, 4, 8, 15, 30, 60, 60, 60]


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


@shared_task(
    bind=True,
    autoretry_for=(QBittorrentTemporaryError, *DATABASE_GONE),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=len(CHECK_AGAIN),
)
def check_download_task(self: Task, info_hash: str) -> str:
    """Follow one download now: qBittorrent said its torrent finished."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            # The pass's own lock: a pass writes every row it read, so the two must not
            # interleave. Waited for, not skipped: a push must not be lost to a pass
            # that read the torrent before it finished.
            with single_flight("download-monitor", ttl=120, owner=self.request.id):
                report = monitor.check_download(info_hash)
            break
        except LockHeld:
            if time.monotonic() >= deadline:
                return _check_again(self, info_hash, "a monitor pass holds the lock")
            time.sleep(0.1)
        except QBittorrentPermanentError as exc:
            # Moved to another category, say: not the app's to follow any more.
            logger.warning("download %s not checked: %s", info_hash, exc)
            return "refused"
    if report.completed:
        return "completed"
    if report.failed:
        return "failed"
    if report.updated:
        # Listed but not complete yet: qBittorrent checks or moves the files after it
        # finishes, or the call came early.
        return _check_again(self, info_hash, "not complete yet")
    return "nothing to do"


def _check_again(task: Task, info_hash: str, why: str) -> str:
    """Look at the download again a little later, or leave it to the monitor's passes."""
    attempt = task.request.retries
    if attempt >= len(CHECK_AGAIN):
        logger.info("download %s: %s; left to the monitor", info_hash, why)
        return "left to the monitor"
    raise task.retry(countdown=CHECK_AGAIN[attempt])


@shared_task(autoretry_for=(QBittorrentTemporaryError,), retry_backoff=5, max_retries=8)
def install_hook_task() -> str:
    """Have qBittorrent call the app when a torrent finishes (QBITTORRENT_SET_HOOK)."""
    try:
        hook.install()
    except hook.HookConflict:
        # Never over the admin's own program: `manage.py qbittorrent_hook --install --force`.
        logger.warning(
            "qBittorrent already runs another program when a torrent finishes; the app's "
            "call was not installed (manage.py qbittorrent_hook --show)"
        )
        return "another program is set"
    return "installed"


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
