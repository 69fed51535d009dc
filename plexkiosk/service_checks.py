"""Check every part Plex Kiosk needs, for `manage.py check_services` and the status page.

Each check answers within a few seconds, never raises, and never puts a secret in its
detail: services' own error texts go through their clients, which scrub tokens and keys.
A part that is not answering yet but is still within its start-up grace (beat before its
first heartbeat) is *starting*: not a failure, and its detail says what to wait for.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from kombu import Connection

from core.checks import Check, check_broker, check_database
from core.formatting import size_text
from plexkiosk.celery import QUEUES, app

HEARTBEAT = "beat-heartbeat"
# Beat looks at its schedule at least every 5 s (DatabaseScheduler's loop interval) and,
# with beat_sync_every=1, writes a row's last_run_at as soon as it has sent it. A send
# later than this means beat is not running; a minute covers a busy machine, and clocks a
# little apart when beat runs on another machine than the check.
BEAT_GRACE = timedelta(seconds=60)
# How long after a due time a running beat has surely sent the row and written it.
BEAT_SEND_DELAY = timedelta(seconds=10)


class Starting(Exception):
    """Raised by a check whose part does not answer yet but is within its start-up grace."""


def _timed(name: str, run: Callable[[], tuple[bool, str]], *, required: bool = True) -> Check:
    started = time.monotonic()
    starting = False
    try:
        ok, detail = run()
    except Starting as exc:
        ok, detail, starting = False, str(exc), True
    except Exception as exc:  # a check must report, never crash the page
        ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
    seconds = round(time.monotonic() - started, 2)
    return Check(name, ok, detail, required, seconds, starting)


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


def _clock(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S")


def _beat() -> tuple[bool, str]:
    from django_celery_beat.models import PeriodicTask

    row = (
        PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked")
        .filter(name=HEARTBEAT)
        .first()
    )
    if row is None:
        return False, f"no {HEARTBEAT} row in the schedule: run `manage.py migrate`"
    if not row.enabled:
        return False, f"the {HEARTBEAT} row is disabled: enable it in admin → Periodic tasks"
    now = timezone.now()
    every = str(row.interval or row.crontab or row.solar or row.clocked)
    # When beat sends the row next, counted as django-celery-beat's DatabaseScheduler
    # counts it: from its last run, or, for a row that never ran, from when it was created
    # or last changed (ModelEntry takes date_changed for a missing last_run_at; disabling a
    # row clears last_run_at). Beat cannot have acted on a change before it was made.
    # This is the honest sign that beat is starting: `make run` migrates (creating the
    # row) and beat first sends it one period later. Beat itself writes nothing before
    # that first send (with CELERY_BEAT_SCHEDULE empty, DatabaseScheduler's start-up
    # writes no row), and a restarted beat sends an overdue row at its first tick, so no
    # marker of its own start would come earlier than the heartbeat itself.
    base = row.last_run_at or row.date_changed
    due = max(now + row.schedule.remaining_estimate(base), row.date_changed)
    late = now - due
    if row.last_run_at is None:
        if late <= BEAT_GRACE:
            again = max(due, now) + BEAT_SEND_DELAY
            raise Starting(
                f"beat is starting: the {HEARTBEAT} row has not run yet; beat first sends it "
                f"at {_clock(due)} ({every}, counted from when the row was created or "
                f"changed) — check again after {_clock(again)} "
                f"(in {int((again - now).total_seconds())} s); if it has still not run by "
                f"{_clock(due + BEAT_GRACE)}, beat is not running"
            )
        return False, (
            f"beat has not sent any task yet: the {HEARTBEAT} row was due at {_clock(due)} "
            f"({int(late.total_seconds())} s ago), so beat is not running "
            "(start it: `celery -A plexkiosk beat`)"
        )
    age = int((now - row.last_run_at).total_seconds())
    if late <= BEAT_GRACE:
        return True, f"last sent {HEARTBEAT} {age} s ago ({every})"
    return False, (
        f"last sent {HEARTBEAT} {age} s ago ({every}), so beat is not running "
        "(start it: `celery -A plexkiosk beat`; a beat started just now sends it at once)"
    )


def _plex() -> tuple[bool, str]:
    # the project layer imports no app at load time (DESIGN: apps depend on it)
    from library.plex import PlexClient

    client = PlexClient()
    identity = client.identity()
    sections = client.sections()
    names = ", ".join(f"{s.title} ({s.type})" for s in sections) or "no movie or show section"
    return bool(sections), f"{identity['name']} {identity['version']}: {names}"


def _qbittorrent() -> tuple[bool, str]:
    # the project layer imports no app at load time (DESIGN: apps depend on it)
    from downloads.qbittorrent import QBittorrent

    version = QBittorrent().login()
    return True, f"{version}, category {settings.QBITTORRENT_CATEGORY!r}"


# What qBittorrent runs when a torrent finishes (downloads.hook.state), for a person.
HOOK_STATES = {
    "installed": "calls the app when a torrent finishes",
    "none": "calls nothing when a torrent finishes: completion waits for the monitor's "
    "next pass (`manage.py qbittorrent_hook --install` makes it immediate)",
    "outdated": "runs the app's call with another token or address: run "
    "`manage.py qbittorrent_hook --install`",
    "other": "runs another program when a torrent finishes; see "
    "`manage.py qbittorrent_hook --show` for the app's line",
}


def _qbittorrent_hook() -> tuple[bool, str]:
    # the project layer imports no app at load time (DESIGN: apps depend on it)
    from downloads import hook

    found, _program = hook.state()  # the program line holds the token: never shown
    return found == "installed", HOOK_STATES[found]


def _disk(path: Path, minimum_gb: float = 5.0) -> tuple[bool, str]:
    folder = path if path.exists() else path.parent
    if not folder.exists():
        return False, f"{path} does not exist"
    free = shutil.disk_usage(folder).free
    return free >= minimum_gb * 1e9, f"{size_text(free)} free in {path}"


def _indexer(indexer: object) -> Callable[[], tuple[bool, str]]:
    def run() -> tuple[bool, str]:
        # the project layer imports no app at load time (DESIGN: apps depend on it)
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
    # the project layer imports no app at load time (DESIGN: apps depend on it)
    from requests_app import tmdb

    if not tmdb.is_configured():
        return False, "TMDB_API_KEY is not set"
    found = tmdb.search("Dune", media_type="movie")
    return True, f"answered ({len(found)} results for a test search)"


def run_service_checks() -> list[Check]:
    """Run every check, in the order an operator reads them."""
    # the project layer imports no app at load time (DESIGN: apps depend on it)
    from downloads.models import Indexer

    checks = [
        _timed("database", _database),
        _timed("broker", _broker),
        _timed("worker", _worker),
        _timed("beat", _beat),
        _timed("plex", _plex),
        _timed("qbittorrent", _qbittorrent),
        # Polling still notices completion: a missing call is slower, not broken.
        _timed("qbittorrent: on finish", _qbittorrent_hook, required=False),
        _timed("disk: downloads", lambda: _disk(settings.DOWNLOADS_DIR)),
        _timed("disk: movies", lambda: _disk(settings.MOVIES_DIR)),
        _timed("disk: tv", lambda: _disk(settings.TV_DIR)),
        _timed("tmdb", _tmdb),
    ]
    indexers = list(Indexer.objects.filter(enabled=True).order_by("name"))
    if not indexers:
        checks.append(Check("indexers", False, "no enabled indexer (add one in admin)"))
    for indexer in indexers:
        # One indexer down is survivable (searches use the others), so it is not required.
        checks.append(_timed(f"indexer: {indexer.name}", _indexer(indexer), required=False))
    return checks


def queue_lengths(
    queues: Iterable[str] = QUEUES, *, broker_url: str | None = None, timeout: float = 3.0
) -> dict[str, int | None]:
    """Count the messages waiting in each queue (None only when the broker cannot be asked)."""
    queues = list(queues)
    try:
        with app.connection_for_read(broker_url, connect_timeout=timeout) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            return {queue: _queue_length(conn, queue) for queue in queues}
    except Exception:  # the broker is unreachable: nothing is known about any queue
        return dict.fromkeys(queues)


def _queue_length(conn: Connection, queue: str) -> int | None:
    # A channel per queue: RabbitMQ closes the channel on which a passive declare failed.
    try:
        with conn.channel() as channel:
            return channel.queue_declare(queue=queue, passive=True).message_count
    except conn.channel_errors as exc:
        # Redis keeps no empty list, and RabbitMQ has no queue until a worker or a sender
        # declares it: both answer 404 NOT_FOUND, which means no message is waiting.
        if str(getattr(exc, "reply_code", "")) == "404":
            return 0
        return None
