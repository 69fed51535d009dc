"""check_services and beat: starting after `make run`, ok once it ticks, failing when it stops."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from downloads.models import Indexer
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.tmdb import start_tmdb_simulator
from plexkiosk.simulators.torznab import TorznabSimulator
from tests.conftest import process_env, requires_services
from tests.processes import ROOT, Stack, wait_for

HEARTBEAT = "beat-heartbeat"


def clock(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S")


def beat_line(output: str) -> str:
    """The beat row of check_services' table."""
    return next(line for line in output.splitlines() if line[4:].split()[:1] == ["beat"])


def check_beat_in_process() -> str:
    out = StringIO()
    with contextlib.suppress(CommandError):  # no Plex, qBittorrent or worker here
        call_command("check_services", stdout=out)
    return beat_line(out.getvalue())


@pytest.fixture
def household(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Every service a household configures, simulated over real HTTP: the environment."""
    plex = PlexSimulator(token="household-plex-token")
    plex.start()
    tmdb, tmdb_url = start_tmdb_simulator()
    qbittorrent = QBittorrentSimulator(username="admin", password="household-qbt")
    qbittorrent.start()
    torznab = TorznabSimulator(api_key="household-indexer").start()
    Indexer.objects.create(name="household", url=torznab.url, api_key="household-indexer")
    folders = {name: tmp_path / name for name in ("downloads", "movies", "tv")}
    for folder in folders.values():
        folder.mkdir()
    yield process_env(
        PLEX_URL=plex.url,
        PLEX_TOKEN="household-plex-token",
        TMDB_URL=tmdb_url,
        TMDB_API_KEY=tmdb.api_key,
        QBITTORRENT_URL=qbittorrent.url,
        QBITTORRENT_USERNAME="admin",
        QBITTORRENT_PASSWORD="household-qbt",
        DOWNLOADS_DIR=str(folders["downloads"]),
        MOVIES_DIR=str(folders["movies"]),
        TV_DIR=str(folders["tv"]),
    )
    torznab.stop()
    qbittorrent.stop()
    tmdb.stop()
    plex.stop()


def check_services(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `manage.py check_services` as the operator types it."""
    return subprocess.run(
        [sys.executable, "manage.py", "check_services", "--no-color"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_schedule")
def test_after_make_run_beat_is_starting_then_ok_and_a_stopped_beat_fails(
    household: dict[str, str], tmp_path: Path
) -> None:
    stack = Stack(household, tmp_path)
    try:
        stack.worker()
        # As after `make run`: migrate created the rows a little earlier, then beat started.
        migrated_at = timezone.now() - timedelta(seconds=30)
        PeriodicTask.objects.update(date_changed=migrated_at)
        beat = stack.beat()

        first = check_services(household)
        assert first.returncode == 0, first.stdout + first.stderr + stack.logs_text()
        line = beat_line(first.stdout)
        assert line.startswith("wait"), first.stdout
        assert "beat is starting: the beat-heartbeat row has not run yet" in line
        assert f"first sends it at {clock(migrated_at + timedelta(seconds=60))}" in line
        assert "check again after" in line
        marks = {row[4:].split()[0]: row[:4] for row in first.stdout.splitlines()[:-1]}
        # Beat waits; qBittorrent's finished call, not installed yet, is only a warning.
        assert {n: m for n, m in marks.items() if m != "ok  "} == {
            "beat": "wait",
            "qbittorrent:": "warn",
        }, first.stdout
        assert "still starting: beat" in first.stdout

        wait_for(
            lambda: PeriodicTask.objects.filter(name=HEARTBEAT, last_run_at__isnull=False).exists(),
            60,
            what="beat sending its heartbeat",
            logs=[stack.logs_text],
        )
        ticking = check_services(household)
        assert ticking.returncode == 0, ticking.stdout + ticking.stderr
        assert beat_line(ticking.stdout).startswith("ok  "), ticking.stdout
        assert "last sent beat-heartbeat" in beat_line(ticking.stdout)
        assert "all required parts answer" in ticking.stdout

        beat.stop()
        # Beat stopped ten minutes ago: its last send (and write of the row) is that old.
        stopped_at = timezone.now() - timedelta(minutes=10)
        PeriodicTask.objects.filter(name=HEARTBEAT).update(
            last_run_at=stopped_at, date_changed=stopped_at
        )
        stale = check_services(household)
        assert stale.returncode == 1, stale.stdout
        assert beat_line(stale.stdout).startswith("FAIL"), stale.stdout
        assert "beat is not running" in beat_line(stale.stdout)
        assert "required parts failing: beat\n" in stale.stderr
    finally:
        stack.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_schedule")
def test_a_heartbeat_row_that_never_ran_long_after_it_was_created_means_no_beat() -> None:
    created = timezone.now() - timedelta(minutes=30)
    PeriodicTask.objects.filter(name=HEARTBEAT).update(date_changed=created)
    line = check_beat_in_process()
    assert line.startswith("FAIL"), line
    assert "beat has not sent any task yet" in line
    assert f"was due at {clock(created + timedelta(seconds=60))}" in line
    assert "beat is not running" in line


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_schedule")
def test_a_disabled_heartbeat_row_fails_and_says_where_to_enable_it() -> None:
    row = PeriodicTask.objects.get(name=HEARTBEAT)
    row.enabled = False
    row.save()
    line = check_beat_in_process()
    assert line.startswith("FAIL"), line
    assert "the beat-heartbeat row is disabled: enable it in admin" in line


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_schedule")
def test_staleness_follows_the_heartbeat_rows_own_interval() -> None:
    row = PeriodicTask.objects.get(name=HEARTBEAT)
    row.interval, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    row.save()  # an admin slowing the heartbeat down
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    PeriodicTask.objects.filter(pk=row.pk).update(
        last_run_at=five_minutes_ago, date_changed=five_minutes_ago
    )
    assert check_beat_in_process().startswith("ok  ")

    twelve_minutes_ago = timezone.now() - timedelta(minutes=12)
    PeriodicTask.objects.filter(pk=row.pk).update(
        last_run_at=twelve_minutes_ago, date_changed=twelve_minutes_ago
    )
    assert "beat is not running" in check_beat_in_process()
