"""A qBittorrent simulator: the Web API v2 subset the app uses, over real HTTP.

It logs in with a SID cookie, adds magnets and .torrent files, "downloads" them at a set
speed (or each in a set time) of their advertised size while writing a real (scaled-down)
video file under the save path — or, for a multi-file .torrent, every file whose priority
is not 0 (`torrents/files`, `torrents/filePrio`; a magnet has no file list until its
metadata "arrives", and `stopCondition=MetadataReceived` stops it then), lists, deletes
(with the files), and fails on request:
down (connection refused or 503), an expired session (403 until the client logs in
again), slow answers, and a torrent that stalls, errors or disappears. It answers as
qBittorrent 4.6.7 (Web API 2.9.3).
Run it alone with `python -m plexkiosk.simulators.qbittorrent --port 8080`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import secrets
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bencodepy

from plexkiosk.simulators.http import SimulatorHandler

VERSION = "v4.6.7"
WEBAPI_VERSION = "2.9.3"
VIDEO_EXTENSIONS = (".mkv", ".mp4", ".m4v", ".avi", ".mov", ".ts", ".webm")
# A magnet without `xl` and no indexer to ask: what qBittorrent shows once metadata arrives.
DEFAULT_MAGNET_SIZE = 1 << 30
# A magnet spends this long in metaDL, as a real one waits for a peer's metadata.
METADATA_SECONDS = 0.2
_ETA_INFINITY = 8_640_000
_CHUNK = b"\x1a\x45\xdf\xa3" * 16384  # 64 KiB of Matroska's magic, repeated


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


def _video_name(name: str) -> str:
    """Return the name a video file of this torrent gets: its own, or with `.mkv` added."""
    return name if name.lower().endswith(VIDEO_EXTENSIONS) else f"{name}.mkv"


def parse_torrent(data: bytes) -> tuple[str, str, int, str]:
    """Return a .torrent's info hash, name, total size and the relative path of its video."""
    meta = bencodepy.decode(data)
    info = meta[b"info"]
    info_hash = hashlib.sha1(bencodepy.encode(info), usedforsecurity=False).hexdigest()
    name = _safe_component(info[b"name"].decode(errors="replace"))
    if b"files" not in info:
        return info_hash, name, int(info[b"length"]), _video_name(name)
    files = [(int(f[b"length"]), [p.decode(errors="replace") for p in f[b"path"]])
             for f in info[b"files"]]  # fmt: skip
    largest = max(files, key=lambda f: f[0])[1]
    inner = _video_name(_safe_component(largest[-1]))
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


def _magnet_fields(magnet: str) -> tuple[str, str, int | None]:
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


