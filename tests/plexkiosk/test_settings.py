"""Settings come from the environment, with safe defaults and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from plexkiosk.settings import parse_path_map
from tests.plexkiosk.helpers import bare_env, manage

PRODUCTION_LIKE = {
    "SECRET_KEY": "x9!Vq2-" + "k" * 60,
    "DEBUG": "false",
    "ALLOWED_HOSTS": "kiosk.example.home",
    "CSRF_TRUSTED_ORIGINS": "https://kiosk.example.home",
    "SECURE_SSL": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def test_missing_secret_key_without_debug_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = manage("check", env=bare_env(DATA_DIR=str(tmp_path)))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_runs_without_a_secret_key(tmp_path: Path) -> None:
    result = manage("check", env=bare_env(DATA_DIR=str(tmp_path), DEBUG="true"))
    assert result.returncode == 0, result.stderr


def test_a_bad_value_names_its_variable(tmp_path: Path) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50, TRANSFER_MODE="teleport")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "TRANSFER_MODE" in result.stderr
    assert "teleport" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PLEX_TIMEOUT", "abc", "PLEX_TIMEOUT must be a number, not 'abc'"),
        ("PLEX_TIMEOUT", "-1", "PLEX_TIMEOUT must be between"),
        ("PLEX_PAGE_SIZE", "lots", "PLEX_PAGE_SIZE must be an integer, not 'lots'"),
        ("PLEX_PAGE_SIZE", "0", "PLEX_PAGE_SIZE must be between 1 and 10000, not '0'"),
        ("PLEX_PATH_MAP", "/only/one/side", "PLEX_PATH_MAP entries look like /app/path=/plex/path"),
        ("PLEX_WEB_URL", "plex.lan:32400/web", "PLEX_WEB_URL must be an http(s) URL"),
        ("PLEX_TV_TIMEOUT", "soon", "PLEX_TV_TIMEOUT must be a number, not 'soon'"),
        ("PLEX_TV_TIMEOUT", "0", "PLEX_TV_TIMEOUT must be between 0.1 and 300"),
        ("PLEX_TOKEN_KEY", "short-key", "PLEX_TOKEN_KEY must be at least 32 characters"),
        ("PLEX_TV_URL", "plex.tv", "PLEX_TV_URL must be an http(s) URL"),
        ("PLEX_DISCOVER_URL", "ftp://discover", "PLEX_DISCOVER_URL must be an http(s) URL"),
        ("PLEX_AUTH_APP_URL", "https://me:pw@evil/auth", "PLEX_AUTH_APP_URL must be an http(s)"),
        ("PLEX_TV_URL", "https://plex.tv?X-Plex-Token=x", "PLEX_TV_URL must be an http(s) URL"),
    ],
)
def test_a_bad_plex_setting_stops_start_up_naming_it(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), SECRET_KEY="k" * 50, **{name: value})
    result = manage("check", env=env)
    assert result.returncode != 0
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    # A URL's password or token is never echoed back.
    assert "pw@" not in result.stderr and "X-Plex-Token=x" not in result.stderr


def test_the_plex_path_map_is_read_longest_app_prefix_first() -> None:
    assert parse_path_map(" /srv/media=/media , /srv/media/TV/=/tv ,") == [
        ("/srv/media/TV", "/tv"),
        ("/srv/media", "/media"),
    ]


def test_database_and_broker_urls_switch_to_postgresql_and_redis(tmp_path: Path) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), **PRODUCTION_LIKE)
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG)"
    )
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.postgresql redis://127.0.0.1:6379/0 False" in result.stdout


def test_nothing_set_means_sqlite_and_the_filesystem_broker_under_the_data_folder(
    tmp_path: Path,
) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), DEBUG="true")
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['NAME']); print(s.CELERY_BROKER_URL); "
        "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])"
    )
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    db_name, broker, folder = result.stdout.split()[-3:]
    assert db_name == str(tmp_path / "plexkiosk.sqlite3")
    assert broker == "filesystem://"
    assert folder.startswith(str(tmp_path))


def test_check_deploy_with_a_production_environment_is_clean(tmp_path: Path) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), **PRODUCTION_LIKE)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
