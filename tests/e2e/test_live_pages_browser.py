"""Search as you type and approve in place, in a real browser (Chromium driven by Playwright).

gunicorn serves the app on PostgreSQL and Redis, TMDB is the simulator. On a 390x844 phone
and a 1280x800 tablet a staff member types in the search box and sees movies and shows,
each with its type, without pressing Enter; then approves a member's pending request on
/requests/ and the card says Approved without the page reloading. Screenshots go to
artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer
from requests_app.models import MediaRequest, Status
from tests.e2e.test_browser import PHONE, SCREENSHOTS, browser, log_in  # noqa: F401 (fixture)
from tests.e2e.test_request_flow import make_user
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

TABLET_LANDSCAPE = {"width": 1280, "height": 800}


def type_and_see_results(page: object, base: str, shot: str) -> None:
    """Type 'dune' a key at a time: movies and the show appear with no Enter pressed."""
    page.goto(f"{base}/search/")
    page.evaluate("window.stillTheSamePage = true")
    page.locator("input[name=q]").press_sequentially("dune", delay=60)
    page.wait_for_selector(".result", timeout=10_000)
    results = page.locator("#results")
    assert results.locator(".result", has_text="Dune").filter(has_text="2021").count() == 1
    assert results.locator(".badge.kind", has_text="Movie").count() >= 1
    assert results.locator(".badge.kind", has_text="TV show").count() >= 1
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in, not a page load
    page.wait_for_url(f"{base}/search/?q=dune")  # the URL can be shared and reloaded
    page.screenshot(path=SCREENSHOTS / f"{shot}-search-as-you-type.png", full_page=True)


def approve_in_place(page: object, base: str, request: MediaRequest, shot: str) -> None:
    """Approve a pending card on /requests/ with the keyboard: it turns Approved in place."""
    page.goto(f"{base}/requests/")
    page.evaluate("window.stillTheSamePage = true")
    card = page.locator(f"#request-{request.pk}")
    assert "Awaiting approval" in card.inner_text()
    assert "Asked by ben" in card.inner_text()
    page.screenshot(path=SCREENSHOTS / f"{shot}-requests-pending.png", full_page=True)
    button = card.get_by_role("button", name="Approve")
    assert button.bounding_box()["height"] >= 44
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#request-{request.pk} .status-approved", timeout=10_000)
    card = page.locator(f"#request-{request.pk}")
    assert "Approved" in card.inner_text()
    assert f"Approved: {request.display_title}" in card.get_by_role("status").inner_text()
    assert card.get_by_role("button", name="Approve").count() == 0
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    # The keyboard goes on from the card, not from the top of the page.
    assert page.evaluate("document.activeElement.className") == "notice"
    page.screenshot(path=SCREENSHOTS / f"{shot}-requests-approved-in-place.png", full_page=True)


def test_staff_search_as_they_type_and_approve_in_place_on_a_phone_and_a_tablet(
    stack: Stack,
    browser: object,  # noqa: F811
    tmdb_server: TMDBSimulatorServer,
) -> None:
    ben = make_user("ben", "pw-ben-e2e")
    make_user("sam", "pw-sam-e2e", is_staff=True)
    pending = {
        name: MediaRequest.objects.create(
            requested_by=ben,
            media_type="movie",
            tmdb_id=tmdb_id,
            title=title,
            year=year,
            status=Status.PENDING,
        )
        for name, tmdb_id, title, year in (
            ("phone", 78, "Blade Runner", 1982),
            ("tablet", 335984, "Blade Runner 2049", 2017),
        )
    }
    stack.env.update(TMDB_URL=tmdb_server.base_url, TMDB_API_KEY=DEFAULT_API_KEY)
    base = stack.web()

    for shot, viewport in (("phone", PHONE), ("tablet", TABLET_LANDSCAPE)):
        page = log_in(browser, base, viewport, "sam", "pw-sam-e2e")
        type_and_see_results(page, base, shot)
        approve_in_place(page, base, pending[shot], shot)

    statuses = MediaRequest.objects.filter(pk__in=[r.pk for r in pending.values()])
    assert set(statuses.values_list("status", flat=True)) == {Status.APPROVED}
