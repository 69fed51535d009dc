"""Fixtures for the downloads tests: Torznab simulators on local ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plexkiosk.simulators.torznab import TorznabSimulator


@pytest.fixture
def torznab() -> Iterator[Callable[..., TorznabSimulator]]:
    """Start Torznab simulators for one test; stop them all afterwards."""
    started: list[TorznabSimulator] = []

    def start(releases: Any = None, **options: Any) -> TorznabSimulator:
        simulator = TorznabSimulator(releases, **options).start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()
