"""CORS: closed unless CORS_ALLOWED_ORIGINS lists an origin, and then only for the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.plexkiosk.helpers import bare_env, manage
from tests.security.conftest import token_for

pytestmark = pytest.mark.django_db

TABLET = "https://tablet.home"
EVIL = "https://evil.example"
PREFLIGHT = {
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type",
}


def cross_origin_get(url: str, origin: str, **extra: str):
    return Client().get(url, HTTP_ORIGIN=origin, **extra)


def preflight(url: str, origin: str):
    return Client().options(url, HTTP_ORIGIN=origin, **PREFLIGHT)


def test_by_default_no_origin_gets_any_cors_header(member, settings) -> None:
    assert settings.CORS_ALLOWED_ORIGINS == []
    auth = {"HTTP_AUTHORIZATION": token_for(member)}
    for origin in (TABLET, EVIL, "null"):
        for response in (
            cross_origin_get("/api/v1/requests/", origin, **auth),
            preflight("/api/v1/requests/", origin),
            cross_origin_get("/healthz", origin),
        ):
            assert not any(h.lower().startswith("access-control-") for h in response.headers), (
                origin,
                dict(response.headers),
            )


def test_an_allowlisted_origin_may_call_the_api_and_no_other_origin_may(member, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [TABLET]
    auth = {"HTTP_AUTHORIZATION": token_for(member)}
    allowed = cross_origin_get("/api/v1/requests/", TABLET, **auth)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == TABLET
    assert "Access-Control-Allow-Credentials" not in allowed  # never with the session cookie
    checked = preflight("/api/v1/requests/", TABLET)
    assert checked["Access-Control-Allow-Origin"] == TABLET
    assert "authorization" in checked["Access-Control-Allow-Headers"]
    refused = cross_origin_get("/api/v1/requests/", EVIL, **auth)
    assert "Access-Control-Allow-Origin" not in refused
    assert "Access-Control-Allow-Origin" not in preflight("/api/v1/requests/", EVIL)


def test_pages_never_answer_cross_origin_even_to_a_listed_origin(member, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [TABLET]
    client = Client()
    client.force_login(member)
    for url in ("/", "/requests/", "/login/"):
        assert "Access-Control-Allow-Origin" not in client.get(url, HTTP_ORIGIN=TABLET), url


def test_the_allowlist_comes_from_the_environment_and_a_bad_origin_stops_start_up(
    tmp_path: Path,
) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), DEBUG="true")
    code = "from django.conf import settings as s; print(s.CORS_ALLOWED_ORIGINS)"
    listed = manage(
        "shell", "-c", code, env={**env, "CORS_ALLOWED_ORIGINS": f"{TABLET},http://192.0.2.4:8080"}
    )
    assert f"['{TABLET}', 'http://192.0.2.4:8080']" in listed.stdout, listed.stderr
    bad = manage("check", env={**env, "CORS_ALLOWED_ORIGINS": "tablet.home"})
    assert bad.returncode != 0
    assert "CORS_ALLOWED_ORIGINS" in bad.stdout + bad.stderr
