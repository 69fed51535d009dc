"""The plex.tv client against the plex.tv simulator, over real HTTP: answers and failures."""

from __future__ import annotations

import logging
import socket
import threading
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from plexkiosk.simulators.plextv import (
    OWNER_TOKEN,
    PLEX_SIM_MACHINE_ID,
    PlexTVSimulator,
    watch_item,
)
from requests_app import plextv
from requests_app.models import PlexInstallation
from tests.requests_app.plextv_helpers import plextv as plextv_sim  # noqa: F401

pytestmark = pytest.mark.django_db

BOB_TOKEN = "sim-bob-token"
KID_TOKEN = "sim-kid-token"


@pytest.fixture
def sim(plextv_sim: PlexTVSimulator) -> PlexTVSimulator:  # noqa: F811
    return plextv_sim


def _assert_no_secret(error: BaseException, *secrets: str) -> None:
    text = f"{error} {error!r}"
    for secret in secrets:
        assert secret not in text


# --- the installation's identity ---------------------------------------------------------


def test_client_identifier_is_made_once_and_kept() -> None:
    first = plextv.client_identifier()
    assert first == plextv.client_identifier()
    assert len(first) == 32
    assert PlexInstallation.objects.get().client_identifier == first


def test_client_identifier_reads_the_row_another_process_made() -> None:
    PlexInstallation.objects.create(pk=1, client_identifier="made-by-the-worker")
    assert plextv.client_identifier() == "made-by-the-worker"


def test_every_call_says_who_is_calling_and_sends_the_token_in_a_header_only(
    sim: PlexTVSimulator,
) -> None:
    plextv.account(OWNER_TOKEN)
    request = sim.requests[-1]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["accept"] == "application/json"
    assert headers["x-plex-product"] == "Plex Kiosk"
    assert headers["x-plex-version"] == plextv.APP_VERSION
    assert headers["x-plex-client-identifier"] == plextv.client_identifier()
    assert headers["x-plex-device-name"]
    assert headers["x-plex-platform"]
    assert headers["x-plex-token"] == OWNER_TOKEN
    assert OWNER_TOKEN not in request["path"] + request["query"]


# --- PINs ---------------------------------------------------------------------------------


def test_a_strong_pin_is_approved_through_the_auth_page_and_then_carries_the_token(
    sim: PlexTVSimulator,
) -> None:
    pin = plextv.create_pin(strong=True)
    assert pin.strong and len(pin.code) > 8 and pin.auth_token is None
    assert timedelta(minutes=29) < pin.expires_at - datetime.now(UTC) <= timedelta(minutes=30)
    assert not pin.expired
    assert plextv.check_pin(pin.id).auth_token is None

    sim.approve(pin.id, "bob")

    checked = plextv.check_pin(pin.id)
    assert checked.auth_token == BOB_TOKEN
    assert BOB_TOKEN not in repr(checked)


def test_a_short_pin_has_a_four_character_code_for_the_link_page(sim: PlexTVSimulator) -> None:
    pin = plextv.create_pin(strong=False)
    assert len(pin.code) == 4 and not pin.strong
    assert timedelta(minutes=14) < pin.expires_at - datetime.now(UTC) <= timedelta(minutes=15)
    sim.approve(pin.code.lower(), "alice")
    assert plextv.check_pin(pin.id).auth_token == OWNER_TOKEN


def test_an_unknown_pin_is_pin_not_found(sim: PlexTVSimulator) -> None:
    with pytest.raises(plextv.PinNotFound) as caught:
        plextv.check_pin(987654)
    assert not caught.value.temporary


def test_an_expired_pin_is_forgotten_by_plex_tv(sim: PlexTVSimulator) -> None:
    pin = plextv.create_pin(strong=True)
    sim.expire(pin.id)
    with pytest.raises(plextv.PinNotFound):
        plextv.check_pin(pin.id)


def test_a_pin_made_by_another_installation_is_not_found(
    sim: PlexTVSimulator, settings: SettingsWrapper
) -> None:
    pin = plextv.create_pin(strong=True)
    PlexInstallation.objects.update(client_identifier="someone-else")
    with pytest.raises(plextv.PinNotFound):
        plextv.check_pin(pin.id)


