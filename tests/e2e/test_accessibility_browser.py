"""Every kiosk page checked by axe-core in a real browser (Chromium driven by Playwright).

gunicorn serves the app on PostgreSQL and Redis, TMDB is the simulator. On a 390x844 phone
and a 1280x800 tablet, axe-core (node_modules/axe-core, installed by `npm ci` from
package-lock.json: `make test` does it) is injected into each page a member, a staff member
and a stranger see, and its WCAG 2.0/2.1 A and AA rules must find nothing serious or
critical; no page may be wider than the screen, and no aria-describedby, aria-labelledby,
aria-controls or label `for` may name a missing id. Each page's counts by impact are
printed (`pytest -s` shows them). The keyboard alone goes from the top of the home page to
a discovery card, Enter opens its title page, Tab reaches its Request button and Enter
makes the request, every stop on the way showing a visible focus outline.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from downloads.models import Download
from library.models import LibraryItem, PlexSection
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer
from requests_app.models import MediaRequest, Status
from tests.e2e.axe import VIEWPORTS, Audit
from tests.e2e.test_browser import (  # noqa: F401 (browser: a fixture)
    PASSWORD_LOGIN,
    SCREENSHOTS,
    browser,
    log_in,
)
from tests.e2e.test_request_flow import make_user
from tests.e2e.test_title_pages_browser import BREAKING_BAD, mirror_breaking_bad
from tests.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

DUNE, MATRIX, INCEPTION, FIGHT_CLUB = 438631, 603, 27205, 550
NOWHERE = 999_999_999  # no title has this id
# The focused element, its outline as the browser draws it, and whether it matches `wanted`.
FOCUS = """(wanted) => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || '').trim().slice(0, 40),
        style: style.outlineStyle, width: parseFloat(style.outlineWidth),
        wanted: el.matches(wanted), href: el.getAttribute('href') || '',
    };
}"""


def setup_household() -> dict[str, MediaRequest]:
    """Ana (a member) with a request downloading and one searching, Ben with one awaiting
    approval, Sam on the staff; Plex holds Dune and half of Breaking Bad."""
    ana = make_user("ana", "pw-ana-e2e", first_name="Ana")
    ben = make_user("ben", "pw-ben-e2e")
    make_user("sam", "pw-sam-e2e", is_staff=True)
    movies = PlexSection.objects.create(key="1", type="movie", title="Movies")
    LibraryItem.objects.create(
        section=movies, rating_key=501, type="movie", title="Dune", year=2021, tmdb_id=DUNE,
        added_at=timezone.now(),
    )  # fmt: skip
    mirror_breaking_bad()
    Download.objects.create(
        info_hash="a" * 40, release_title="The.Matrix.1999.1080p.BluRay.x264-E2E", size=8 << 30,
        media_type="movie", title="The Matrix", year=1999, state=Download.State.DOWNLOADING,
        progress=0.42, dlspeed=3 << 20, eta=1500, owner_ref="request:0",
    )  # fmt: skip
    downloading = MediaRequest.objects.create(
        requested_by=ana, media_type="movie", tmdb_id=MATRIX, title="The Matrix", year=1999,
        status=Status.DOWNLOADING, download_hash="a" * 40,
        release_title="The.Matrix.1999.1080p.BluRay.x264-E2E",
    )  # fmt: skip
    MediaRequest.objects.create(
        requested_by=ana, media_type="tv", tmdb_id=BREAKING_BAD, season=3,
        title="Breaking Bad", year=2008, status=Status.SEARCHING,
    )  # fmt: skip
    pending = MediaRequest.objects.create(
        requested_by=ben, media_type="movie", tmdb_id=335984, title="Blade Runner 2049",
        year=2017, status=Status.PENDING,
    )  # fmt: skip
    return {"downloading": downloading, "pending": pending}


def audit_member(
    page: object, base: str, viewport: str, asks: dict, audit: Audit, tmdb: TMDBSimulatorServer
) -> None:
    """Ana's pages: home, search, title pages, her requests, one of them, her profile, the
    library, a 403, a 404 and a title page while TMDB fails."""
    page.goto(f"{base}/")
    page.wait_for_selector("#your-requests .progress")  # the live bar of The Matrix
    audit.check(page, viewport, "home (member)")
    page.goto(f"{base}/search/")
    page.locator("input[name=q]").press_sequentially("dune", delay=40)
    page.wait_for_selector(".result")
    page.wait_for_url(f"{base}/search/?q=dune")
    audit.check(page, viewport, "search results (typed)")
    page.goto(f"{base}/movie/{INCEPTION}/")
    audit.check(page, viewport, "movie title page")
    page.goto(f"{base}/tv/{BREAKING_BAD}/")
    assert "4 of 8 in Plex" in page.locator(".season-row").nth(1).inner_text()
    audit.check(page, viewport, "TV title page (season half in Plex)")
    page.goto(f"{base}/requests/")
    audit.check(page, viewport, "request list (member)")
    page.goto(f"{base}/requests/{asks['downloading'].pk}/")
    page.wait_for_selector(".status-box .progress")
    audit.check(page, viewport, "request detail (downloading)")
    page.goto(f"{base}/profile/")
    audit.check(page, viewport, "profile")
    page.fill("#id_notify_urls", "not a notification address")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#id_notify_urls_error")
    audit.check(page, viewport, "profile (an entry refused)")
    page.goto(f"{base}/library/")
    audit.check(page, viewport, "in Plex (library)")
    response = page.goto(f"{base}/downloads/")
    assert response is not None and response.status == 403
    audit.check(page, viewport, "403 (member on a staff page)")
    response = page.goto(f"{base}/movie/{NOWHERE}/")
    assert response is not None and response.status == 404
    assert "Page not found" in page.inner_text("h1")
    audit.check(page, viewport, "404 (a title TMDB does not know)")
    tmdb.fail("500", times=20, path=f"/3/movie/{FIGHT_CLUB}")
    response = page.goto(f"{base}/movie/{FIGHT_CLUB}/")
    assert response is not None and response.status == 503
    audit.check(page, viewport, "title unavailable (TMDB failing)")


def audit_staff(page: object, base: str, viewport: str, asks: dict, audit: Audit) -> None:
    """Sam's pages: the requests with Approve and Decline, a pending request, downloads, status."""
    page.goto(f"{base}/requests/")
    page.get_by_role("button", name="Approve Blade Runner 2049").wait_for()
    audit.check(page, viewport, "request list (staff, approve)")
    page.goto(f"{base}/requests/{asks['pending'].pk}/")
    page.get_by_role("button", name="Decline").wait_for()
    audit.check(page, viewport, "request detail (staff, pending)")
    page.goto(f"{base}/downloads/")
    audit.check(page, viewport, "downloads (staff)")
    page.goto(f"{base}/status/")
    audit.check(page, viewport, "status (staff)")


