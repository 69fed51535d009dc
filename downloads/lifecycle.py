"""The life of a download: hand a release to qBittorrent, follow it, file it into Plex's folders.

Plain functions; `downloads.tasks` runs them. Each claims its row by moving its state with
a conditional update, so a redelivered task finds the work claimed or done and changes
nothing. What happened is told to whoever asked for the download (its `owner_ref`) through
the `download_completed` and `download_failed` signals.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from downloads import importer
from downloads.models import Download, ReleaseCandidate
from downloads.qbittorrent import BadTorrentError, QBittorrent, TorrentSnapshot, classify
from downloads.releases import MediaQuery
from downloads.search import blocklist_release
from downloads.signals import download_completed, download_failed, import_delayed
from downloads.torrentfile import InvalidTorrent, fetch_torrent, info_hash_from_magnet

logger = logging.getLogger(__name__)

S = Download.State
ACTIVE = (S.QUEUED, S.DOWNLOADING, S.STALLED)
# qBittorrent may take a moment to list a torrent it just accepted; not "lost" before this.
LOST_GRACE = timedelta(minutes=2)
# A completed download whose import message went missing is queued again after this.
IMPORT_REQUEUE_AFTER = timedelta(minutes=10)
# A torrent the monitor has not seen for longer than this was unwatched (qBittorrent or the
# server down); that time does not count toward the stall timeouts. The monitor row must run
# more often than this (every 15 s by default).
UNWATCHED_GAP = timedelta(minutes=30)


class ReleaseUnusable(Exception):
    """This release cannot be downloaded (a broken torrent): try another one."""


@dataclass
class MonitorReport:
    seen: int = 0
    updated: int = 0
    completed: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def download_folder(info_hash: str) -> Path:
    """Where one download's files go: its own folder under DOWNLOADS_DIR."""
    return Path(settings.DOWNLOADS_DIR) / info_hash[:16]


# --- starting and stopping ----------------------------------------------------------------
def start_download(
    *,
    candidate: ReleaseCandidate,
    owner_ref: str,
    media: MediaQuery,
    client: QBittorrent | None = None,
) -> Download:
    """Add the release to qBittorrent (once) and return its Download row.

    Raises ReleaseUnusable when the release's torrent is broken, and the torrent or
    qBittorrent error (with `.temporary`) when a service is away.
    """
    magnet, torrent_bytes, info_hash = _obtain(candidate)
    existing = Download.objects.filter(info_hash=info_hash).first()
    if existing is not None and existing.is_active:
        return existing
    client = client or QBittorrent()
    folder = download_folder(info_hash)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        added = client.add_torrent(
            magnet=magnet,
            torrent_bytes=torrent_bytes,
            save_path=str(folder),
            tag=f"pk-{info_hash[:8]}",
        )
    except BadTorrentError as exc:
        raise ReleaseUnusable(str(exc)) from exc
    download, _ = Download.objects.update_or_create(
        info_hash=added,
        defaults={
            "release_title": candidate.title[:500],
            "indexer": candidate.indexer,
            "candidate": candidate,
            "size": candidate.size,
            "owner_ref": owner_ref,
            "media_type": media.media_type,
            "title": media.title,
            "year": media.year,
            "season": media.season,
            "state": S.QUEUED,
            "progress": 0.0,
            "error": "",
            "save_path": str(folder),
            "last_progress_at": timezone.now(),
            "last_seeded_at": timezone.now(),
        },
    )
    logger.info("download %s added: %s (%s)", download.pk, download.release_title, owner_ref)
    return download


def _obtain(candidate: ReleaseCandidate) -> tuple[str | None, bytes | None, str]:
    """The candidate's magnet or .torrent, and its info hash."""
    try:
        if candidate.magnet_url:
            return candidate.magnet_url, None, info_hash_from_magnet(candidate.magnet_url)
        if candidate.download_url:
            fetched = fetch_torrent(candidate.download_url)
            return fetched.magnet, fetched.torrent_bytes, fetched.info_hash
    except InvalidTorrent as exc:
        raise ReleaseUnusable(str(exc)) from exc
    raise ReleaseUnusable("the indexer gave neither a magnet nor a .torrent link")