def test_the_auth_app_url_names_the_installation_the_code_and_the_way_back(
    settings: SettingsWrapper,
) -> None:
    settings.PLEX_AUTH_APP_URL = "https://app.plex.tv/auth"
    url = plextv.auth_app_url(code="abc123", forward_url="https://kiosk.example/plex/done?x=1")
    assert url.startswith("https://app.plex.tv/auth#?")
    params = parse_qs(urlsplit(url).fragment.removeprefix("?"))
    assert params["clientID"] == [plextv.client_identifier()]
    assert params["code"] == ["abc123"]
    assert params["forwardUrl"] == ["https://kiosk.example/plex/done?x=1"]
    assert params["context[device][product]"] == ["Plex Kiosk"]
    assert "context%5Bdevice%5D%5Bproduct%5D=Plex%20Kiosk" in url
    assert "forwardUrl" not in plextv.auth_app_url(code="abc123")


# --- accounts and servers -----------------------------------------------------------------


def test_account_names_the_person_behind_a_token(sim: PlexTVSimulator) -> None:
    user = plextv.account(BOB_TOKEN)
    assert (user.id, user.username, user.email) == (1002, "bob", "bob@example.com")
    assert user.uuid and user.thumb.startswith("https://")


def test_a_revoked_token_is_unauthorized(sim: PlexTVSimulator) -> None:
    sim.revoke(BOB_TOKEN)
    with pytest.raises(plextv.PlexTVUnauthorized) as caught:
        plextv.account(BOB_TOKEN)
    assert not caught.value.temporary
    _assert_no_secret(caught.value, BOB_TOKEN)


def test_an_empty_token_is_refused_without_asking_plex_tv(sim: PlexTVSimulator) -> None:
    with pytest.raises(plextv.PlexTVUnauthorized):
        plextv.account("")
    assert sim.count("/api/v2/user") == 0


def test_servers_lists_only_media_servers_and_says_which_are_owned(sim: PlexTVSimulator) -> None:
    assert plextv.servers(OWNER_TOKEN) == [
        plextv.Server(client_identifier=PLEX_SIM_MACHINE_ID, name="Plex Simulator", owned=True)
    ]
    assert plextv.servers(BOB_TOKEN) == [
        plextv.Server(client_identifier=PLEX_SIM_MACHINE_ID, name="Plex Simulator", owned=False)
    ]
    assert plextv.servers("sim-mallory-token") == []
    assert "includeHttps=1" in sim.requests[-1]["query"]


def test_shared_users_are_the_friends_and_home_members_with_their_servers(
    sim: PlexTVSimulator,
) -> None:
    users = {u.id: u for u in plextv.shared_users(OWNER_TOKEN)}
    assert set(users) == {1002, 1004, 1005}  # bob, dana, the Kids profile; not mallory
    bob = users[1002]
    assert (bob.username, bob.email, bob.home) == ("bob", "bob@example.com", False)
    assert bob.server_ids == (PLEX_SIM_MACHINE_ID,)
    assert bob.uuid == sim.account("bob").uuid  # read from the avatar URL
    kids = users[1005]
    assert kids.home and kids.restricted and kids.email == "" and kids.title == "Kids"
    headers = {k.lower(): v for k, v in sim.requests[-1]["headers"].items()}
    assert headers["accept"] != "application/json"


def test_home_users_include_managed_profiles_without_email(sim: PlexTVSimulator) -> None:
    users = {u.title: u for u in plextv.home_users(OWNER_TOKEN)}
    assert set(users) == {"Alice", "dana", "Kids"}
    assert users["Alice"].admin and not users["Alice"].protected
    kids = users["Kids"]
    assert kids.restricted and kids.protected and kids.email == "" and kids.username == ""


