"""The simulated torrents: what a .torrent or magnet holds, and the file it writes."""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import bencodepy

VERSION = "v4.6.7"
WEBAPI_VERSION = "2.9.3"
VIDEO_EXTENSIONS = (".mkv", ".mp4", ".m4v", ".avi", ".mov", ".ts", ".webm")
# A magnet without `xl` and no indexer to ask: what qBittorrent shows once metadata arrives.
DEFAULT_MAGNET_SIZE = 1 << 30
# A magnet spends this long in metaDL, as a real one waits for a peer's metadata.
METADATA_SECONDS = 0.2
ETA_INFINITY = 8_640_000
CHUNK = b"\x1a\x45\xdf\xa3" * 16384  # 64 KiB of Matroska's magic, repeated


@dataclass
class SimTorrent:
    """One torrent the simulator holds, and how far it got."""

    hash: str
    name: str
    size: int
    save_path: str
    category: str = ""
    tags: list[str] = field(default_factory=list)
    # Relative path of the one real file written, under save_path.
    file: str = ""
    # Bytes really written for the whole advertised size (scaled down).
    real_size: int = 0
    magnet: bool = False
    paused: bool = False
    # A multi-file torrent's files (path under save_path, size) and their priorities; empty:
    # the one `file` above stands for the whole torrent.
    files: list[tuple[str, int]] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    files_written: dict[int, int] = field(default_factory=dict)
    # When the file list is known: at once for a .torrent, after METADATA_SECONDS for a
    # magnet, never for a magnet added stopped (it asks no peer).
    metadata_at: float = 0.0
    stop_after_metadata: bool = False
    fault: str = ""  # "", "stall" or "error"
    downloaded: int = 0
    written: int = 0
    added_on: int = 0
    added_at: float = 0.0
    completion_on: int = 0
    completed_at: float = 0.0
    ratio: float = 0.0
    seeding_time: int | None = None
    last_tick: float = 0.0

    @property
    def content_path(self) -> str:
        """Return the file, or the torrent's folder when the file sits in one."""
        first = Path(self.file).parts[0]
        return str(Path(self.save_path) / first)

    @property
    def progress(self) -> float:
        return 1.0 if self.size == 0 else min(1.0, self.downloaded / self.size)

    def state(self, now: float) -> str:
        """Return qBittorrent 4.x's state name for this torrent."""
        if self.fault == "error":
            return "error"
        done = self.downloaded >= self.size
        if done:
            return "pausedUP" if self.paused else "stalledUP"
        if self.paused:
            return "pausedDL"
        if self.magnet and now - self.added_at < METADATA_SECONDS:
            return "metaDL"
        if self.fault == "stall":
            return "metaDL" if self.magnet and self.downloaded == 0 else "stalledDL"
        return "downloading"


def _safe_component(name: str) -> str:
    """Make a torrent's name one harmless path component (names from the internet are hostile)."""
    cleaned = "".join("_" if c in "/\\\x00" or ord(c) < 32 else c for c in name).strip()
    if cleaned in {"", ".", ".."}:
        cleaned = "torrent"
    return cleaned.encode()[:200].decode(errors="ignore")


def video_name(name: str) -> str:
    """Return the name a video file of this torrent gets: its own, or with `.mkv` added."""
    return name if name.lower().endswith(VIDEO_EXTENSIONS) else f"{name}.mkv"


def parse_torrent(data: bytes) -> tuple[str, str, int, str]:
    """Return a .torrent's info hash, name, total size and the relative path of its video."""
    meta = bencodepy.decode(data)
    info = meta[b"info"]
    info_hash = hashlib.sha1(bencodepy.encode(info), usedforsecurity=False).hexdigest()
    name = _safe_component(info[b"name"].decode(errors="replace"))
    if b"files" not in info:
        return info_hash, name, int(info[b"length"]), video_name(name)
    files = [(int(f[b"length"]), [p.decode(errors="replace") for p in f[b"path"]])
             for f in info[b"files"]]  # fmt: skip
    largest = max(files, key=lambda f: f[0])[1]
    inner = video_name(_safe_component(largest[-1]))
    return info_hash, name, sum(size for size, _ in files), f"{name}/{inner}"


def torrent_files(data: bytes) -> list[tuple[str, int]]:
    """Return a multi-file .torrent's files (path under the save path, size), else []."""
    info = bencodepy.decode(data)[b"info"]
    if b"files" not in info:
        return []
    name = _safe_component(info[b"name"].decode(errors="replace"))
    files = []
    for entry in info[b"files"]:
        # As libtorrent does: ".." and empty parts are dropped, so nothing leaves the folder.
        parts = [p.decode(errors="replace") for p in entry[b"path"]]
        parts = [_safe_component(p) for p in parts if p not in {"", ".", ".."}] or ["file"]
        files.append(("/".join([name, *parts]), int(entry[b"length"])))
    return files


def magnet_fields(magnet: str) -> tuple[str, str, int | None]:
    """Return a magnet's hex info hash, display name and `xl` size (if given)."""
    params = parse_qs(urlsplit(magnet).query)
    info_hash = ""
    for topic in params.get("xt", []):
        if topic.lower().startswith("urn:btih:"):
            value = topic[9:]
            info_hash = value.lower() if len(value) == 40 else base64.b32decode(value.upper()).hex()
    if not info_hash:
        raise ValueError("no btih")
    name = params.get("dn", [info_hash])[0]
    size = params.get("xl", [None])[0]
    return info_hash, _safe_component(name), int(size) if size and size.isdigit() else None


def metadata_at(now: float, *, magnet: bool, paused: bool) -> float:
    """Return when a new torrent's file list becomes known."""
    if not magnet:
        return now
    # A stopped magnet connects to nobody, so its metadata never comes (seen on 4.5.2).
    return math.inf if paused else now + METADATA_SECONDS
