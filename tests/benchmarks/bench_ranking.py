"""Parse and rank 1,000 releases (target: under 1 s on the project's 2-core machine)."""

from __future__ import annotations

import random
import statistics
import time

from downloads.parsing import parse_release
from downloads.ranking import rank_releases
from downloads.releases import MediaQuery, Release
from tests.benchmarks import print_table
from tests.downloads.release_names import GB, SCENARIOS

COUNT = 1000
ROUNDS = 5


def thousand_releases() -> list[Release]:
    """Return 1,000 distinct release names built from the test fixtures' real-looking ones."""
    rng = random.Random(4)
    rows = [row for scenario in SCENARIOS for row in scenario.rows]
    releases = []
    for n in range(COUNT):
        title, gb, _seeders, _ = rows[n % len(rows)]
        # A distinct name each time, so the parser cache cannot make the numbers look good.
        releases.append(
            Release(
                title=f"{title}-v{n}",
                size=int(gb * GB * rng.uniform(0.9, 1.1)),
                seeders=rng.randint(0, 5000),
            )
        )
    return releases


def _time(step: object) -> float:
    started = time.perf_counter()
    step()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    """Print parse and parse+rank timings for 1,000 releases."""
    releases = thousand_releases()
    query = MediaQuery(media_type="movie", title="The Lion King", year=2019)
    rows = []
    for label, step in (
        ("parse only (parsett), cold cache", lambda: [parse_release(r.title) for r in releases]),
        ("parse + rank, cold cache", lambda: rank_releases(query=query, releases=releases)),
        ("rank only, names already parsed", lambda: rank_releases(query=query, releases=releases)),
    ):
        samples = []
        for _ in range(ROUNDS):
            if "cold" in label:
                parse_release.cache_clear()
            samples.append(_time(step))
        best, median = min(samples), statistics.median(samples)
        rows.append([label, COUNT, f"{best * 1000:.0f}", f"{median * 1000:.0f}",
                     f"{median / COUNT * 1e6:.0f}", "yes" if median < 1 else "NO"])  # fmt: skip
    print_table(["step", "releases", "best ms", "median ms", "µs/release", "< 1 s"], rows)
