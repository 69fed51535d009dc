"""The kiosk home page's server time with warm caches, its size, and its SQL queries.

A member with six active requests (three downloading), twelve titles recently added to
Plex and TMDB's four rows (the simulator) loads `/` through Django's test client in this
process, 50 times after a warm-up load: the time is the server's alone (no network, no
browser), the bytes are the HTML's (posters are separate, cached requests). Run once with
TMDB answering and once with TMDB away (its rows hidden).
"""

from __future__ import annotations

import statistics
import time

LOADS = 50


def _seed() -> object:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from downloads.models import Download
    from library.models import LibraryItem, PlexSection
    from requests_app.models import MediaRequest, Status

    ana = get_user_model().objects.create_user("ana", password="pw-bench-ana")
    films = [(603, "The Matrix"), (27205, "Inception"), (157336, "Interstellar")]
    for n, (tmdb_id, title) in enumerate(films):
        Download.objects.create(
            info_hash=f"{n:040d}", release_title=f"{title}.1080p", size=4 << 30,
            state="downloading", progress=0.3, dlspeed=1 << 20, eta=900,
            owner_ref="request:bench", media_type="movie", title=title,
        )  # fmt: skip
        MediaRequest.objects.create(
            requested_by=ana, media_type="movie", tmdb_id=tmdb_id, title=title,
            status=Status.DOWNLOADING, download_hash=f"{n:040d}",
            poster_url=f"https://image.tmdb.org/t/p/w342/sim{tmdb_id}m.jpg",
        )  # fmt: skip
    for tmdb_id, title in [(329865, "Arrival"), (194, "Amélie"), (129, "Spirited Away")]:
        MediaRequest.objects.create(
            requested_by=ana, media_type="movie", tmdb_id=tmdb_id, title=title,
            status=Status.SEARCHING,
        )  # fmt: skip
    section = PlexSection.objects.create(key="1", type="movie", title="Movies")
    for n in range(12):
        LibraryItem.objects.create(
            section=section, rating_key=100 + n, type="movie", title=f"Film {n}",
            year=2000 + n, tmdb_id=438631 if n == 0 else 9_000_000 + n, thumb=f"/t/{n}",
            added_at=timezone.now(),
        )  # fmt: skip
    return ana


def _measure(client: object, label: str, tmdb: object) -> list[object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/")  # warm: TMDB's rows (or their failure) into the cache
    asked = len(tmdb.requests)
    times, size = [], 0
    for _ in range(LOADS):
        started = time.perf_counter()
        response = client.get("/")
        times.append((time.perf_counter() - started) * 1000)
        size = len(response.content)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    return [
        label,
        LOADS,
        f"{statistics.median(times):.1f}",
        f"{p95:.1f}",
        f"{size:,}",
        len(queries),
        len(tmdb.requests) - asked,
    ]


def main() -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment

    from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, start_tmdb_simulator
    from tests.benchmarks import print_table, throwaway_database

    setup_test_environment()  # lets the in-process client use the "testserver" host
    with throwaway_database():
        client = Client()
        client.force_login(_seed())
        tmdb, tmdb_url = start_tmdb_simulator()
        settings.TMDB_URL, settings.TMDB_API_KEY = tmdb_url, DEFAULT_API_KEY
        try:
            cache.clear()
            rows = [_measure(client, "GET / (TMDB answering, 4 rows)", tmdb)]
            tmdb.fail("500", times=1000)
            cache.clear()
            rows.append(_measure(client, "GET / (TMDB failing, rows hidden)", tmdb))
        finally:
            tmdb.stop()
            cache.clear()
    print(f"Django test client in-process, warm caches ({settings.CACHES['default']['BACKEND']})")
    print_table(
        ["page", "loads", "p50 ms", "p95 ms", "HTML bytes", "SQL queries", "TMDB calls"], rows
    )
