"""Request API under a real WSGI server: list 10,000 requests, create and join requests.

Prints requests per second, latency percentiles and the web workers' CPU time per call for
`GET /api/v1/requests/` (a staff member's view of 10,000 rows, 20 a page and 50 with
`page_size`) and `POST /api/v1/requests/`, served by gunicorn with production settings on
loopback, plus the SQL queries per request (measured in-process), which must not grow with
the page or the number of rows.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import requests

ROWS = 10_000
CLIENTS = (1, 2, 4)  # concurrent client processes; gunicorn runs 2 workers
LIST_CALLS = 400


def _seed() -> tuple[str, str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
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
    # A real server's autovacuum vacuums and analyses a table within a minute of such a
    # load; without statistics the planner takes 10,000 rows for ~300 and sorts instead of
    # using the index, and without the visibility map COUNT(*) cannot read the index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
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
        ("GET list, 100 a page (staff)", staff_token, "/api/v1/requests/?page_size=100"),
        ("GET list, member", member_token, "/api/v1/requests/"),
    ):
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url, HTTP_AUTHORIZATION=f"Token {token}").status_code
        rows.append([label, status, len(queries)])
    return rows


def _client(base: str, token: str, calls: list[tuple[str, str, dict | None]]) -> list[float]:
    """One client process: make the calls in order, return each one's latency."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    latencies = []
    for method, path, body in calls:
        started = time.perf_counter()
        answer = session.request(method, f"{base}{path}", json=body, timeout=10)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code in (200, 201), answer.text
    return latencies


def _worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and _stat(int(entry.name))[1] == str(master):
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pids: list[int]) -> float:
    ticks = sum(int(_stat(pid)[11]) + int(_stat(pid)[12]) for pid in pids)
    return ticks / os.sysconf("SC_CLK_TCK")


def _load(
    pool: ProcessPoolExecutor,
    base: str,
    token: str,
    calls: list[tuple[str, str, dict | None]],
    clients: int,
    web_pids: list[int],
) -> tuple[int, float, list[float], float]:
    """Spread the calls over `clients` processes at once; latencies and web CPU per call."""
    cpu_before = _cpu_seconds(web_pids)
    started = time.perf_counter()
    shares = pool.map(
        _client, [base] * clients, [token] * clients, [calls[n::clients] for n in range(clients)]
    )
    latencies = [latency for share in shares for latency in share]
    seconds = time.perf_counter() - started
    return clients, seconds, latencies, (_cpu_seconds(web_pids) - cpu_before) / len(calls)


def _row(
    label: str, clients: int, seconds: float, latencies: list[float], cpu: float
) -> list[object]:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    return [
        label,
        clients,
        len(ordered),
        f"{len(ordered) / seconds:.0f}",
        f"{statistics.median(ordered) * 1000:.1f}",
        f"{p95:.1f}",
        f"{cpu * 1000:.1f}",
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
            # Production settings: DEBUG off (it cost ~8 ms a request), collected static files.
            "SECRET_KEY": "bench-" + "k" * 50,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
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
            web_pids = _worker_pids(stack.children[-1].proc.pid)

            def listing(page_size: int) -> list[tuple[str, str, None]]:
                pages = ROWS // page_size
                return [
                    ("GET", f"/api/v1/requests/?page={n % pages + 1}&page_size={page_size}", None)
                    for n in range(LIST_CALLS)
                ]

            movies = sorted(tmdb.movies)
            creating = [
                (
                    "POST",
                    "/api/v1/requests/",
                    {"media_type": "movie", "tmdb_id": movies[n % len(movies)]},
                )
                for n in range(len(movies) * 4)
            ]
            # Client processes, not threads: a client sharing one GIL queues its own calls.
            with ProcessPoolExecutor(max(CLIENTS), mp_context=get_context("spawn")) as pool:
                _client(base, staff_token, listing(20)[:4])  # warm up the workers' connections
                list(pool.map(time.sleep, [0] * max(CLIENTS)))  # start the client processes
                rows = [
                    _row(
                        f"GET /api/v1/requests/ (10,000 rows, {size} a page)",
                        *_load(pool, base, staff_token, listing(size), clients, web_pids),
                    )
                    for size, clients in [(20, n) for n in CLIENTS] + [(50, max(CLIENTS))]
                ]
                rows.append(
                    _row(
                        "POST /api/v1/requests/ (create or join)",
                        *_load(pool, base, member_token, creating, max(CLIENTS), web_pids),
                    )
                )
        finally:
            stack.stop()
            tmdb.stop()
        print("gunicorn, 2 sync workers, production settings, PostgreSQL, clients on this machine")
        print_table(
            ["call", "clients", "requests", "req/s", "p50 ms", "p95 ms", "web CPU ms/req"], rows
        )
        print()
        print_table(
            ["in-process call", "status", "SQL queries"],
            _queries_per_request(staff_token, member_token),
        )
