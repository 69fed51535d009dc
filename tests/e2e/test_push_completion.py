"""Completion pushed by qBittorrent, end to end: the monitor row at 300 s, the film Completed.

The app's real processes (gunicorn, a Celery worker, Celery beat) on PostgreSQL and Redis,
a real qbittorrent-nox with a seeder, simulated Plex (adding what it scans at once), TMDB
and indexer. The worker installs qBittorrent's "run on torrent finished" line at start-up
(QBITTORRENT_SET_HOOK); when the torrent finishes, qBittorrent runs it (curl, the hook
token, the info hash), and the request reaches Completed with no monitor pass in between.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from downloads import hook
from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture, require_qbittorrent  # noqa: F401
from tests.e2e.test_request_flow import api, follow, prepare_database, report_timing
from tests.e2e.world import World
from tests.processes import Stack, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

DUNE = {"imdb_id": "tt1160419", "tmdb_id": 438631}
SIZE = 8 << 20
MONITOR_DEFAULT = 300  # seconds: the download-monitor row as the migration makes it
CHECK_COMPLETED = re.compile(
    r"downloads\.tasks\.check_download_task\[[^\]]+\] succeeded .*'completed'"
)
MONITOR_RAN = re.compile(r"downloads\.tasks\.monitor_downloads_task\[[^\]]+\] succeeded")


@pytest.fixture
def world(tmp_path: Path, qbt_pair: QbtPair) -> Iterator[World]:
    built = World(tmp_path / "world", qbt_pair)
    yield built
    built.stop()
    qbt_pair.client.api.app_set_preferences(prefs={"autorun_enabled": False, "autorun_program": ""})


def monitor_interval() -> int:
    row = PeriodicTask.objects.select_related("interval").get(name="download-monitor")
    return row.interval.every


def test_a_film_completes_from_qbittorrents_call_with_the_monitor_at_300_s(
    stack: Stack, world: World
) -> None:
    require_qbittorrent()
    token = prepare_database(world)
    # prepare_database shortens the monitor row for the polling test: put the default back.
    default, _ = IntervalSchedule.objects.get_or_create(every=MONITOR_DEFAULT, period="seconds")
    PeriodicTask.objects.filter(name="download-monitor").update(interval=default)
    PeriodicTasks.update_changed()
    release = world.offer("Dune.2021.1080p.BluRay.x264-E2E.mkv", SIZE, **DUNE)
    hook_token = secrets.token_hex(24)
    stack.env.update(world.env(), QBITTORRENT_HOOK_TOKEN=hook_token)
    base = stack.web()
    # The address qBittorrent calls is the web server's, known once it listens.
    stack.env.update(APP_URL=base, QBITTORRENT_SET_HOOK="true")
    stack.worker()
    stack.beat()
    client_api = world.qbt.client.api

    def hook_installed() -> bool:
        preferences = client_api.app_preferences()
        return (
            preferences["autorun_enabled"] and hook.FINISHED_PATH in preferences["autorun_program"]
        )

    wait_for(
        hook_installed, 30, what="the worker installing qBittorrent's line", logs=[stack.logs_text]
    )
    program = client_api.app_preferences()["autorun_program"]
    assert program.endswith(f"-d hash=%I {base}/api/v1/downloads/finished/")
    assert f"Bearer {hook_token}" in program

    session = api(base, token)
    created = session.post(
        f"{base}/api/v1/requests/", json={"media_type": "movie", "tmdb_id": 438631}, timeout=10
    )
    assert created.status_code == 201, created.text
    final = follow(session, created.json()["id"], "completed", timeout=90)[-1]

    assert final["status"] == "completed", (final, stack.logs_text())
    history = [e["to_status"] for e in final["events"]]
    assert history[-2:] == ["processing", "completed"], history
    filed = world.movies / "Dune (2021)" / "Dune (2021).mkv"
    assert filed.is_file() and filed.stat().st_size == SIZE
    # The push did it: the check qBittorrent's call queued completed the download, and no
    # monitor pass ran while the film was asked for (the row stayed at 300 s).
    worker_log = next(c for c in stack.children if c.name == "worker").log()
    assert CHECK_COMPLETED.search(worker_log), worker_log[-4000:]
    assert not MONITOR_RAN.search(worker_log), worker_log[-4000:]
    assert monitor_interval() == MONITOR_DEFAULT
    # qBittorrent's call reached the web server as a 202, and the token is in no log line.
    web_log = next(c for c in stack.children if c.name == "web").log()
    assert re.search(r'"POST /api/v1/downloads/finished/ HTTP/1\.1" 202', web_log), web_log[-3000:]
    for child in stack.children:
        assert hook_token not in child.log(), child.name

    torrent = client_api.torrents_info(torrent_hashes=release.info_hash)[0]
    completed_at = datetime.fromisoformat(final["completed_at"]).timestamp()
    report_timing(
        "qbittorrent complete -> request completed, pushed, monitor at 300 s (s)",
        completed_at - torrent.completion_on,
    )