def test_switching_to_a_home_profile_gives_its_token(sim: PlexTVSimulator) -> None:
    users = {u.title: u for u in plextv.home_users(OWNER_TOKEN)}
    assert plextv.switch_home_user(OWNER_TOKEN, users["dana"], pin=None) == "sim-dana-token"
    assert plextv.switch_home_user(OWNER_TOKEN, 1005, pin="1234") == KID_TOKEN
    assert "pin=1234" in sim.requests[-1]["query"]


@pytest.mark.parametrize("pin", [None, "0000", "12345", "12a4"])
def test_a_wrong_home_pin_is_a_permanent_error_that_says_so(
    sim: PlexTVSimulator, pin: str | None
) -> None:
    with pytest.raises(plextv.PlexTVPermanentError, match="wrong PIN") as caught:
        plextv.switch_home_user(OWNER_TOKEN, 1005, pin=pin)
    assert not isinstance(caught.value, plextv.PlexTVUnauthorized)


def test_switching_with_a_revoked_owner_token_is_unauthorized(sim: PlexTVSimulator) -> None:
    sim.revoke(OWNER_TOKEN)
    with pytest.raises(plextv.PlexTVUnauthorized):
        plextv.switch_home_user(OWNER_TOKEN, 1005, pin="1234")


def test_switching_to_someone_outside_the_home_is_refused(sim: PlexTVSimulator) -> None:
    with pytest.raises(plextv.PlexTVPermanentError) as caught:
        plextv.switch_home_user(OWNER_TOKEN, 1003, pin=None)
    assert "wrong PIN" not in str(caught.value)


# --- watchlists ---------------------------------------------------------------------------


def test_the_watchlist_is_read_with_every_title_and_its_ids(sim: PlexTVSimulator) -> None:
    watchlist = plextv.watchlist(OWNER_TOKEN)
    assert not watchlist.not_modified and watchlist.etag
    by_title = {entry.title: entry for entry in watchlist.entries}
    assert list(by_title) == ["The Matrix", "Breaking Bad", "Dune", "A Home Movie"]
    assert by_title["The Matrix"].tmdb_id == 603
    assert by_title["The Matrix"].media_type == "movie" and by_title["The Matrix"].year == 1999
    assert by_title["Breaking Bad"].media_type == "show"
    assert "tvdb://81189" in by_title["Breaking Bad"].guids
    # Listed without Guid children: its metadata was read for them.
    assert by_title["Dune"].tmdb_id == 438631
    assert sim.count("/library/metadata/") == 1
    assert by_title["A Home Movie"].tmdb_id is None
    assert by_title["A Home Movie"].guids == ("imdb://tt9999999",)


def test_an_unchanged_watchlist_costs_one_call_and_a_changed_one_is_read_again(
    sim: PlexTVSimulator,
) -> None:
    first = plextv.watchlist(OWNER_TOKEN)
    calls = sim.count("/library/sections/watchlist")

    again = plextv.watchlist(OWNER_TOKEN, etag=first.etag)
    assert again.not_modified and again.entries == () and again.etag == first.etag
    assert sim.count("/library/sections/watchlist") == calls + 1

    sim.add_to_watchlist(1001, watch_item(157336, "Interstellar", "movie", 2014))
    changed = plextv.watchlist(OWNER_TOKEN, etag=first.etag)
    assert not changed.not_modified and changed.etag != first.etag
    assert changed.entries[0].title == "Interstellar"


def test_a_long_watchlist_is_paged_to_the_end(
    sim: PlexTVSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plextv, "WATCHLIST_PAGE_SIZE", 7)
    items = [watch_item(10_000 + n, f"Film {n}", "movie", 2000) for n in range(23)]
    sim.set_watchlist(1002, items)
    watchlist = plextv.watchlist(BOB_TOKEN)
    assert [e.title for e in watchlist.entries] == [f"Film {n}" for n in range(23)]
    assert sim.count("/library/sections/watchlist") == 4  # 7 + 7 + 7 + 2


def test_a_watchlist_page_smaller_than_asked_still_reads_to_the_end(
    sim: PlexTVSimulator,
) -> None:
    sim.page_size_limit = 5  # discover may give less than asked for
    sim.set_watchlist(1002, [watch_item(20_000 + n, f"Show {n}", "show") for n in range(12)])
    assert len(plextv.watchlist(BOB_TOKEN).entries) == 12


