"""The demo's simulated world: the simulators, seeded, and Plex's scanner played by a thread.

A season is on the air (`demo_catalogue.airing_season`): TMDB serves its episodes as aired
from their moment on, and `AiringFeed` puts each episode's release on the indexer as it airs
(a second ahead, see FEED_LEAD), as release groups do. `plexkiosk.demo` starts it with
`DemoWorld.start`; the end-to-end and fault tests use `PlexScanner` on their own simulators.
Nothing in the product imports this module.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from plexkiosk.simulators import demo_catalogue
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.plextv import PlexTVSimulator, start_plextv_simulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.tmdb import AiringSeason, TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator

VIDEO_EXTENSIONS = {".mkv", ".mp4", ".avi", ".m4v"}
SEASON_FOLDER = re.compile(r"Season (\d+)$")
EPISODE_FILE = re.compile(r"S(\d+)E(\d+)", re.IGNORECASE)
TITLE_YEAR = re.compile(r"^(?P<title>.+) \((?P<year>\d{4})\)$")
# An episode's release goes on the indexer this long before TMDB says it aired, so a search
# made at the very moment it airs finds it (the feed's thread wakes every quarter second);
# the app never searches an episode before TMDB says it aired, so none sees it early.
FEED_LEAD = timedelta(seconds=1)


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


class AiringFeed:
    """Put each episode's release of a season on the air on the indexer once the episode airs."""

    def __init__(
        self,
        torznab: TorznabSimulator,
        season: AiringSeason,
        releases: dict[int, SimRelease],
        clock: Callable[[], datetime],
    ) -> None:
        self.torznab = torznab
        self.season = season
        self.waiting = dict(sorted(releases.items()))  # episode number -> release, not yet out
        self.clock = clock  # TMDB's, so an episode is on the indexer once TMDB says it aired
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-airing-feed", daemon=True)

    def publish_aired(self) -> list[int]:
        """Add the releases of the episodes aired by now to the indexer; return their numbers."""
        now = self.clock() + FEED_LEAD
        aired = [n for n in self.waiting if self.season.airs_at(n) <= now]
        for number in aired:
            # The indexer reads its list on every search: appending publishes the release.
            self.torznab.state.releases.append(self.waiting.pop(number))
        return aired

    def start(self) -> None:
        """Publish what has aired already, then the rest as it airs, from a thread."""
        self.publish_aired()  # those aired before the demo started are there from the start
        self.thread.start()

    def stop(self) -> None:
        """Stop publishing."""
        self._stop.set()

    def _run(self) -> None:
        while self.waiting and not self._stop.wait(0.25):
            self.publish_aired()


@dataclass
class DemoWorld:
    """The running simulators of the demo, with the catalogue in them and Plex's scanner."""

    tmdb: TMDBSimulatorServer
    plex: PlexSimulator
    torznab: TorznabSimulator
    qbittorrent: QBittorrentSimulator
    scanner: PlexScanner
    airing: AiringSeason
    feed: AiringFeed
    plextv: PlexTVSimulator  # plex.tv, its watchlists and auth app: Sign in with Plex

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
        clock: Callable[[], datetime] | None = None,
    ) -> DemoWorld:
        """Start TMDB (a season on the air), Plex, the indexer, its feed, qBittorrent, plex.tv."""
        clock = clock or (lambda: datetime.now(UTC))
        airing = demo_catalogue.airing_season(clock())
        tmdb, _ = start_tmdb_simulator(ports["tmdb"], clock=clock, airing=[airing])
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
        feed = AiringFeed(torznab, airing, demo_catalogue.airing_releases(), clock)
        feed.start()
        scanner = PlexScanner(plex, tmdb)
        scanner.start()
        # The owner's plex.tv token is the server's token, as in a real household.
        plextv, _ = start_plextv_simulator(ports.get("plextv", 0), owner_token=plex_token)
        return cls(
            plextv=plextv,
            tmdb=tmdb,
            plex=plex,
            torznab=torznab,
            qbittorrent=qbittorrent,
            scanner=scanner,
            airing=airing,
            feed=feed,
        )

    def aired_episodes(self) -> list[int]:
        """Return the numbers of the airing season's episodes aired by now, by TMDB's clock."""
        now = self.tmdb.clock()
        return [n for n in range(1, self.airing.episodes + 1) if self.airing.airs_at(n) <= now]

    def stop(self) -> None:
        """Stop the scanner and the feed, then every simulator."""
        self.scanner.stop()
        self.feed.stop()
        for simulator in (self.qbittorrent, self.torznab, self.plex, self.tmdb, self.plextv):
            simulator.stop()
