"""Download monitor benchmark: one pass over 1,000 active downloads from the qBittorrent simulator.

Rows: one monitor pass over 100 and over 1,000 movie downloads (first pass, then a second
one), the same over episode downloads (single episodes, and season packs fetching only
some files, those already selected), the listing call alone (what a pass costs before the
database), and, for comparison, the naive way: asking qBittorrent about each download in
turn. Then episode downloads of which a tenth are magnets still waiting for their metadata
(still one call: the monitor does not ask for a file list in metaDL), and the pass after
their metadata came, which selects their files (4 calls and 1 UPDATE each, once). The
simulator runs in this process (its JSON encoding is counted in the seconds, as a real
qBittorrent's answer time would be). Target: 1 HTTP call and the same number of SQL
queries at 100 as at 1,000 downloads, under 1 s.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from tests.benchmarks import print_table, throwaway_database

DOWNLOADS = int(os.environ.get("BENCH_MONITOR_DOWNLOADS", "1000"))
COUNTS = (100, DOWNLOADS)
GB = 1 << 30
# Of the episode downloads, one in WAITING_EVERY is a magnet still fetching its metadata
# in the last rows of the table.
WAITING_EVERY = 10


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
    per_pass: dict[tuple[str, int], tuple[int, int]] = {}
    try:
        with throwaway_database():
            client = QBittorrent(
                url=sim.url, username=sim.username, password=sim.password, category="plexkiosk"
            )
            client.login()

            def measure(label: str, work: Callable[[], object]) -> tuple[int, int]:
                sim.reset_counts()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    work()
                seconds = time.perf_counter() - started
                calls = sum(sim.calls.values())
                rows.append([label, calls, len(queries), f"{seconds:.3f}"])
                return calls, len(queries)

            def fill(kind: str, count: int) -> None:
                Download.objects.all().delete()
                sim.torrents.clear()
                if kind == "movie":
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
                else:
                    Download.objects.bulk_create(
                        Download(**fields) for fields in _episode_downloads(sim, count, kind)
                    )

            for kind, what in (("movie", "movie"), ("tv", "episode")):
                for count in COUNTS:
                    fill(kind, count)
                    label = f"monitor pass, {count:,} {what} downloads"
                    per_pass[kind, count] = measure(label, lambda: monitor_once(client=client))
                    if count == DOWNLOADS:
                        measure(
                            f"second pass, {count:,} {what} downloads",
                            lambda: monitor_once(client=client),
                        )
            # Where a pass's time goes: this much is qBittorrent's answer, the rest the database.
            measure(f"list only (1 call), {DOWNLOADS:,} torrents", client.list_torrents)
            hashes = list(Download.objects.values_list("info_hash", flat=True))
            measure(
                f"naive: one call per download, {len(hashes):,}",
                lambda: [client.get(h) for h in hashes],
            )
            for count in COUNTS:
                fill("waiting", count)
                label = f"pass, {count:,} episode downloads, 1 in {WAITING_EVERY} awaiting metadata"
                per_pass["waiting", count] = measure(label, lambda: monitor_once(client=client))
            # The pass after their metadata arrived selects their files, once: a file list,
            # two priority calls and a start each, and one UPDATE; the next pass is 1 call again.
            fill("arrived", DOWNLOADS)
            # One log line per selected download would bury the table.
            logging.getLogger("downloads.file_selection").setLevel(logging.WARNING)
            label = f"pass, {DOWNLOADS:,} episode downloads, 1 in {WAITING_EVERY} just got metadata"
            measure(label, lambda: monitor_once(client=client))
            measure(
                f"next pass, {DOWNLOADS:,} episode downloads", lambda: monitor_once(client=client)
            )
    finally:
        sim.stop()
    print_table(["what", "HTTP calls", "SQL queries", "seconds"], rows)
    print()
    small, large = COUNTS
    for kind, what in (
        ("movie", "movie downloads"),
        ("tv", "episode downloads"),
        ("waiting", f"episode downloads, 1 in {WAITING_EVERY} awaiting metadata"),
    ):
        (calls_s, sql_s), (calls_l, sql_l) = per_pass[kind, small], per_pass[kind, large]
        constant = calls_s == calls_l == 1 and sql_s == sql_l
        verdict = "1 call, constant" if constant else "NOT constant"
        print(
            f"{what}: per pass {calls_s} -> {calls_l} HTTP calls, {sql_s} -> {sql_l} SQL queries "
            f"({small:,} -> {large:,} downloads): {verdict}"
        )


def _episode_downloads(sim: Any, count: int, kind: str) -> list[dict[str, Any]]:
    """Add `count` episode torrents to the simulator; return their Download rows' fields.

    Three in four are single episodes; every fourth a season pack of which only three
    episodes are wanted, its files already selected. With `kind` "waiting", one in
    WAITING_EVERY is instead a pack's magnet still fetching its metadata; with "arrived", one
    whose metadata (ten episode files) has just come, stopped, its files not selected yet.
    """
    from django.utils import timezone

    from downloads.models import Download

    now = timezone.now()
    rows = []
    for n in range(count):
        season, episode = n // 40 + 1, n % 40 + 1
        pack = n % 4 == 0
        waiting = kind in ("waiting", "arrived") and n % WAITING_EVERY == 0
        name = (
            f"Bench.Show.{n}.S{season:02d}.1080p.WEB-DL.x264-SIM"
            if pack or waiting
            else f"Bench.Show.S{season:02d}E{episode:02d}.1080p.WEB-DL.x264-SIM"
        )
        size = 30 * GB if pack or waiting else 2 * GB
        info_hash = hashlib.sha1(f"bench-tv-{n}".encode(), usedforsecurity=False).hexdigest()
        files = [(f"{name}/Bench.Show.S{season:02d}E{e:02d}.mkv", size // 10) for e in range(1, 11)]
        torrent = sim.add(
            info_hash=info_hash,
            name=name,
            size=size,
            category="plexkiosk",
            tags=[f"pk-{info_hash[:8]}"],
            magnet=waiting,
            paused=waiting and kind == "arrived",
            write_files=False,
            files=files if waiting else None,
        )
        if waiting and kind == "arrived":
            torrent.metadata_at = 0.0  # known already; stopped there by its stop condition
        elif waiting:
            # The simulator gives a magnet its metadata after 0.2 s; keep it in metaDL, its
            # file list empty, for the whole benchmark.
            torrent.added_at = torrent.metadata_at = time.monotonic() + 86_400
        else:
            # Spread from 0 to 95 %: none completes during a benchmark pass.
            torrent.downloaded = int(size * (n % 96) / 100)
        rows.append(
            {
                "info_hash": info_hash,
                "release_title": name,
                "media_type": "tv",
                "title": "Bench Show",
                "season": season,
                "episodes": [1, 2, 3] if pack or waiting else [episode],
                "select_files": pack or waiting,
                "files_selected_at": None if waiting else (now if pack else None),
                "state": Download.State.DOWNLOADING,
                "owner_ref": f"bench:tv:{n}",
            }
        )
    return rows
