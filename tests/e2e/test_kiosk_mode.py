"""Kiosk mode in a real browser: a wall tablet left alone logs its person out and goes home."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_browser import SCREENSHOTS, TABLET, browser, log_in  # noqa: F401
from tests.e2e.test_request_flow import make_user
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

IDLE_MINUTES = 0.05  # three seconds


def test_an_idle_tablet_logs_out_and_lands_on_the_home_page(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
) -> None:
    make_user("ana", "pw-ana-e2e")
    stack.env["KIOSK_IDLE_MINUTES"] = str(IDLE_MINUTES)
    base = stack.web()
    tablet = log_in(browser, base, TABLET, "ana", "pw-ana-e2e")

    # Someone is using it: touches keep the session open past the idle time.
    tablet.goto(f"{base}/requests/")
    for step in range(4):
        time.sleep(1)
        tablet.mouse.move(100 + step * 10, 200)
    assert tablet.url == f"{base}/requests/"

    # Left alone, it logs out and returns home, which asks the next person to log in.
    started = time.monotonic()
    tablet.wait_for_url(f"{base}/login/?next=/", timeout=15_000)
    waited = time.monotonic() - started
    assert IDLE_MINUTES * 60 - 0.5 <= waited < 10, waited
    tablet.screenshot(path=SCREENSHOTS / "tablet-kiosk-idle-logged-out.png", full_page=True)
    assert tablet.locator("input[name=username]").is_visible()
    # The session is over: going back to a page asks for the login again.
    tablet.goto(f"{base}/requests/")
    assert tablet.url.startswith(f"{base}/login/")
