"""Completion pushed by qBittorrent: torrent finished -> request Completed, 10 films in turn.

The app's real processes (gunicorn, a Celery worker, beat) on PostgreSQL and Redis, a real
qbittorrent-nox with a seeder, simulated Plex (adding what it scans within half a second),
TMDB and indexer; the download-monitor row at its 300 s default and the worker installing
qBittorrent's "run on torrent finished" line at start-up. Each run requests another film
and measures from the moment qBittorrent reports the torrent complete (read every 20 ms
by the benchmark) to the request's `completed_at`. Target: p95 under 5 s (issue 19). With
10 runs the nearest-rank p95 is the slowest run.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

RUNS = int(os.environ.get("BENCH_PUSH_RUNS", "10"))
SIZE = 8 << 20
# (title, year, tmdb id, imdb id) from the TMDB simulator's catalogue.
FILMS = [
    ("Dune", 2021, 438631, "tt1160419"),
    ("Blade Runner 2049", 2017, 335984, "tt1856101"),
    ("The Matrix", 1999, 603, "tt0133093"),
    ("Inception", 2010, 27205, "tt1375666"),
    ("Interstellar", 2014, 157336, "tt0816692"),
    ("Arrival", 2016, 329865, "tt2543164"),
    ("Alien", 1979, 348, "tt0078748"),
    ("Oppenheimer", 2023, 872585, "tt15398776"),
    ("Toy Story", 1995, 862, "tt0114709"),
    ("The Shawshank Redemption", 1994, 278, "tt0111161"),
]
MONITOR_DEFAULT = 300


def _finished_at(api: object, info_hash: str, stop: threading.Event, seen: list[float]) -> None:
    """Record the wall-clock time qBittorrent first reports the torrent complete."""
    while not stop.is_set():
        for torrent in api.torrents_info(torrent_hashes=info_hash):  # type: ignore[attr-defined]
            if torrent.progress >= 1 and torrent.amount_left == 0:
                seen.append(time.time())
                return
        time.sleep(0.02)


def main() -> None:
    """Run the push benchmark and print its table."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    from tests.benchmarks import print_table, throwaway_database
    from tests.conftest import process_env
    from tests.downloads.qbt_harness import QbtPair, start_instance
    from tests.e2e.test_request_flow import prepare_database
    from tests.e2e.world import World
    from tests.processes import Stack

    root = Path(tempfile.mkdtemp(prefix="bench-push-"))
    seeder = start_instance(root, "seeder", tracker=True)
    client = start_instance(root, "client", username="kiosk")
    pair = QbtPair(root=root, seeder=seeder, client=client)
    world = World(root / "world", pair)
    rows: list[list[object]] = []
    pushed: list[float] = []
    try:
        with throwaway_database():
            token = prepare_database(world)
            default, _ = IntervalSchedule.objects.get_or_create(
                every=MONITOR_DEFAULT, period="seconds"
            )
            PeriodicTask.objects.filter(name="download-monitor").update(interval=default)
            PeriodicTasks.update_changed()
            logs = root / "logs"
            logs.mkdir()
            stack = Stack(process_env(REQUEST_QUOTA_MOVIES="1000", **world.env()), logs)
            try:
                passes = _measure(stack, world, client, token, rows, pushed)
            finally:
                # Before the database is dropped: the processes hold connections to it.
                stack.stop()
    finally:
        world.stop()
        pair.stop()
    print_table(
        ["run", "film", "finished -> Completed (s)", "from qBittorrent's completion_on (s)"],
        rows,
    )
    ordered = sorted(pushed)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
    print(
        f"\n{len(pushed)} runs, monitor row at {MONITOR_DEFAULT} s "
        f"(monitor task lines in the worker log: {passes}): p50 "
        f"{statistics.median(pushed):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s "
        "(target p95 < 5 s)"
    )


def _measure(
    stack: Any, world: Any, client: Any, token: str, rows: list[list[object]], pushed: list[float]
) -> int:
    """Start the processes, request each film in turn and time it; return the monitor's runs."""
    from tests.e2e.test_request_flow import api, follow
    from tests.processes import wait_for

    base = stack.web()
    # The address qBittorrent calls is the web server's, known once it listens.
    stack.env.update(APP_URL=base, QBITTORRENT_SET_HOOK="true")
    worker = stack.worker()
    stack.beat()
    wait_for(
        lambda: client.api.app_preferences()["autorun_enabled"],
        30,
        what="the worker installing qBittorrent's line",
        logs=[stack.logs_text],
    )
    session = api(base, token)
    for run, (title, year, tmdb_id, imdb_id) in enumerate(FILMS[:RUNS], start=1):
        name = f"{title.replace(' ', '.')}.{year}.1080p.BluRay.x264-PUSH.mkv"
        release = world.offer(name, SIZE, imdb_id=imdb_id, tmdb_id=tmdb_id)
        stop, seen = threading.Event(), []
        watcher = threading.Thread(
            target=_finished_at, args=(client.api, release.info_hash, stop, seen)
        )
        watcher.start()
        created = session.post(
            f"{base}/api/v1/requests/", json={"media_type": "movie", "tmdb_id": tmdb_id}, timeout=10
        )
        created.raise_for_status()
        final = follow(session, created.json()["id"], "completed", timeout=120)[-1]
        stop.set()
        watcher.join()
        if final["status"] != "completed" or not seen:
            raise RuntimeError(f"{title}: {final['status']}\n{stack.logs_text()}")
        completed = datetime.fromisoformat(final["completed_at"]).timestamp()
        torrent = client.api.torrents_info(torrent_hashes=release.info_hash)[0]
        pushed.append(completed - seen[0])
        rows.append(
            [
                run,
                f"{title} ({year})",
                f"{pushed[-1]:.2f}",
                f"{completed - torrent.completion_on:.1f}",
            ]
        )
    return worker.log().count("monitor_downloads_task[")
