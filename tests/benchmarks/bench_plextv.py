"""Read a Plex watchlist through the plex.tv simulator: calls and time, changed and unchanged.

A list of N titles costs ceil(N / 100) pages plus one metadata call per title listed
without its ids (here one in ten); an unchanged list costs one small call (304).
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings

from plexkiosk.simulators.plextv import OWNER_TOKEN, start_plextv_simulator, watch_item
from tests.benchmarks import print_table, throwaway_database

SIZES = (20, 500, 2000)
ROUNDS = 3


def main() -> None:
    """Print one row per watchlist size: calls and milliseconds for a full and a 304 read."""
    from requests_app import plextv  # after django.setup(): it imports the models

    with throwaway_database():
        server, url = start_plextv_simulator()
        settings.PLEX_TV_URL = settings.PLEX_DISCOVER_URL = url
        rows = []
        try:
            for size in SIZES:
                items = [
                    watch_item(100_000 + n, f"Film {n}", "movie", 2000, inline_guids=n % 10 != 0)
                    for n in range(size)
                ]
                server.set_watchlist(1001, items)
                full, unchanged = [], []
                for _ in range(ROUNDS):
                    before = len(server.requests)
                    started = time.perf_counter()
                    read = plextv.watchlist(OWNER_TOKEN)
                    full.append(time.perf_counter() - started)
                    calls = len(server.requests) - before
                    started = time.perf_counter()
                    again = plextv.watchlist(OWNER_TOKEN, etag=read.etag)
                    unchanged.append(time.perf_counter() - started)
                assert len(read.entries) == size and again.not_modified
                rows.append(
                    [
                        size,
                        calls,
                        f"{statistics.median(full) * 1000:.0f}",
                        1,
                        f"{statistics.median(unchanged) * 1000:.1f}",
                    ]
                )
        finally:
            server.stop()
    print_table(["titles", "calls (full)", "ms (full)", "calls (304)", "ms (304)"], rows)
