"""Benchmarks: each `bench_*.py` module has `main()` that prints a table of numbers.

Run them with `make bench` (or `make bench BENCH=library` for one). They are not tests:
nothing here passes or fails on time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def throwaway_database() -> Iterator[None]:
    """Create a fresh test database (as pytest-django would), migrate it, drop it after."""
    from django.test.utils import setup_databases, teardown_databases

    config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(config, verbosity=0)


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """Print rows as an aligned plain-text table."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
