"""Production settings, as the README describes them (HTTPS through a proxy), really apply.

`manage.py check --deploy` with that environment is in tests/plexkiosk/test_settings.py;
here the settings are read back and a real login is made under them in a child process,
which loads the project's own settings module from that environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection

from tests.plexkiosk.helpers import bare_env, manage
from tests.plexkiosk.test_settings import PRODUCTION_LIKE

HOST = "kiosk.example.home"

SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "CORS_ALLOWED_ORIGINS", "CORS_ALLOW_CREDENTIALS",
    "AXES_FAILURE_LIMIT", "TRUSTED_PROXY_COUNT")}))
"""

# Behind the TLS proxy: X-Forwarded-Proto says https, the Host is the kiosk's name.
LOGIN = """
import json
from django.test import Client
https = {"HTTP_HOST": "%(host)s", "HTTP_X_FORWARDED_PROTO": "https"}
client = Client(enforce_csrf_checks=True)
plain = client.get("/login/", HTTP_HOST="%(host)s")
page = client.get("/login/", **https)
token = client.cookies["csrftoken"].value
done = client.post("/login/", {"username": "ana", "password": "pw-ana-123",
    "csrfmiddlewaretoken": token}, HTTP_REFERER="https://%(host)s/login/", **https)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "page": [page.status_code, page.get("Strict-Transport-Security", "")],
    "login": [done.status_code, done.get("Location", "")],
    "cookies": {name: morsel.OutputString() for name, morsel in done.cookies.items()},
    "csrf_cookie": page.cookies["csrftoken"].OutputString(),
}))
"""


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return bare_env(DATA_DIR=str(tmp_path), **{**PRODUCTION_LIKE, **extra})


def run_json(code: str, env: dict[str, str]) -> dict:
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_turn_on_secure_cookies_hsts_and_the_https_redirect(
    tmp_path: Path,
) -> None:
    values = run_json(SETTINGS, production_env(tmp_path))
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "CORS_ALLOWED_ORIGINS": [],
        "CORS_ALLOW_CREDENTIALS": False,
        "AXES_FAILURE_LIMIT": 5,
        "TRUSTED_PROXY_COUNT": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_a_login_under_production_settings_sets_secure_httponly_lax_cookies(
    tmp_path: Path,
) -> None:
    # The child process knows only the default (PBKDF2) hasher, not the tests' fast MD5.
    get_user_model().objects.create(
        username="ana", password=make_password("pw-ana-123", hasher="pbkdf2_sha256")
    )
    db = connection.settings_dict
    database = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("the child process needs the test database on PostgreSQL")
    env = production_env(tmp_path, DATABASE_URL=database)
    collected = manage("collectstatic", "--noinput", "--verbosity", "0", env=env)  # as `make run`
    assert collected.returncode == 0, collected.stderr
    seen = run_json(LOGIN % {"host": HOST}, env)
    assert seen["plain"] == [301, f"https://{HOST}/login/"]
    assert seen["page"][0] == 200
    assert seen["page"][1].startswith("max-age=31536000")
    assert seen["login"] == [302, "/"]
    session = seen["cookies"]["sessionid"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session, session
    assert "Secure" in seen["csrf_cookie"]
    assert "SameSite=Lax" in seen["csrf_cookie"]


def test_check_deploy_stays_clean_with_cors_proxies_and_login_limits_set(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        CORS_ALLOWED_ORIGINS="https://tablet.example.home",
        TRUSTED_PROXY_COUNT="1",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="60",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
