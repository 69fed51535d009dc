"""The torrent's real size: check what a .torrent or a magnet's metadata really holds.

Every size rule (the ranking's, the episode planner's) judged the size the indexer
declares. Once the torrent's file list is in hand — its .torrent before it is added, a
magnet's metadata when qBittorrent lists its files — the real total and files are checked
before anything is fetched: a torrent holding far less or far more than declared, or no
video at all, is a fake (blocklisted for everyone); a real size the profile's size rules
refuse is refused for this request, as the ranking would have refused it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils import timezone

from downloads import importer
from downloads.episode_plan import size_reasons
from downloads.failing import fail_download
from downloads.models import Download, QualityProfile, ReleaseCandidate
from downloads.qbittorrent import QBittorrent, QBittorrentError
from downloads.ranking import GB, ProfileRules, rank_releases
from downloads.releases import MOVIE, MediaQuery, Release
from downloads.torrentfile import ContentFile

logger = logging.getLogger(__name__)

# A real release and its listing differ by a few percent at most (GiB written as GB is 7 %,
# rounding "9.2 GB" a fraction of one; an indexer counting only the main video of a film
# with extras, some 10-20 %). A fake differs by orders of magnitude (the "9.2 GB"
# film holding 31 MB: 0.3 %). Half or one and a half times the declared size is far
# outside the honest differences, and a real size that far off is not the release that
# was ranked.
FAKE_BELOW = 0.5
FAKE_ABOVE = 1.5
# How many of a torrent's files a "no video" reason names.
NAMED_FILES = 3
# What fakes hold instead of a film: programs, shortcuts, archives (often passworded, the
# password "on a website"), pages and pictures.
NOT_VIDEO_EXTENSIONS = frozenset(
    {
        *(".exe", ".msi", ".bat", ".cmd", ".com", ".scr", ".pif", ".vbs", ".js", ".jar", ".ps1"),
        *(".apk", ".dmg", ".lnk", ".url", ".desktop"),
        *(".zip", ".rar", ".7z", ".tar", ".gz", ".cab"),
        *(".txt", ".nfo", ".pdf", ".htm", ".html", ".sfv", ".md5"),
        *(".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp"),
    }
)
# The parts of a split archive: .r00, .r01…, .001, .002….
_SPLIT_ARCHIVE = re.compile(r"^\.(r\d{2}|\d{3})$")


@dataclass(frozen=True)
class ContentsProblem:
    """Why a torrent's contents are refused, and whether it is a fake (for everyone)."""

    reason: str
    fake: bool


def contents_problem(
    *,
    title: str,
    declared_size: int,
    files: Sequence[ContentFile],
    media: MediaQuery,
    rules: ProfileRules,
    episodes: Sequence[int] = (),
    absolute_offset: int | None = None,
    holder: str = "the .torrent",
) -> ContentsProblem | None:
    """Judge a torrent's real files against its declared size and the profile's size rules.

    `holder` names where the files were read, for the reason ("the .torrent", "the
    magnet's metadata"); `episodes` and `absolute_offset` are those the download is for.
    Returns None when the contents are fine.
    """
    real = sum(file.size for file in files)
    if declared_size > 0 and not FAKE_BELOW * declared_size <= real <= FAKE_ABOVE * declared_size:
        return ContentsProblem(
            f"{holder} holds {size_text(real)}, not the {size_text(declared_size)} "
            "the indexer said: a fake",
            fake=True,
        )
    if _no_video(files):
        return ContentsProblem(f"{holder} holds no video{_only(files)}: a fake", fake=True)
    if real == declared_size:
        return None  # the very size the search judged: the same verdict
    refused = real_size_reasons(
        title=title,
        size=real,
        media=media,
        rules=rules,
        episodes=episodes,
        absolute_offset=absolute_offset,
    )
    if not refused:
        return None
    return ContentsProblem(
        f"{holder} holds {size_text(real)} (the indexer said {size_text(declared_size)}): "
        + "; ".join(refused),
        fake=False,
    )