def stop_download(info_hash: str, *, client: QBittorrent | None = None) -> None:
    """Mark a download cancelled, then remove it and its data from qBittorrent (idempotent)."""
    # Cancelled first: were qBittorrent away for longer than the task's retries, the
    # monitor would otherwise finish the torrent once it is back and import it.
    Download.objects.filter(info_hash=info_hash, state__in=[*ACTIVE, S.COMPLETED]).update(
        state=S.CANCELLED, dlspeed=0, eta=None
    )
    (client or QBittorrent()).remove(info_hash, delete_files=True)


# --- the monitor --------------------------------------------------------------------------
def monitor_once(*, client: QBittorrent | None = None) -> MonitorReport:
    """Read all of the app's torrents in one call, update every active download, act on each."""
    client = client or QBittorrent()
    snapshots = {s.hash: s for s in client.list_torrents()}
    now = timezone.now()
    report = MonitorReport(seen=len(snapshots))
    changed: list[Download] = []
    active_hashes: set[str] = set()
    for download in Download.objects.filter(state__in=ACTIVE):
        active_hashes.add(download.info_hash)
        snapshot = snapshots.get(download.info_hash)
        if snapshot is None:
            if now - download.added_at > LOST_GRACE:
                _fail(download, "qBittorrent no longer has this torrent")
                report.failed.append((download.pk, "lost"))
            continue
        outcome = _follow(download, snapshot, now)
        if outcome == "completed":
            report.completed.append(download.pk)
        elif outcome:
            _fail(download, outcome, client)
            report.failed.append((download.pk, outcome))
            continue
        # bulk_update never fills auto_now fields: set it by hand.
        download.updated_at = now
        changed.append(download)
    _save_followed(
        changed,
        [
            "state",
            "qbt_state",
            "progress",
            "dlspeed",
            "eta",
            "seeders",
            "save_path",
            "content_path",
            "last_progress_at",
            "last_seeded_at",
            "completed_at",
            "updated_at",
        ],
    )
    report.updated = len(changed)
    for download_id in report.completed:
        _queue_import(download_id)
    _requeue_forgotten_imports(now, skip=report.completed)
    _remove_cancelled_leftovers(client, set(snapshots) - active_hashes)
    return report


def _remove_cancelled_leftovers(client: QBittorrent, hashes: set[str]) -> None:
    """Remove torrents of cancelled downloads that qBittorrent still has.

    A cancel marks the row at once and asks qBittorrent to remove the torrent; when
    qBittorrent stayed away longer than that task's retries, the torrent is still there.
    """
    if not hashes:
        return
    for info_hash in Download.objects.filter(info_hash__in=hashes, state=S.CANCELLED).values_list(
        "info_hash", flat=True
    ):
        logger.info("removing the torrent of cancelled download %s", info_hash)
        client.remove(info_hash, delete_files=True)


def _save_followed(downloads: list[Download], fields: list[str]) -> None:
    """Write these columns of many downloads with one statement per 5,000 rows."""
    if connection.vendor != "postgresql":
        Download.objects.bulk_update(downloads, fields, batch_size=500)
        return
    # bulk_update builds a CASE expression per row and column in Python: about 2 s for
    # 1,000 downloads. UPDATE ... FROM (VALUES ...) says the same in milliseconds.
    model_fields = [Download._meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    row = "(%s::bigint, " + ", ".join(f"%s::{f.db_type(connection)}" for f in model_fields) + ")"
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in model_fields)
    names = ", ".join(qn(f.column) for f in model_fields)
    table = qn(Download._meta.db_table)
    for start in range(0, len(downloads), 5000):
        batch = downloads[start : start + 5000]
        params: list[object] = []
        for download in batch:
            params.append(download.pk)
            params.extend(
                f.get_db_prep_save(getattr(download, f.attname), connection) for f in model_fields
            )
        with connection.cursor() as cursor:
            # Names come from the model, every value is a parameter.
            values = ", ".join([row] * len(batch))
            sql = f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v(id, {names}) "  # noqa: S608
            cursor.execute(sql + f"WHERE {table}.{qn('id')} = v.id", params)


