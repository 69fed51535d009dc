"""The life of a download: hand a release to qBittorrent, stop it, file it into Plex's folders.

Plain functions; `downloads.tasks` runs them (`downloads.monitor` follows the downloads in
between, `downloads.cleanup` ends them). Each claims its row by moving its state with a
conditional update, so a redelivered task finds the work claimed or done and changes
nothing. What happened is told to whoever asked for the download (its `owner_ref`) through
the `download_completed`, `download_failed` and `import_delayed` signals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from downloads import file_selection, importer, real_size
from downloads.failing import ACTIVE, fail_download
from downloads.models import Download, ReleaseCandidate
from downloads.qbittorrent import BadTorrentError, QBittorrent
from downloads.releases import MediaQuery
from downloads.search import blocklist_release
from downloads.signals import download_completed, import_delayed
from downloads.torrentfile import (
    ContentFile,
    InvalidTorrent,
    fetch_torrent,
    info_hash_from_magnet,
)
from library import lookups
from library.plex import PlexPermanentError

logger = logging.getLogger(__name__)

S = Download.State


class ReleaseUnusable(Exception):
    """This release cannot be downloaded (a broken torrent, a fake): try another one."""


def download_folder(info_hash: str) -> Path:
    """Where one download's files go: its own folder under DOWNLOADS_DIR."""
    return Path(settings.DOWNLOADS_DIR) / info_hash[:16]


# --- starting and stopping ----------------------------------------------------------------
def start_download(
    *,
    candidate: ReleaseCandidate,
    owner_ref: str,
    media: MediaQuery,
    episodes: Sequence[int] = (),
    select_files: bool = False,
    absolute_offset: int | None = None,
    client: QBittorrent | None = None,
) -> Download:
    """Add the release to qBittorrent (once) and return its Download row.

    `episodes`: the episodes of `media.season` it is for (empty: all it holds). With
    `select_files`, only their files are fetched: the torrent is added stopped and started
    once the other files' priority is 0 (here for a .torrent, by the monitor for a magnet
    still fetching its metadata). A torrent holding none of them fails the download.
    `absolute_offset`: the show's episodes before the season, for a release whose files
    are numbered from the show's first episode (anime).
    A .torrent's real files are checked first (`downloads.real_size`; a magnet's by the
    monitor once its metadata comes).
    Raises ReleaseUnusable when the release's torrent is broken or refused for what it
    really holds (a fake is blocklisted for everyone too), and the torrent or qBittorrent
    error (with `.temporary`) when a service is away.
    """
    episodes = sorted({int(n) for n in episodes})
    if select_files and (media.season is None or not episodes):
        raise ValueError("select_files needs a season and the episodes to fetch")
    magnet, torrent_bytes, info_hash, files = _obtain(candidate)
    existing = Download.objects.filter(info_hash=info_hash).first()
    if existing is not None and existing.is_active:
        if existing.owner_ref == owner_ref:
            return _widen(existing, episodes, select_files, client)
        return existing
    if torrent_bytes is not None:
        _refuse_bad_contents(candidate, info_hash, files, media, episodes, absolute_offset)
    client = client or QBittorrent()
    folder = download_folder(info_hash)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        added = client.add_torrent(
            magnet=magnet,
            torrent_bytes=torrent_bytes,
            save_path=str(folder),
            tag=f"pk-{info_hash[:8]}",
            stopped=select_files,
        )
    except BadTorrentError as exc:
        raise ReleaseUnusable(str(exc)) from exc
    download, _ = Download.objects.update_or_create(
        info_hash=added,
        defaults={
            "release_title": candidate.title[:500],
            "indexer": candidate.indexer,
            "candidate": candidate,
            # The real size once known; a magnet's is the declared one until its metadata.
            "size": sum(f.size for f in files) if torrent_bytes is not None else candidate.size,
            "owner_ref": owner_ref,
            "media_type": media.media_type,
            "title": media.title,
            "year": media.year,
            "season": media.season,
            "episodes": episodes,
            "absolute_offset": absolute_offset,
            "select_files": select_files,
            # A .torrent fetched whole has its files checked already; the monitor checks a
            # magnet's when they are listed, and selection marks a download of some episodes.
            "files_selected_at": None if magnet or select_files else timezone.now(),
            "state": S.QUEUED,
            "progress": 0.0,
            "error": "",
            "save_path": str(folder),
            "last_progress_at": timezone.now(),
            "last_seeded_at": timezone.now(),
        },
    )
    logger.info("download %s added: %s (%s)", download.pk, download.release_title, owner_ref)
    if select_files:
        # A .torrent's file list is known at once; a magnet's comes with its metadata, and
        # the monitor selects then.
        file_selection.select_episode_files(download, client)
    return download


