"""Fixtures shared by every test folder: real Celery workers, service checks, indexers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from plexkiosk.celery import app
from plexkiosk.simulators.torznab import TorznabSimulator
from tests.processes import Child, worker_argv

ROOT = Path(__file__).resolve().parent.parent


def uses_real_services() -> bool:
    """True when the run is on PostgreSQL and Redis, as `make test` and CI run it."""
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and (
        settings.CELERY_BROKER_URL.startswith("redis://")
    )


requires_services = pytest.mark.skipif(
    not uses_real_services() and os.environ.get("CI") != "true",
    reason="needs DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://… (make test sets them)",
)


def process_env(**overrides: str) -> dict[str, str]:
    """Environment for a child process that shares this test run's database and broker."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{connection.settings_dict['NAME']}"
        )
    env.update(
        DJANGO_SETTINGS_MODULE="plexkiosk.settings",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        DATA_DIR=str(settings.DATA_DIR),
        SECRET_KEY=settings.SECRET_KEY,
        PLEXKIOSK_SKIP_DOTENV="1",
    )
    env.update(overrides)
    return env


class WorkerProcess(Child):
    """A `celery worker` child process, owned (started and stopped) by one test."""

    def __init__(self, queues: str, env: dict[str, str], logs: Path, name: str) -> None:
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
        super().__init__(name, worker_argv(queues, self.hostname), env, logs)

    def wait_ready(self, timeout: float = 30) -> None:
        self.wait_until(lambda: "ready." in self.log(), timeout)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Leave the site's language as it was: a page asked for in French activates French
    for the thread, and the next test's messages would read French."""
    yield
    translation.deactivate()


@pytest.fixture
def celery_worker_process(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real workers on the test run's broker and database; stop them afterwards."""
    started: list[WorkerProcess] = []

    def start(queues: str = "default,priority,plex_sync,downloads", **env: str) -> WorkerProcess:
        worker = WorkerProcess(queues, process_env(**env), tmp_path, f"worker{len(started)}")
        started.append(worker)
        worker.wait_ready()
        return worker

    # A message an earlier test queued and no worker took (the refresh after a scan, for a
    # queue that test did not serve) must not run in this test's workers: it starts empty.
    app.control.purge()
    yield start
    for worker in started:
        worker.stop()
    if started:
        app.control.purge()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def default_schedule(transactional_db: None) -> None:
    """Restore the default schedule rows, which a transactional test's flush removes."""
    from core.scheduling import default_jobs, ensure_jobs

    ensure_jobs(default_jobs())


@pytest.fixture
def torznab() -> Iterator[Callable[..., TorznabSimulator]]:
    """Start Torznab simulators (indexers over real HTTP) for one test; stop them afterwards."""
    started: list[TorznabSimulator] = []

    def start(releases: Any = None, **options: Any) -> TorznabSimulator:
        simulator = TorznabSimulator(releases, **options).start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()
