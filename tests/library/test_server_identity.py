"""The Plex server's identity: stored at each sync, read by pages and the Plex sign-in."""

from __future__ import annotations

import pytest

from library import server_identity
from library.models import PlexServer
from library.plex import PlexTemporaryError
from library.sync import sync_library
from plexkiosk.simulators.plex import PlexSimulator

pytestmark = pytest.mark.django_db


def test_a_sync_stores_the_servers_name_identifier_and_version(
    plex_settings: PlexSimulator,
) -> None:
    run = sync_library(full=True)
    server = PlexServer.objects.get()
    assert (server.name, server.machine_identifier, server.version) == (
        "Plex Simulator",
        "plexkiosk-simulator-0001",
        "1.41.0.8992",
    )
    assert server.seen_at >= run.started_at


def test_a_later_sync_notices_the_server_was_renamed_or_replaced(
    plex_settings: PlexSimulator,
) -> None:
    sync_library(full=True)
    plex_settings.friendly_name = "Living room"
    plex_settings.machine_identifier = "new-server-0002"
    sync_library()
    assert PlexServer.objects.count() == 1
    assert server_identity.machine_identifier() == "new-server-0002"
    assert server_identity.server_name() == "Living room"


def test_a_server_that_names_no_identifier_is_synced_but_not_stored(
    plex_settings: PlexSimulator,
) -> None:
    plex_settings.machine_identifier = ""

    run = sync_library(full=True)

    assert run.added == 28
    assert not PlexServer.objects.exists()
    assert server_identity.machine_identifier() is None


def test_the_stored_identifier_is_read_without_asking_plex(plex_settings: PlexSimulator) -> None:
    sync_library(full=True)
    plex_settings.fail(status=503)  # Plex is down: the stored value still answers
    assert server_identity.machine_identifier() == "plexkiosk-simulator-0001"
    assert server_identity.server_name() == "Plex Simulator"


def test_plex_is_asked_and_the_answer_kept_when_nothing_is_stored(
    plex_settings: PlexSimulator,
) -> None:
    assert server_identity.machine_identifier() == "plexkiosk-simulator-0001"
    assert PlexServer.objects.get().name == "Plex Simulator"
    plex_settings.reset_counts()
    assert server_identity.machine_identifier() == "plexkiosk-simulator-0001"
    assert plex_settings.request_count == 0


def test_a_refresh_asks_plex_again(plex_settings: PlexSimulator) -> None:
    server_identity.machine_identifier()
    plex_settings.machine_identifier = "new-server-0002"
    assert server_identity.machine_identifier() == "plexkiosk-simulator-0001"
    assert server_identity.machine_identifier(refresh=True) == "new-server-0002"
    assert PlexServer.objects.get().machine_identifier == "new-server-0002"


def test_an_outage_raises_only_when_a_refresh_was_asked_for(
    plex_settings: PlexSimulator,
) -> None:
    plex_settings.fail(status=503)
    assert server_identity.machine_identifier() is None
    assert server_identity.server_name() == "Plex"
    with pytest.raises(PlexTemporaryError):
        server_identity.machine_identifier(refresh=True)
    assert not PlexServer.objects.exists()


def test_nothing_is_known_when_plex_is_not_configured(settings: object) -> None:
    settings.PLEX_URL = ""
    settings.PLEX_TOKEN = ""
    assert server_identity.machine_identifier() is None
    assert server_identity.machine_identifier(refresh=True) is None
    assert server_identity.server_name() == "Plex"
