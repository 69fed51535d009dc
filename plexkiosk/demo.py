"""The whole flow on one machine: the app with simulated Plex, indexer, TMDB and qBittorrent.

`python manage.py demo` (or `make demo`) runs this module. It picks free ports, starts the
simulators in this process, points the app at them through environment variables (SQLite
and the filesystem broker under `data/demo/`), migrates, creates a demo admin and a demo
member, then runs the web server, a Celery worker and Celery beat under honcho until
Ctrl-C, which stops everything it started. Nothing here runs unless asked: `make run` and
the production compose file never import it.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
VIDEO_EXTENSIONS = {".mkv", ".mp4", ".avi", ".m4v"}
MEMBER = ("member", "member-demo")
ADMIN = ("admin", "admin-demo")
SEASON_FOLDER = re.compile(r"Season (\d+)$")
EPISODE_FILE = re.compile(r"S(\d+)E(\d+)", re.IGNORECASE)
TITLE_YEAR = re.compile(r"^(?P<title>.+) \((?P<year>\d{4})\)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_environment(data: Path, ports: dict[str, int], tmdb_key: str) -> dict[str, str]:
    """Environment of every demo process: embedded database and broker, simulated services."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'plexkiosk.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SIMULATED_SERVICES": "true",
        "PLEX_URL": f"http://127.0.0.1:{ports['plex']}",
        "PLEX_TOKEN": "demo-plex-token",
        "TMDB_URL": f"http://127.0.0.1:{ports['tmdb']}/3",
        "TMDB_API_KEY": tmdb_key,
        "QBITTORRENT_URL": f"http://127.0.0.1:{ports['qbittorrent']}",
        "QBITTORRENT_USERNAME": "admin",
        "QBITTORRENT_PASSWORD": "demo-qbittorrent",
        "DOWNLOADS_DIR": str(data / "downloads"),
        "MOVIES_DIR": str(data / "media" / "Movies"),
        "TV_DIR": str(data / "media" / "TV"),
        "TRANSFER_MODE": "hardlink",
        "PLEXKIOSK_SKIP_DOTENV": "1",
    }


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


def seed(env: dict[str, str], torznab_url: str, torznab_key: str) -> None:
    """Create the demo people, point the app at the simulated indexer, speed up the monitor."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from downloads.models import Indexer
    from requests_app.models import Profile

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    users = get_user_model()
    admin, _ = users.objects.get_or_create(
        username=ADMIN[0], defaults={"is_staff": True, "is_superuser": True}
    )
    admin.set_password(ADMIN[1])
    admin.save()
    member, _ = users.objects.get_or_create(username=MEMBER[0])
    member.set_password(MEMBER[1])
    member.save()
    Profile.objects.update_or_create(user=member, defaults={"auto_approve": True})
    Indexer.objects.update_or_create(
        name="Simulated indexer",
        defaults={"url": torznab_url, "api_key": torznab_key, "enabled": True},
    )
    # A visible pace: the monitor every 2 s instead of every 5 minutes.
    every_two, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
    PeriodicTask.objects.filter(name="download-monitor").update(interval=every_two, crontab=None)
    from django_celery_beat.models import PeriodicTasks

    PeriodicTasks.update_changed()
    from library.sync import sync_library

    sync_library(full=True)


def main() -> None:
    data = Path(os.environ.get("DEMO_DATA_DIR", BASE_DIR / "data" / "demo")).resolve()
    for folder in ("downloads", "media/Movies", "media/TV"):
        (data / folder).mkdir(parents=True, exist_ok=True)
    web_port = int(os.environ.get("DEMO_PORT", "8000"))
    ports = {name: free_port() for name in ("plex", "tmdb", "qbittorrent")}

    from plexkiosk.simulators import demo_catalogue
    from plexkiosk.simulators.plex import PlexSimulator
    from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
    from plexkiosk.simulators.tmdb import start_tmdb_simulator
    from plexkiosk.simulators.torznab import TorznabSimulator

    tmdb, _ = start_tmdb_simulator(ports["tmdb"])
    env = demo_environment(data, ports, tmdb.api_key)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "plexkiosk.settings"

    plex = PlexSimulator(
        token=env["PLEX_TOKEN"], movie_root=env["MOVIES_DIR"], tv_root=env["TV_DIR"]
    )
    plex.start(port=ports["plex"])
    demo_catalogue.fill_plex(plex)
    torznab = TorznabSimulator(demo_catalogue.releases(), api_key="demo-indexer-key").start()
    qbittorrent = QBittorrentSimulator(
        username=env["QBITTORRENT_USERNAME"],
        password=env["QBITTORRENT_PASSWORD"],
        torrents_url=torznab.url,
        # Every film and season in ~30 s whatever its (realistic) declared size: long
        # enough to watch the progress bar move, short enough that the first request
        # reaches Plex within about a minute.
        download_seconds=float(os.environ.get("DEMO_DOWNLOAD_SECONDS", "30")),
    )
    qbittorrent.start(port=ports["qbittorrent"])
    scanner = PlexScanner(plex, tmdb)
    scanner.start()

    import django

    django.setup()
    seed(env, torznab.url, "demo-indexer-key")

    from honcho.manager import Manager

    manager = Manager()
    python = sys.executable
    manager.add_process(
        "web",
        # Its own control socket (gunicornc -s …): gunicorn's default, ~/.gunicorn/gunicorn.ctl,
        # is shared by every gunicorn of this user, and a second one takes it over.
        f"{python} -m gunicorn plexkiosk.wsgi --bind 127.0.0.1:{web_port} --workers 2 "
        f"--control-socket {shlex.quote(str(data / 'gunicorn.ctl'))}",
        env=dict(os.environ),
        cwd=str(BASE_DIR),
    )
    manager.add_process(
        "worker",
        f"{python} -m celery -A plexkiosk worker -Q default,priority,plex_sync,downloads "
        "--concurrency 2 -l info",
        env=dict(os.environ),
        cwd=str(BASE_DIR),
    )
    manager.add_process(
        "beat",
        f"{python} -m celery -A plexkiosk beat -l info",
        env=dict(os.environ),
        cwd=str(BASE_DIR),
    )
    print(
        f"\nPlex Kiosk demo on http://127.0.0.1:{web_port}/  (Ctrl-C stops everything)\n"
        f"  member: {MEMBER[0]} / {MEMBER[1]}   admin: {ADMIN[0]} / {ADMIN[1]}\n"
        "  Search 'Dune', press Request, and watch it reach Plex.\n"
        f"  Demo data: {data}\n",
        flush=True,
    )
    try:
        manager.loop()
    finally:
        scanner.stop()
        for simulator in (qbittorrent, torznab, plex, tmdb):
            simulator.stop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
