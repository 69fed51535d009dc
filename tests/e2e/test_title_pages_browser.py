"""Title pages in a real browser (Debian's Chromium driven by Playwright), phone and tablet.

gunicorn serves the app on PostgreSQL and Redis, TMDB is the simulator; the Plex mirror
holds Breaking Bad's season 1 (8/8) and half of season 2, and Ana asked for season 3. A
member opens the show's page, sees every season's state, presses Request on a season and
lands on the new request's page. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from library.models import Episode, LibraryItem, PlexSection, Season
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer
from requests_app.models import MediaRequest, Status
from tests.e2e.test_browser import PHONE, SCREENSHOTS, browser, log_in  # noqa: F401 (fixture)
from tests.e2e.test_request_flow import make_user
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

TABLET_LANDSCAPE = {"width": 1280, "height": 800}
BREAKING_BAD = 1396


def mirror_breaking_bad() -> None:
    """Season 1 in Plex 8/8, season 2 4/8, as a library sync would have left them."""
    section = PlexSection.objects.create(key="2", type="show", title="TV shows")
    show = LibraryItem.objects.create(
        section=section, rating_key=9000, type="show", title="Breaking Bad", year=2008,
        tmdb_id=BREAKING_BAD, tvdb_id=81189,
    )  # fmt: skip
    for number, count in ((1, 8), (2, 4)):
        season = Season.objects.create(show=show, rating_key=9100 + number, index=number)
        for k in range(1, count + 1):
            Episode.objects.create(
                show=show, season=season, rating_key=910_000 + number * 100 + k,
                season_number=number, index=k,
            )  # fmt: skip


def open_show_and_request(page: object, base: str, season: int, shot: str) -> None:
    """Check the season rows, press Request on one season, land on the new request's page."""
    rows = page.locator(".season-row")
    assert rows.count() == 5
    assert "In Plex 8/8" in rows.nth(0).inner_text()
    assert "4 of 8 in Plex" in rows.nth(1).inner_text()
    assert "Requested by Ana · Searching" in rows.nth(2).inner_text()
    assert page.get_by_role("button", name="Request all missing seasons").is_visible()
    page.screenshot(path=SCREENSHOTS / f"{shot}-1-title-page.png", full_page=True)
    page.get_by_role("button", name=f"Request season {season}").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/requests/\d+/$"))
    page.wait_for_selector("text=Awaiting approval")
    assert f"Season {season}" in page.inner_text("h1")
    page.screenshot(path=SCREENSHOTS / f"{shot}-2-season-requested.png", full_page=True)


def test_a_member_requests_a_season_from_the_title_page_on_a_phone_and_a_tablet(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
    tmdb_server: TMDBSimulatorServer,
) -> None:
    make_user("ben", "pw-ben-e2e")  # asks need approval: the request page says so
    ana = make_user("ana", "pw-ana-e2e", first_name="Ana")
    mirror_breaking_bad()
    MediaRequest.objects.create(
        requested_by=ana, media_type="tv", tmdb_id=BREAKING_BAD, season=3,
        title="Breaking Bad", year=2008, status=Status.SEARCHING,
    )  # fmt: skip
    stack.env.update(TMDB_URL=tmdb_server.base_url, TMDB_API_KEY=DEFAULT_API_KEY)
    base = stack.web()

    # On a phone: straight to the show's page.
    phone = log_in(browser, base, PHONE, "ben", "pw-ben-e2e")
    phone.goto(f"{base}/tv/{BREAKING_BAD}/")
    assert "Bryan Cranston" in phone.inner_text(".cast")
    open_show_and_request(phone, base, 4, "phone-title")

    # On a wall tablet: from a search result's card to the page.
    tablet = log_in(browser, base, TABLET_LANDSCAPE, "ben", "pw-ben-e2e")
    tablet.goto(f"{base}/search/?q=breaking+bad")
    tablet.locator(".result", has_text="Breaking Bad").locator("a.title-link").first.click()
    tablet.wait_for_url(f"{base}/tv/{BREAKING_BAD}/")
    assert "Requested · Awaiting approval" in tablet.locator(".season-row").nth(3).inner_text()
    open_show_and_request(tablet, base, 5, "tablet-title")

    asked = MediaRequest.objects.filter(tmdb_id=BREAKING_BAD, requested_by__username="ben")
    assert sorted(asked.values_list("season", flat=True)) == [4, 5]
