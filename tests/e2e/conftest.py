"""End-to-end fixtures: the app's real processes on PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plexkiosk.simulators.tmdb import TMDBSimulatorServer, start_tmdb_simulator
from tests.conftest import process_env, uses_real_services
from tests.processes import Stack


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """A set of app processes the test starts as it needs; their logs show on failure."""
    if not uses_real_services():
        pytest.fail("end-to-end tests need PostgreSQL and Redis (run them with `make test`)")
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Stack(process_env(), logs)
    yield running
    running.stop()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(running.logs_text())


@pytest.fixture
def tmdb_server() -> Iterator[TMDBSimulatorServer]:
    """A TMDB simulator for the browser tests' web server (its URL goes in the stack's env)."""
    server, _ = start_tmdb_simulator()
    yield server
    server.stop()
