"""The simulator: its torrents, their progress, the faults tests set, and its server."""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from plexkiosk.simulators.http import SimulatorHandler, SimulatorServer
from plexkiosk.simulators.qbittorrent.torrents import (
    CHUNK,
    ETA_INFINITY,
    METADATA_SECONDS,
    SimTorrent,
    metadata_at,
    parse_torrent,
    torrent_files,
    video_name,
)
from plexkiosk.simulators.qbittorrent.web_api import WebAPI


class QBittorrentSimulator(WebAPI):
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
        self._server: SimulatorServer | None = None
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
                file=file or video_name(name),
                real_size=min(size, self.max_file_bytes) if write_files else 0,
                magnet=magnet,
                paused=paused,
                files=list(files or []),
                priorities=[1] * len(files or []),
                metadata_at=metadata_at(now, magnet=magnet, paused=paused),
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
                chunk = CHUNK[: min(remaining, len(CHUNK))]
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
                handle.write((CHUNK * (1 + (target - written) // len(CHUNK)))[: target - written])
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
            "eta": math.ceil(left / speed) if moving else ETA_INFINITY,
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

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve in a daemon thread; return the base URL."""
        simulator = self

        class Handler(SimulatorHandler):
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
                try:
                    self.send_body(status, data, ctype, **extra)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up waiting (slow-answer mode): nobody to answer.
                    self.close_connection = True

        self._server = SimulatorServer((host, port), Handler)
        self._address = self._server.server_address[:2]
        self._server.serve_in_background("qbittorrent-sim")
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
            self._server.stop()
            self._server = None

    def stop(self) -> None:
        """Stop serving."""
        self._shutdown()
        self._address = None
