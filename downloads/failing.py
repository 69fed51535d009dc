"""Failing a download: remove its torrent, blocklist it, tell whoever asked for it.

Its own module so that `downloads.file_selection` (which fails a torrent holding none of
the wanted episodes) and `downloads.lifecycle` (which selects files when it adds one) can
both use it without importing each other.
"""

from __future__ import annotations

import logging

from django.db import transaction

from downloads.models import Download
from downloads.qbittorrent import QBittorrent
from downloads.search import blocklist_release
from downloads.signals import download_failed

# The name these lines were always logged under (they moved here from lifecycle).
logger = logging.getLogger("downloads.lifecycle")

S = Download.State
# The states of a download qBittorrent is working on, which the monitor follows.
ACTIVE = (S.QUEUED, S.DOWNLOADING, S.STALLED)


def fail_download(
    download: Download,
    reason: str,
    client: QBittorrent | None = None,
    *,
    blocklist: bool = True,
    for_everyone: bool = True,
    listed: bool = False,
) -> None:
    """Give up on a download: remove it (given a client), blocklist it, tell its owner.

    `for_everyone=False` blocklists it for its owner only (a pack fine for other seasons);
    `listed`: the client has just listed it among the app's torrents (see `remove`).
    """
    if client is not None:
        client.remove(download.info_hash, delete_files=True, listed=listed)
    # Dead or broken for everyone, not only for this request; the owner's own entry
    # survives an admin lifting the global one by mistake for this request.
    if blocklist and for_everyone:
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