def _widen(
    download: Download, episodes: list[int], select_files: bool, client: QBittorrent | None
) -> Download:
    """Add episodes to an active download of the same owner, and fetch their files too."""
    # Empty means every episode it holds, on either side.
    both = download.episodes and episodes
    wanted = sorted(set(download.episodes) | set(episodes)) if both else []
    selecting = download.select_files and bool(wanted)
    if (wanted, selecting) == (download.episodes, download.select_files):
        return download
    # Not selected yet (a magnet without metadata): the monitor selects with the new list.
    selected_at = download.files_selected_at and timezone.now()
    Download.objects.filter(pk=download.pk).update(
        episodes=wanted, select_files=selecting, files_selected_at=selected_at
    )
    was_selecting = download.select_files
    download.episodes, download.select_files = wanted, selecting
    if was_selecting and not selecting:
        # A magnet still without metadata stays stopped here (not handled: rare).
        file_selection.fetch_every_file(download, client or QBittorrent())
    elif selecting and download.files_selected_at is not None:
        file_selection.select_episode_files(download, client or QBittorrent())
    logger.info("download %s now for episodes %s", download.pk, wanted or "all")
    return download


def _obtain(
    candidate: ReleaseCandidate,
) -> tuple[str | None, bytes | None, str, tuple[ContentFile, ...]]:
    """The candidate's magnet or .torrent, its info hash, and the .torrent's files."""
    try:
        if candidate.magnet_url:
            return candidate.magnet_url, None, info_hash_from_magnet(candidate.magnet_url), ()
        if candidate.download_url:
            fetched = fetch_torrent(candidate.download_url)
            return fetched.magnet, fetched.torrent_bytes, fetched.info_hash, fetched.files
    except InvalidTorrent as exc:
        raise ReleaseUnusable(str(exc)) from exc
    raise ReleaseUnusable("the indexer gave neither a magnet nor a .torrent link")


def _refuse_bad_contents(
    candidate: ReleaseCandidate,
    info_hash: str,
    files: tuple[ContentFile, ...],
    media: MediaQuery,
    episodes: list[int],
    absolute_offset: int | None,
) -> None:
    """Raise ReleaseUnusable when the .torrent's real files are refused; blocklist a fake."""
    problem = real_size.contents_problem(
        title=candidate.title,
        declared_size=candidate.size,
        files=files,
        media=media,
        rules=real_size.profile_rules(candidate),
        episodes=episodes,
        absolute_offset=absolute_offset,
    )
    if problem is None:
        return
    if problem.fake:
        # A fake is one for every request, as a dead torrent is (`fail_download`). By hash
        # only: fakes carry the real release's name, which must stay for its real torrent.
        blocklist_release(info_hash=info_hash, reason=problem.reason)
    logger.warning("release %s refused: %s", candidate.title, problem.reason)
    raise ReleaseUnusable(problem.reason)


def stop_download(info_hash: str, *, client: QBittorrent | None = None) -> None:
    """Mark a download cancelled, then remove it and its data from qBittorrent (idempotent)."""
    # Cancelled first: were qBittorrent away for longer than the task's retries, the
    # monitor would otherwise finish the torrent once it is back and import it.
    Download.objects.filter(info_hash=info_hash, state__in=[*ACTIVE, S.COMPLETED]).update(
        state=S.CANCELLED, dlspeed=0, eta=None
    )
    (client or QBittorrent()).remove(info_hash, delete_files=True)


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
        episodes=frozenset(download.episodes or ()),
        absolute_offset=download.absolute_offset,
    )
    try:
        result = importer.file_into_library(
            content_path=download.content_path or download.save_path, target=target
        )
    except importer.ImportFailed as exc:
        if exc.temporary:
            _delay_import(download, str(exc))
            raise
        fail_download(download, f"import failed: {exc}")
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
    try:
        lookups.request_partial_scan(str(folder))
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
        fail_download(download, reason, blocklist=False)
