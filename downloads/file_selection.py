"""Fetch only some episodes of a torrent: priority 0 in qBittorrent for every other file.

A season wanted from a multi-season or complete-series pack, or only the missing episodes
of a season pack: the download is added stopped, and once qBittorrent knows the torrent's
files (at once for a .torrent, with the metadata for a magnet) `select_episode_files`
keeps the videos and subtitles of the wanted episodes, sets every other file's priority to
0 and starts the torrent. The files are read the way the importer reads them
(`importer.media_kind`, `importer.episode_numbers`), so what is fetched is what is filed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from django.utils import timezone

from downloads import importer
from downloads.failing import fail_download
from downloads.models import Download
from downloads.qbittorrent import QBittorrent, TorrentFile

logger = logging.getLogger(__name__)


def wanted_file_ids(
    files: Iterable[TorrentFile],
    *,
    season: int,
    episodes: Iterable[int],
    absolute_offset: int | None = None,
) -> list[int]:
    """Return the indexes of the videos of `episodes` (of `season`), and of their subtitles.

    `absolute_offset`: the show's episodes before `season`, for files numbered from its
    first episode ("Show - 13.mkv"), read as the importer reads them.
    """
    wanted = set(episodes)
    videos: list[tuple[TorrentFile, PurePosixPath]] = []
    subtitles: list[tuple[TorrentFile, PurePosixPath]] = []
    for file in files:
        path = _plain_path(file.name)
        if path is None:
            continue
        kind, _ = importer.media_kind(str(path), file.size)
        if kind == "video" and _holds(path, season, wanted, absolute_offset):
            videos.append((file, path))
        elif kind == "subtitle":
            subtitles.append((file, path))
    kept = {file.index for file, _ in videos}
    stems = {path.stem for _, path in videos}
    for file, path in subtitles:
        # `Show.S02E03.en.srt`, or `Subs/Show.S02E03/English.srt` as release groups do.
        beside = any(path.stem.startswith(stem) for stem in stems) or path.parent.name in stems
        if beside or _holds(path, season, wanted, absolute_offset):
            kept.add(file.index)
    return sorted(kept)


def _plain_path(name: str) -> PurePosixPath | None:
    """Return a torrent's file path when it is plain and relative; None for a hostile one."""
    # qBittorrent lists paths with "/" whatever the platform; libtorrent already drops
    # "..", but a file that would land outside the save path must never be fetched.
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return None
    if any(part in {"", ".", ".."} for part in name.split("/")):
        return None
    return PurePosixPath(name)


def _holds(path: PurePosixPath, season: int, wanted: set[int], absolute_offset: int | None) -> bool:
    """Say whether a file's name (or folder) gives it `season` and one of the wanted episodes."""
    numbers = importer.episode_numbers(str(path), season, absolute_offset)
    return numbers is not None and numbers[0] == season and bool(wanted & set(numbers[1]))


def episode_codes(season: int, episodes: Sequence[int]) -> str:
    """Write the wanted episodes for a person: S02E03, S02E05."""
    return ", ".join(importer.episode_code(season, [n]) for n in sorted(set(episodes)))


def select_episode_files(download: Download, client: QBittorrent) -> bool:
    """Fetch only the files of the download's episodes and start it; False while none are known.

    A torrent holding none of the wanted episodes fails the download (its owner then tries
    another release); it stays fine for other seasons, so it is blocklisted for the owner
    only.
    """
    files = client.files(download.info_hash)
    if not files:
        return False  # a magnet whose metadata has not arrived yet
    if download.season is None or not download.episodes:
        raise ValueError(f"download {download.pk} has no season and episodes to select")
    keep = wanted_file_ids(
        files,
        season=download.season,
        episodes=download.episodes,
        absolute_offset=download.absolute_offset,
    )
    if not keep:
        reason = (
            "the torrent holds none of the wanted episodes "
            f"({episode_codes(download.season, download.episodes)})"
        )
        fail_download(download, reason, client, for_everyone=False)
        return False
    wanted = set(keep)
    # Only the priorities that change: a new torrent has every file at 1 already.
    dropped = [f.index for f in files if f.index not in wanted and f.priority != 0]
    added = [f.index for f in files if f.index in wanted and f.priority == 0]
    client.set_file_priority(download.info_hash, dropped, 0)
    client.set_file_priority(download.info_hash, added, 1)
    client.start(download.info_hash)
    download.files_selected_at = timezone.now()
    Download.objects.filter(pk=download.pk).update(files_selected_at=download.files_selected_at)
    logger.info(
        "download %s: fetching %d of %d files (%s)",
        download.pk,
        len(keep),
        len(files),
        episode_codes(download.season, download.episodes),
    )
    return True


def fetch_every_file(download: Download, client: QBittorrent) -> None:
    """Undo a selection: fetch every file of the torrent (a pack now wanted whole)."""
    files = client.files(download.info_hash)
    client.set_file_priority(download.info_hash, [f.index for f in files if f.priority == 0], 1)
    client.start(download.info_hash)
    if files:
        download.files_selected_at = timezone.now()
        Download.objects.filter(pk=download.pk).update(files_selected_at=download.files_selected_at)
