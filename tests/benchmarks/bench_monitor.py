"""Download monitor benchmark: one pass over 1,000 active downloads from the qBittorrent simulator.

Rows: one monitor pass over 10 and over 1,000 downloads (first pass, then a second one),
the listing call alone (what a pass costs before the database), and, for comparison, the
naive way: asking qBittorrent about each download in turn. The
simulator runs in this process (its JSON encoding is counted in the seconds, as a real
qBittorrent's answer time would be). Target: 1 HTTP call, a constant number of SQL
queries, under 1 s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from tests.benchmarks import print_table, throwaway_database

DOWNLOADS = int(os.environ.get("BENCH_MONITOR_DOWNLOADS", "1000"))


def main() -> None:
    """Run the monitor benchmark and print its table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from downloads.models import Download
    from downloads.monitor import monitor_once
    from downloads.qbittorrent import QBittorrent
    from plexkiosk.simulators.qbittorrent import QBittorrentSimulator

    sim = QBittorrentSimulator()
    sim.start()
    rows: list[list[object]] = []
    try:
        with throwaway_database():
            client = QBittorrent(
                url=sim.url, username=sim.username, password=sim.password, category="plexkiosk"
            )
            client.login()

            def measure(label: str, work: Callable[[], object]) -> None:
                sim.reset_counts()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    work()
                seconds = time.perf_counter() - started
                calls = sum(sim.calls.values())
                rows.append([label, calls, len(queries), f"{seconds:.3f}"])

            for count in (10, DOWNLOADS):
                Download.objects.all().delete()
                sim.torrents.clear()
                Download.objects.bulk_create(
                    Download(
                        info_hash=torrent.hash,
                        release_title=torrent.name,
                        media_type="movie",
                        title=torrent.name,
                        state=Download.State.DOWNLOADING,
                        owner_ref=f"bench:{n}",
                    )
                    for n, torrent in enumerate(sim.add_many(count))
                )
                measure(f"monitor pass, {count:,} downloads", lambda: monitor_once(client=client))
                if count == DOWNLOADS:
                    measure(
                        f"second pass, {count:,} downloads", lambda: monitor_once(client=client)
                    )
            # Where a pass's time goes: this much is qBittorrent's answer, the rest the database.
            measure(f"list only (1 call), {DOWNLOADS:,} torrents", client.list_torrents)
            hashes = list(Download.objects.values_list("info_hash", flat=True))
            measure(
                f"naive: one call per download, {len(hashes):,}",
                lambda: [client.get(h) for h in hashes],
            )
    finally:
        sim.stop()
    print_table(["what", "HTTP calls", "SQL queries", "seconds"], rows)
