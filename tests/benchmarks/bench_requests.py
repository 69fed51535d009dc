"""Request API under a real WSGI server: list 10,000 requests, create and join requests.

Prints requests per second and latency percentiles for `GET /api/v1/requests/` (a staff
member's view of 10,000 rows, 50 a page) and `POST /api/v1/requests/`, served by gunicorn
on loopback against the benchmark database, plus the SQL queries per request (measured
in-process), which must not grow with the page or the number of rows.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROWS = 10_000
CLIENTS = 4
LIST_CALLS = 400


def _seed() -> tuple[str, str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from requests_app.models import MediaRequest, Status

    users = get_user_model()
    people = users.objects.bulk_create(
        users(username=f"member{n}", password=make_password(None)) for n in range(20)
    )
    staff = users.objects.create(username="staff", is_staff=True)
    statuses = [Status.COMPLETED, Status.FAILED, Status.DECLINED, Status.CANCELLED]
    MediaRequest.objects.bulk_create(
        MediaRequest(
            requested_by=people[n % len(people)],
            media_type="movie",
            title=f"Film {n}",
            year=1950 + n % 70,
            tmdb_id=1_000_000 + n,
            status=statuses[n % len(statuses)],
        )
        for n in range(ROWS)
    )
    return Token.objects.create(user=staff).key, Token.objects.create(user=people[0]).key


def _queries_per_request(staff_token: str, member_token: str) -> list[list[object]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # lets the in-process client use the "testserver" host
    rows = []
    client = Client()
    for label, token, url in (
        ("GET list, page 1 (staff)", staff_token, "/api/v1/requests/"),
        ("GET list, page 150 (staff)", staff_token, "/api/v1/requests/?page=150"),
        ("GET list, member", member_token, "/api/v1/requests/"),
    ):
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url, HTTP_AUTHORIZATION=f"Token {token}").status_code
        rows.append([label, status, len(queries)])
    return rows


def _timed(call: object, count: int) -> tuple[float, list[float]]:
    latencies: list[float] = []

    def one(n: int) -> None:
        started = time.perf_counter()
        call(n)  # type: ignore[operator]
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started, latencies


def _row(label: str, count: int, seconds: float, latencies: list[float]) -> list[object]:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    return [
        label,
        count,
        f"{count / seconds:.0f}",
        f"{statistics.median(ordered) * 1000:.1f}",
        f"{p95:.1f}",
    ]


def main() -> None:
    from django.db import connection

    from plexkiosk.simulators.tmdb import start_tmdb_simulator
    from tests.benchmarks import print_table, throwaway_database
    from tests.processes import Stack

    with throwaway_database():
        staff_token, member_token = _seed()
        tmdb, tmdb_url = start_tmdb_simulator()
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "plexkiosk.settings",
            "SECRET_KEY": "bench",
            "DEBUG": "true",  # static files served plainly; no manifest needed
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "TMDB_URL": tmdb_url,
            "TMDB_API_KEY": tmdb.api_key,
            "REQUESTS_NEED_APPROVAL": "true",
            "API_RATE_USER": "100000/minute",
            "API_RATE_REQUEST_CREATE": "100000/minute",
            "REQUEST_QUOTA_MOVIES": "100000",
            "PLEXKIOSK_SKIP_DOTENV": "1",
        }
        stack = Stack(env, Path(tempfile.mkdtemp(prefix="bench-requests-")))
        try:
            base = stack.web()
            staff = requests.Session()
            staff.headers["Authorization"] = f"Token {staff_token}"
            member = requests.Session()
            member.headers["Authorization"] = f"Token {member_token}"
            pages = ROWS // 50

            def list_page(n: int) -> None:
                staff.get(
                    f"{base}/api/v1/requests/?page={n % pages + 1}", timeout=10
                ).raise_for_status()

            movies = sorted(tmdb.movies)

            def create(n: int) -> None:
                answer = member.post(
                    f"{base}/api/v1/requests/",
                    json={"media_type": "movie", "tmdb_id": movies[n % len(movies)]},
                    timeout=10,
                )
                assert answer.status_code in (200, 201), answer.text

            list_page(0)  # warm up both workers' connections
            rows = [
                _row(
                    "GET /api/v1/requests/ (10,000 rows)",
                    LIST_CALLS,
                    *_timed(list_page, LIST_CALLS),
                )
            ]
            creates = len(movies) * 4
            rows.append(
                _row("POST /api/v1/requests/ (create or join)", creates, *_timed(create, creates))
            )
        finally:
            stack.stop()
            tmdb.stop()
        print(f"gunicorn, 2 workers, {CLIENTS} concurrent clients, PostgreSQL")
        print_table(["call", "requests", "req/s", "p50 ms", "p95 ms"], rows)
        print()
        print_table(
            ["in-process call", "status", "SQL queries"],
            _queries_per_request(staff_token, member_token),
        )
