"""File a finished download into the Plex folders: pick, rename, transfer, never escape a root."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from django.conf import settings
from RTN import parse

from core.errors import ServiceError
from core.formatting import size_text

logger = logging.getLogger(__name__)

TransferMode = Literal["hardlink", "copy", "move"]
Action = Literal["linked", "copied", "moved", "already present", "replaced"]

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".m4v", ".avi", ".mov", ".wmv", ".ts", ".m2ts", ".mpg", ".mpeg", ".webm"}
)
SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".sub", ".idx", ".vtt", ".smi"})
# Folders release groups use for bonus material; Plex would list their files as episodes.
JUNK_FOLDERS = frozenset(
    {
        "sample",
        "samples",
        "extras",
        "extra",
        "featurettes",
        "bonus",
        "behind the scenes",
        "deleted scenes",
        "interviews",
        "trailers",
        "shorts",
        "proof",
        "screens",
        "screenshots",
    }
)
# Full Blu-ray/DVD structures: Plex plays neither, and the largest .m2ts is not the film.
DISC_FOLDERS = frozenset({"bdmv", "video_ts", "certificate"})
# Plex's own suffixes for local extras, and the release groups' "-sample" files.
_JUNK_STEM = re.compile(
    r"(^|[\W_])(sample|trailer|featurette|behindthescenes|deleted|interview)s?$|^sample[\W_]",
    re.IGNORECASE,
)
_SAMPLE_WORD = re.compile(r"(^|[\W_])sample([\W_]|$)", re.IGNORECASE)
# A file named "sample" is junk when it is this small; a real film called "The Sample" is not.
SAMPLE_MAX_BYTES = 300 * 1024 * 1024
# Room left for " (2020) - S01E01-E99.en.forced.srt" under the 255-byte name limit.
MAX_TITLE_BYTES = 180
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
_PARTIAL_PREFIX = ".plexkiosk-"
_PARTIAL_SUFFIX = ".partial"
# A temporary file this old was left by a killed worker, not by an import still running.
# A copy's temporary file is also known dead at once: its writer holds a lock on it that
# the kernel drops when the process dies (a SIGKILL, a power cut).
STALE_PARTIAL_SECONDS = 3600

# Names and ISO 639-2 codes release groups put in subtitle names, to Plex's ISO 639-1.
_LANGUAGES = dict(
    pair.split("=")
    for pair in (  # noqa: SIM905 - a table that stays readable
        "english=en eng=en french=fr fre=fr fra=fr german=de ger=de deu=de spanish=es spa=es "
        "italian=it ita=it portuguese=pt por=pt dutch=nl dut=nl nld=nl swedish=sv swe=sv "
        "norwegian=no nor=no danish=da dan=da finnish=fi fin=fi polish=pl pol=pl russian=ru "
        "rus=ru japanese=ja jpn=ja korean=ko kor=ko chinese=zh chi=zh zho=zh arabic=ar ara=ar "
        "hebrew=he heb=he turkish=tr tur=tr czech=cs cze=cs ces=cs hungarian=hu hun=hu greek=el "
        "gre=el ell=el romanian=ro rum=ro ron=ro"
    ).split()
)
_TWO_LETTER = frozenset(_LANGUAGES.values())
_SUBTITLE_FLAGS = ("forced", "sdh")


class ImportFailed(ServiceError):
    """An import could not finish; `temporary` says if retrying later could help."""

    service = "the library disk"


class UnsafePath(ImportFailed):
    """A path would leave its configured root, or a name cannot be made safe."""


class NoMediaFiles(ImportFailed):
    """The download holds no video file worth importing."""


class LibraryUnavailable(ImportFailed):
    """A configured folder is missing (an unmounted disk?), so nothing was written."""

    temporary = True


class NotEnoughSpace(ImportFailed):
    """The library's file system is full; the partial file was removed."""

    temporary = True


@dataclass(frozen=True)
class MediaTarget:
    """What the download is: a movie, or a show (the season, and the episodes asked for)."""

    kind: Literal["movie", "tv"]
    title: str
    year: int | None = None
    season: int | None = None
    # The episodes of `season` to file; empty: every episode the download holds.
    episodes: frozenset[int] = frozenset()
    # The show's episodes before `season`, when files are numbered from its first (anime).
    absolute_offset: int | None = None


