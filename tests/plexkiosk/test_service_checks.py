"""check_services and /status/: every part checked, failures named, secrets kept out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.fixtures import Settings

from downloads import hook
from plexkiosk.service_checks import Check, run_service_checks
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.tmdb import start_tmdb_simulator
from tests.conftest import requires_services


@pytest.fixture
def plex_and_tmdb(settings: Settings) -> Iterator[None]:
    plex = PlexSimulator(token="sim-plex-token-123")
    plex.start()
    tmdb, tmdb_url = start_tmdb_simulator()
    settings.PLEX_URL, settings.PLEX_TOKEN = plex.url, "sim-plex-token-123"
    settings.TMDB_URL, settings.TMDB_API_KEY = tmdb_url, tmdb.api_key
    yield
    plex.stop()
    tmdb.stop()


@pytest.mark.django_db
def test_nothing_configured_fails_naming_each_missing_part(settings: Settings) -> None:
    settings.PLEX_URL = settings.QBITTORRENT_URL = settings.TMDB_API_KEY = ""
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("check_services", stdout=out)
    for part in ("plex", "qbittorrent", "tmdb", "indexers"):
        assert part in str(failed.value)
    assert "database" not in str(failed.value)
    assert "FAIL" in out.getvalue()


@pytest.mark.django_db
def test_configured_services_answer_and_the_token_is_never_printed(plex_and_tmdb: None) -> None:
    out = StringIO()
    with pytest.raises(CommandError):  # no worker, beat or qBittorrent in this test
        call_command("check_services", stdout=out)
    lines = {
        line.split()[1]: line
        for line in out.getvalue().splitlines()
        if line[:4] in ("ok  ", "FAIL", "warn")
    }
    assert lines["plex"].startswith("ok"), out.getvalue()
    assert "Movies (movie)" in lines["plex"]
    assert lines["tmdb"].startswith("ok"), out.getvalue()
    assert "sim-plex-token-123" not in out.getvalue()


@pytest.mark.django_db
def test_whether_qbittorrent_calls_the_app_on_finish_is_shown_but_never_its_token(
    settings: Settings,
) -> None:
    qbittorrent = QBittorrentSimulator(username="admin", password="household-qbt")
    qbittorrent.start()
    settings.QBITTORRENT_URL = qbittorrent.url
    settings.QBITTORRENT_USERNAME, settings.QBITTORRENT_PASSWORD = "admin", "household-qbt"
    try:

        def line() -> Check:
            (found,) = [c for c in run_service_checks() if c.name == "qbittorrent: on finish"]
            return found

        missing = line()
        assert not missing.ok and not missing.required, "slower without it, not broken"
        assert "waits for the monitor's next pass" in missing.detail
        hook.install()
        installed = line()
        assert installed.ok and installed.detail == "calls the app when a torrent finishes"
        settings.QBITTORRENT_HOOK_TOKEN = "another-token-of-24-characters"
        assert "another token or address" in line().detail
        page = "\n".join(f"{c.name} {c.detail}" for c in run_service_checks())
        assert settings.QBITTORRENT_HOOK_TOKEN not in page
    finally:
        qbittorrent.stop()


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_is_seen(celery_worker_process: Callable) -> None:
    worker = celery_worker_process()
    from plexkiosk.service_checks import run_service_checks

    checks = {c.name: c for c in run_service_checks()}
    assert checks["worker"].ok
    assert worker.hostname in checks["worker"].detail


@pytest.mark.django_db
def test_the_status_page_is_for_staff_only(client: Client) -> None:
    member = get_user_model().objects.create_user("ana", password="pw-ana-123")
    client.force_login(member)
    assert client.get("/status/").status_code == 403


@pytest.mark.django_db
def test_the_status_page_shows_checks_queues_and_schedule(
    client: Client, plex_and_tmdb: None
) -> None:
    staff = get_user_model().objects.create_user("sam", password="pw", is_staff=True)
    client.force_login(staff)
    page = client.get("/status/").content.decode()
    assert "Services" in page and "plex" in page and "qbittorrent" in page
    assert "cleanup-expired-results" in page
    assert "priority" in page  # a queue row
    assert "sim-plex-token-123" not in page
