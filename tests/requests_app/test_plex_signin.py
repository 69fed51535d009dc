"""Sign in with Plex, through the plex.tv simulator over HTTP: who may enter and what is made.

The simulator's household: alice owns the server (her token is PLEX_TOKEN), bob is a
friend it is shared with, dana is in alice's Plex Home, "Kids" is a managed Home profile
with the PIN 1234, mallory is a stranger.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from library import server_identity
from plexkiosk.simulators.plextv import OWNER_TOKEN, PLEX_SIM_MACHINE_ID, PlexTVSimulator
from requests_app import plextv
from requests_app.models import PlexAccount, PlexAccountKind, Profile
from tests.requests_app.plextv_helpers import plextv as plextv_sim  # noqa: F401

pytestmark = pytest.mark.django_db

User = get_user_model()
NO_ACCESS = "This Plex account has no access to this server."
UNREACHABLE = "Plex.tv cannot be reached. Try again, or sign in with a password."
TOKENS = ("sim-bob-token", "sim-dana-token", "sim-kid-token", "sim-mallory-token", OWNER_TOKEN)


@pytest.fixture
def sim(plextv_sim: PlexTVSimulator, settings: SettingsWrapper) -> PlexTVSimulator:  # noqa: F811
    """The simulator as the owner's plex.tv, and the Plex server it shares known here."""
    settings.PLEX_TOKEN = OWNER_TOKEN
    settings.PLEX_TV_TIMEOUT = 1.0
    server_identity.remember({"machine_identifier": PLEX_SIM_MACHINE_ID, "name": "Plex"})
    return plextv_sim