def audit_strangers(browser: object, base: str, viewport: str, audit: Audit) -> None:  # noqa: F811
    """The login page, then the lockout page after wrong passwords."""
    page = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.goto(f"{base}/login/")
    audit.check(page, viewport, "login")
    # The stack's LOGIN_FAILURE_LIMIT is 2: the second wrong password gets the lockout page.
    for attempt in ("login (wrong password)", "lockout"):
        page.fill("input[name=username]", f"nobody-{viewport}")
        page.fill("input[name=password]", "wrong")
        page.click(PASSWORD_LOGIN)
        page.wait_for_load_state()
        if attempt == "login (wrong password)":
            assert page.locator("p.error").is_visible()
            audit.check(page, viewport, attempt)
    assert "Too many failed logins" in page.inner_text("h1")
    audit.check(page, viewport, "lockout")
    page.context.close()


def test_no_page_has_a_serious_or_critical_axe_violation_on_a_phone_or_a_tablet(
    stack: Stack,
    browser: object,  # noqa: F811 - the fixture imported from test_browser
    tmdb_server: TMDBSimulatorServer,
) -> None:
    asks = setup_household()
    stack.env.update(
        TMDB_URL=tmdb_server.base_url, TMDB_API_KEY=DEFAULT_API_KEY, LOGIN_FAILURE_LIMIT="2"
    )
    base = stack.web()
    audit = Audit()

    for viewport, size in VIEWPORTS.items():
        audit_strangers(browser, base, viewport, audit)
        member = log_in(browser, base, size, "ana", "pw-ana-e2e")
        audit_member(member, base, viewport, asks, audit, tmdb_server)
        member.context.close()
        staff = log_in(browser, base, size, "sam", "pw-sam-e2e")
        audit_staff(staff, base, viewport, asks, audit)
        staff.context.close()

    assert len(audit.lines) == 2 * 19  # every page was checked on both viewports
    assert audit.failures == [], "serious or critical axe violations:\n" + "\n".join(audit.failures)


def tab_until(page: object, wanted: str, presses: int = 60) -> list[dict]:
    """Press Tab until the focused element matches the CSS selector `wanted`; return every
    stop on the way, the last one first matching."""
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS, wanted)
        stops.append(focused)
        if focused["wanted"]:
            return stops
    raise AssertionError(f"Tab never reached {wanted}: {[s['text'] for s in stops]}")


def without_visible_focus(stops: list[dict]) -> list[dict]:
    return [s for s in stops if s["style"] == "none" or s["width"] < 2]


def test_the_keyboard_alone_opens_a_discovery_card_and_requests_it_with_a_visible_focus(
    stack: Stack,
    browser: object,  # noqa: F811
    tmdb_server: TMDBSimulatorServer,
) -> None:
    setup_household()
    stack.env.update(TMDB_URL=tmdb_server.base_url, TMDB_API_KEY=DEFAULT_API_KEY)
    base = stack.web()

    for viewport, size in VIEWPORTS.items():
        page = log_in(browser, base, size, "ana", "pw-ana-e2e")
        page.wait_for_selector(".discovery a.title-link")
        # From the top of the home page to the first discovery card, then Enter.
        stops = tab_until(page, ".discovery a.title-link")
        assert without_visible_focus(stops) == [], f"{viewport}: focus not visible"
        page.screenshot(path=SCREENSHOTS / f"{viewport}-keyboard-focus-on-a-card.png")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"{re.escape(base)}{re.escape(stops[-1]['href'])}$"))
        title = page.locator("h1").inner_text()
        # On its page, on to the first Request button, then Enter: the request is made.
        stops = tab_until(page, "form.ask button[type=submit]")
        assert without_visible_focus(stops) == [], f"{viewport}: focus not visible"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"{re.escape(base)}/requests/\d+/$"))
        assert title.split(" (")[0] in page.locator("h1").inner_text()
        page.context.close()
