"""The plex.tv simulator speaks plex.tv: plexapi's own classes work against it unchanged.

plexapi's plex.tv addresses are class attributes; pointing them at the simulator is the
only change. Also the simulator's pages: the auth app (approve, then back to the app) and
plex.tv/link (a short code typed in).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from plexapi.exceptions import Unauthorized
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin, MyPlexResource, MyPlexUser

from plexkiosk import demo
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.plextv import (
    OWNER_TOKEN,
    PLEX_SIM_MACHINE_ID,
    PlexTVSimulator,
    start_plextv_simulator,
    watch_item,
)


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlexTVSimulator]:
    server, url = start_plextv_simulator()
    monkeypatch.setattr(MyPlexAccount, "key", f"{url}/api/v2/user")
    monkeypatch.setattr(MyPlexAccount, "HOMEUSERS", f"{url}/api/home/users")
    monkeypatch.setattr(MyPlexAccount, "DISCOVER", url)
    monkeypatch.setattr(MyPlexAccount, "METADATA", url)
    monkeypatch.setattr(MyPlexUser, "key", f"{url}/api/users/")
    monkeypatch.setattr(
        MyPlexResource, "key", f"{url}/api/v2/resources?includeHttps=1&includeRelay=1"
    )
    monkeypatch.setattr(MyPlexPinLogin, "PINS", f"{url}/api/v2/pins")
    try:
        yield server
    finally:
        server.stop()


def _link(sim: PlexTVSimulator, code: str, account: str) -> requests.Response:
    """Type a code on the simulator's plex.tv/link page as this account."""
    return requests.post(f"{sim.url}/link", data={"code": code, "account": account}, timeout=5)


def test_the_simulated_server_is_the_plex_simulators_server() -> None:
    assert PlexSimulator().machine_identifier == PLEX_SIM_MACHINE_ID


def test_my_plex_account_signs_in_with_a_token_and_reads_the_account(
    sim: PlexTVSimulator,
) -> None:
    account = MyPlexAccount(token=OWNER_TOKEN)
    assert (account.id, account.username, account.email) == (1001, "alice", "alice@example.com")
    assert account.uuid == sim.owner.uuid and account.title == "Alice"
    assert account.homeAdmin and account.home
    assert account.authToken == OWNER_TOKEN


def test_my_plex_account_refuses_a_revoked_token(sim: PlexTVSimulator) -> None:
    sim.revoke(OWNER_TOKEN)
    with pytest.raises(Unauthorized):
        MyPlexAccount(token=OWNER_TOKEN)


def test_users_lists_friends_and_home_members_with_the_shared_server(
    sim: PlexTVSimulator,
) -> None:
    users = {user.username or user.title: user for user in MyPlexAccount(token=OWNER_TOKEN).users()}
    assert set(users) == {"bob", "dana", "Kids"}
    bob = users["bob"]
    assert bob.id == 1002 and bob.email == "bob@example.com" and not bob.home
    assert [server.machineIdentifier for server in bob.servers] == [PLEX_SIM_MACHINE_ID]
    assert users["Kids"].home and users["Kids"].email == ""


def test_resources_name_the_owned_server(sim: PlexTVSimulator) -> None:
    resources = MyPlexAccount(token=OWNER_TOKEN).resources()
    servers = [r for r in resources if "server" in r.provides.split(",")]
    assert [(s.clientIdentifier, s.owned) for s in servers] == [(PLEX_SIM_MACHINE_ID, True)]
    assert len(resources) == 2  # and a Plex Web player, which is no server


def test_switch_home_user_gives_the_managed_profile_its_own_account(
    sim: PlexTVSimulator,
) -> None:
    owner = MyPlexAccount(token=OWNER_TOKEN)
    kids = next(user for user in owner.users() if user.title == "Kids")
    switched = owner.switchHomeUser(kids, pin="1234")
    assert switched.id == 1005 and switched.title == "Kids" and switched.restricted
    assert switched.authToken == "sim-kid-token"


def test_switch_home_user_with_a_wrong_pin_is_refused(sim: PlexTVSimulator) -> None:
    owner = MyPlexAccount(token=OWNER_TOKEN)
    kids = next(user for user in owner.users() if user.title == "Kids")
    with pytest.raises(Unauthorized):
        owner.switchHomeUser(kids, pin="9999")


