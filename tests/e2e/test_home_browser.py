"""The home page in a real browser (Debian's Chromium driven by Playwright), phone and tablet.

gunicorn serves the app on PostgreSQL and Redis, TMDB is the simulator; the Plex mirror
holds Dune and Ana asked for The Matrix. The home page shows TMDB's four rows with those
cards marked, the rows scroll sideways on a phone, and a discovery card opens its title
page. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from library.models import LibraryItem, PlexSection
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer
from requests_app.models import MediaRequest, Status
from tests.e2e.test_browser import PHONE, SCREENSHOTS, browser, log_in  # noqa: F401 (fixture)
from tests.e2e.test_request_flow import make_user
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

TABLET_LANDSCAPE = {"width": 1280, "height": 800}
DUNE, MATRIX, INCEPTION = 438631, 603, 27205
ROWS = ("Trending this week", "Popular movies", "Popular shows", "Coming soon")


def transferred(page: object) -> int:
    """Return the bytes this page load took over the network (HTML and what it fetched)."""
    page.wait_for_load_state("networkidle")
    return page.evaluate(
        "performance.getEntries().filter(e => 'transferSize' in e)"
        ".reduce((sum, e) => sum + e.transferSize, 0)"
    )


def check_home(page: object, shot: str) -> None:
    """See the rows, Dune marked In Plex and The Matrix Requested, and screenshot the page."""
    headings = page.locator("h2").all_inner_texts()
    assert [h for h in headings if h in ROWS] == list(ROWS)
    assert "Your requests" in headings and "Recently added to Plex" in headings
    movies = page.get_by_role("region", name="Popular movies")
    assert "In Plex" in movies.locator("li", has_text="Dune (2021)").inner_text()
    assert "Requested" in movies.locator("li", has_text="The Matrix").inner_text()
    page.screenshot(path=SCREENSHOTS / f"{shot}-1-home.png", full_page=True)


def test_the_home_page_shows_tmdbs_rows_and_a_card_opens_its_title_page(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
    tmdb_server: TMDBSimulatorServer,
) -> None:
    ana = make_user("ana", "pw-ana-e2e", first_name="Ana")
    section = PlexSection.objects.create(key="1", type="movie", title="Movies")
    LibraryItem.objects.create(
        section=section, rating_key=501, type="movie", title="Dune", year=2021, tmdb_id=DUNE,
        added_at=timezone.now(),
    )  # fmt: skip
    MediaRequest.objects.create(
        requested_by=ana, media_type="movie", tmdb_id=MATRIX, title="The Matrix", year=1999,
        status=Status.SEARCHING,
    )  # fmt: skip
    stack.env.update(TMDB_URL=tmdb_server.base_url, TMDB_API_KEY=DEFAULT_API_KEY)
    base = stack.web()

    # On a phone: the rows are one line each, scrolled sideways; a card opens its page.
    phone = log_in(browser, base, PHONE, "ana", "pw-ana-e2e")
    phone.goto(f"{base}/")
    check_home(phone, "phone-home")
    shelf = phone.get_by_role("region", name="Trending this week").locator(".shelf")
    assert shelf.evaluate("el => el.scrollWidth > el.clientWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shelf.evaluate("el => el.scrollBy(600, 0)")
    phone.screenshot(path=SCREENSHOTS / "phone-home-2-row-scrolled.png")
    upcoming = phone.get_by_role("region", name="Coming soon")
    upcoming.locator("a.title-link", has_text="Dune: Part Two").click()
    phone.wait_for_url(f"{base}/movie/693134/")
    assert "Dune: Part Two" in phone.inner_text("h1")

    # On a wall tablet: the second load fetches no poster again (the browser keeps them), then a
    # popular movie's card opens its page, with its Request button.
    tablet = log_in(browser, base, TABLET_LANDSCAPE, "ana", "pw-ana-e2e")  # lands on /
    first = transferred(tablet)
    posters = "performance.getEntriesByType('resource').filter(e => e.name.includes('/img/'))"
    assert tablet.evaluate(f"{posters}.filter(e => e.transferSize > 0).length") > 6
    tablet.goto(f"{base}/")
    second = transferred(tablet)
    print(f"home on a tablet: first load {first:,} bytes, second load {second:,} bytes")
    assert tablet.evaluate(f"{posters}.length") > 6
    # The posters come from the browser's cache.
    assert tablet.evaluate(f"{posters}.filter(e => e.transferSize > 0).length") == 0
    check_home(tablet, "tablet-home")
    movies = tablet.get_by_role("region", name="Popular movies")
    movies.locator("a.title-link", has_text="Inception").click()
    tablet.wait_for_url(f"{base}/movie/{INCEPTION}/")
    assert "Inception" in tablet.inner_text("h1")
    assert tablet.get_by_role("button", name="Request").first.is_visible()
    tablet.screenshot(path=SCREENSHOTS / "tablet-home-2-title-page.png", full_page=True)
