"""The kiosk in a real browser (Debian's Chromium driven by Playwright), phone and tablet.

Screenshots go to artifacts/screenshots/ (kept by CI as artefacts).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture, require_qbittorrent  # noqa: F401
from tests.e2e.test_request_flow import DUNE, SIZE, make_user, prepare_database
from tests.e2e.world import World
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def world(tmp_path: Path, qbt_pair: QbtPair) -> Iterator[World]:
    built = World(tmp_path / "world", qbt_pair)
    yield built
    built.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        # `make test` installs it first; a skip would hide the only test of the real pages.
        pytest.fail(
            "Debian's chromium is not installed: run `make test` as root (it installs what "
            "the suite needs) or `sudo apt-get install -y chromium`",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; our ORM use happens
    # between its calls, never inside them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,  # Playwright gives each launch a fresh, empty profile
        )
        yield launched
        launched.close()


# The password form's button: the login page also has "Sign in with Plex" (/login/plex/).
PASSWORD_LOGIN = "form[action$='/login/'] button[type=submit]"


def log_in(browser: object, base: str, viewport: dict, username: str, password: str) -> object:
    page = browser.new_context(viewport=viewport).new_page()
    response = page.goto(f"{base}/login/")
    assert response is not None and response.ok, (
        response and response.status,
        page.content()[:2000],
    )
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click(PASSWORD_LOGIN)
    page.wait_for_url(f"{base}/")
    return page


def test_a_member_requests_on_a_phone_and_staff_approve_on_a_tablet(
    stack: Stack, world: World, browser: object
) -> None:
    require_qbittorrent()
    prepare_database(world, member_name="ana")
    release = world.offer("Dune.2021.1080p.BluRay.x264-E2E.mkv", SIZE, **DUNE)
    world.qbt.seeder.api.torrents_set_upload_limit(limit=1 << 20, torrent_hashes=release.info_hash)
    make_user("ben", "pw-ben-e2e")  # needs approval
    make_user("sam", "pw-sam-e2e", is_staff=True)
    stack.env.update(world.env())
    base = stack.web()
    stack.worker()
    stack.beat()

    # A member on a phone: search, request, watch the bar, see it completed.
    phone = log_in(browser, base, PHONE, "ana", "pw-e2e-123")
    phone.fill("input[name=q]", "Dune")
    phone.keyboard.press("Enter")
    phone.wait_for_selector(".result")
    phone.screenshot(path=SCREENSHOTS / "phone-1-search.png", full_page=True)
    dune = phone.locator(".result", has_text="Dune").filter(has_text="2021").first
    dune.get_by_role("button", name="Request").click()
    phone.wait_for_selector(".progress .bar", timeout=90_000)
    phone.screenshot(path=SCREENSHOTS / "phone-2-downloading.png", full_page=True)
    assert "%" in phone.inner_text(".status-box")
    phone.wait_for_selector(".status-completed", timeout=150_000)
    phone.screenshot(path=SCREENSHOTS / "phone-3-completed.png", full_page=True)
    assert "Completed" in phone.inner_text(".status-box")

    # Another member on a tablet asks for something: it waits for approval.
    tablet = log_in(browser, base, TABLET, "ben", "pw-ben-e2e")
    tablet.goto(f"{base}/search/?q=blade+runner")
    card = tablet.locator(".result", has_text="Blade Runner 2049").first
    card.get_by_role("button", name="Request").click()
    tablet.wait_for_selector("text=Awaiting approval")
    tablet.screenshot(path=SCREENSHOTS / "tablet-1-pending.png", full_page=True)

    # Staff approve it from the requests list.
    staff = log_in(browser, base, TABLET, "sam", "pw-sam-e2e")
    staff.goto(f"{base}/requests/?status=pending")
    staff.get_by_role("button", name="Approve").first.click()
    staff.wait_for_selector("text=Approved: Blade Runner 2049")
    staff.screenshot(path=SCREENSHOTS / "tablet-2-approved.png", full_page=True)
