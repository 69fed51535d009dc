"""Sign in with Plex in a real browser (Debian's Chromium driven by Playwright).

gunicorn serves the app on PostgreSQL and Redis; plex.tv and its auth app are the
simulator, whose household owns the Plex server the app knows. On a phone: the login
page's first button, Plex's auth page, Approve, back on the home page signed in. On the
wall tablet: a short code and a QR code; a phone (a second browser context) opens the
address the QR code holds and approves, and the tablet, polling, lands signed in.
Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import segno
from pytest_django.fixtures import Settings as SettingsWrapper

from library import server_identity
from plexkiosk.simulators.plextv import (
    OWNER_TOKEN,
    PLEX_SIM_MACHINE_ID,
    PlexTVSimulator,
    start_plextv_simulator,
)
from requests_app import plextv
from requests_app.models import PlexAccount, PlexAccountKind
from tests.e2e.axe import VIEWPORTS, Audit
from tests.e2e.test_browser import PHONE, SCREENSHOTS, TABLET, browser  # noqa: F401 (fixture)
from tests.e2e.test_request_flow import make_user
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]


@pytest.fixture
def plex_tv(settings: SettingsWrapper) -> Iterator[PlexTVSimulator]:
    """A plex.tv simulator for the web server (its URLs go in the stack's env) and the test."""
    server, _url = start_plextv_simulator()
    settings.PLEX_AUTH_APP_URL = server.auth_url
    yield server
    server.stop()


def serve(stack: Stack, plex_tv: PlexTVSimulator) -> str:
    """Start the web server against the simulated plex.tv, the owner's server known."""
    server_identity.remember({"machine_identifier": PLEX_SIM_MACHINE_ID, "name": "Plex"})
    stack.env.update(
        PLEX_TV_URL=plex_tv.url,
        PLEX_DISCOVER_URL=plex_tv.url,
        PLEX_AUTH_APP_URL=plex_tv.auth_url,
        PLEX_TOKEN=OWNER_TOKEN,
    )
    return stack.web()


def sign_in_with_plex(page: object, base: str, plex_tv: PlexTVSimulator, account: str) -> None:
    """From the login page: Sign in with Plex, pick `account` on Plex's page, approve."""
    page.goto(f"{base}/login/")
    page.locator("main button").first.click()
    page.wait_for_url(f"{plex_tv.auth_url}#?*")
    page.get_by_label(account).check()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"{base}/")


def test_the_owner_signs_in_with_plex_on_a_phone_and_lands_home_as_the_admin(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
    plex_tv: PlexTVSimulator,
) -> None:
    base = serve(stack, plex_tv)
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{base}/login/")
    first = page.locator("main button").first
    assert first.inner_text() == "Sign in with Plex"
    page.screenshot(path=SCREENSHOTS / "phone-plex-1-login.png", full_page=True)
    first.click()

    # Plex's auth app (the simulator's page): pick the account, approve.
    page.wait_for_url(f"{plex_tv.auth_url}#?*")
    assert page.inner_text("#product") == "Sign in to Plex Kiosk"
    page.get_by_label("Alice (alice)").check()
    page.screenshot(path=SCREENSHOTS / "phone-plex-2-auth-app.png", full_page=True)
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(f"{base}/")
    assert page.get_by_role("button", name="Log out").is_visible()
    assert page.get_by_role("link", name="Admin").is_visible()  # the first owner is the admin
    page.screenshot(path=SCREENSHOTS / "phone-plex-3-home.png", full_page=True)
    account = PlexAccount.objects.select_related("user").get()
    assert account.kind == PlexAccountKind.OWNER and account.user.is_superuser
    assert OWNER_TOKEN not in page.content()


