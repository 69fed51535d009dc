"""The demo's simulated world: the four simulators, seeded, and Plex's scanner played by a thread.

`plexkiosk.demo` starts it with `DemoWorld.start`; the end-to-end and fault tests use
`PlexScanner` on their own simulators. Nothing in the product imports this module.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plexkiosk.simulators import demo_catalogue
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.tmdb import TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.simulators.torznab import TorznabSimulator

VIDEO_EXTENSIONS = {".mkv", ".mp4", ".avi", ".m4v"}
SEASON_FOLDER = re.compile(r"Season (\d+)$")
EPISODE_FILE = re.compile(r"S(\d+)E(\d+)", re.IGNORECASE)
TITLE_YEAR = re.compile(r"^(?P<title>.+) \((?P<year>\d{4})\)$")


class PlexScanner:
    """Play Plex's part after a partial scan: add what is in the scanned folder to the library."""

    def __init__(self, plex: Any, catalogue: Any) -> None:
        self.plex = plex
        self.catalogue = catalogue  # the TMDB simulator: matching names to ids, as Plex's agents do
        self.seen = 0
        self.known_files: set[str] = set()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-plex-scanner", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            new = self.plex.refreshes[self.seen :]
            self.seen += len(new)
            for _section, path in new:
                if path:
                    self.scan(Path(path))

    def scan(self, folder: Path) -> None:
        if not folder.is_dir():
            return
        self.plex.now = int(time.time())  # the library sync asks "added since when?"
        for file in sorted(folder.rglob("*")):
            if file.suffix.lower() not in VIDEO_EXTENSIONS or str(file) in self.known_files:
                continue
            self.known_files.add(str(file))
            self._add(file)

    def _add(self, file: Path) -> None:
        season = SEASON_FOLDER.match(file.parent.name)
        named = TITLE_YEAR.match((file.parent.parent if season else file.parent).name)
        if not named:
            return
        title, year = named["title"], int(named["year"])
        if not season:
            movie = self._lookup(self.catalogue.movies.values(), title, year)
            self.plex.add_movie(
                title,
                year,
                imdb=(movie or {}).get("imdb_id"),
                tmdb=(movie or {}).get("id"),
                files=[str(file)],
            )
            return
        show = self._lookup(self.catalogue.shows.values(), title, year)
        episode = EPISODE_FILE.search(file.name)
        existing = next(
            (i for i in self.plex.items.values() if i.type == "show" and i.title == title), None
        )
        if existing is None:
            existing = self.plex.add_show(title, year, seasons=0, tvdb=(show or {}).get("tvdb_id"))
            if show:  # match it to TMDB as Plex's agent would
                guids = [g for g in existing.guids if not g.startswith("tmdb://")]
                self.plex.update_item(existing.rating_key, guids=[*guids, f"tmdb://{show['id']}"])
        number = int(season[1])
        season_item = next(
            (
                i
                for i in self.plex.items.values()
                if i.type == "season" and i.parent_key == existing.rating_key and i.index == number
            ),
            None,
        ) or self.plex.add_season(existing, number)
        self.plex.add_episode(season_item, int(episode[2]) if episode else 1)

    @staticmethod
    def _lookup(entries: Any, title: str, year: int) -> dict[str, Any] | None:
        for entry in entries:
            name = entry.get("title") or entry.get("name") or ""
            date = entry.get("release_date") or entry.get("first_air_date") or ""
            if name.lower() == title.lower() and date[:4] == str(year):
                return entry
        return None


@dataclass
class DemoWorld:
    """The running simulators of the demo, with the catalogue in them and Plex's scanner."""

    tmdb: TMDBSimulatorServer
    plex: PlexSimulator
    torznab: TorznabSimulator
    qbittorrent: QBittorrentSimulator
    scanner: PlexScanner

    @classmethod
    def start(
        cls,
        ports: dict[str, int],
        *,
        plex_token: str,
        movie_root: str,
        tv_root: str,
        qbittorrent_login: tuple[str, str],
        indexer_key: str,
        download_seconds: float,
    ) -> DemoWorld:
        """Start TMDB, Plex (with the demo's films), the indexer, qBittorrent and the scanner."""
        tmdb, _ = start_tmdb_simulator(ports["tmdb"])
        plex = PlexSimulator(token=plex_token, movie_root=movie_root, tv_root=tv_root)
        plex.start(port=ports["plex"])
        demo_catalogue.fill_plex(plex)
        torznab = TorznabSimulator(demo_catalogue.releases(), api_key=indexer_key).start()
        qbittorrent = QBittorrentSimulator(
            username=qbittorrent_login[0],
            password=qbittorrent_login[1],
            torrents_url=torznab.url,
            download_seconds=download_seconds,
        )
        qbittorrent.start(port=ports["qbittorrent"])
        scanner = PlexScanner(plex, tmdb)
        scanner.start()
        return cls(tmdb=tmdb, plex=plex, torznab=torznab, qbittorrent=qbittorrent, scanner=scanner)

    def stop(self) -> None:
        """Stop the scanner, then every simulator."""
        self.scanner.stop()
        for simulator in (self.qbittorrent, self.torznab, self.plex, self.tmdb):
            simulator.stop()