def start(client: Client, next_url: str | None = None) -> tuple[str, str]:
    """Press Sign in with Plex; return the PIN code and the forward URL sent to Plex."""
    response = client.post("/login/plex/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    address, _, fragment = response["Location"].partition("#?")
    assert address == plextv.auth_app_url(code="x").partition("#?")[0]
    params = dict(parse_qsl(fragment))
    assert params["clientID"] == plextv.client_identifier()
    assert params["context[device][product]"] == "Plex Kiosk"
    return params["code"], params["forwardUrl"]


def come_back(client: Client, forward_url: str, **extra: object):
    """Follow Plex's auth app back to the app, as the browser does after Approve."""
    parts = urlsplit(forward_url)
    assert (parts.netloc, parts.path) == ("testserver", "/login/plex/callback/")
    return client.get(f"{parts.path}?{parts.query}", **extra)


def sign_in_as(client: Client, sim: PlexTVSimulator, who: str, next_url: str | None = None):
    code, forward = start(client, next_url)
    sim.approve(code, who)
    return come_back(client, forward)


def signed_in(client: Client) -> AbstractUser | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def login_page_message(client: Client, response) -> str:
    assert (response.status_code, response["Location"]) == (302, "/login/")
    return client.get("/login/").content.decode()


def nothing_made() -> bool:
    return not (User.objects.exists() or PlexAccount.objects.exists() or Profile.objects.exists())


# --- who may enter ------------------------------------------------------------------------


def test_the_login_page_offers_sign_in_with_plex_first_and_keeps_the_password_form(
    client: Client,
) -> None:
    page = client.get("/login/?next=/requests/").content.decode()
    assert page.index("Sign in with Plex") < page.index('name="password"')
    assert 'action="/login/plex/"' in page and 'value="/requests/"' in page
    assert "/login/plex/tablet/" in page and "/login/plex/home/" in page


def test_the_server_owner_signing_in_first_becomes_the_admin(
    client: Client, sim: PlexTVSimulator
) -> None:
    response = sign_in_as(client, sim, "alice")
    assert (response.status_code, response["Location"]) == (302, "/")
    alice = signed_in(client)
    assert alice is not None and alice.username == "alice"
    assert alice.is_staff and alice.is_superuser
    assert alice.email == "alice@example.com" and not alice.has_usable_password()
    account = alice.plex_account
    assert (account.plex_id, account.kind, account.title) == (1001, PlexAccountKind.OWNER, "Alice")
    assert account.token() == OWNER_TOKEN
    assert OWNER_TOKEN not in account.encrypted_token
    assert Profile.objects.filter(user=alice).exists()
    assert client.get("/").status_code == 200


def test_a_friend_signing_in_first_is_a_member_not_the_admin(
    client: Client, sim: PlexTVSimulator
) -> None:
    sign_in_as(client, sim, "bob")
    bob = signed_in(client)
    assert bob is not None and bob.username == "bob"
    assert not bob.is_staff and not bob.is_superuser
    assert bob.plex_account.kind == PlexAccountKind.FRIEND
    assert bob.plex_account.token() == "sim-bob-token"
    # The owner, coming later, still becomes the admin: there is none yet.
    owner = Client()
    sign_in_as(owner, sim, "alice")
    assert signed_in(owner).is_superuser


def test_the_owner_is_not_made_admin_when_there_is_one_already(
    client: Client, sim: PlexTVSimulator
) -> None:
    User.objects.create_superuser("root", password="pw-root-123")
    sign_in_as(client, sim, "alice")
    alice = signed_in(client)
    assert alice.username == "alice" and not alice.is_superuser and not alice.is_staff


def test_a_plex_home_member_signs_in(client: Client, sim: PlexTVSimulator) -> None:
    sign_in_as(client, sim, "dana")
    dana = signed_in(client)
    assert dana is not None and dana.plex_account.kind == PlexAccountKind.HOME
    assert not dana.is_staff


def test_a_stranger_is_refused_and_nothing_is_created(client: Client, sim: PlexTVSimulator) -> None:
    response = sign_in_as(client, sim, "mallory")
    assert NO_ACCESS in login_page_message(client, response)
    assert signed_in(client) is None
    assert nothing_made()


@pytest.mark.parametrize(
    "shared_with_bob",
    [(), ("another-server-of-alice",)],
    ids=["no longer shared", "only another server shared"],
)
def test_a_friend_without_this_server_shared_is_refused(
    client: Client, sim: PlexTVSimulator, shared_with_bob: tuple[str, ...]
) -> None:
    sim.unshare(1002)
    if shared_with_bob:
        sim.share(1002, *shared_with_bob)
    response = sign_in_as(client, sim, "bob")
    assert NO_ACCESS in login_page_message(client, response)
    assert nothing_made()


def test_an_imported_member_is_matched_by_plex_id_and_kept_fresh(
    client: Client, sim: PlexTVSimulator
) -> None:
    imported = User.objects.create_user("bobby", email="old@example.com")
    PlexAccount.objects.create(user=imported, plex_id=1002, username="bob-old", kind="friend")
    sign_in_as(client, sim, "bob")
    assert signed_in(client) == imported
    account = PlexAccount.objects.get(plex_id=1002)
    assert (account.username, account.email) == ("bob", "bob@example.com")
    assert account.thumb.startswith("https://plex.tv/users/")
    assert account.token() == "sim-bob-token" and account.token_state == "valid"
    imported.refresh_from_db()
    assert imported.username == "bobby" and imported.email == "bob@example.com"
    assert User.objects.count() == 1


def test_a_plex_username_taken_by_a_password_user_makes_a_new_user_not_a_takeover(
    client: Client, sim: PlexTVSimulator
) -> None:
    ana = User.objects.create_user("bob", password="pw-bob-123")
    sign_in_as(client, sim, "bob")
    bob = signed_in(client)
    assert bob != ana and bob.username == "bob-2"
    assert not PlexAccount.objects.filter(user=ana).exists()


def test_a_deactivated_user_is_refused_and_nothing_changes(
    client: Client, sim: PlexTVSimulator
) -> None:
    turned_off = User.objects.create_user("bob", is_active=False)
    PlexAccount.objects.create(user=turned_off, plex_id=1002, kind="friend")
    response = sign_in_as(client, sim, "bob")
    assert "This account is turned off here." in login_page_message(client, response)
    assert signed_in(client) is None
    account = PlexAccount.objects.get(plex_id=1002)
    assert account.encrypted_token == "" and account.token_state == "none"
    assert not Profile.objects.exists()


def test_signing_in_again_keeps_one_user_and_the_newest_token(
    client: Client, sim: PlexTVSimulator
) -> None:
    sign_in_as(client, sim, "bob")
    sim.account("bob").token = "sim-bob-token-2"  # plex.tv gave a new token
    again = Client()
    sign_in_as(again, sim, "bob")
    assert signed_in(again) == signed_in(client)
    assert PlexAccount.objects.get().token() == "sim-bob-token-2"
    assert User.objects.count() == 1


# --- the PIN and the callback --------------------------------------------------------------


def test_coming_back_before_plex_confirmed_says_so_and_trying_again_works(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, forward = start(client)
    pending = come_back(client, forward)
    page = pending.content.decode()
    assert pending.status_code == 200 and "Plex has not confirmed yet" in page
    assert nothing_made()
    retry = re.search(r'href="(/login/plex/callback/\?state=[^"]+)"', page)[1]
    sim.approve(code, "bob")
    assert client.get(retry.replace("&amp;", "&")).status_code == 302
    assert signed_in(client).username == "bob"


def test_an_expired_pin_is_a_clear_message_and_nothing_is_created(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, forward = start(client)
    pin = sim.find_pin(code)
    sim.approve(code, "bob")
    sim.expire(pin.id)
    response = come_back(client, forward)
    assert "This Plex sign-in has expired. Please start again." in login_page_message(
        client, response
    )
    assert nothing_made()


def test_an_unknown_pin_is_a_clear_message(client: Client, sim: PlexTVSimulator) -> None:
    _code, forward = start(client)
    session = client.session
    session["plex_signin"] = {**session["plex_signin"], "pin": 999999}
    session.save()
    response = come_back(client, forward)
    assert "This Plex sign-in has expired." in login_page_message(client, response)
    assert nothing_made()


def test_a_forged_state_signs_no_one_in_even_when_the_pin_was_approved(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, forward = start(client)
    sim.approve(code, "alice")
    forged = client.get("/login/plex/callback/?state=guessed-by-an-attacker")
    assert "This Plex sign-in link is not valid here." in login_page_message(client, forged)
    # Another browser bringing this browser's forward URL (a link planted on someone).
    other = Client()
    planted = come_back(other, forward)
    assert "not valid here" in login_page_message(other, planted)
    assert signed_in(client) is None and signed_in(other) is None
    assert nothing_made()


def test_the_same_callback_twice_signs_in_once(client: Client, sim: PlexTVSimulator) -> None:
    code, forward = start(client)
    sim.approve(code, "bob")
    come_back(client, forward)
    client.logout()
    replayed = come_back(client, forward)
    assert "not valid here" in login_page_message(client, replayed)
    assert signed_in(client) is None


def test_a_callback_with_no_state_is_refused(client: Client, sim: PlexTVSimulator) -> None:
    start(client)
    response = client.get("/login/plex/callback/")
    assert "not valid here" in login_page_message(client, response)


def test_plex_tv_down_when_starting_is_a_clear_message_and_no_pin(
    client: Client, sim: PlexTVSimulator
) -> None:
    sim.down = True
    response = client.post("/login/plex/")
    assert UNREACHABLE in login_page_message(client, response)
    assert "plex_signin" not in client.session
    assert nothing_made()


def test_plex_tv_down_or_slow_after_approval_creates_nothing_and_a_retry_works(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, forward = start(client)
    sim.approve(code, "bob")
    sim.down = True
    assert UNREACHABLE in login_page_message(client, come_back(client, forward))
    sim.down = False
    sim.delay = 1.5  # PLEX_TV_TIMEOUT is 1 s here
    assert UNREACHABLE in login_page_message(client, come_back(client, forward))
    assert nothing_made() and signed_in(client) is None
    sim.delay = 0
    assert come_back(client, forward).status_code == 302
    assert signed_in(client).username == "bob"


def test_plex_tv_failing_while_checking_who_it_is_keeps_the_sign_in_for_a_retry(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, forward = start(client)
    sim.approve(code, "dana")
    sim.override("/api/home/users", 503, times=1)  # the PIN was read, the Home was not
    assert UNREACHABLE in login_page_message(client, come_back(client, forward))
    assert nothing_made()
    assert come_back(client, forward).status_code == 302
    assert signed_in(client).plex_account.kind == PlexAccountKind.HOME
    # Done once: the same callback again is a replay.
    client.logout()
    assert "not valid here" in login_page_message(client, come_back(client, forward))


def test_the_tablet_finishes_at_the_next_poll_when_plex_tv_failed_after_approval(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, _page = tablet_page(client)
    sim.approve(code, "bob")
    sim.override("/api/users", 503, times=1)
    assert poll(client).status_code == 204 and signed_in(client) is None
    assert nothing_made()
    assert poll(client)["HX-Redirect"] == "/"
    assert signed_in(client).username == "bob"


@pytest.mark.parametrize(
    ("wanted", "landing"),
    [
        ("/requests/", "/requests/"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_after_signing_in_only_a_page_of_this_site_is_followed(
    client: Client, sim: PlexTVSimulator, wanted: str, landing: str
) -> None:
    response = sign_in_as(client, sim, "bob", next_url=wanted)
    assert (response.status_code, response["Location"]) == (302, landing)


def test_no_token_shows_in_a_page_a_header_the_session_or_a_log_line(
    client: Client, sim: PlexTVSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    code, forward = start(client)
    seen.append(come_back(client, forward).content.decode())  # not confirmed yet
    sim.approve(code, "alice")
    done = come_back(client, forward)
    seen += [str(done.headers), client.get("/").content.decode()]
    tablet = Client()
    seen.append(tablet.get("/login/plex/tablet/").content.decode())
    sim.approve(tablet.session["plex_tablet"]["code"], "bob")
    answer = tablet.post("/login/plex/tablet/status/", HTTP_HX_REQUEST="true")
    seen += [answer.content.decode(), str(answer.headers)]
    seen += [str(dict(c.session.items())) for c in (client, tablet)]
    assert signed_in(client).username == "alice" and signed_in(tablet).username == "bob"
    everything = "\n".join(seen) + caplog.text
    assert "plex sign-in: alice (owner)" in caplog.text
    for token in TOKENS:
        assert token not in everything


# --- the tablet: a short code and a QR code ------------------------------------------------


def tablet_page(client: Client) -> tuple[str, str]:
    page = client.get("/login/plex/tablet/")
    assert page.status_code == 200
    code = client.session["plex_tablet"]["code"]
    return code, page.content.decode()


def poll(client: Client):
    return client.post("/login/plex/tablet/status/", HTTP_HX_REQUEST="true")


def test_the_tablet_shows_a_short_code_and_a_qr_code_that_opens_plex_to_approve_it(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, page = tablet_page(client)
    assert re.fullmatch(r"[A-Z0-9]{4}", code)
    assert f'<p class="pin-code">{code}</p>' in page
    assert f"{urlsplit(sim.url).netloc}/link" in page  # "go to plex.tv/link"
    assert 'hx-trigger="every 2s"' in page
    # The QR code is drawn here, from the auth app's address for this code.
    expected = segno.make(plextv.auth_app_url(code=code), error="m").svg_inline(scale=6)
    modules = r'class="qrline"[^>]* d="([^"]+)"'  # the dark modules, whatever the colours
    assert re.search(modules, page)[1] == re.search(modules, expected)[1]
    assert "<img" not in page.split('class="qr"')[1].split("</figure>")[0]


def test_the_tablet_waits_then_lands_signed_in_when_a_phone_approves(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, _page = tablet_page(client)
    waiting = poll(client)
    assert waiting.status_code == 204 and signed_in(client) is None
    sim.approve(code, "dana")
    approved = poll(client)
    assert approved.status_code == 200 and approved["HX-Redirect"] == "/"
    assert signed_in(client).plex_account.kind == PlexAccountKind.HOME
    assert "plex_tablet" not in client.session


def test_the_tablet_offers_a_fresh_code_when_this_one_expired(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, _page = tablet_page(client)
    sim.expire(sim.find_pin(code).id)
    expired = poll(client)
    assert expired.status_code == 286  # htmx stops polling
    text = expired.content.decode()
    assert "This code has expired." in text and 'href="/login/plex/tablet/"' in text
    fresh, _page = tablet_page(client)
    assert fresh != code
    assert nothing_made()


def test_the_tablet_refuses_a_stranger_and_creates_nothing(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, _page = tablet_page(client)
    sim.approve(code, "mallory")
    refused = poll(client)
    assert refused.status_code == 286 and NO_ACCESS in refused.content.decode()
    assert signed_in(client) is None and nothing_made()


def test_the_tablet_keeps_polling_while_plex_tv_is_away(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, _page = tablet_page(client)
    sim.approve(code, "bob")
    sim.down = True
    assert poll(client).status_code == 204
    sim.down = False
    assert poll(client)["HX-Redirect"] == "/"


def test_the_tablet_page_says_plex_tv_cannot_be_reached(
    client: Client, sim: PlexTVSimulator
) -> None:
    sim.down = True
    page = client.get("/login/plex/tablet/")
    assert page.status_code == 503 and UNREACHABLE in page.content.decode()


def test_without_javascript_the_tablet_button_signs_in_once_approved(
    client: Client, sim: PlexTVSimulator
) -> None:
    code, _page = tablet_page(client)
    not_yet = client.post("/login/plex/tablet/status/")
    assert not_yet.status_code == 200 and "Plex has not confirmed yet." in not_yet.content.decode()
    assert code in not_yet.content.decode()
    sim.approve(code, "bob")
    done = client.post("/login/plex/tablet/status/")
    assert (done.status_code, done["Location"]) == (302, "/")


def test_a_status_poll_without_a_code_offers_a_new_one(
    client: Client, sim: PlexTVSimulator
) -> None:
    answer = poll(client)
    assert answer.status_code == 286 and 'href="/login/plex/tablet/"' in answer.content.decode()


# --- Plex Home profiles --------------------------------------------------------------------


def sign_out(client: Client) -> None:
    """Log out as the kiosk's button does (the test client's logout() drops every cookie)."""
    assert client.post("/logout/").status_code == 302 and signed_in(client) is None


@pytest.fixture
def imported_home(client: Client, sim: PlexTVSimulator) -> dict[str, AbstractUser]:
    """Dana and the Kids profile imported by an admin (no token yet); bob as a friend.

    The owner has signed in with Plex once on this browser, and out again: it is the
    Home's device, where profiles may be picked.
    """
    sign_in_as(client, sim, "alice")
    sign_out(client)
    made = {}
    for name, plex_id, kind, title in (
        ("dana", 1004, "home", "dana"),
        ("Kids", 1005, "managed", "Kids"),
        ("bob", 1002, "friend", "bob"),
    ):
        user = User.objects.create_user(name)
        PlexAccount.objects.create(user=user, plex_id=plex_id, kind=kind, title=title)
        made[name] = user
    return made


def choose(client: Client, plex_id: int, pin: str | None = None):
    data = {"profile": str(plex_id)}
    if pin is not None:
        data["pin"] = pin
    return client.post("/login/plex/home/", data)


def test_the_profile_picker_lists_the_imported_home_users_only(
    client: Client, imported_home: dict
) -> None:
    page = client.get("/login/plex/home/").content.decode()
    assert 'value="1004"' in page and 'value="1005"' in page
    assert 'value="1002"' not in page  # a friend, not a Home profile
    assert "(PIN)" in page.split('value="1005"')[1].split("</form>")[0]


def test_the_picker_shows_plex_tv_avatars_and_leaves_out_an_odd_address(
    client: Client, sim: PlexTVSimulator, imported_home: dict
) -> None:
    dana = sim.account("dana")
    page = client.get("/login/plex/home/").content.decode()
    assert f"background-image: url('{dana.thumb}')" in page
    dana.thumb = "https://plex.tv/a'); background: url(https://evil.example/x"
    page = client.get("/login/plex/home/").content.decode()
    assert "evil.example" not in page
    assert '<span class="avatar" aria-hidden="true">D</span>' in page  # the initial instead


def test_a_home_profile_without_a_pin_signs_in_at_once(client: Client, imported_home: dict) -> None:
    response = choose(client, 1004)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in(client) == imported_home["dana"]
    assert PlexAccount.objects.get(plex_id=1004).token() == "sim-dana-token"


def test_a_protected_profile_asks_for_its_pin_and_a_wrong_one_is_a_clear_message(
    client: Client, imported_home: dict
) -> None:
    asked = choose(client, 1005)
    assert asked.status_code == 200 and 'name="pin"' in asked.content.decode()
    wrong = choose(client, 1005, "9999")
    assert wrong.status_code == 400
    assert "That PIN is not right. Please try again." in wrong.content.decode()
    assert signed_in(client) is None
    assert PlexAccount.objects.get(plex_id=1005).encrypted_token == ""
    right = choose(client, 1005, "1234")
    assert right.status_code == 302 and signed_in(client) == imported_home["Kids"]
    kids = PlexAccount.objects.get(plex_id=1005)
    assert kids.token() == "sim-kid-token" and kids.kind == PlexAccountKind.MANAGED


def test_guessing_a_home_pin_is_locked_out_like_a_password(
    client: Client, imported_home: dict, settings: SettingsWrapper
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert choose(client, 1005, "0000").status_code == 400
    locked = choose(client, 1005, "0000")
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    still = choose(client, 1005, "1234")
    assert still.status_code == 429 and signed_in(client) is None


def test_a_profile_that_is_no_longer_in_the_plex_home_cannot_be_chosen(
    client: Client, sim: PlexTVSimulator, imported_home: dict
) -> None:
    with sim.state.lock:
        del sim.state.home[1004]
    assert 'value="1004"' not in client.get("/login/plex/home/").content.decode()
    refused = choose(client, 1004)
    assert refused.status_code == 400 and signed_in(client) is None
    assert choose(client, 1002).status_code == 400  # a friend is not a profile to pick


def test_without_the_owners_token_there_is_no_profile_to_pick(
    client: Client, imported_home: dict, settings: SettingsWrapper
) -> None:
    settings.PLEX_TOKEN = ""
    page = client.get("/login/plex/home/").content.decode()
    assert "No Plex Home profile has an account here yet." in page
    assert choose(client, 1004).status_code == 400 and signed_in(client) is None


def test_the_profile_picker_says_plex_tv_cannot_be_reached(
    client: Client, sim: PlexTVSimulator, imported_home: dict
) -> None:
    sim.down = True
    response = client.get("/login/plex/home/")
    assert UNREACHABLE in login_page_message(client, response)
    assert choose(client, 1004).status_code == 302 and signed_in(client) is None


def test_profiles_cannot_be_picked_on_a_browser_where_nobody_of_the_home_signed_in(
    sim: PlexTVSimulator, imported_home: dict
) -> None:
    stranger = Client()  # reaches the login page, never signed in here
    page = stranger.get("/login/plex/home/")
    assert page.status_code == 403 and 'value="1004"' not in page.content.decode()
    assert "signed in on it with Plex" in page.content.decode()
    assert choose(stranger, 1004).status_code == 403 and signed_in(stranger) is None
    # A friend of the server is not of the Home: signing in does not open the picker.
    sign_in_as(stranger, sim, "bob")
    sign_out(stranger)
    assert stranger.get("/login/plex/home/").status_code == 403
    # A forged mark is refused too.
    stranger.cookies["plexkiosk_home_device"] = "1"
    assert stranger.get("/login/plex/home/").status_code == 403


def test_a_home_member_signing_in_on_the_tablet_makes_it_the_homes_device(
    sim: PlexTVSimulator, imported_home: dict
) -> None:
    tablet = Client()
    code, _page = tablet_page(tablet)
    sim.approve(code, "dana")
    assert poll(tablet).status_code == 200 and signed_in(tablet) is not None
    sign_out(tablet)
    assert 'value="1005"' in tablet.get("/login/plex/home/").content.decode()
