"""The download monitor: one pass reads every torrent of the app and acts on each download.

A pass copies qBittorrent's view (progress, speed, seeders, state) onto every active
download in one statement, queues the import of the downloads that completed, fails those
that stalled, errored or disappeared (so their owner can try another release), queues
again imports whose message went missing, and removes torrents of cancelled downloads
that qBittorrent still has. A magnet that has just received its metadata has its real
files checked (`downloads.real_size`: a fake fails), and a download of some episodes then
gets its files selected and is started (a call or two more, once). `check_download` does
the same for one download, when qBittorrent says its torrent finished (`downloads.hook`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core import bulk
from downloads import cleanup, file_selection, queueing, real_size
from downloads.lifecycle import ACTIVE, fail_download
from downloads.models import Download
from downloads.qbittorrent import (
    METADATA_STATES,
    QBittorrent,
    QBittorrentError,
    TorrentSnapshot,
    classify,
)

logger = logging.getLogger(__name__)

S = Download.State
# qBittorrent may take a moment to list a torrent it just accepted; not "lost" before this.
LOST_GRACE = timedelta(minutes=2)
# A completed download whose import message went missing is queued again after this.
IMPORT_REQUEUE_AFTER = timedelta(minutes=10)
# A torrent the monitor has not seen for longer than this was unwatched (qBittorrent or the
# server down); that time does not count toward the stall timeouts. The monitor row must run
# more often than this (every 15 s by default).
UNWATCHED_GAP = timedelta(minutes=30)
# The columns a pass writes; `updated_at` by hand, as bulk writes never fill auto_now fields.
FOLLOWED_FIELDS = [
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
]


@dataclass
class MonitorReport:
    """What one pass saw and did: torrents listed, rows updated, downloads completed, failed."""

    seen: int = 0
    updated: int = 0
    completed: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    # Downloads whose files were selected (and the torrent started) by this pass.
    selected: list[int] = field(default_factory=list)


def monitor_once(*, client: QBittorrent | None = None) -> MonitorReport:
    """Read all of the app's torrents in one call, update every active download, act on each."""
    client = client or QBittorrent()
    snapshots = {s.hash: s for s in client.list_torrents()}
    now = timezone.now()
    report = MonitorReport(seen=len(snapshots))
    changed: list[Download] = []
    to_select: list[Download] = []
    active_hashes: set[str] = set()
    for download in Download.objects.filter(state__in=ACTIVE):
        active_hashes.add(download.info_hash)
        snapshot = snapshots.get(download.info_hash)
        if snapshot is None:
            if now - download.added_at > LOST_GRACE:
                fail_download(download, "qBittorrent no longer has this torrent")
                report.failed.append((download.pk, "lost"))
            continue
        if not _act_on(download, snapshot, now, client, report):
            continue
        changed.append(download)
        if _awaits_selection(download, snapshot):
            to_select.append(download)
    bulk.update_rows(Download, changed, FOLLOWED_FIELDS)
    report.updated = len(changed)
    for download in to_select:
        _select_files(download, client, report)
    for download_id in report.completed:
        queueing.queue_import(download_id)
    _requeue_forgotten_imports(now, skip=report.completed)
    cleanup.remove_cancelled_leftovers(client, set(snapshots) - active_hashes)
    return report


def check_download(info_hash: str, *, client: QBittorrent | None = None) -> MonitorReport:
    """Follow one active download now, asking qBittorrent about its torrent alone.

    What qBittorrent's "torrent finished" call queues (`downloads.api.DownloadFinished`):
    the same steps as a pass for that download, in one `torrents/info` call. A torrent
    missing from qBittorrent is left to the pass (its grace and failover rules). The
    caller holds the monitor's lock, so no pass writes this row meanwhile; the write is
    still a claim (only while the download is active), so a download cancelled or failed
    in between stays so and nothing is imported.
    """
    report = MonitorReport()
    download = Download.objects.filter(info_hash=info_hash.lower(), state__in=ACTIVE).first()
    if download is None:
        return report
    client = client or QBittorrent()
    snapshot = client.get(download.info_hash)
    if snapshot is None:
        return report
    report.seen = 1
    if not _act_on(download, snapshot, timezone.now(), client, report):
        return report
    written = {name: getattr(download, name) for name in FOLLOWED_FIELDS}
    if not Download.objects.filter(pk=download.pk, state__in=ACTIVE).update(**written):
        report.completed.clear()
        return report
    report.updated = 1
    if _awaits_selection(download, snapshot):
        _select_files(download, client, report)
    for download_id in report.completed:
        queueing.queue_import(download_id)
    return report


def _act_on(
    download: Download,
    snapshot: TorrentSnapshot,
    now: datetime,
    client: QBittorrent,
    report: MonitorReport,
) -> bool:
    """Check, follow and complete or fail one listed download; say whether to write its row."""
    if _awaits_check(download, snapshot):
        refused = real_size.check_listed_files(download, client)
        if refused:
            report.failed.append((download.pk, refused))
            return False
    outcome = _follow(download, snapshot, now)
    if outcome == "completed":
        report.completed.append(download.pk)
    elif outcome:
        fail_download(download, outcome, client, listed=True)
        report.failed.append((download.pk, outcome))
        return False
    download.updated_at = now
    return True


def _awaits_check(download: Download, snapshot: TorrentSnapshot) -> bool:
    """Say whether a started release's file list is there now and was not checked yet."""
    # A .torrent's files were checked before it was added (files_selected_at set then); a
    # row without a candidate was not started from a search, and has no size to compare.
    return (
        download.files_selected_at is None
        and download.candidate_id is not None
        and snapshot.state not in METADATA_STATES
    )


def _awaits_selection(download: Download, snapshot: TorrentSnapshot) -> bool:
    """Say whether a download of some episodes has its file list now and none selected yet."""
    # While a magnet still fetches its metadata (metaDL) it has no file list: asking for
    # it every pass would cost a call per such download.
    return (
        download.select_files
        and download.files_selected_at is None
        and snapshot.state not in METADATA_STATES
    )


def _select_files(download: Download, client: QBittorrent, report: MonitorReport) -> None:
    """Select the files of a download whose torrent waited for its file list, and start it."""
    if download.state == S.COMPLETED:
        return  # nothing left to fetch: its files were selected some other way (by hand)
    try:
        selected = file_selection.select_episode_files(download, client)
    except QBittorrentError as exc:
        # The torrent stays stopped, so nothing unwanted is fetched: the next pass tries again.
        logger.warning("download %s: files not selected yet: %s", download.pk, exc)
        return
    if download.state == S.FAILED:
        report.failed.append((download.pk, download.error))
    elif selected:
        report.selected.append(download.pk)


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
    """Say a timeout in hours, or in minutes when shorter than one."""
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{int(delta.total_seconds() // 60)} min"


def _requeue_forgotten_imports(now: datetime, *, skip: list[int]) -> None:
    """Queue again the imports of downloads completed long ago but never imported."""
    # `skip`: completed by this very pass (qBittorrent's completion time may be old), queued.
    for download_id in (
        Download.objects.filter(state=S.COMPLETED, completed_at__lt=now - IMPORT_REQUEUE_AFTER)
        .exclude(pk__in=skip)
        .values_list("pk", flat=True)
    ):
        queueing.queue_import(download_id)