def real_size_reasons(
    *,
    title: str,
    size: int,
    media: MediaQuery,
    rules: ProfileRules,
    episodes: Sequence[int] = (),
    absolute_offset: int | None = None,
) -> list[str]:
    """Return why the size rules refuse the release at this size, as its search judged it."""
    # Ranked again with the real size, by the ranking itself: the thresholds live there
    # (and in the planner) only.
    release = Release(title=title, size=size, seeders=1)
    ranked = rank_releases(query=media, releases=[release], profile=rules).ranked[0]
    return size_reasons(
        ranked,
        season=None if media.media_type == MOVIE else media.season,
        episodes=episodes,
        rules=rules,
        absolute_offset=absolute_offset,
    )


def profile_rules(candidate: ReleaseCandidate | None) -> ProfileRules:
    """Return the rules of the profile the candidate's search ranked it under."""
    profile = candidate.search.profile if candidate is not None else None
    # Its profile deleted since (SET_NULL): the default one, as a new search would use.
    return (profile or QualityProfile.get_default()).rules()


def check_listed_files(download: Download, client: QBittorrent) -> str | None:
    """Check a download's files once qBittorrent lists them (a magnet's metadata came).

    Fails the download (its owner then tries another release) and returns why when they
    are refused. Otherwise records the real size and, for a download of all its files,
    that they were checked; a file list not there yet, or qBittorrent away, waits for the
    next pass.
    """
    try:
        listed = client.files(download.info_hash)
    except QBittorrentError as exc:
        logger.warning("download %s: files not checked yet: %s", download.pk, exc)
        return None
    if not listed:
        return None
    files = [ContentFile(path=file.name, size=file.size) for file in listed]
    problem = contents_problem(
        title=download.release_title,
        declared_size=download.size,
        files=files,
        media=MediaQuery(
            media_type=download.media_type,
            title=download.title,
            year=download.year,
            season=download.season,
        ),
        rules=profile_rules(download.candidate),
        episodes=download.episodes or (),
        absolute_offset=download.absolute_offset,
        holder="the magnet's metadata",
    )
    if problem is not None:
        fail_download(download, problem.reason, client, for_everyone=problem.fake)
        return problem.reason
    download.size = sum(file.size for file in files)
    checked = {"size": download.size}
    if not download.select_files:
        # A download of some episodes is marked when its files are selected, right after.
        download.files_selected_at = checked["files_selected_at"] = timezone.now()
    Download.objects.filter(pk=download.pk).update(**checked)
    return None


def size_text(size: int) -> str:
    """Write a size as an indexer does: 9.2 GB, 31 MB."""
    if size >= GB:
        gb = size / GB
        return f"{gb:.1f}".removesuffix(".0") + " GB" if gb < 10 else f"{gb:.0f} GB"
    if size >= 1_000_000:
        return f"{size / 1_000_000:.0f} MB"
    return f"{size:,} bytes".replace(",", " ")


def _no_video(files: Sequence[ContentFile]) -> bool:
    """Say whether the files are all known to be something else than a video (.exe, .rar…)."""
    # Only extensions known for sure: a scene name's last dot ("….x264-GRP") is no
    # extension, and a file of an unknown kind is not judged.
    known = importer.VIDEO_EXTENSIONS | importer.SUBTITLE_EXTENSIONS | NOT_VIDEO_EXTENSIONS
    for file in files:
        suffix = PurePosixPath(file.path).suffix.lower()
        if importer.media_kind(file.path, file.size)[0] == "video":
            return False
        if suffix not in known and not _SPLIT_ARCHIVE.match(suffix):
            return False
    return True


def _only(files: Sequence[ContentFile]) -> str:
    """Name a few of the files a torrent holds instead of a video: ', only Setup.exe, …'."""
    if not files:
        return ""
    names = [PurePosixPath(file.path).name for file in files[:NAMED_FILES]]
    more = len(files) - len(names)
    return ", only " + ", ".join(names) + (f" and {more} more" if more else "")
