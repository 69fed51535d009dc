"""The plex.tv simulator as a fixture: `from tests.requests_app.plextv_helpers import plextv`.

The fixture starts a seeded simulator (owner alice with OWNER_TOKEN, friend bob, stranger
mallory, Home member dana, managed "Kids" with PIN 1234) and points PLEX_TV_URL,
PLEX_DISCOVER_URL and PLEX_AUTH_APP_URL at it. Importing it into a test module (or a
conftest) is enough to use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from plexkiosk.simulators.plextv import PlexTVSimulator, start_plextv_simulator


@pytest.fixture
def plextv(settings: SettingsWrapper) -> Iterator[PlexTVSimulator]:
    """Start a seeded plex.tv simulator and point the plex.tv settings at it."""
    server, url = start_plextv_simulator()
    settings.PLEX_TV_URL = url
    settings.PLEX_DISCOVER_URL = url
    settings.PLEX_AUTH_APP_URL = server.auth_url
    try:
        yield server
    finally:
        server.stop()
