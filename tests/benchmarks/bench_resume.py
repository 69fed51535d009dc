"""Resume benchmark: how soon a task held by a worker killed whole runs again.

A real worker (concurrency 1) takes an approved request's search, which the Torznab
simulator holds; its whole process group is SIGKILLed. Two ways back, 3 runs each, with
the default WORKER_HEARTBEAT_SECONDS (10) and WORKER_DEAD_AFTER_SECONDS (30) and the
production visibility timeout (7200 s, which alone would take 2 hours):

- power cut: the machine stays off until the dead worker's heartbeat key has expired (a
  reboot takes longer than 30 s), then the next worker starts;
- instant restart: a supervisor starts the next worker at once (an OOM kill, say), while
  the dead worker's heartbeat still has up to 30 s to live;
- power cut, Redis too: Redis (a private one, append-only file) is SIGKILLed with the
  worker and both start again at once; a worker judges missing heartbeats only once Redis
  has been up 30 s, the time live workers need to beat again.

Columns: seconds from the next worker's start until it is ready, until it receives the
lost task again, and until the request is downloading; for the instant restart, also from
the kill. Target: well under 5 minutes (bound: the heartbeat's 30 s + the check's 60 s).
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
from pathlib import Path

from tests.benchmarks import print_table, throwaway_database

RUNS = 3
SCENARIOS = ("power cut", "instant restart", "power cut, Redis too")
DUNE = {"imdb_id": "tt1160419", "tmdb_id": 438631}
QUEUES = "default,priority,plex_sync,downloads"


def heartbeats_gone(broker_url: str) -> bool:
    """True when no listed worker's heartbeat key is left."""
    from plexkiosk import worker_recovery
    from plexkiosk.celery import app

    with app.connection_for_write(broker_url) as conn:
        client = conn.default_channel.client
        listed = client.smembers(worker_recovery.REGISTRY_KEY)
        return not any(
            client.exists(worker_recovery.Incarnation(raw.decode()).alive_key) for raw in listed
        )


def one_run(scenario: str, run: int, base_env: dict[str, str], logs: Path) -> list[object]:
    """Kill a worker holding a search, bring the next one up as `scenario` says; time it."""
    from django.contrib.auth import get_user_model

    from downloads.models import Download, Indexer
    from plexkiosk.celery import app
    from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
    from plexkiosk.simulators.torznab import GB, SimRelease
    from requests_app.models import MediaRequest, Status
    from requests_app.tasks import process_request_task
    from tests.faults.test_worker_killed import GatedIndexer
    from tests.processes import Child, wait_for, worker_argv
    from tests.reliability.servers import RedisServer

    redis_too = scenario == "power cut, Redis too"
    server = RedisServer(appendonly=True) if redis_too else None
    if server is not None:
        server.start()
        base_env = {**base_env, "CELERY_BROKER_URL": server.url}
    broker_url = base_env["CELERY_BROKER_URL"]
    name = f"{scenario.replace(' ', '-').replace(',', '')}-{run}"
    indexer = GatedIndexer(
        [SimRelease("Dune.2021.1080p.BluRay.x264-FIRST", int(10 * GB), 500, **DUNE)]
    )
    downloads = logs / name / "downloads"
    downloads.mkdir(parents=True)
    qbt = QBittorrentSimulator(
        save_path=str(downloads), torrents_url=indexer.simulator.url, speed=1
    )
    qbt.start()
    Indexer.objects.create(name="gated", url=indexer.simulator.url, api_key="k")
    env = {
        **base_env,
        "QBITTORRENT_URL": qbt.url,
        "QBITTORRENT_USERNAME": qbt.username,
        "QBITTORRENT_PASSWORD": qbt.password,
        "DOWNLOADS_DIR": str(downloads),
    }
    user = get_user_model().objects.create_user(f"ana-{name}", password="pw-ana-123")
    task_id = str(uuid.uuid4())
    request = MediaRequest.objects.create(
        requested_by=user,
        media_type="movie",
        title="Dune",
        year=2021,
        status=Status.APPROVED,
        celery_task_id=task_id,
        **DUNE,
    )
    children: list[Child] = []

    def start(label: str) -> Child:
        child = Child(label, worker_argv(QUEUES, f"{label}@localhost"), env, logs)
        children.append(child)
        child.wait_until(lambda: "ready." in child.log())
        return child

    def downloading() -> bool:
        request.refresh_from_db()
        return request.status == Status.DOWNLOADING

    try:
        first = start(f"{name}-first")
        with app.connection_for_write(broker_url) as conn:
            process_request_task.apply_async(args=[request.pk], task_id=task_id, connection=conn)
        wait_for(indexer.hit.is_set, 60, what="the search", logs=[first])
        os.killpg(first.proc.pid, signal.SIGKILL)
        if server is not None:
            server.kill()
        first.proc.wait(timeout=30)
        killed = time.monotonic()
        indexer.release.set()
        if server is not None:
            server.start()
        if scenario == "power cut":
            wait_for(lambda: heartbeats_gone(broker_url), 60, what="the heartbeat expiring")
        started = time.monotonic()
        second = start(f"{name}-second")
        ready = time.monotonic() - started
        wait_for(
            lambda: f"[{task_id}] received" in second.log(),
            300,
            what="the task running again",
            logs=[second],
        )
        again = time.monotonic()
        wait_for(downloading, 120, what="the request downloading", logs=[second])
        done = time.monotonic()
    finally:
        for child in reversed(children):
            child.stop()
        qbt.stop()
        indexer.stop()
        Download.objects.all().delete()
        MediaRequest.objects.all().delete()
        Indexer.objects.all().delete()
        if server is not None:
            server.remove()
        else:
            app.control.purge()
    return [
        scenario,
        run,
        f"{ready:.1f}",
        f"{again - started:.1f}",
        f"{done - started:.1f}",
        "-" if scenario == "power cut" else f"{again - killed:.1f}",
    ]


def main() -> None:
    """Run the resume benchmark and print its table."""
    from django.conf import settings
    from django.db import connection

    from plexkiosk.celery import app

    logs = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    with throwaway_database():
        db = connection.settings_dict
        base_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "plexkiosk.settings",
            "SECRET_KEY": "bench-" + "k" * 50,
            "PLEXKIOSK_SKIP_DOTENV": "1",
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_VISIBILITY_TIMEOUT": "7200",
            "MOVIES_DIR": str(logs / "media" / "Movies"),
            "TV_DIR": str(logs / "media" / "TV"),
        }
        app.control.purge()
        rows = [
            one_run(scenario, run, base_env, logs)
            for scenario in SCENARIOS
            for run in range(1, RUNS + 1)
        ]
    print_table(
        ["scenario", "run", "ready (s)", "task again (s)", "downloading (s)", "from the kill (s)"],
        rows,
    )
