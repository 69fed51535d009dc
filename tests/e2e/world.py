"""The household's world for end-to-end tests: simulated Plex, TMDB and indexer, a real
qBittorrent pair (seeder and the app's client), and a notification sink."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from plexkiosk.simulators.demo_world import PlexScanner
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.tmdb import TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator
from tests.downloads.qbt_harness import QbtPair, SeededTorrent

PLEX_TOKEN = "e2e-plex-token"
INDEXER_KEY = "e2e-indexer-key"


class RealRelease(SimRelease):
    """An indexer result whose .torrent is a real one that the seeder serves."""

    def __init__(
        self, seeded: SeededTorrent, *, tracker: str, seeders: int = 5, **ids: Any
    ) -> None:
        title = seeded.name.rsplit(".", 1)[0]
        super().__init__(title=title, size=seeded.size, seeders=seeders, **ids)
        self._torrent = seeded.torrent_bytes
        self._hash = seeded.info_hash
        self._tracker = tracker

    @property
    def info_hash(self) -> str:
        return self._hash

    @property
    def magnet(self) -> str:
        # With the seeder's tracker, so a client that takes the magnet finds its peer.
        return f"magnet:?xt=urn:btih:{self._hash}&dn={quote(self.title)}&tr={quote(self._tracker)}"


class NotificationSink:
    """A local HTTP endpoint that Apprise's `json://` URLs post to; keeps what arrived."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                sink.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/notify"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class World:
    root: Path
    qbt: QbtPair
    plex: PlexSimulator = field(init=False)
    tmdb: TMDBSimulatorServer = field(init=False)
    torznab: TorznabSimulator = field(init=False)
    scanner: PlexScanner = field(init=False)
    sink: NotificationSink = field(init=False)

    def __post_init__(self) -> None:
        self.movies = self.root / "media" / "Movies"
        self.tv = self.root / "media" / "TV"
        for folder in (self.movies, self.tv):
            folder.mkdir(parents=True, exist_ok=True)
        self.plex = PlexSimulator(
            token=PLEX_TOKEN, movie_root=str(self.movies), tv_root=str(self.tv)
        )
        self.plex.start()
        self.tmdb, self.tmdb_url = start_tmdb_simulator()
        self.torznab = TorznabSimulator([], api_key=INDEXER_KEY).start()
        self.scanner = PlexScanner(self.plex, self.tmdb)
        self.scanner.start()
        self.sink = NotificationSink()

    def offer(self, name: str, size: int, **ids: Any) -> RealRelease:
        """Seed a real file under a release name and make the indexer answer with it."""
        seeded = self.qbt.make_torrent(name, size)
        tracker = f"http://127.0.0.1:{self.qbt.seeder.tracker_port}/announce"
        release = RealRelease(seeded, tracker=tracker, **ids)
        self.torznab.state.releases.append(release)
        return release

    def env(self) -> dict[str, str]:
        """Settings of the app's processes pointing at this world."""
        client = self.qbt.client
        return {
            "PLEX_URL": self.plex.url,
            "PLEX_TOKEN": PLEX_TOKEN,
            "TMDB_URL": self.tmdb_url,
            "TMDB_API_KEY": self.tmdb.api_key,
            "QBITTORRENT_URL": client.url,
            "QBITTORRENT_USERNAME": client.username,
            "QBITTORRENT_PASSWORD": client.password,
            "DOWNLOADS_DIR": str(client.save_path),
            "MOVIES_DIR": str(self.movies),
            "TV_DIR": str(self.tv),
            "TRANSFER_MODE": "hardlink",
        }

    def stop(self) -> None:
        self.scanner.stop()
        for part in (self.sink, self.torznab, self.plex, self.tmdb):
            part.stop()