def test_watchlist_reads_movies_and_shows_with_their_guids(sim: PlexTVSimulator) -> None:
    items = MyPlexAccount(token=OWNER_TOKEN).watchlist(includeGuids=1)
    assert [(item.title, item.type) for item in items] == [
        ("The Matrix", "movie"),
        ("Breaking Bad", "show"),
        ("Dune", "movie"),
        ("A Home Movie", "movie"),
    ]
    assert items[0].year == 1999
    assert items[0].guid.startswith("plex://movie/")
    assert [guid.id for guid in items[0].guids] == ["imdb://tt0133093", "tmdb://603"]
    assert items[1].childCount == 5
    # Listed without its Guid children: plexapi reloads it from the metadata endpoint.
    assert "tmdb://438631" in [guid.id for guid in items[2].guids]
    assert sim.count("/library/metadata/") == 1


def test_watchlist_pages_through_a_long_list(sim: PlexTVSimulator) -> None:
    sim.set_watchlist(1001, [watch_item(30_000 + n, f"Film {n}", "movie") for n in range(130)])
    items = MyPlexAccount(token=OWNER_TOKEN).watchlist()
    assert len(items) == 130  # plexapi asks 100 at a time
    assert sim.count("/library/sections/watchlist/all") == 2


def test_pin_login_gets_the_token_once_the_short_code_is_linked(sim: PlexTVSimulator) -> None:
    login = MyPlexPinLogin()
    code = login.pin
    assert len(code) == 4
    assert not login.checkLogin()

    page = _link(sim, code.lower(), "1002")

    assert page.status_code == 200 and "Approved" in page.text
    assert login.checkLogin()
    assert login.token == "sim-bob-token"


def test_oauth_pin_login_is_approved_through_the_auth_page_and_goes_back(
    sim: PlexTVSimulator,
) -> None:
    login = MyPlexPinLogin(oauth=True)
    url = login.oauthUrl(forwardUrl="http://kiosk.example/plex/done")
    code = login._code  # plexapi keeps it; the auth app reads it from the URL fragment
    assert len(code) > 8

    auth_page = requests.get(f"{sim.auth_url}", timeout=5)
    assert "Approve" in auth_page.text and "location.hash" in auth_page.text
    approved = requests.post(
        f"{sim.url}/auth/approve",
        data={"code": code, "account": "1001", "forwardUrl": "http://kiosk.example/plex/done"},
        allow_redirects=False,
        timeout=5,
    )

    assert approved.status_code == 303
    assert approved.headers["Location"] == "http://kiosk.example/plex/done"
    assert login.checkLogin() and login.token == OWNER_TOKEN
    assert "code=" in url and "forwardUrl=" in url


def test_the_link_page_refuses_an_unknown_or_expired_code(sim: PlexTVSimulator) -> None:
    login = MyPlexPinLogin()
    code = login.pin
    sim.expire(int(login._id))
    for typed in (code, "ZZZZ"):
        page = _link(sim, typed, "1002")
        assert page.status_code == 404 and "not found or expired" in page.text
    assert not login.checkLogin() and login.token is None


def test_the_link_page_does_not_take_a_strong_code(sim: PlexTVSimulator) -> None:
    login = MyPlexPinLogin(oauth=True)
    login.oauthUrl()
    page = _link(sim, login._code, "1002")
    assert page.status_code == 404
    assert not login.checkLogin()


def test_the_demo_points_the_app_at_a_plex_tv_whose_owner_holds_the_servers_token() -> None:
    env = demo.plextv_environment({"plextv": 8766})
    assert env == {
        "PLEX_TV_URL": "http://127.0.0.1:8766",
        "PLEX_DISCOVER_URL": "http://127.0.0.1:8766",
        "PLEX_AUTH_APP_URL": "http://127.0.0.1:8766/auth",
    }
    server, url = start_plextv_simulator(owner_token=demo.PLEX_TOKEN)
    try:
        answer = requests.get(
            f"{url}/api/v2/resources",
            headers={"X-Plex-Token": demo.PLEX_TOKEN, "Accept": "application/json"},
            timeout=5,
        ).json()
    finally:
        server.stop()
    owned = [r["clientIdentifier"] for r in answer if r["provides"] == "server" and r["owned"]]
    assert owned == [PlexSimulator().machine_identifier]


def test_a_short_pins_qr_image_opens_the_link_page_with_its_code(sim: PlexTVSimulator) -> None:
    pin = requests.post(
        f"{sim.url}/api/v2/pins",
        headers={"Accept": "application/json", "X-Plex-Client-Identifier": "x"},
        timeout=5,
    ).json()
    image = requests.get(pin["qr"], timeout=5)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/svg+xml"
    assert image.text.startswith("<svg")
    page = requests.get(f"{sim.url}/link", params={"code": pin["code"]}, timeout=5)
    assert f"value='{pin['code']}'" in page.text
    assert requests.get(f"{sim.url}/api/v2/pins/qr/ZZZZ", timeout=5).status_code == 404