@dataclass(frozen=True)
class MediaFile:
    """A video or subtitle file found inside a download."""

    path: Path
    relative: str
    size: int
    kind: Literal["video", "subtitle"]


@dataclass(frozen=True)
class Scan:
    """The media files of a download, and what was left out and why."""

    videos: tuple[MediaFile, ...]
    subtitles: tuple[MediaFile, ...]
    skipped: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PlannedFile:
    """One source file, the library path it will have, and the worse copies it replaces."""

    source: Path
    destination: Path
    size: int
    replaces: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ImportedFile:
    """One file put into the library, and how."""

    source: Path
    destination: Path
    action: Action


@dataclass(frozen=True)
class ImportResult:
    """The outcome of an import: the folder Plex should scan and every file placed."""

    folder: Path
    files: tuple[ImportedFile, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Say whether anything was written this time."""
        return any(f.action != "already present" for f in self.files)


# Names ---------------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """Turn a title from the internet into one safe path component."""
    name = unicodedata.normalize("NFC", name)
    # Control characters become spaces; format characters (the right-to-left override that
    # disguises ".exe" as ".mkv", zero-width joiners) are dropped.
    name = "".join(
        " " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c
        for c in name
        if unicodedata.category(c) != "Cf"
    )
    # Plex and SMB shares on Windows refuse these; Radarr's "smart" colon replacement.
    name = re.sub(r":(?=\s)", " -", name).replace(":", "-")
    name = re.sub(r"[/\\|]", "-", name)
    name = re.sub(r'[<>"?*]', "", name)
    name = re.sub(r"\s+", " ", name)
    name = _truncate(name.strip(" ."), MAX_TITLE_BYTES).strip(" .")
    if not name or set(name) <= {".", "-", " "}:
        raise UnsafePath(f"name {name!r} has nothing usable left once made safe")
    # Windows ignores spaces before the extension too: "con .txt" is the console.
    if name.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = f"{name}_"
    return name


def _truncate(text: str, max_bytes: int) -> str:
    """Cut `text` to at most `max_bytes` of UTF-8 without splitting a character."""
    return text.encode()[:max_bytes].decode(errors="ignore")


def _folder_name(title: str, year: int | None) -> str:
    """Return Plex's `Title (Year)` folder name."""
    clean = clean_name(title)
    return f"{clean} ({year})" if year else clean


def _suffix(extension: str, language: str | None, flags: Iterable[str] = ()) -> str:
    """Return `.en.forced.srt`-style endings from safe parts only."""
    extension = extension.lower()
    if extension not in VIDEO_EXTENSIONS | SUBTITLE_EXTENSIONS:
        raise UnsafePath(f"extension {extension!r} is not a media extension")
    parts = [language] if language and re.fullmatch(r"[a-z]{2,3}", language) else []
    parts += [flag for flag in flags if flag in _SUBTITLE_FLAGS]
    return "".join(f".{part}" for part in parts) + extension


def movie_path(
    *,
    title: str,
    year: int | None,
    extension: str,
    language: str | None = None,
    flags: Iterable[str] = (),
) -> Path:
    """Return `Title (Year)/Title (Year).ext`, relative to the movies folder."""
    folder = _folder_name(title, year)
    return Path(folder) / f"{folder}{_suffix(extension, language, flags)}"


def episode_path(
    *,
    show: str,
    year: int | None,
    season: int,
    episodes: Iterable[int],
    extension: str,
    language: str | None = None,
    flags: Iterable[str] = (),
) -> Path:
    """Return `Show (Year)/Season 02/Show (Year) - S02E05[-E06].ext`, relative to the TV folder."""
    numbers = sorted(set(episodes))
    if not numbers or season < 0 or numbers[0] < 0:
        raise ValueError("an episode path needs a season and at least one episode")
    folder = _folder_name(show, year)
    code = f"S{season:02d}E{numbers[0]:02d}"
    if len(numbers) > 1:
        # Plex reads a range for multi-episode files: S02E05-E06.
        code += f"-E{numbers[-1]:02d}"
    name = f"{folder} - {code}{_suffix(extension, language, flags)}"
    return Path(folder) / f"Season {season:02d}" / name


def subtitle_language(stem: str) -> tuple[str | None, tuple[str, ...]]:
    """Read a subtitle's language and flags from the end of its name (`Movie.en.forced`)."""
    tokens = [t.lower() for t in re.split(r"[\W_]+", stem) if t]
    flags: list[str] = []
    while tokens and tokens[-1] in (*_SUBTITLE_FLAGS, "hi", "cc"):
        token = tokens.pop()
        flags.insert(0, "sdh" if token in {"hi", "cc"} else token)
    if tokens:
        last = tokens[-1]
        if last in _LANGUAGES:
            return _LANGUAGES[last], tuple(dict.fromkeys(flags))
        if last in _TWO_LETTER and len(tokens) > 1:
            return last, tuple(dict.fromkeys(flags))
    return None, tuple(dict.fromkeys(flags))


# Paths ---------------------------------------------------------------------------------


def existing_root(root: Path | str, what: str) -> Path:
    """Resolve a configured folder, refusing to go on when it is missing."""
    try:
        resolved = Path(root).resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise LibraryUnavailable(f"{what} {root} does not exist (is the disk mounted?)") from exc
    if not resolved.is_dir():
        raise LibraryUnavailable(f"{what} {root} is not a folder")
    return resolved


def inside(root: Path, relative: Path | str) -> Path:
    """Join `relative` under `root`, refusing anything that would land outside it."""
    relative = Path(relative)
    if relative.is_absolute() or ".." in relative.parts or "\x00" in str(relative):
        raise UnsafePath(f"{relative} is not a plain relative path")
    for part in relative.parts:
        if len(part.encode()) > 255:
            raise UnsafePath(f"a path component of {relative} is longer than 255 bytes")
    candidate = root / relative
    # Resolving catches a symlinked folder in the library that points elsewhere.
    if not candidate.parent.resolve().is_relative_to(root):
        raise UnsafePath(f"{relative} leads outside {root}")
    return candidate


# Picking files -------------------------------------------------------------------------


def scan_download(content_path: Path | str, *, downloads_dir: Path | str) -> Scan:
    """List the videos and subtitles of a download, skipping junk, links and anything outside."""
    root = existing_root(downloads_dir, "DOWNLOADS_DIR")
    if "\x00" in str(content_path):
        # pathlib answers "does not exist" for these; say what is really wrong.
        raise UnsafePath(f"download path {content_path!r} contains a NUL character")
    content = Path(content_path)
    if not content.is_absolute() or ".." in content.parts:
        raise UnsafePath(f"download path {content} is not a plain absolute path")
    if content.is_symlink():
        raise UnsafePath(f"download path {content} is a symlink")
    if not content.exists():
        raise NoMediaFiles(f"download path {content} does not exist")
    if not content.resolve().is_relative_to(root):
        raise UnsafePath(f"download path {content} is outside DOWNLOADS_DIR")

    videos: list[MediaFile] = []
    subtitles: list[MediaFile] = []
    skipped: list[tuple[str, str]] = []
    for path in _walk(content, skipped):
        relative = path.name if path == content else str(path.relative_to(content))
        stat = path.lstat()
        kind, reason = media_kind(relative, stat.st_size)
        if kind is None:
            skipped.append((relative, reason))
            continue
        if not path.resolve().is_relative_to(root):
            skipped.append((relative, "outside DOWNLOADS_DIR"))
            continue
        (videos if kind == "video" else subtitles).append(
            MediaFile(path, relative, stat.st_size, kind)
        )
    videos.sort(key=lambda f: (-f.size, f.relative))
    subtitles.sort(key=lambda f: (-f.size, f.relative))
    return Scan(tuple(videos), tuple(subtitles), tuple(skipped))


def media_kind(relative: str, size: int) -> tuple[Literal["video", "subtitle"] | None, str]:
    """Say from its path and size whether a file is a video or subtitle to file, or why not."""
    path = Path(relative)
    folders = {part.lower() for part in path.parts[:-1]}
    extension = path.suffix.lower()
    if extension not in VIDEO_EXTENSIONS | SUBTITLE_EXTENSIONS:
        return None, "not a video or subtitle"
    if folders & JUNK_FOLDERS:
        return None, "in an extras or sample folder"
    if folders & DISC_FOLDERS:
        return None, "part of a disc structure, which Plex cannot play"
    if extension in SUBTITLE_EXTENSIONS:
        return "subtitle", ""
    if _JUNK_STEM.search(path.stem) or (_SAMPLE_WORD.search(path.stem) and size < SAMPLE_MAX_BYTES):
        return None, "a sample or extra"
    return "video", ""


def _walk(content: Path, skipped: list[tuple[str, str]]) -> Iterable[Path]:
    """Yield regular files under `content` without following any symlink."""
    if content.is_file():
        yield content
        return
    for folder, dirnames, filenames in os.walk(content, followlinks=False):
        base = Path(folder)
        for name in sorted(dirnames):
            if (base / name).is_symlink():
                skipped.append((str((base / name).relative_to(content)), "a symlink"))
        for name in sorted(filenames):
            path = base / name
            if path.is_symlink() or not path.is_file():
                skipped.append((str(path.relative_to(content)), "a symlink or special file"))
                continue
            yield path


def episode_numbers(
    relative: str, default_season: int | None, absolute_offset: int | None = None
) -> tuple[int, list[int]] | None:
    """Read season and episodes from a file's name, then its folder's, then the request.

    With `absolute_offset`, a file naming no season anywhere is numbered from the show's
    first episode ("Show - 13.mkv"): its episodes are counted back into the season.
    """
    try:
        parsed = parse(Path(relative).name)
    except Exception:  # the parser rejects some hostile names; such files are skipped
        return None
    if not parsed.episodes:
        return None
    seasons = list(parsed.seasons)
    if not seasons and len(Path(relative).parts) > 1:
        try:
            seasons = list(parse(Path(relative).parts[-2]).seasons)
        except Exception:
            seasons = []
    season = seasons[0] if seasons else default_season
    if season is None:
        return None
    numbers = sorted(set(parsed.episodes))
    if not seasons and absolute_offset is not None:
        numbers = [n - absolute_offset for n in numbers]
        if numbers[0] < 1:
            return None  # an earlier season's episode
    return season, numbers


def _episode_numbers(
    file: MediaFile, default_season: int | None, absolute_offset: int | None = None
) -> tuple[int, list[int]] | None:
    """Read season and episodes of a file found in a download."""
    return episode_numbers(file.relative, default_season, absolute_offset)


def episode_code(season: int, episodes: Iterable[int]) -> str:
    """Write episodes the way people read them: S02E03, or S02E03-E04 for a range."""
    numbers = sorted(set(episodes))
    code = f"S{season:02d}E{numbers[0]:02d}"
    return code if len(numbers) == 1 else f"{code}-E{numbers[-1]:02d}"


def resolution_rank(names: Iterable[str]) -> tuple[int, str]:
    """Return the first resolution these names give (file, then folders): (1080, "1080p")."""
    for name in names:
        try:
            resolution = parse(name).resolution
        except Exception:  # noqa: S112 - a hostile name gives no resolution; the next may
            continue
        match = re.fullmatch(r"(\d{3,4})p", resolution or "")
        if match:
            return int(match[1]), resolution
    return 0, ""


def plan_import(
    scan: Scan, *, target: MediaTarget, library: Path
) -> tuple[list[PlannedFile], list[tuple[str, str]]]:
    """Decide the library path of each chosen file; return the plan and what was left out."""
    skipped = list(scan.skipped)
    if not scan.videos:
        raise NoMediaFiles("the download holds no video file")
    plan: list[PlannedFile] = []
    if target.kind == "movie":
        main, *others = scan.videos
        skipped += [(f.relative, "smaller than the main video") for f in others]
        plan.append(
            _planned(
                main,
                library,
                movie_path(title=target.title, year=target.year, extension=main.path.suffix),
            )
        )
        for subtitle in scan.subtitles:
            language, flags = subtitle_language(subtitle.path.stem)
            relative = movie_path(
                title=target.title,
                year=target.year,
                extension=subtitle.path.suffix,
                language=language,
                flags=flags,
            )
            plan.append(_planned(subtitle, library, relative))
    else:
        episodes: dict[tuple[int, tuple[int, ...]], MediaFile] = {}
        for video in scan.videos:
            numbers = _episode_numbers(video, target.season, target.absolute_offset)
            if numbers is None:
                skipped.append((video.relative, "no season and episode number in its name"))
            elif target.season is not None and numbers[0] != target.season:
                skipped.append((video.relative, f"season {numbers[0]} was not asked for"))
            elif target.episodes and not target.episodes & set(numbers[1]):
                # Also what keeps out a file whose priority was 0 in qBittorrent: pieces
                # straddling file boundaries leave such files on disk, partly written.
                code = episode_code(*numbers)
                skipped.append((video.relative, f"episode not asked for: {code}"))
            elif (numbers[0], tuple(numbers[1])) in episodes:
                skipped.append((video.relative, "a smaller copy of the same episode"))
            else:
                episodes[(numbers[0], tuple(numbers[1]))] = video
        if not episodes:
            if target.episodes:
                season = target.season or 0
                wanted = ", ".join(episode_code(season, [n]) for n in sorted(target.episodes))
                raise NoMediaFiles(f"no video file holds an episode asked for ({wanted})")
            raise NoMediaFiles("no video file has an episode number for the season asked for")
        for (season, numbers), video in episodes.items():
            relative = episode_path(
                show=target.title,
                year=target.year,
                season=season,
                episodes=numbers,
                extension=video.path.suffix,
            )
            planned = _planned(video, library, relative)
            kept, worse = _copies_in_library(planned, video, season, numbers)
            if kept:
                skipped.append((video.relative, kept))
                continue
            plan.append(replace(planned, replaces=worse))
            for subtitle in _subtitles_for(video, season, numbers, scan.subtitles):
                language, flags = subtitle_language(subtitle.path.stem)
                relative = episode_path(
                    show=target.title,
                    year=target.year,
                    season=season,
                    episodes=numbers,
                    extension=subtitle.path.suffix,
                    language=language,
                    flags=flags,
                )
                plan.append(_planned(subtitle, library, relative))
    return _drop_duplicate_destinations(plan, skipped)


def _planned(file: MediaFile, library: Path, relative: Path) -> PlannedFile:
    """Place one file under the library root, checked."""
    return PlannedFile(file.path, inside(library, relative), file.size)


def _copies_in_library(
    planned: PlannedFile, video: MediaFile, season: int, numbers: tuple[int, ...]
) -> tuple[str, tuple[Path, ...]]:
    """Say why an episode already in the season's folder is kept, or which copies the new replaces.

    The new file goes in only with a higher resolution read from its names than every copy
    of one of its episodes already there (any extension); it then replaces them. A copy
    whose resolution cannot be read (the names this importer writes carry none) is kept.
    """
    folder = planned.destination.parent
    if not folder.is_dir():
        return "", ()
    new_rank, _ = resolution_rank([video.path.name, *(p.name for p in video.path.parents[:3])])
    worse: list[Path] = []
    for existing in sorted(folder.iterdir()):
        if existing.suffix.lower() not in VIDEO_EXTENSIONS or not existing.is_file():
            continue
        held = episode_numbers(existing.name, season)
        if held is None or held[0] != season or not set(held[1]) & set(numbers):
            continue
        if existing == planned.destination and (
            existing.samefile(video.path) or existing.stat().st_size == video.size
        ):
            continue  # this very file, filed by an earlier run: `transfer` finds it in place
        rank, resolution = resolution_rank([existing.name])
        if new_rank <= rank or rank == 0:
            at = f" at {resolution}" if resolution else ""
            return f"{episode_code(season, held[1])} already in the library{at}", ()
        if existing != planned.destination:
            worse.append(existing)
    return "", tuple(worse)


def _subtitles_for(
    video: MediaFile, season: int, episodes: tuple[int, ...], subtitles: Iterable[MediaFile]
) -> list[MediaFile]:
    """Return the subtitles that belong to one episode file."""
    found = []
    for subtitle in subtitles:
        same_stem = subtitle.path.stem.startswith(video.path.stem) or (
            subtitle.path.parent.name == video.path.stem
        )
        numbers = _episode_numbers(subtitle, season)
        if same_stem or (numbers is not None and numbers == (season, list(episodes))):
            found.append(subtitle)
    return found


def _drop_duplicate_destinations(
    plan: list[PlannedFile], skipped: list[tuple[str, str]]
) -> tuple[list[PlannedFile], list[tuple[str, str]]]:
    """Keep the first (largest) file for each destination, e.g. two English subtitles."""
    seen: set[Path] = set()
    kept = []
    for item in plan:
        if item.destination in seen:
            skipped.append((item.source.name, "another file already takes its name"))
            continue
        seen.add(item.destination)
        kept.append(item)
    return kept, skipped


# Transfer ------------------------------------------------------------------------------


def _partial_name(folder: Path) -> Path:
    """Return a short temporary name in the destination folder, safe from the 255-byte limit."""
    return folder / f"{_PARTIAL_PREFIX}{secrets.token_hex(6)}{_PARTIAL_SUFFIX}"


def remove_stale_partials(folder: Path) -> None:
    """Delete temporary files a killed import left behind in `folder`."""
    cutoff = time.time() - STALE_PARTIAL_SECONDS
    for leftover in folder.glob(f"{_PARTIAL_PREFIX}*{_PARTIAL_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            # ctime, not mtime: a fresh hard link keeps its source's old mtime.
            if leftover.lstat().st_ctime < cutoff or _abandoned_copy(leftover):
                leftover.unlink(missing_ok=True)


def _abandoned_copy(partial: Path) -> bool:
    """Say whether `partial` is a copy whose writer died (nobody holds its lock)."""
    if partial.is_symlink() or partial.stat().st_nlink > 1:
        return False  # a hard link being renamed into place, never locked: leave it its hour
    with partial.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # an import copying right now
        return True


def _copy_atomically(source: Path, destination: Path, size: int) -> None:
    """Copy to a temporary name beside the destination, then rename it into place."""
    free = shutil.disk_usage(destination.parent).free
    if free < size:
        raise _no_space(destination, size, free)
    partial = _partial_name(destination.parent)
    try:
        with partial.open("xb") as held:
            # Held until the rename: a retry after this process dies sees the lock gone.
            fcntl.flock(held, fcntl.LOCK_EX)
            shutil.copyfile(source, partial)
            shutil.copystat(source, partial)
            os.fsync(held.fileno())
            partial.replace(destination)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            # The free-space check passed but something else wrote to the disk meanwhile.
            raise _no_space(destination, size, shutil.disk_usage(destination.parent).free) from exc
        if isinstance(exc, OSError):
            raise ImportFailed(f"could not copy into {destination.parent}: {exc.strerror}") from exc
        raise


def _no_space(destination: Path, size: int, free: int) -> NotEnoughSpace:
    """Say, for a person, that a file does not fit on the library's disk."""
    return NotEnoughSpace(
        f"no space left on the library disk: {destination.name} needs {size_text(size)} "
        f"and {destination.parent} has {size_text(free)} free; free some space there "
        "(nothing was left half-copied)"
    )


def _link_atomically(source: Path, destination: Path) -> bool:
    """Hard-link under a temporary name, then rename; False when links cannot cross here."""
    partial = _partial_name(destination.parent)
    try:
        os.link(source, partial)
    except OSError as exc:
        # EXDEV: another file system; EPERM/ENOTSUP: one without hard links (FAT, some NAS).
        if exc.errno in {errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK}:
            return False
        raise ImportFailed(f"could not link into {destination.parent}: {exc.strerror}") from exc
    try:
        partial.replace(destination)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ImportFailed(f"could not rename into {destination}: {exc.strerror}") from exc
    return True


def transfer(item: PlannedFile, *, mode: TransferMode) -> Action:
    """Put one file at its destination by `mode`; a file already there is left alone."""
    source, destination = item.source, item.destination
    replacing = destination.is_symlink()
    if destination.exists() and not replacing:
        if destination.samefile(source) or destination.stat().st_size == item.size:
            if mode == "move" and source.exists() and not destination.samefile(source):
                # A cross-disk move that died after the copy: finish it.
                source.unlink()
            return "already present"
        replacing = True
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(destination.parent)
    if mode == "hardlink":
        if _link_atomically(source, destination):
            return "replaced" if replacing else "linked"
        logger.info("hard link impossible for %s (other file system); copying", destination)
        _copy_atomically(source, destination, item.size)
        return "replaced" if replacing else "copied"
    if mode == "copy":
        _copy_atomically(source, destination, item.size)
        return "replaced" if replacing else "copied"
    if mode == "move":
        try:
            source.replace(destination)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise ImportFailed(f"could not move into {destination}: {exc.strerror}") from exc
            _copy_atomically(source, destination, item.size)
            source.unlink()
        return "replaced" if replacing else "moved"
    raise ValueError(f"unknown transfer mode {mode!r}")


def _already_imported(target: MediaTarget, library: Path) -> list[Path]:
    """Find videos a previous move-mode import already filed for this target."""
    folder = library / _folder_name(target.title, target.year)
    if target.kind == "tv" and target.season is not None:
        folder = folder / f"Season {target.season:02d}"
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file()
    )


def _check_free_space(plan: list[PlannedFile], library: Path) -> None:
    """Refuse a copy that cannot fit, before writing its first byte."""
    needed = sum(i.size for i in plan if not i.destination.exists())
    free = shutil.disk_usage(library).free
    if needed > free:
        raise NotEnoughSpace(
            f"no space left on the library disk: {size_text(needed)} to copy and {library} "
            f"has {size_text(free)} free; free some space there"
        )


def _folders_to_create(plan: list[PlannedFile], library: Path) -> list[Path]:
    """Return the destination folders that do not exist yet, deepest first."""
    missing: set[Path] = set()
    for item in plan:
        folder = item.destination.parent
        while folder != library and not folder.exists():
            missing.add(folder)
            folder = folder.parent
    return sorted(missing, key=lambda p: len(p.parts), reverse=True)


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        # Not empty (an earlier file of this import stays there), or already gone.
        with contextlib.suppress(OSError):
            folder.rmdir()


def file_into_library(
    *,
    content_path: Path | str,
    target: MediaTarget,
    mode: TransferMode | None = None,
    downloads_dir: Path | str | None = None,
    movies_dir: Path | str | None = None,
    tv_dir: Path | str | None = None,
) -> ImportResult:
    """Pick a finished download's media, name it for Plex and transfer it into the library."""
    mode = mode or settings.TRANSFER_MODE
    downloads = downloads_dir or settings.DOWNLOADS_DIR
    if target.kind == "movie":
        library = existing_root(movies_dir or settings.MOVIES_DIR, "MOVIES_DIR")
    else:
        library = existing_root(tv_dir or settings.TV_DIR, "TV_DIR")
    folder = inside(library, _folder_name(target.title, target.year))
    try:
        scan = scan_download(content_path, downloads_dir=downloads)
        plan, skipped = plan_import(scan, target=target, library=library)
    except NoMediaFiles:
        # After a move the download folder is empty: what the first run filed is the answer.
        done = _already_imported(target, library) if mode == "move" else []
        if not done:
            raise
        return ImportResult(folder, tuple(ImportedFile(p, p, "already present") for p in done))
    if mode == "copy":
        _check_free_space(plan, library)
    created = _folders_to_create(plan, library)
    try:
        files = tuple(ImportedFile(i.source, i.destination, transfer(i, mode=mode)) for i in plan)
    except ImportFailed:
        # An empty "Title (Year)" folder would show in Plex's file browser and look filed.
        _remove_if_empty(created)
        raise
    for item in plan:
        for worse in item.replaces:
            # The better copy is in place under its own name; Plex would list both.
            worse.unlink(missing_ok=True)
            logger.info("import: %s replaced by %s", worse.name, item.destination.name)
    for file in files:
        logger.info("import %s: %s -> %s", file.action, file.source.name, file.destination)
    return ImportResult(_scan_folder(folder, plan), files, tuple(skipped))


def _scan_folder(show_folder: Path, plan: list[PlannedFile]) -> Path:
    """The folder Plex scans: a season's own, when every file went there, else the title's."""
    parents = {item.destination.parent for item in plan}
    # A movie's files are in its folder already; a season's one level below its show's.
    if len(parents) == 1 and next(iter(parents)).parent == show_folder:
        return parents.pop()
    return show_folder
