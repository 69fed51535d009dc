"""A real broker that cannot be reached while people save: the page and the API still answer
within a bound, the request is saved, and nothing is lost.

Three ways a Redis goes away, each on a real socket on loopback: stopped (the port refuses),
blackholed (SYNs dropped: a listening socket whose accept queue is full, as a firewall or a
dead host does it), and hung (the connection opens, no answer ever comes). gunicorn serves
the real app; `CELERY_BROKER_TIMEOUT` (3 s by default) bounds each wait on the broker, and
redis-py tries twice, so a save answers within about 6 s — measured and printed here. The
request stays *approved* in PostgreSQL, which is what the `recover-requests` row sends
again once the broker is back (tests/requests_app/test_recovery.py).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from rest_framework.authtoken.models import Token

from plexkiosk.simulators.tmdb import MOVIES, start_tmdb_simulator
from requests_app.models import MediaRequest, Profile, Status
from tests.conftest import process_env, requires_services
from tests.e2e.test_request_flow import make_user
from tests.processes import Stack

pytestmark = [requires_services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKER_TIMEOUT = 3  # CELERY_BROKER_TIMEOUT's default
BOUND = 2 * BROKER_TIMEOUT + 4  # two tries of redis-py, and a loaded CI machine's slack
PASSWORD = "pw-broker-123"


@contextlib.contextmanager
def unreachable_broker(how: str) -> Iterator[str]:
    """Yield a redis:// URL that is stopped, blackholed or hung, as `how` says."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    try:
        if how == "stopped":
            listener.close()
        elif how == "blackholed":
            # Linux drops the SYNs of a listener whose accept queue is full: connect()
            # hangs exactly as towards a host that went away. Two connections fill it.
            listener.listen(0)
            for _ in range(2):
                filler = socket.socket()
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
                held.append(filler)
        else:  # hung: accepted, never answered

            def accept_and_keep_silent() -> None:
                with contextlib.suppress(OSError):
                    while True:
                        held.append(listener.accept()[0])

            listener.listen(16)
            threading.Thread(target=accept_and_keep_silent, daemon=True).start()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        listener.close()
        for sock in held:
            sock.close()


@pytest.fixture(params=["stopped", "blackholed", "hung"])
def web(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    tmdb, tmdb_url = start_tmdb_simulator()
    with unreachable_broker(request.param) as broker_url:
        stack = Stack(
            process_env(CELERY_BROKER_URL=broker_url, TMDB_URL=tmdb_url, TMDB_API_KEY=tmdb.api_key),
            tmp_path,
        )
        try:
            yield stack.web(healthy=False)  # /healthz says 503: the broker is away
        finally:
            stack.stop()
            tmdb.stop()
            if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
                print(stack.logs_text())


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    # The client's own timeout far above the bound: a hang fails here, not in CI's limit.
    answer = call()
    return answer, time.monotonic() - started


def test_saving_a_request_with_the_broker_unreachable_answers_in_bounded_time_and_keeps_it(
    web: str, request: pytest.FixtureRequest
) -> None:
    how = request.node.callspec.params["web"]
    ana = make_user("ana", PASSWORD)
    Profile.objects.create(user=ana, auto_approve=True)
    token = Token.objects.create(user=ana).key
    first, second = [m for m in MOVIES if m["release_date"] and m["imdb_id"]][:2]

    # The API.
    api, api_seconds = timed(
        lambda: requests.post(
            f"{web}/api/v1/requests/",
            json={"media_type": "movie", "tmdb_id": first["id"]},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        )
    )
    assert api.status_code == 201, api.text[:500]

    # The kiosk's form, as a browser posts it (session and CSRF token).
    browser = requests.Session()
    login = browser.get(f"{web}/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
    signed_in = browser.post(
        f"{web}/login/",
        data={"username": "ana", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{web}/login/"},
        timeout=30,
    )
    assert signed_in.ok and signed_in.url.rstrip("/") == web, signed_in.url
    form, form_seconds = timed(
        lambda: browser.post(
            f"{web}/requests/new/",
            data={
                "media_type": "movie",
                "tmdb_id": second["id"],
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": f"{web}/"},
            timeout=60,
        )
    )
    assert form.ok and "/requests/" in form.url, (form.status_code, form.url)

    print(f"\nbroker {how}: API save {api_seconds:.2f} s, kiosk form save {form_seconds:.2f} s")
    assert api_seconds < BOUND and form_seconds < BOUND, (api_seconds, form_seconds)
    saved = MediaRequest.objects.filter(requested_by=ana).order_by("pk")
    assert [(r.tmdb_id, r.status) for r in saved] == [
        (first["id"], Status.APPROVED),
        (second["id"], Status.APPROVED),
    ], "saved and waiting, for the recover-requests row to send again"
