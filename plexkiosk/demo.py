"""The whole flow on one machine: the app with simulated Plex, indexer, TMDB and qBittorrent.

`python manage.py demo` (or `make demo`) runs this module. It picks free ports, starts the
simulators in this process, points the app at them through environment variables (SQLite
and the filesystem broker under `data/demo/`), migrates, creates a demo admin and a demo
member, then runs the web server, a Celery worker and Celery beat under honcho until
Ctrl-C, which stops everything it started. Nothing here runs unless asked: `make run` and
the production compose file never import it.

A season is on the air in the simulated world (see `demo_catalogue.airing_season`): the
demo reads TMDB again every minute for it (TV_AIRING_CHECK_MINUTES=1) and runs the
search-due-requests row every 20 s, so a requested episode is searched within about a
minute and a half of airing.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import sys
from pathlib import Path

import django
from honcho.manager import Manager

from plexkiosk.celery import QUEUES
from plexkiosk.simulators import demo_catalogue
from plexkiosk.simulators.demo_world import DemoWorld

BASE_DIR = Path(__file__).resolve().parent.parent
MEMBER = ("member", "member-demo")
ADMIN = ("admin", "admin-demo")
PLEX_TOKEN = "demo-plex-token"  # noqa: S105 (the simulated Plex's, not a secret)
QBITTORRENT_LOGIN = ("admin", "demo-qbittorrent")
INDEXER_KEY = "demo-indexer-key"
# A visible pace: the periodic rows the demo runs faster than their defaults, in seconds.
FAST_ROWS = {
    "download-monitor": 2,  # instead of every 5 minutes: the progress bar moves
    # Instead of every 15 minutes: a season on the air is searched soon after each episode.
    "search-due-requests": 20,
}


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
        "PLEX_TOKEN": PLEX_TOKEN,
        "TMDB_URL": f"http://127.0.0.1:{ports['tmdb']}/3",
        "TMDB_API_KEY": tmdb_key,
        "QBITTORRENT_URL": f"http://127.0.0.1:{ports['qbittorrent']}",
        "QBITTORRENT_USERNAME": QBITTORRENT_LOGIN[0],
        "QBITTORRENT_PASSWORD": QBITTORRENT_LOGIN[1],
        "DOWNLOADS_DIR": str(data / "downloads"),
        "MOVIES_DIR": str(data / "media" / "Movies"),
        "TV_DIR": str(data / "media" / "TV"),
        "TRANSFER_MODE": "hardlink",
        # Read TMDB again every minute (not 6 h) for a season on the air: episodes air every 2.
        "TV_AIRING_CHECK_MINUTES": "1",
        "PLEXKIOSK_SKIP_DOTENV": "1",
        **plextv_environment(ports),
    }


def plextv_environment(ports: dict[str, int]) -> dict[str, str]:
    """Point the app at the simulated plex.tv: one port is plex.tv, discover and the auth app."""
    if "plextv" not in ports:
        return {}
    url = f"http://127.0.0.1:{ports['plextv']}"
    return {"PLEX_TV_URL": url, "PLEX_DISCOVER_URL": url, "PLEX_AUTH_APP_URL": f"{url}/auth"}


def speed_up_schedule() -> None:
    """Run the rows of FAST_ROWS at their demo pace instead of their defaults."""
    # Local: models load only after main() has put the demo's settings in the environment.
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    for name, seconds in FAST_ROWS.items():
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.filter(name=name).update(interval=every, crontab=None)
    PeriodicTasks.update_changed()


def seed(env: dict[str, str], torznab_url: str, torznab_key: str) -> None:
    """Create the demo people, point the app at the simulated indexer, speed up the schedule."""
    # Local: models (and the sync that uses them) load only after main() has put the demo's
    # settings in the environment and called django.setup().
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from downloads.models import Indexer  # after django.setup(), see above
    from library.sync import sync_library  # after django.setup(), see above
    from requests_app.models import Profile  # after django.setup(), see above

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
    speed_up_schedule()
    sync_library(full=True)


def airing_intro(world: DemoWorld) -> str:
    """Say which season is on the air, how far it has got, and what to try with it."""
    season = world.airing
    minutes = round(season.every.total_seconds() / 60)
    aired = world.aired_episodes()
    coming = len(aired) + 1
    if coming <= season.episodes:
        wait = (season.airs_at(coming) - world.tmdb.clock()).total_seconds()
        progress = f"{len(aired)} of {season.episodes} aired, episode {coming} in {wait:.0f} s"
    else:
        progress = f"all {season.episodes} aired"
    return (
        f"  On the air: {demo_catalogue.AIRING_SHOW} season {season.season_number}, an "
        f"episode every {minutes} minutes ({progress}).\n"
        f"  Search '{demo_catalogue.AIRING_SHOW}', pick season {season.season_number}, press "
        "Request: the aired episodes arrive first,\n"
        "  then each new one about two minutes after it airs.\n"
    )


def main() -> None:
    data = Path(os.environ.get("DEMO_DATA_DIR", BASE_DIR / "data" / "demo")).resolve()
    for folder in ("downloads", "media/Movies", "media/TV"):
        (data / folder).mkdir(parents=True, exist_ok=True)
    web_port = int(os.environ.get("DEMO_PORT", "8000"))
    ports = {name: free_port() for name in ("plex", "tmdb", "qbittorrent", "plextv")}

    world = DemoWorld.start(
        ports,
        plex_token=PLEX_TOKEN,
        movie_root=str(data / "media" / "Movies"),
        tv_root=str(data / "media" / "TV"),
        qbittorrent_login=QBITTORRENT_LOGIN,
        indexer_key=INDEXER_KEY,
        # Every film and season in ~30 s whatever its (realistic) declared size: long
        # enough to watch the progress bar move, short enough that the first request
        # reaches Plex within about a minute.
        download_seconds=float(os.environ.get("DEMO_DOWNLOAD_SECONDS", "30")),
    )
    env = demo_environment(data, ports, world.tmdb.api_key)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "plexkiosk.settings"
    django.setup()
    seed(env, world.torznab.url, INDEXER_KEY)

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
        f"{python} -m celery -A plexkiosk worker -Q {','.join(QUEUES)} --concurrency 2 -l info",
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
        "  Sign in with Plex: the simulated plex.tv offers alice (owns the server), bob (a\n"
        "  friend it is shared with), dana (Plex Home) and mallory (no access).\n"
        f"{airing_intro(world)}"
        f"  Demo data: {data}\n",
        flush=True,
    )
    try:
        manager.loop()
    finally:
        world.stop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
