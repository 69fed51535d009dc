"""Guessing passwords is slowed to a crawl; creating requests is rate-limited per user."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from requests_app.api import CreateRequestThrottle
from requests_app.models import MediaRequest
from tests.plexkiosk.helpers import bare_env, manage
from tests.requests_app.conftest import BREAKING_BAD

pytestmark = pytest.mark.django_db

RIGHT = "pw-ana-123"
LOGIN_PAGES = {"kiosk": "/login/", "admin": "/admin/login/"}


def attempt(client: Client, url: str, password: str, **extra: str):
    return client.post(url, {"username": "ana", "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_times(client: Client, url: str, times: int, **extra: str) -> None:
    for _ in range(times):
        attempt(client, url, "wrong-guess", **extra)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_sixth_attempt_is_refused_even_with_the_right_password(member, page: str) -> None:
    member.is_staff = True  # so the admin login would let her in
    member.save()
    client = Client()
    fail_times(client, LOGIN_PAGES[page], 5)
    response = attempt(client, LOGIN_PAGES[page], RIGHT)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert response["Retry-After"] == "900"
    assert not logged_in(client)


def test_four_failures_then_the_right_password_logs_in_and_starts_the_count_again(member) -> None:
    client = Client()
    fail_times(client, "/login/", 4)
    assert attempt(client, "/login/", RIGHT).status_code == 302
    assert logged_in(client)
    client = Client()
    fail_times(client, "/login/", 4)  # the success reset the count: still not locked
    assert attempt(client, "/login/", RIGHT).status_code == 302
    assert logged_in(client)


def test_the_lock_holds_one_username_from_one_address(member, other_member) -> None:
    fail_times(Client(), "/login/", 5, REMOTE_ADDR="10.0.0.66")
    locked = Client(REMOTE_ADDR="10.0.0.66")
    assert attempt(locked, "/login/", RIGHT, REMOTE_ADDR="10.0.0.66").status_code == 429
    elsewhere = Client()
    assert attempt(elsewhere, "/login/", RIGHT, REMOTE_ADDR="10.0.0.7").status_code == 302
    ben = Client()
    response = ben.post(
        "/login/", {"username": "ben", "password": "pw-ben-123"}, REMOTE_ADDR="10.0.0.66"
    )
    assert response.status_code == 302


def test_the_lock_lifts_after_the_cool_off(member) -> None:
    client = Client()
    fail_times(client, "/login/", 5)
    assert attempt(client, "/login/", RIGHT).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, "/login/", RIGHT).status_code == 302
    assert logged_in(client)


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(member) -> None:
    client = Client()
    for n in range(5):
        attempt(client, "/login/", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = attempt(client, "/login/", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


def test_behind_a_declared_proxy_the_forwarded_address_is_the_one_locked(member, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # nginx's $proxy_add_x_forwarded_for appends the address it saw to whatever came in.
    proxied = {"REMOTE_ADDR": "172.17.0.1"}
    for n in range(5):
        spoof = f"198.51.100.{n}, 203.0.113.5"  # the attacker's own header, then nginx's entry
        attempt(Client(), "/login/", "wrong", HTTP_X_FORWARDED_FOR=spoof, **proxied)
    attacker = attempt(Client(), "/login/", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxied)
    assert attacker.status_code == 429
    household = attempt(Client(), "/login/", RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.20", **proxied)
    assert household.status_code == 302


def test_the_lockout_page_speaks_french_to_a_french_browser(member) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    fail_times(client, "/login/", 5)
    page = attempt(client, "/login/", RIGHT).content.decode()
    assert "<h1>Trop d'échecs de connexion</h1>" in page
    assert "15 minutes" in page


def test_an_ajax_login_gets_the_same_page_and_no_open_cors_header(member) -> None:
    client = Client()
    ajax = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ORIGIN": "https://evil.example"}
    fail_times(client, "/login/", 5, **ajax)
    response = attempt(client, "/login/", RIGHT, **ajax)
    assert response.status_code == 429
    assert "Access-Control-Allow-Origin" not in response


def test_the_limit_and_cool_off_come_from_the_environment(tmp_path: Path) -> None:
    code = "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    env = bare_env(DATA_DIR=str(tmp_path), DEBUG="true")
    result = manage(
        "shell", "-c", code, env={**env, "LOGIN_FAILURE_LIMIT": "3", "LOGIN_COOLOFF_MINUTES": "30"}
    )
    assert result.stdout.split()[-2:] == ["3", "0.5"], result.stderr
    bad = manage("check", env={**env, "LOGIN_FAILURE_LIMIT": "0"})
    assert bad.returncode != 0
    assert "LOGIN_FAILURE_LIMIT" in bad.stderr


@pytest.fixture
def three_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the creation rate 3 a minute, so the test needs only four requests."""
    rates = {**CreateRequestThrottle.THROTTLE_RATES, "request_create": "3/minute"}
    monkeypatch.setattr(CreateRequestThrottle, "THROTTLE_RATES", rates)


def season(n: int) -> dict:
    return {"media_type": "tv", "tmdb_id": BREAKING_BAD.tmdb_id, "season": n}


@pytest.mark.usefixtures("queued", "plex_has", "fake_tmdb", "three_a_minute")
def test_the_api_refuses_a_fourth_request_in_a_minute(member, other_member) -> None:
    api = APIClient()
    api.force_authenticate(member)
    for n in (1, 2, 3):
        assert api.post("/api/v1/requests/", season(n), format="json").status_code == 201
    refused = api.post("/api/v1/requests/", season(4), format="json")
    assert refused.status_code == 429
    assert MediaRequest.objects.count() == 3
    other = APIClient()
    other.force_authenticate(other_member)  # the limit is per person
    assert other.post("/api/v1/requests/", season(4), format="json").status_code == 201


@pytest.mark.usefixtures("queued", "plex_has", "fake_tmdb", "three_a_minute")
def test_the_kiosk_form_shares_the_apis_budget(member) -> None:
    api = APIClient()
    api.force_authenticate(member)
    for n in (1, 2):
        assert api.post("/api/v1/requests/", season(n), format="json").status_code == 201
    page = Client()
    page.force_login(member)
    assert page.post("/requests/new/", season(3)).status_code == 302
    refused = page.post("/requests/new/", season(4), follow=True)
    assert "Too many requests in a short time" in refused.content.decode()
    assert MediaRequest.objects.count() == 3
    assert api.post("/api/v1/requests/", season(5), format="json").status_code == 429


def test_every_api_call_counts_against_the_per_user_rate(
    member, other_member, monkeypatch: pytest.MonkeyPatch
) -> None:
    rates = {**UserRateThrottle.THROTTLE_RATES, "user": "5/minute"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    api = APIClient()
    api.force_authenticate(member)
    for url in ("/api/v1/requests/", "/api/v1/library/", "/api/v1/requests/", "/api/v1/library/"):
        assert api.get(url).status_code == 200
    assert api.get("/api/v1/requests/").status_code == 200
    assert api.get("/api/v1/library/").status_code == 429
    other = APIClient()
    other.force_authenticate(other_member)
    assert other.get("/api/v1/library/").status_code == 200