def test_an_empty_watchlist_is_empty(sim: PlexTVSimulator) -> None:
    watchlist = plextv.watchlist("sim-mallory-token")
    assert watchlist.entries == () and not watchlist.not_modified


def test_watchlist_items_that_are_not_movies_or_shows_are_left_out(sim: PlexTVSimulator) -> None:
    body = (
        '{"MediaContainer": {"totalSize": 3, "Metadata": ['
        '{"ratingKey": "abc", "type": "collection", "title": "A collection"},'
        '{"ratingKey": "../../etc", "type": "movie", "title": "Hostile key"},'
        '{"ratingKey": "def", "type": "movie", "title": "Fine", "year": 2001,'
        ' "Guid": [{"id": "tmdb://5"}]}]}}'
    )
    sim.override("/library/sections/watchlist", body=body, content_type="application/json")
    entries = plextv.watchlist(OWNER_TOKEN).entries
    assert [(e.title, e.tmdb_id) for e in entries] == [("Fine", 5)]


def test_a_revoked_token_stops_the_watchlist(sim: PlexTVSimulator) -> None:
    sim.revoke(BOB_TOKEN)
    with pytest.raises(plextv.PlexTVUnauthorized):
        plextv.watchlist(BOB_TOKEN)


# --- failures -----------------------------------------------------------------------------


