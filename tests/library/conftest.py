"""Fixtures for the library tests: a running Plex simulator and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User

from library.plex import PlexClient
from plexkiosk.simulators.plex import PlexSimulator


@pytest.fixture
def plex() -> Iterator[PlexSimulator]:
    """A Plex simulator with 25 movies and 3 shows (2 seasons of 4 episodes), served on HTTP."""
    simulator = PlexSimulator()
    simulator.seed(movies=25, shows=3, seasons=2, episodes=4)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def plex_settings(settings: object, plex: PlexSimulator) -> PlexSimulator:
    """Point the app's settings at the simulator, with pages of 10 so paging is exercised."""
    settings.PLEX_URL = plex.url
    settings.PLEX_TOKEN = plex.token
    settings.PLEX_TIMEOUT = 5
    settings.PLEX_PAGE_SIZE = 10
    return plex


@pytest.fixture
def client_for(plex_settings: PlexSimulator) -> PlexClient:
    """A Plex client on the simulator."""
    return PlexClient()


@pytest.fixture
def member(db: None) -> User:
    return User.objects.create_user("member", password="pw-member-123")