def test_the_tablet_shows_a_code_and_a_qr_code_and_signs_in_once_a_phone_approves(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
    plex_tv: PlexTVSimulator,
) -> None:
    base = serve(stack, plex_tv)
    tablet = browser.new_context(viewport=TABLET).new_page()
    tablet.goto(f"{base}/login/")
    tablet.get_by_role("link", name="On a shared tablet: sign in with a code").click()
    tablet.wait_for_url(f"{base}/login/plex/tablet/")
    code = tablet.inner_text(".pin-code").strip()
    assert re.fullmatch(r"[A-Z0-9]{4}", code), code
    assert "/link" in tablet.inner_text("main")
    qr = tablet.locator(".qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 200
    tablet.screenshot(path=SCREENSHOTS / "tablet-plex-1-code-and-qr.png", full_page=True)

    # What a phone's camera reads from the QR code: the auth app's address for this code.
    address = plextv.auth_app_url(code=code)
    drawn = re.search(r'class="qrline"[^>]* d="([^"]+)"', tablet.content())[1]
    expected = segno.make(address, error="m").svg_inline(scale=6)
    assert drawn == re.search(r'class="qrline"[^>]* d="([^"]+)"', expected)[1]

    # A phone in another browser opens it, signs in to Plex as Dana (Alice's Home), approves.
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(address)
    phone.get_by_label("dana (dana)").check()
    phone.get_by_role("button", name="Approve").click()
    phone.wait_for_selector("text=Approved")
    phone.screenshot(path=SCREENSHOTS / "phone-plex-4-approved-the-tablet.png", full_page=True)

    # The tablet, polling every 2 s, lands on the home page signed in as Dana.
    tablet.wait_for_url(f"{base}/", timeout=15_000)
    assert tablet.get_by_role("button", name="Log out").is_visible()
    assert tablet.get_by_role("link", name="Admin").count() == 0
    tablet.screenshot(path=SCREENSHOTS / "tablet-plex-2-signed-in.png", full_page=True)
    account = PlexAccount.objects.select_related("user").get()
    assert (account.plex_id, account.kind) == (1004, PlexAccountKind.HOME)
    # The phone was only Plex's page: it is not signed in to the kiosk.
    phone.goto(f"{base}/")
    assert phone.url.startswith(f"{base}/login/")


def test_the_plex_sign_in_pages_have_no_serious_accessibility_problem(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
    plex_tv: PlexTVSimulator,
) -> None:
    for name, plex_id, kind in (("dana", 1004, "home"), ("Kids", 1005, "managed")):
        user = make_user(name, "not-used")  # imported by an admin: signs in by profile
        PlexAccount.objects.create(user=user, plex_id=plex_id, kind=kind, title=name)
    base = serve(stack, plex_tv)
    audit = Audit()
    for viewport in VIEWPORTS:
        page = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
        page.goto(f"{base}/login/")
        audit.check(page, viewport, "login (Sign in with Plex first)")
        page.goto(f"{base}/login/plex/tablet/")
        audit.check(page, viewport, "tablet code and QR")
        # Profiles are picked only on the Home's device: the owner signs in here once.
        page.goto(f"{base}/login/plex/home/")
        assert page.get_by_role("button", name="dana").count() == 0
        audit.check(page, viewport, "Plex Home profiles on another device")
        sign_in_with_plex(page, base, plex_tv, "Alice (alice)")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{base}/login/")
        page.goto(f"{base}/login/plex/home/")
        assert page.get_by_role("button", name="dana").is_visible()
        audit.check(page, viewport, "Plex Home profiles")
        page.screenshot(path=SCREENSHOTS / f"{viewport}-plex-home-profiles.png", full_page=True)
        page.get_by_role("button", name="Kids (PIN)").click()
        page.get_by_label("Plex Home PIN").fill("9999")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=That PIN is not right.")
        audit.check(page, viewport, "Home PIN, wrong")
        page.screenshot(path=SCREENSHOTS / f"{viewport}-plex-home-wrong-pin.png", full_page=True)
        page.get_by_label("Plex Home PIN").fill("1234")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        page.context.close()
    assert audit.failures == [], "\n".join(audit.failures)
