"""The plex.tv settings: safe defaults, and bad values stop start-up naming the variable."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_a_trailing_slash_is_dropped(tmp_path: Path) -> None:
    env = bare_env(
        DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50, PLEX_TV_URL="http://127.0.0.1:8766/"
    )
    result = manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])[0] == "http://127.0.0.1:8766"
