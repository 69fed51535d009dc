"""The Plex client: errors that say whether to retry, timeouts, ids, a token that never leaks."""

from __future__ import annotations

import logging
import socket

import pytest

from library.plex import (
    PlexAuthError,
    PlexClient,
    PlexNotConfigured,
    PlexNotFound,
    PlexTemporaryError,
    parse_external_ids,
)
from library.sync import sync_library
from plexkiosk.simulators.plex import PlexSimulator


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_wrong_token_is_a_permanent_error_that_names_the_setting(plex: PlexSimulator) -> None:
    with pytest.raises(PlexAuthError, match="PLEX_TOKEN") as caught:
        PlexClient(plex.url, "not-the-token", timeout=5).sections()
    assert caught.value.temporary is False


def test_an_unreachable_server_is_a_temporary_error() -> None:
    client = PlexClient(f"http://127.0.0.1:{_closed_port()}", "secret-token-123", timeout=2)
    with pytest.raises(PlexTemporaryError, match="unreachable") as caught:
        client.sections()
    assert caught.value.temporary is True
    assert "secret-token-123" not in str(caught.value)


def test_a_server_error_is_temporary(plex: PlexSimulator) -> None:
    plex.fail(path="/library/sections", status=503)
    with pytest.raises(PlexTemporaryError, match="HTTP 503"):
        PlexClient(plex.url, plex.token, timeout=5).sections()


def test_a_slow_server_times_out_as_a_temporary_error(plex: PlexSimulator) -> None:
    plex.hang_seconds = 2
    plex.fail(path="/library/sections", mode="hang")
    with pytest.raises(PlexTemporaryError, match=r"within 0\.5 s"):
        PlexClient(plex.url, plex.token, timeout=0.5).sections()


def test_missing_settings_are_a_permanent_error(settings: object) -> None:
    settings.PLEX_URL = ""
    settings.PLEX_TOKEN = ""
    with pytest.raises(PlexNotConfigured, match="PLEX_URL and PLEX_TOKEN"):
        PlexClient().sections()


def test_a_deleted_item_reads_as_none_and_an_unknown_section_as_not_found(
    plex: PlexSimulator,
) -> None:
    client = PlexClient(plex.url, plex.token, timeout=5)
    key = next(i.rating_key for i in plex.items.values() if i.type == "movie")
    assert client.metadata(key)["rating_key"] == key
    plex.remove_item(key)
    assert client.metadata(key) is None
    with pytest.raises(PlexNotFound):
        list(client.pages("99", "movie"))


@pytest.mark.django_db
def test_the_token_is_never_logged(
    plex_settings: PlexSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # plexapi logs every URL at DEBUG on its own logger, which does not propagate.
    logging.getLogger("plexapi").addHandler(caplog.handler)
    plex_settings.fail(path="/all", page=1, status=500)
    client = PlexClient()
    try:
        with pytest.raises(PlexTemporaryError):
            sync_library(full=True, client=client)
    finally:
        logging.getLogger("plexapi").removeHandler(caplog.handler)
    assert "/library/sections/1/all" in caplog.text
    assert "sync failed" in caplog.text
    assert plex_settings.token not in caplog.text
    assert plex_settings.token not in repr(client)


def test_counts_come_from_an_empty_page(plex: PlexSimulator) -> None:
    client = PlexClient(plex.url, plex.token, timeout=5)
    assert client.count("1", "movie") == 25
    assert client.count("2", "episode") == 24
    assert "X-Plex-Container-Size=0" in plex.request_log[-1]


@pytest.mark.parametrize(
    ("guid", "guids", "expected"),
    [
        (
            "plex://movie/5d77",
            ["imdb://tt0111161", "tmdb://278"],
            {"imdb_id": "tt0111161", "tmdb_id": 278, "tvdb_id": None},
        ),
        (
            "com.plexapp.agents.imdb://tt0111161?lang=en",
            [],
            {"imdb_id": "tt0111161", "tmdb_id": None, "tvdb_id": None},
        ),
        (
            "com.plexapp.agents.themoviedb://278?lang=en",
            [],
            {"imdb_id": "", "tmdb_id": 278, "tvdb_id": None},
        ),
        (
            "com.plexapp.agents.thetvdb://81189/1/1?lang=en",
            [],
            {"imdb_id": "", "tmdb_id": None, "tvdb_id": 81189},
        ),
        ("local://42", [], {"imdb_id": "", "tmdb_id": None, "tvdb_id": None}),
    ],
)
def test_external_ids_come_from_guid_tags_or_legacy_agent_guids(
    guid: str, guids: list[str], expected: dict
) -> None:
    assert parse_external_ids(guid, guids) == expected
