"""Cleanups: torrents that seeded enough, leftovers of cancelled downloads, old records."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from downloads.lifecycle import ACTIVE, download_folder
from downloads.models import Download
from downloads.qbittorrent import QBittorrent, seeding_finished
from downloads.search import prune_searches

logger = logging.getLogger(__name__)

S = Download.State


def remove_cancelled_leftovers(client: QBittorrent, hashes: Iterable[str]) -> None:
    """Remove torrents of cancelled downloads that qBittorrent still has (just `listed`).

    A cancel marks the row at once and asks qBittorrent to remove the torrent; when
    qBittorrent stayed away longer than that task's retries, the torrent is still there.
    """
    hashes = set(hashes)
    if not hashes:
        return
    for info_hash in Download.objects.filter(info_hash__in=hashes, state=S.CANCELLED).values_list(
        "info_hash", flat=True
    ):
        logger.info("removing the torrent of cancelled download %s", info_hash)
        client.remove(info_hash, delete_files=True, listed=True)


def remove_seeded_torrents(*, client: QBittorrent | None = None) -> int:
    """Remove imported torrents that seeded enough (ratio or time); the library copy stays."""
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


def delete_old_records(*, days: int) -> dict[str, int]:
    """Delete old download records (and leftover files) and old searches; say how many."""
    # The searches of requests still downloading keep their next-best candidates.
    in_progress = Download.objects.filter(state__in=ACTIVE).values_list("owner_ref", flat=True)
    return {
        "downloads": delete_old_downloads(days=days),
        "searches": prune_searches(older_than_days=days, keep_request_refs=list(in_progress)),
    }