class QBittorrentSimulator:
    """Hold torrents and serve qBittorrent's Web API for them on 127.0.0.1."""

    def __init__(
        self,
        *,
        username: str = "admin",
        password: str = "adminadmin",  # noqa: S107 - qBittorrent's well-known default
        torrents_url: str | None = None,
        speed: int = 4 << 20,
        download_seconds: float | None = None,
        save_path: str | None = None,
        max_file_bytes: int = 8 << 20,
    ) -> None:
        self.username = username
        self.password = password
        # The Torznab simulator (its API URL will do), which serves /download/<hash>.torrent
        # at its root: a magnet's "metadata" (name, size, files) comes from there, as it
        # would from peers in a real swarm.
        self.torrents_url = None
        if torrents_url:
            parts = urlsplit(torrents_url)
            self.torrents_url = f"{parts.scheme}://{parts.netloc}"
        self.speed = speed
        # When set, every torrent takes this long whatever its size (the demo's pace: a
        # realistic 10 GB film done in half a minute); `speed` is then ignored.
        self.download_seconds = download_seconds
        self.max_file_bytes = max_file_bytes
        self.default_save_path = save_path or tempfile.mkdtemp(prefix="qbt-sim-")
        self.torrents: dict[str, SimTorrent] = {}
        self.categories: dict[str, str] = {}
        self.sessions: set[str] = set()
        self.calls: Counter[str] = Counter()
        self.delay = 0.0
        self.down_mode = ""  # "", "refuse" or "503"
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._address: tuple[str, int] | None = None
        self._rid = 0
        # What app/setPreferences changed (e.g. autorun_enabled, autorun_program).
        self.preferences: dict[str, Any] = {"autorun_enabled": False, "autorun_program": ""}

    # --- faults, set by tests at run time -----------------------------------------------
    def down(self, how: str = "refuse") -> None:
        """Stop answering: refuse connections ("refuse") or answer 503 ("503")."""
        if how not in {"refuse", "503"}:
            raise ValueError("how is 'refuse' or '503'")
        self.down_mode = how
        if how == "refuse" and self._server is not None:
            self._shutdown()

    def up(self) -> None:
        """Answer again, on the same port, with the torrents kept (sessions are kept too)."""
        was = self.down_mode
        self.down_mode = ""
        if was == "refuse" and self._address is not None and self._server is None:
            self.start(port=self._address[1], host=self._address[0])

    def expire_session(self) -> None:
        """Forget every session, as a restarted qBittorrent does: the next call gets 403."""
        with self._lock:
            self.sessions.clear()

    def slow(self, seconds: float) -> None:
        """Wait `seconds` before answering each call (0 to stop)."""
        self.delay = seconds

    def stall(self, info_hash: str) -> None:
        """Make a torrent stop progressing, with nobody seeding it."""
        self._torrent(info_hash).fault = "stall"

    def error(self, info_hash: str) -> None:
        """Put a torrent in qBittorrent's "error" state."""
        self._torrent(info_hash).fault = "error"

    def heal(self, info_hash: str) -> None:
        """Let a stalled or errored torrent go on."""
        self._torrent(info_hash).fault = ""

    def lose(self, info_hash: str) -> None:
        """Make a torrent disappear (its files stay), as after a lost resume file."""
        with self._lock:
            self.torrents.pop(info_hash.lower(), None)

    def update(self, info_hash: str, **fields: Any) -> SimTorrent:
        """Change a torrent's fields (ratio, seeding_time, downloaded…) for a test."""
        torrent = self._torrent(info_hash)
        with self._lock:
            for name, value in fields.items():
                setattr(torrent, name, value)
        return torrent

    def finish(self, info_hash: str) -> SimTorrent:
        """Complete a torrent now, writing the rest of its file."""
        with self._lock:
            torrent = self._torrent(info_hash)
            torrent.downloaded = torrent.size
            self._advance(torrent, time.monotonic())
        return torrent

    def _torrent(self, info_hash: str) -> SimTorrent:
        with self._lock:
            return self.torrents[info_hash.lower()]

    def reset_counts(self) -> None:
        """Forget the calls counted so far."""
        with self._lock:
            self.calls.clear()

    # --- torrents -------------------------------------------------------------------------
    def add(
        self,
        *,
        info_hash: str,
        name: str,
        size: int,
        save_path: str | None = None,
        category: str = "",
        tags: list[str] | None = None,
        file: str | None = None,
        magnet: bool = False,
        paused: bool = False,
        write_files: bool = True,
        files: list[tuple[str, int]] | None = None,
        stop_after_metadata: bool = False,
    ) -> SimTorrent:
        """Add a torrent directly (what `torrents/add` does once it knows name and size)."""
        now = time.monotonic()
        with self._lock:
            existing = self.torrents.get(info_hash)
            if existing is not None:
                return existing
            if category and category not in self.categories:
                self.categories[category] = ""
            torrent = SimTorrent(
                hash=info_hash,
                name=name,
                size=size,
                save_path=save_path or self.default_save_path,
                category=category,
                tags=list(tags or []),
                file=file or _video_name(name),
                real_size=min(size, self.max_file_bytes) if write_files else 0,
                magnet=magnet,
                paused=paused,
                files=list(files or []),
                priorities=[1] * len(files or []),
                metadata_at=_metadata_at(now, magnet=magnet, paused=paused),
                stop_after_metadata=stop_after_metadata,
                added_on=int(time.time()),
                added_at=now,
                last_tick=now,
            )
            self.torrents[info_hash] = torrent
            self._write(torrent)
            return torrent

    def add_many(
        self, n: int, *, category: str = "plexkiosk", size: int = 4 << 30
    ) -> list[SimTorrent]:
        """Add `n` torrents at various progress (no files written), for benchmarks."""
        added = []
        for i in range(n):
            info_hash = hashlib.sha1(f"bench-{i}".encode(), usedforsecurity=False).hexdigest()
            torrent = self.add(
                info_hash=info_hash,
                name=f"Bench.Film.{i}.2020.1080p.BluRay.x264-SIM",
                size=size,
                category=category,
                tags=[f"pk-{info_hash[:8]}"],
                write_files=False,
            )
            # Spread from 0 to 95 %: none completes during a benchmark pass.
            torrent.downloaded = int(size * (i % 96) / 100)
            added.append(torrent)
        return added

    def speed_of(self, torrent: SimTorrent) -> int:
        """Return the bytes per second this torrent downloads at."""
        if self.download_seconds:
            return max(1, math.ceil(torrent.size / self.download_seconds))
        return self.speed

    def _advance(self, torrent: SimTorrent, now: float) -> None:
        """Move a torrent's download on by the time passed since it was last looked at."""
        elapsed = max(0.0, now - torrent.last_tick)
        torrent.last_tick = now
        if torrent.stop_after_metadata and now >= torrent.metadata_at:
            # qBittorrent stops the torrent the moment its metadata arrives.
            torrent.paused, torrent.stop_after_metadata = True, False
        state = torrent.state(now)
        if state == "downloading":
            metadata_end = torrent.added_at + METADATA_SECONDS if torrent.magnet else 0
            elapsed = min(elapsed, now - metadata_end) if metadata_end else elapsed
            gained = int(elapsed * self.speed_of(torrent))
            torrent.downloaded = min(torrent.size, torrent.downloaded + gained)
        if torrent.downloaded >= torrent.size and not torrent.completion_on:
            torrent.completion_on = int(time.time())
            torrent.completed_at = now
        self._write(torrent)

    def _write(self, torrent: SimTorrent) -> None:
        """Grow the real file to the share of `real_size` the progress says."""
        if not torrent.real_size:
            return
        if torrent.files:
            self._write_files(torrent)
            return
        target = int(torrent.real_size * torrent.progress)
        if target <= torrent.written:
            return
        path = Path(torrent.save_path) / torrent.file
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            handle.truncate(torrent.written)
            remaining = target - torrent.written
            while remaining > 0:
                chunk = _CHUNK[: min(remaining, len(_CHUNK))]
                handle.write(chunk)
                remaining -= len(chunk)
        torrent.written = target

    def _write_files(self, torrent: SimTorrent) -> None:
        """Grow every file not at priority 0 (scaled down) to the share the progress says."""
        chosen = [i for i, priority in enumerate(torrent.priorities) if priority]
        each = max(1, self.max_file_bytes // max(1, len(chosen)))
        for index in chosen:
            name, size = torrent.files[index]
            target = int(min(size, each) * torrent.progress)
            written = torrent.files_written.get(index, 0)
            if target <= written:
                continue
            path = Path(torrent.save_path) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as handle:
                handle.truncate(written)
                handle.write((_CHUNK * (1 + (target - written) // len(_CHUNK)))[: target - written])
            torrent.files_written[index] = target

    def _delete_files(self, torrent: SimTorrent) -> None:
        """Delete what the torrent wrote: its file, or its folder."""
        content = Path(torrent.content_path)
        if content.is_dir() and not content.is_symlink():
            shutil.rmtree(content, ignore_errors=True)
        else:
            content.unlink(missing_ok=True)

    def _info(self, torrent: SimTorrent, now: float) -> dict[str, Any]:
        """Return a torrent as `torrents/info` lists it."""
        self._advance(torrent, now)
        state = torrent.state(now)
        done = torrent.downloaded >= torrent.size
        # Speed 0: a swarm with nobody sending, "downloading" with no ETA as qBittorrent shows.
        speed = self.speed_of(torrent)
        moving = state == "downloading" and speed > 0
        left = torrent.size - torrent.downloaded
        seeds = 0 if torrent.fault == "stall" else 5
        seeding_time = torrent.seeding_time
        if seeding_time is None:
            seeding_time = int(now - torrent.completed_at) if done else 0
        return {
            "hash": torrent.hash,
            "infohash_v1": torrent.hash,
            "name": torrent.name,
            "state": state,
            "progress": round(torrent.progress, 4) if not done else 1,
            "dlspeed": speed if moving else 0,
            "upspeed": 0,
            "eta": math.ceil(left / speed) if moving else _ETA_INFINITY,
            "num_seeds": seeds if not done else 0,
            "num_complete": seeds,
            "num_leechs": 0,
            "num_incomplete": 0,
            "amount_left": left,
            "size": torrent.size,
            "total_size": torrent.size,
            "downloaded": torrent.downloaded,
            "completed": torrent.downloaded,
            "content_path": torrent.content_path,
            "save_path": torrent.save_path,
            "download_path": "",
            "category": torrent.category,
            "tags": ", ".join(torrent.tags),
            "ratio": torrent.ratio,
            "seeding_time": seeding_time,
            "added_on": torrent.added_on,
            "completion_on": torrent.completion_on or -1,
            "auto_tmm": False,
            "magnet_uri": f"magnet:?xt=urn:btih:{torrent.hash}",
        }

    def _metadata(self, info_hash: str) -> tuple[str, int, str, list[tuple[str, int]]] | None:
        """Ask the indexer for a magnet's .torrent (name, size, file, files); None if none."""
        if not self.torrents_url:
            return None
        url = f"{self.torrents_url}/download/{info_hash}.torrent"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - our own URL
                data = answer.read(10 << 20)
            found, name, size, file = parse_torrent(data)
            listed = torrent_files(data)
        except Exception:  # no metadata is a normal answer here
            return None
        return (name, size, file, listed) if found == info_hash else None

    # --- the Web API ----------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes, dict[str, str]]:
        """Answer one request: status, content type, body and extra headers."""
        parts = urlsplit(raw_path)
        endpoint = parts.path.removeprefix("/api/v2/")
        with self._lock:
            self.calls[endpoint] += 1
        if self.delay:
            time.sleep(self.delay)
        if self.down_mode == "503":
            return 503, "text/plain", b"Service Unavailable", {}
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        files: list[bytes] = []
        content_type = headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form, files = _multipart(content_type, body)
            params.update(form)
        elif body:
            params.update({k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()})
        if endpoint == "auth/login":
            return self._login(params)
        if endpoint == "auth/logout":
            return _text("Ok.")
        if _session(headers.get("cookie", "")) not in self.sessions:
            return 403, "text/plain", b"Forbidden", {}
        route = _ROUTES.get(endpoint)
        if route is None:
            return 404, "text/plain", b"Not Found", {}
        with self._lock:
            return route(self, params, files)

    def _login(self, params: dict[str, str]) -> tuple[int, str, bytes, dict[str, str]]:
        if params.get("username") != self.username or params.get("password") != self.password:
            # qBittorrent 4.x answers bad credentials with 200 "Fails.".
            return _text("Fails.")
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self.sessions.add(sid)
        return 200, "text/plain", b"Ok.", {"Set-Cookie": f"SID={sid}; HttpOnly; path=/"}

    def _add(self, params: dict[str, str], files: list[bytes]) -> tuple[int, str, bytes, dict]:
        save_path = params.get("savepath") or self.default_save_path
        category = params.get("category", "")
        tags = [t.strip() for t in params.get("tags", "").split(",") if t.strip()]
        # qBittorrent reads booleans case-insensitively; 5.0 renamed `paused` to `stopped`.
        paused = "true" in (params.get("paused", "").lower(), params.get("stopped", "").lower())
        options = {"save_path": save_path, "category": category, "tags": tags, "paused": paused}
        stop_after_metadata = params.get("stopCondition") == "MetadataReceived" and not paused
        added = 0
        for data in files:
            try:
                info_hash, name, size, file = parse_torrent(data)
                listed = torrent_files(data)
            except Exception:  # noqa: S112 - unparsable files are skipped, as 4.x does
                continue
            self.add(info_hash=info_hash, name=name, size=size, file=file, files=listed, **options)
            added += 1
        for url in filter(None, (u.strip() for u in params.get("urls", "").splitlines())):
            try:
                info_hash, name, size = _magnet_fields(url)
            except (ValueError, TypeError):
                continue
            known = self._metadata(info_hash)
            listed: list[tuple[str, int]] = []
            if known is not None:
                name, size, file, listed = known
            else:
                size, file = size or DEFAULT_MAGNET_SIZE, _video_name(name)
            self.add(
                info_hash=info_hash,
                name=name,
                size=size,
                file=file,
                magnet=True,
                files=listed,
                stop_after_metadata=stop_after_metadata,
                **options,
            )
            added += 1
        if files and not added and not params.get("urls"):
            # 4.x answers 415 to a file it cannot parse.
            return 415, "text/plain", b"Torrent file is not valid.", {}
        return _text("Ok." if added else "Fails.")

    def _selected(self, params: dict[str, str]) -> list[SimTorrent]:
        """Return the torrents the `hashes` (and `category`, `tag`) parameters pick."""
        torrents = list(self.torrents.values())
        hashes = params.get("hashes")
        if hashes and hashes != "all":
            wanted = {h.lower() for h in hashes.split("|")}
            torrents = [t for t in torrents if t.hash in wanted]
        if "category" in params:
            torrents = [t for t in torrents if t.category == params["category"]]
        if "tag" in params:
            torrents = [t for t in torrents if params["tag"] in t.tags]
        return torrents

    def _list(self, params: dict[str, str], files: list[bytes]) -> tuple[int, str, bytes, dict]:
        now = time.monotonic()
        return _json([self._info(t, now) for t in self._selected(params)])

    def _delete(self, params: dict[str, str], files: list[bytes]) -> tuple[int, str, bytes, dict]:
        for torrent in self._selected({"hashes": params.get("hashes", "")}):
            self.torrents.pop(torrent.hash, None)
            if params.get("deleteFiles", "").lower() == "true":
                self._delete_files(torrent)
        return _text("")

    def _pause(self, params: dict[str, str], files: list[bytes], paused: bool = True) -> tuple:
        for torrent in self._selected({"hashes": params.get("hashes", "")}):
            torrent.paused = paused
        return _text("")

    def _resume(self, params: dict[str, str], files: list[bytes]) -> tuple:
        return self._pause(params, files, paused=False)

    def _categories(self, params: dict[str, str], files: list[bytes]) -> tuple:
        return _json({n: {"name": n, "savePath": p} for n, p in self.categories.items()})

    def _create_category(self, params: dict[str, str], files: list[bytes]) -> tuple:
        name = params.get("category", "")
        if not name or name.startswith("/") or "//" in name:
            return 400, "text/plain", b"Incorrect category name", {}
        if name in self.categories:
            return 409, "text/plain", b"Category with the given name already exists", {}
        self.categories[name] = params.get("savePath", "")
        return _text("")

    def _files(self, params: dict[str, str], files: list[bytes]) -> tuple:
        torrent = self.torrents.get(params.get("hash", "").lower())
        if torrent is None:
            return 404, "text/plain", b"Not Found", {}
        now = time.monotonic()
        self._advance(torrent, now)
        if now < torrent.metadata_at:
            return _json([])  # a magnet without its metadata lists no file
        if torrent.files:
            return _json(self._file_list(torrent))
        return _json(
            [
                {
                    "index": 0,
                    "name": torrent.file,
                    "size": torrent.size,
                    "progress": torrent.progress,
                    "priority": 1,
                    "is_seed": torrent.progress >= 1,
                    "piece_range": [0, max(0, math.ceil(torrent.size / (4 << 20)) - 1)],
                    "availability": 0 if torrent.fault == "stall" else 1,
                }
            ]
        )

    def _file_list(self, torrent: SimTorrent) -> list[dict[str, Any]]:
        """Return a multi-file torrent's files as `torrents/files` lists them."""
        return [
            {
                "index": index,
                "name": name,
                "size": size,
                "progress": torrent.progress if torrent.priorities[index] else 0,
                "priority": torrent.priorities[index],
                "is_seed": torrent.progress >= 1,
                "availability": 0 if torrent.fault == "stall" else 1,
            }
            for index, (name, size) in enumerate(torrent.files)
        ]

    def _file_priority(self, params: dict[str, str], files: list[bytes]) -> tuple:
        torrent = self.torrents.get(params.get("hash", "").lower())
        if torrent is None:
            return 404, "text/plain", b"Not Found", {}
        try:
            priority = int(params.get("priority", ""))
            ids = [int(i) for i in params.get("id", "").split("|")]
        except ValueError:
            return 400, "text/plain", b"Bad Request", {}
        if priority not in {0, 1, 6, 7}:
            return 400, "text/plain", b"Priority is not valid", {}
        count = len(torrent.files) or 1
        if time.monotonic() < torrent.metadata_at or any(not 0 <= i < count for i in ids):
            # 4.x answers 409 to ids it does not have, and while metadata is missing.
            return 409, "text/plain", b"File IDs are not valid", {}
        if torrent.files:
            for i in ids:
                torrent.priorities[i] = priority
            # qBittorrent's size and progress count the selected files only.
            chosen = zip(torrent.files, torrent.priorities, strict=True)
            torrent.size = sum(size for (_, size), priority in chosen if priority)
            torrent.downloaded = min(torrent.downloaded, torrent.size)
        return _text("")

    def _properties(self, params: dict[str, str], files: list[bytes]) -> tuple:
        torrent = self.torrents.get(params.get("hash", "").lower())
        if torrent is None:
            return 404, "text/plain", b"Not Found", {}
        info = self._info(torrent, time.monotonic())
        return _json(
            {
                "save_path": torrent.save_path,
                "creation_date": torrent.added_on,
                "piece_size": 4 << 20,
                "total_size": torrent.size,
                "total_downloaded": torrent.downloaded,
                "dl_speed": info["dlspeed"],
                "eta": info["eta"],
                "seeds": info["num_seeds"],
                "seeds_total": info["num_complete"],
                "share_ratio": torrent.ratio,
                "seeding_time": info["seeding_time"],
                "addition_date": torrent.added_on,
                "completion_date": info["completion_on"],
            }
        )

    def _maindata(self, params: dict[str, str], files: list[bytes]) -> tuple:
        # Always a full snapshot: a client tracking `rid` just replaces what it had.
        self._rid += 1
        now = time.monotonic()
        torrents = {}
        for torrent in self.torrents.values():
            info = self._info(torrent, now)
            torrents[info.pop("hash")] = info
        return _json(
            {
                "rid": self._rid,
                "full_update": True,
                "torrents": torrents,
                "categories": {n: {"name": n, "savePath": p} for n, p in self.categories.items()},
                "tags": sorted({tag for t in self.torrents.values() for tag in t.tags}),
                "server_state": {"connection_status": "connected", "dl_info_speed": 0},
            }
        )

    def _preferences(self, params: dict[str, str], files: list[bytes]) -> tuple:
        return _json(
            {
                "save_path": self.default_save_path,
                "web_ui_username": self.username,
                "max_ratio_enabled": False,
                "max_ratio": -1,
                "queueing_enabled": False,
                "dht": False,
            }
            | self.preferences
        )

    def _set_preferences(self, params: dict[str, str], files: list[bytes]) -> tuple:
        # qBittorrent takes a `json` form field and ignores keys it does not know.
        try:
            changes = json.loads(params.get("json", ""))
        except ValueError:
            return 400, "text/plain", b"Bad Request", {}
        if not isinstance(changes, dict):
            return 400, "text/plain", b"Bad Request", {}
        self.preferences.update(changes)
        return _text("")

    # --- the HTTP server ------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve in a daemon thread; return the base URL."""
        simulator = self

        class Handler(SimulatorHandler):
            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and
                # the client's delayed ACK add 40 ms to every keep-alive answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                if simulator.down_mode == "refuse":
                    # A connection kept alive from before: drop it, as a dead process would.
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, ctype, data, extra = simulator.handle(method, self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up waiting (slow-answer mode): nobody to answer.
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._address = self._server.server_address[:2]
        # A short poll keeps stop() and down() quick (the default is half a second).
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self.url

    @property
    def url(self) -> str:
        """Return the base URL (kept while the simulator is down)."""
        if self._address is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._address
        return f"http://{host}:{port}"

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving."""
        self._shutdown()
        self._address = None


_ROUTES = {
    "app/version": lambda sim, p, f: _text(VERSION),
    "app/webapiVersion": lambda sim, p, f: _text(WEBAPI_VERSION),
    "app/buildInfo": lambda sim, p, f: _json(
        {
            "qt": "6.4.2",
            "libtorrent": "2.0.10.0",
            "boost": "1.83.0",
            "openssl": "3.0.13",
            "zlib": "1.3",
            "bitness": 64,
        }
    ),
    "app/preferences": QBittorrentSimulator._preferences,
    "app/setPreferences": QBittorrentSimulator._set_preferences,
    "torrents/add": QBittorrentSimulator._add,
    "torrents/info": QBittorrentSimulator._list,
    "torrents/delete": QBittorrentSimulator._delete,
    "torrents/pause": QBittorrentSimulator._pause,
    "torrents/stop": QBittorrentSimulator._pause,
    "torrents/resume": QBittorrentSimulator._resume,
    "torrents/start": QBittorrentSimulator._resume,
    "torrents/categories": QBittorrentSimulator._categories,
    "torrents/createCategory": QBittorrentSimulator._create_category,
    "torrents/files": QBittorrentSimulator._files,
    "torrents/filePrio": QBittorrentSimulator._file_priority,
    "torrents/properties": QBittorrentSimulator._properties,
    "sync/maindata": QBittorrentSimulator._maindata,
}


def _metadata_at(now: float, *, magnet: bool, paused: bool) -> float:
    """Return when a new torrent's file list becomes known."""
    if not magnet:
        return now
    # A stopped magnet connects to nobody, so its metadata never comes (seen on 4.5.2).
    return math.inf if paused else now + METADATA_SECONDS


def _text(text: str) -> tuple[int, str, bytes, dict[str, str]]:
    return 200, "text/plain; charset=UTF-8", text.encode(), {}


def _json(value: Any) -> tuple[int, str, bytes, dict[str, str]]:
    return 200, "application/json", json.dumps(value).encode(), {}


def _session(cookie_header: str) -> str:
    """Return the SID cookie's value from a Cookie header."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "SID":
            return value
    return ""


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[bytes]]:
    """Split a multipart form into its text fields and the files named `torrents`."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form: dict[str, str] = {}
    files: list[bytes] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files.append(payload)
        elif name:
            form[name] = payload.decode(errors="replace")
    return form, files


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="adminadmin")
    parser.add_argument("--speed", type=int, default=4 << 20, help="bytes per second")
    parser.add_argument(
        "--seconds", type=float, default=None, help="download each torrent in this time instead"
    )
    parser.add_argument("--torrents-url", default=None, help="indexer serving /download/H.torrent")
    parser.add_argument("--save-path", default=None)
    args = parser.parse_args(argv)
    simulator = QBittorrentSimulator(
        username=args.username,
        password=args.password,
        torrents_url=args.torrents_url,
        speed=args.speed,
        download_seconds=args.seconds,
        save_path=args.save_path,
    )
    url = simulator.start(port=args.port, host=args.host)
    print(f"qBittorrent simulator on {url} (user {args.username})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