CALLS = {
    "create_pin": lambda: plextv.create_pin(strong=True),
    "check_pin": lambda: plextv.check_pin(1001),
    "account": lambda: plextv.account(OWNER_TOKEN),
    "servers": lambda: plextv.servers(OWNER_TOKEN),
    "shared_users": lambda: plextv.shared_users(OWNER_TOKEN),
    "home_users": lambda: plextv.home_users(OWNER_TOKEN),
    "switch_home_user": lambda: plextv.switch_home_user(OWNER_TOKEN, 1004, pin=None),
    "watchlist": lambda: plextv.watchlist(OWNER_TOKEN),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_plex_tv_down_is_a_temporary_error(sim: PlexTVSimulator, call) -> None:
    sim.down = True
    with pytest.raises(plextv.PlexTVTemporaryError) as caught:
        call()
    assert caught.value.temporary and caught.value.status == 503
    _assert_no_secret(caught.value, OWNER_TOKEN)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_plex_tv_slow_is_a_temporary_error_after_the_timeout(
    sim: PlexTVSimulator, settings: SettingsWrapper, call
) -> None:
    settings.PLEX_TV_TIMEOUT = 0.2
    sim.delay = 1.0
    with pytest.raises(plextv.PlexTVTemporaryError, match=r"within 0\.2 s") as caught:
        call()
    _assert_no_secret(caught.value, OWNER_TOKEN)


def test_plex_tv_unreachable_is_a_temporary_error(settings: SettingsWrapper) -> None:
    settings.PLEX_TV_URL = "http://127.0.0.1:9"  # the discard port: nothing listens
    with pytest.raises(plextv.PlexTVTemporaryError, match="could not be reached") as caught:
        plextv.account(OWNER_TOKEN)
    _assert_no_secret(caught.value, OWNER_TOKEN)


@pytest.mark.parametrize("status", [429, 500, 502])
def test_overload_and_server_errors_are_temporary(sim: PlexTVSimulator, status: int) -> None:
    sim.override("/api/v2/user", status=status, body="{}", content_type="application/json")
    with pytest.raises(plextv.PlexTVTemporaryError):
        plextv.account(OWNER_TOKEN)


HOSTILE = {
    "html instead of json": ("/api/v2/user", 200, "<html>Bad gateway</html>", "text/html"),
    "a json list for the account": ("/api/v2/user", 200, "[1, 2]", "application/json"),
    "an account without an id": ("/api/v2/user", 200, '{"username": "x"}', "application/json"),
    "a negative account id": ("/api/v2/user", 200, '{"id": -4}', "application/json"),
    "a pin without a code": ("/api/v2/pins", 201, '{"id": 5}', "application/json"),
    "a pin with a bad expiry": (
        "/api/v2/pins",
        201,
        '{"id": 5, "code": "abcd", "expiresAt": "soon"}',
        "application/json",
    ),
    "a non-list of resources": ("/api/v2/resources", 200, '{"a": 1}', "application/json"),
    "users that are not xml": ("/api/users", 200, "{not xml", "application/xml"),
    "an xml bomb": (
        "/api/home/users",
        200,
        '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><MediaContainer>&b;</MediaContainer>',
        "application/xml",
    ),
    "users in the wrong root": ("/api/users", 200, "<html><User id='1'/></html>", "text/xml"),
    "a user with no id": ("/api/home/users", 200, "<MediaContainer><User/></MediaContainer>", ""),
    "a switch without a token": (
        "/api/home/users/1004/switch",
        201,
        "<user id='1004'/>",
        "application/xml",
    ),
    "a watchlist without a container": (
        "/library/sections/watchlist/all",
        200,
        '{"Metadata": []}',
        "application/json",
    ),
    "a watchlist whose items are not a list": (
        "/library/sections/watchlist/all",
        200,
        '{"MediaContainer": {"Metadata": "x"}}',
        "application/json",
    ),
    "a refusal": ("/api/v2/resources", 400, '{"errors": []}', "application/json"),
}
CALL_FOR_PATH = {
    "/api/v2/user": CALLS["account"],
    "/api/v2/pins": CALLS["create_pin"],
    "/api/v2/resources": CALLS["servers"],
    "/api/users": CALLS["shared_users"],
    "/api/home/users": CALLS["home_users"],
    "/api/home/users/1004/switch": CALLS["switch_home_user"],
    "/library/sections/watchlist/all": CALLS["watchlist"],
}


@pytest.mark.parametrize("path,status,body,content_type", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_malformed_or_hostile_answer_is_a_permanent_error(
    sim: PlexTVSimulator, path: str, status: int, body: str, content_type: str
) -> None:
    sim.override(path, status=status, body=body, content_type=content_type or "text/xml")
    with pytest.raises(plextv.PlexTVPermanentError) as caught:
        CALL_FOR_PATH[path]()
    assert not caught.value.temporary
    assert not isinstance(caught.value, plextv.PlexTVUnauthorized)
    _assert_no_secret(caught.value, OWNER_TOKEN)


def test_a_huge_answer_is_refused(sim: PlexTVSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plextv, "MAX_ANSWER_BYTES", 1000)
    sim.override("/api/v2/user", body="{" + " " * 5000 + "}", content_type="application/json")
    with pytest.raises(plextv.PlexTVPermanentError, match="more than 1000 bytes"):
        plextv.account(OWNER_TOKEN)


def test_no_token_reaches_the_logs(sim: PlexTVSimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    plextv.account(OWNER_TOKEN)
    plextv.watchlist(OWNER_TOKEN)
    pin = plextv.create_pin(strong=True)
    sim.approve(pin.id, "bob")
    plextv.check_pin(pin.id)
    plextv.switch_home_user(OWNER_TOKEN, 1005, pin="1234")
    sim.revoke(OWNER_TOKEN)
    with pytest.raises(plextv.PlexTVUnauthorized):
        plextv.account(OWNER_TOKEN)
    assert caplog.records  # urllib3 and the client did log
    for secret in (OWNER_TOKEN, BOB_TOKEN, KID_TOKEN):
        assert secret not in caplog.text


def test_an_answer_that_trickles_in_is_cut_off_at_the_timeout(settings: SettingsWrapper) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{")
            while not stop.wait(0.05):  # a byte at a time: no single read ever times out
                try:
                    conn.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    settings.PLEX_TV_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings.PLEX_TV_TIMEOUT = 0.3
    try:
        with pytest.raises(plextv.PlexTVTemporaryError, match=r"within 0\.3 s"):
            plextv.account(OWNER_TOKEN)
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_the_version_plex_tv_is_told_is_the_projects() -> None:
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert project["project"]["version"] == plextv.APP_VERSION
