"""Library sync benchmark: a 50,000-movie section from the Plex simulator.

Rows: the floor (fetching and parsing the same pages, no database), the full sync (first
into an empty mirror, then again with nothing changed), an incremental sync with nothing
changed, and the naive way (plexapi `section.all()` reading guids and file paths of every
item). Each runs in a forked child so its peak memory is its own; the simulator runs in
another process so it does not share the GIL with what is measured.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks import print_table, throwaway_database

MOVIES = int(os.environ.get("BENCH_LIBRARY_MOVIES", "50000"))
TOKEN = "bench-token"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sim_requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_sim/stats", timeout=10) as response:  # noqa: S310
        return json.load(response)["total"]


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _child(work: Callable[[], int], queue: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    base = _memory_kib("VmRSS")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        items = work()
    seconds = time.perf_counter() - started
    queue.put(
        {
            "seconds": seconds,
            "items": items,
            "queries": len(queries),
            "peak_mb": (_memory_kib("VmHWM") - base) / 1024,
        }
    )


def _measure(url: str, work: Callable[[], int]) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()  # the child opens its own connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    before = _sim_requests(url)
    process = context.Process(target=_child, args=(work, queue))
    process.start()
    result = queue.get(timeout=900)
    process.join()
    result["http"] = _sim_requests(url) - before
    return result


def main() -> None:
    """Run the library benchmark and print its table."""
    from plexapi.server import PlexServer

    from library.models import LibraryItem
    from library.plex import PlexClient
    from library.sync import sync_library

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plexkiosk.simulators.plex",
            "--port",
            str(port),
            "--movies",
            str(MOVIES),
            "--shows",
            "0",
            "--token",
            TOKEN,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        sim.stdout.readline()  # printed once the library is generated and served
        client = PlexClient(url, TOKEN, timeout=60)
        client.sections()
        # Warm the simulator's XML cache, so every row reads pages served alike.
        sum(len(page.items) for page in client.pages("1", "movie"))

        def floor() -> int:
            return sum(
                len(page.items) for page in PlexClient(url, TOKEN, timeout=60).pages("1", "movie")
            )

        def full_sync() -> int:
            run = sync_library(full=True, client=PlexClient(url, TOKEN, timeout=60))
            assert run.status == "succeeded", run.error
            return run.items_done

        def incremental() -> int:
            run = sync_library(client=PlexClient(url, TOKEN, timeout=60))
            assert run.status == "succeeded", run.error
            return run.items_done

        def naive() -> int:
            section = PlexServer(url, TOKEN, timeout=60).library.sectionByID(1)
            count = 0
            for movie in section.all():
                _ids = [guid.id for guid in movie.guids]
                _files = movie.locations
                count += 1
            return count

        rows = []
        with throwaway_database():
            for name, work in [
                ("floor: fetch + parse pages (PlexClient.pages)", floor),
                ("full sync, empty mirror", full_sync),
                ("full sync again, nothing changed", full_sync),
                ("incremental sync, nothing changed", incremental),
                ("naive: plexapi section.all() + guids + locations", naive),
            ]:
                result = _measure(url, work)
                rows.append(
                    [
                        name,
                        result["items"],
                        f"{result['seconds']:.2f}",
                        result["http"],
                        result["queries"],
                        f"{result['peak_mb']:.0f}",
                    ]
                )
                print(f"  measured: {name}", flush=True)
            mirrored = LibraryItem.objects.count()
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    print(
        f"\n{MOVIES} movies in one section; page size 1000 (plexapi: its default 100); "
        f"{mirrored} items mirrored\n"
    )
    print_table(["run", "items", "seconds", "HTTP requests", "SQL queries", "peak MB"], rows)
