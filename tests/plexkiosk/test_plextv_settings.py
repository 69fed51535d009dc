"""The plex.tv settings: safe defaults, and bad values stop start-up naming the variable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plexkiosk.helpers import bare_env, manage

SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps([s.PLEX_TV_URL, "
    "s.PLEX_DISCOVER_URL, s.PLEX_AUTH_APP_URL, s.PLEX_TV_TIMEOUT, s.PLEX_TOKEN_KEY]))"
)


def test_the_defaults_are_plex_tvs_own_addresses(tmp_path: Path) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50)
    result = manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "https://plex.tv",
        "https://discover.provider.plex.tv",
        "https://app.plex.tv/auth",
        10.0,
        "",
    ]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PLEX_TV_TIMEOUT", "soon", "PLEX_TV_TIMEOUT must be a number, not 'soon'"),
        ("PLEX_TV_TIMEOUT", "0", "PLEX_TV_TIMEOUT must be between 0.1 and 300"),
        ("PLEX_TOKEN_KEY", "short-key", "PLEX_TOKEN_KEY must be at least 32 characters"),
        ("PLEX_TV_URL", "plex.tv", "PLEX_TV_URL must be an http(s) URL"),
        ("PLEX_DISCOVER_URL", "ftp://discover", "PLEX_DISCOVER_URL must be an http(s) URL"),
        ("PLEX_AUTH_APP_URL", "https://me:pw@evil/auth", "PLEX_AUTH_APP_URL must be an http(s)"),
        ("PLEX_TV_URL", "https://plex.tv?X-Plex-Token=x", "PLEX_TV_URL must be an http(s) URL"),
    ],
)
def test_a_bad_plex_tv_setting_stops_start_up_naming_it(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50, **{name: value})
    result = manage("check", env=env)
    assert result.returncode != 0
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert "pw@" not in result.stderr and "X-Plex-Token=x" not in result.stderr


def test_a_trailing_slash_is_dropped(tmp_path: Path) -> None:
    env = bare_env(
        DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50, PLEX_TV_URL="http://127.0.0.1:8766/"
    )
    result = manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])[0] == "http://127.0.0.1:8766"
