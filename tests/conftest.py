"""Fixtures shared by every test folder: real Celery workers and service checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


class WorkerProcess:
    """A `celery worker` child process, owned (started and stopped) by one test."""

    def __init__(self, queues: str, env: dict[str, str], log: Path) -> None:
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "plexkiosk",
                "worker",
                "-Q",
                queues,
                "-n",
                self.hostname,
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()}")
            if "ready." in self.log.read_text():
                return
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready in {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


@pytest.fixture
def celery_worker_process(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real workers on the test run's broker and database; stop them afterwards."""
    started: list[WorkerProcess] = []

    def start(queues: str = "default,priority,plex_sync,downloads", **env: str) -> WorkerProcess:
        worker = WorkerProcess(queues, process_env(**env), tmp_path / f"worker{len(started)}.log")
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def default_schedule(transactional_db: None) -> None:
    """Restore the default schedule rows, which a transactional test's flush removes."""
    from plexkiosk.scheduling import default_jobs, ensure_jobs

    ensure_jobs(default_jobs())