def _follow(download: Download, snapshot: TorrentSnapshot, now: datetime) -> str:
    """Copy qBittorrent's view onto the row; return "completed", a failure reason, or ""."""
    verdict = classify(snapshot)
    _discount_unwatched_time(download, now)
    # Paused by someone, being checked, or waiting its turn in qBittorrent's queue: not
    # stalled, so those hours must not run the stall and no-seeders clocks.
    waiting = verdict in {"paused", "checking"} or snapshot.state == "queuedDL"
    if snapshot.progress > download.progress or waiting:
        download.last_progress_at = now
    if snapshot.num_seeds > 0 or snapshot.num_complete > 0 or waiting:
        download.last_seeded_at = now
    # While qBittorrent checks the files (after a restart, say) it reports 0 %: keep what
    # was known, so the progress bar does not fall back to nothing and climb again.
    if verdict != "checking" or snapshot.progress >= download.progress:
        download.progress = snapshot.progress
    download.dlspeed = snapshot.dlspeed
    download.eta = snapshot.eta
    download.seeders = max(snapshot.num_seeds, snapshot.num_complete)
    download.qbt_state = snapshot.state
    download.save_path = snapshot.save_path or download.save_path
    download.content_path = snapshot.content_path
    if verdict == "completed":
        download.state = S.COMPLETED
        download.completed_at = snapshot.completion_on or now
        download.dlspeed, download.eta = 0, None
        return "completed"
    if verdict == "errored":
        return f"qBittorrent reports an error ({snapshot.state})"
    stall = timedelta(seconds=settings.DOWNLOAD_STALL_TIMEOUT)
    no_seeders = timedelta(seconds=settings.DOWNLOAD_NO_SEEDERS_TIMEOUT)
    if now - (download.last_progress_at or download.added_at) > stall:
        return f"no progress for {_hours(stall)}"
    if now - (download.last_seeded_at or download.added_at) > no_seeders:
        return f"no seeders for {_hours(no_seeders)}"
    download.state = S.STALLED if verdict == "stalled" else S.DOWNLOADING
    return ""


