"""Check every part Plex Kiosk needs, for `manage.py check_services` and the status page.

Each check answers within a few seconds, never raises, and never puts a secret in its
detail: services' own error texts go through their clients, which scrub tokens and keys.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from plexkiosk.celery import QUEUES, app
from plexkiosk.health import check_broker, check_database

# Beat sends `beat-heartbeat` every minute; older than this, beat is not running.
BEAT_STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class ServiceCheck:
    name: str
    ok: bool
    detail: str
    required: bool = True
    seconds: float = 0.0


def _timed(
    name: str, run: Callable[[], tuple[bool, str]], *, required: bool = True
) -> ServiceCheck:
    started = time.monotonic()
    try:
        ok, detail = run()
    except Exception as exc:  # a check must report, never crash the page
        ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
    return ServiceCheck(name, ok, detail, required, round(time.monotonic() - started, 2))


def _database() -> tuple[bool, str]:
    check = check_database()
    return check.ok, check.detail


def _broker() -> tuple[bool, str]:
    check = check_broker()
    return check.ok, check.detail


def _worker() -> tuple[bool, str]:
    replies = app.control.ping(timeout=2.0)
    if not replies:
        return False, "no worker answered a ping in 2 s"
    return True, ", ".join(sorted(name for reply in replies for name in reply))


def _beat() -> tuple[bool, str]:
    from django_celery_beat.models import PeriodicTask

    last = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
    if last is None:
        return False, "beat has not sent any task yet"
    age = timezone.now() - last
    ok = age <= BEAT_STALE_AFTER
    return ok, f"last sent a task {int(age.total_seconds())} s ago"


def _plex() -> tuple[bool, str]:
    from library.plex import PlexClient

    client = PlexClient()
    identity = client.identity()
    sections = client.sections()
    names = ", ".join(f"{s.title} ({s.type})" for s in sections) or "no movie or show section"
    return bool(sections), f"{identity['name']} {identity['version']}: {names}"


def _qbittorrent() -> tuple[bool, str]:
    from downloads.qbittorrent import QBittorrent

    version = QBittorrent().login()
    return True, f"{version}, category {settings.QBITTORRENT_CATEGORY!r}"


def _disk(path: Path, minimum_gb: float = 5.0) -> tuple[bool, str]:
    folder = path if path.exists() else path.parent
    if not folder.exists():
        return False, f"{path} does not exist"
    free_gb = shutil.disk_usage(folder).free / 1e9
    return free_gb >= minimum_gb, f"{free_gb:.1f} GB free in {path}"


def _indexer(indexer: object) -> Callable[[], tuple[bool, str]]:
    def run() -> tuple[bool, str]:
        from downloads.torznab import IndexerConfig, fetch_caps

        config = IndexerConfig.from_indexer(indexer)
        try:
            caps = fetch_caps(config)
        except Exception as exc:  # scrubbed by the indexer's own redaction
            return False, config.redact(f"{type(exc).__name__}: {exc}")[:300]
        movie = ",".join(sorted(caps.movie_search)) if caps.movie_search else "no"
        tv = ",".join(sorted(caps.tv_search)) if caps.tv_search else "no"
        return True, f"movie search: {movie}; tv search: {tv}"

    return run


def _tmdb() -> tuple[bool, str]:
    from requests_app import tmdb

    if not tmdb.is_configured():
        return False, "TMDB_API_KEY is not set"
    found = tmdb.search("Dune", media_type="movie")
    return True, f"answered ({len(found)} results for a test search)"


def run_service_checks() -> list[ServiceCheck]:
    """Run every check, in the order an operator reads them."""
    from downloads.models import Indexer

    checks = [
        _timed("database", _database),
        _timed("broker", _broker),
        _timed("worker", _worker),
        _timed("beat", _beat),
        _timed("plex", _plex),
        _timed("qbittorrent", _qbittorrent),
        _timed("disk: downloads", lambda: _disk(settings.DOWNLOADS_DIR)),
        _timed("disk: movies", lambda: _disk(settings.MOVIES_DIR)),
        _timed("disk: tv", lambda: _disk(settings.TV_DIR)),
        _timed("tmdb", _tmdb),
    ]
    indexers = list(Indexer.objects.filter(enabled=True).order_by("name"))
    if not indexers:
        checks.append(ServiceCheck("indexers", False, "no enabled indexer (add one in admin)"))
    for indexer in indexers:
        # One indexer down is survivable (searches use the others), so it is not required.
        checks.append(_timed(f"indexer: {indexer.name}", _indexer(indexer), required=False))
    return checks


def queue_lengths() -> dict[str, int | None]:
    """Messages waiting in each queue (None when the broker cannot say)."""
    lengths: dict[str, int | None] = {}
    try:
        with app.connection_for_read() as conn, conn.channel() as channel:
            for queue in QUEUES:
                try:
                    _, count, _ = channel.queue_declare(queue=queue, passive=True)
                    lengths[queue] = count
                except Exception:
                    lengths[queue] = None
    except Exception:
        return dict.fromkeys(QUEUES)
    return lengths