def _discount_unwatched_time(download: Download, now: datetime) -> None:
    """Move the stall clocks forward by a long gap since the monitor last saw this torrent.

    Every pass stamps `updated_at`. A gap longer than UNWATCHED_GAP means no pass saw
    the torrent: qBittorrent (or the whole server) was down, and a torrent cannot move
    while qBittorrent is off, so that time must not count as "no progress". Gaps between
    ordinary passes (every 15 s by default) stay far below it and count as usual.
    """
    gap = now - (download.updated_at or now)
    if gap <= UNWATCHED_GAP:
        return
    download.last_progress_at = (download.last_progress_at or download.added_at) + gap
    download.last_seeded_at = (download.last_seeded_at or download.added_at) + gap


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{int(delta.total_seconds() // 60)} min"


def _fail(
    download: Download, reason: str, client: QBittorrent | None = None, *, blocklist: bool = True
) -> None:
    """Give up on a download: remove it (given a client), blocklist it, tell its owner."""
    if client is not None:
        client.remove(download.info_hash, delete_files=True)
    # Dead or broken for everyone, not only for this request; the owner's own entry
    # survives an admin lifting the global one by mistake for this request.
    if blocklist:
        blocklist_release(info_hash=download.info_hash, reason=reason)
    if blocklist and download.owner_ref:
        blocklist_release(
            info_hash=download.info_hash, request_ref=download.owner_ref, reason=reason
        )
    with transaction.atomic():
        claimed = Download.objects.filter(
            pk=download.pk, state__in=[*ACTIVE, S.COMPLETED, S.IMPORTING]
        ).update(state=S.FAILED, error=reason[:2000], dlspeed=0, eta=None)
        if claimed:
            download.state, download.error = S.FAILED, reason
            logger.warning("download %s failed: %s", download.pk, reason)
            transaction.on_commit(
                lambda: download_failed.send(
                    sender=Download,
                    download=download,
                    owner_ref=download.owner_ref,
                    reason=reason,
                )
            )


def _queue_import(download_id: int) -> None:
    from downloads.tasks import import_download_task

    transaction.on_commit(lambda: import_download_task.delay(download_id))


def _requeue_forgotten_imports(now: object, *, skip: list[int]) -> None:
    """Queue again the imports of downloads completed long ago but never imported."""
    # `skip`: completed by this very pass (qBittorrent's completion time may be old), queued.
    for download_id in (
        Download.objects.filter(state=S.COMPLETED, completed_at__lt=now - IMPORT_REQUEUE_AFTER)
        .exclude(pk__in=skip)
        .values_list("pk", flat=True)
    ):
        _queue_import(download_id)


# --- import -------------------------------------------------------------------------------
def import_download(download_id: int) -> importer.ImportResult | None:
    """File a completed download into the library, ask Plex to scan that folder, tell the owner.

    Returns None when there is nothing to do (already imported, or not completed). Raises
    the importer's or Plex's temporary errors for the task to retry; a permanent import
    error fails the download (so its owner can try another release).
    """
    claimed = Download.objects.filter(pk=download_id, state__in=[S.COMPLETED, S.IMPORTING]).update(
        state=S.IMPORTING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    download = Download.objects.get(pk=download_id)
    target = importer.MediaTarget(
        kind=download.media_type,
        title=download.title,
        year=download.year,
        season=download.season,
    )
    try:
        result = importer.import_download(
            content_path=download.content_path or download.save_path, target=target
        )
    except importer.ImportFailed as exc:
        if exc.temporary:
            _delay_import(download, str(exc))
            raise
        _fail(download, f"import failed: {exc}")
        return None
    _scan(result.folder)
    with transaction.atomic():
        Download.objects.filter(pk=download_id).update(
            state=S.IMPORTED,
            imported_at=timezone.now(),
            library_folder=str(result.folder),
            error="",
        )
        download.state, download.library_folder = S.IMPORTED, str(result.folder)
        transaction.on_commit(
            lambda: download_completed.send(
                sender=Download, download=download, owner_ref=download.owner_ref
            )
        )
    logger.info("download %s imported into %s", download_id, result.folder)
    return result


def _delay_import(download: Download, reason: str) -> None:
    """Say why the import waits (a full disk, an unmounted library) while the task retries."""
    # Without this the download and its request said "importing"/"downloading" for the ~45
    # minutes of retries, and the person who could free the space was never told why.
    Download.objects.filter(pk=download.pk).update(error=f"import failed: {reason}"[:2000])
    logger.warning("download %s: import failed: %s; it is retried", download.pk, reason)
    transaction.on_commit(
        lambda: import_delayed.send(
            sender=Download, download=download, owner_ref=download.owner_ref, reason=reason
        )
    )


def _scan(folder: Path) -> None:
    """Ask Plex to scan the folder; a Plex without that folder is logged, not fatal."""
    from library.lookups import request_partial_scan
    from library.plex import PlexPermanentError

    try:
        request_partial_scan(str(folder))
    except PlexPermanentError as exc:
        # The hourly sync still finds the files if Plex scans on its own schedule.
        logger.warning("Plex was not asked to scan %s: %s", folder, exc)


def give_up_import(download_id: int, reason: str) -> None:
    """End an import that kept failing for a temporary reason (disk full, library away)."""
    download = Download.objects.filter(pk=download_id).first()
    if download is not None:
        # The release is fine, the library is not: blocklisting it barred a good release for
        # everyone and sent the request to download another one that cannot fit either. The
        # torrent and its files stay for `manage.py import_download` once space is freed.
        _fail(download, reason, blocklist=False)


# --- cleanups -----------------------------------------------------------------------------
def remove_seeded_torrents(*, client: QBittorrent | None = None) -> int:
    """Remove imported torrents that seeded enough (ratio or time); the library copy stays."""
    from downloads.qbittorrent import seeding_finished

    client = client or QBittorrent()
    imported = set(Download.objects.filter(state=S.IMPORTED).values_list("info_hash", flat=True))
    removed = 0
    for snapshot in client.list_torrents():
        if snapshot.hash in imported and seeding_finished(
            snapshot,
            max_ratio=settings.SEED_RATIO_LIMIT,
            max_seeding=timedelta(days=settings.SEED_DAYS_LIMIT),
        ):
            # Hard links and copies in the library are separate names: deleting the
            # torrent's files leaves them (with `move` there is nothing left to delete).
            client.remove(snapshot.hash, delete_files=True)
            Download.objects.filter(info_hash=snapshot.hash).update(state=S.REMOVED)
            removed += 1
    return removed


def delete_old_downloads(*, days: int) -> int:
    """Delete records of downloads that left qBittorrent over `days` ago, and leftover files.

    Imported downloads still seeding are kept: `remove_seeded_torrents` ends them first.
    """
    cutoff = timezone.now() - timedelta(days=days)
    old = Download.objects.filter(state__in=[S.REMOVED, S.FAILED, S.CANCELLED], added_at__lt=cutoff)
    root = Path(settings.DOWNLOADS_DIR).resolve()
    for info_hash in old.values_list("info_hash", flat=True):
        folder = download_folder(info_hash)
        # Only a real folder of ours, inside DOWNLOADS_DIR; never follow a link out.
        if folder.is_dir() and not folder.is_symlink() and folder.resolve().parent == root:
            shutil.rmtree(folder, ignore_errors=True)
    deleted, _ = old.delete()
    return deleted
