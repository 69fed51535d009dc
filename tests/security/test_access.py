"""Who reaches what: a login everywhere but /healthz; members only their own requests.

Every route comes from the URL-conf walk (tests/security/routes.py), checked strictly:
real ids, GET and POST, no 404 shrugged off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractUser
from django.forms.models import model_to_dict
from django.test import Client
from rest_framework.test import APIClient

from downloads.models import Download
from library.models import LibraryItem, PlexSection
from requests_app import flow
from requests_app.models import MediaRequest, Status
from tests.requests_app.conftest import BREAKING_BAD, DUNE
from tests.security.routes import PUBLIC, URLS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued", "plex_has", "fake_tmdb")]

# Admin pages answer members with admin's own login page (see the test above); these are
# the app's own staff pages, found by the walk below.
STAFF_ONLY_PAGES = ["/downloads/", "/status/"]
STAFF_ONLY_API = ["/api/v1/downloads/", "/api/v1/downloads/{download}/"]


@pytest.fixture
def rows(member, other_member) -> dict[str, int]:
    """One row behind every id-taking route, so a refusal is never just 'no such row'."""
    pending = flow.create_request(user=other_member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    failed = flow.create_request(
        user=other_member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=2
    )
    MediaRequest.objects.filter(pk=failed.request.pk).update(
        status=Status.FAILED, celery_task_id="task-of-ben"
    )
    mine = flow.create_request(
        user=member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=1
    ).request
    download = Download.objects.create(info_hash="d" * 40, release_title="Dune-GRP", size=1)
    section = PlexSection.objects.create(key="1", type="movie", title="Movies")
    item = LibraryItem.objects.create(section=section, rating_key=9, type="movie", title="Dune")
    return {
        "pending": pending.request.pk,
        "failed": failed.request.pk,
        "mine": mine.pk,
        "download": download.pk,
        "item": item.pk,
        "missing": MediaRequest.objects.order_by("-pk").first().pk + 1000,
    }


def with_real_ids(url: str, rows: dict[str, int], staff: AbstractUser) -> str:
    """Swap the walk's sample ids for ids of real rows of the route's kind."""
    if url.startswith("/api/v1/downloads/"):
        return url.replace("/1/", f"/{rows['download']}/")
    if url.startswith(("/library/", "/api/v1/library/")):
        return url.replace("/1/", f"/{rows['item']}/").replace(
            "/1/poster", f"/{rows['item']}/poster"
        )
    if url.startswith("/admin/auth/user/x/"):
        return url.replace("/x/", f"/{staff.pk}/")
    if url.startswith("/admin/") and "/x/" in url:
        return url  # admin's "no such object" is itself behind the staff check
    return re.sub(r"/1/", f"/{rows['pending']}/", url).replace("/x/", "/task-of-ben/")


def login(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def anonymous_answer(url: str) -> tuple[int, str | None]:
    """The status and redirect an anonymous visitor gets from `url`: a login page, or a 403."""
    if url.startswith("/api/v1/"):
        return 403, None  # DRF, session login first: no 401
    if url.startswith("/admin/"):
        return 302, f"/admin/login/?next={url}"
    return 302, f"/login/?next={url}"  # the pages, and the API schema and docs


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", [u for u in URLS if u not in PUBLIC])
def test_an_anonymous_visitor_gets_nothing_from_any_route(
    client: Client, rows, staff, url: str, method: str
) -> None:
    before = MediaRequest.objects.values_list("pk", "status").order_by("pk")
    before = list(before)
    url = with_real_ids(url, rows, staff)
    response = getattr(client, method)(url)
    answer = (response.status_code, response.get("Location"))
    assert answer == anonymous_answer(url), (method, url)
    assert list(MediaRequest.objects.values_list("pk", "status").order_by("pk")) == before


def test_the_walk_covers_the_pages_the_api_admin_and_the_api_docs() -> None:
    for expected in (
        "/",
        "/requests/1/",
        "/library/",
        "/api/v1/requests/",
        "/api/v1/requests/1/approve/",
        "/api/v1/downloads/",
        "/api/v1/tasks/x/",
        "/api/schema/",
        "/api/docs/",
        "/admin/",
        "/admin/auth/user/x/change/",
        "/status/",
        "/downloads/",
        "/requests/1/cancel/",
    ):
        assert expected in URLS
    assert {
        "/healthz",
        "/login/",
        "/logout/",
        "/admin/login/",
        "/admin/logout/",
        "/manifest.webmanifest",
        "/login/plex/",
        "/login/plex/callback/",
        "/login/plex/tablet/",
        "/login/plex/tablet/status/",
        "/login/plex/home/",
    } == PUBLIC


def test_liveness_and_the_login_pages_answer_an_anonymous_visitor(client: Client) -> None:
    assert client.get("/healthz").status_code == 200
    for url in ("/login/", "/admin/login/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'name="password"' in page.content.decode(), url
    logged_out = client.post("/logout/")
    assert (logged_out.status_code, logged_out["Location"]) == (302, "/login/")


@pytest.mark.parametrize("url", [u for u in URLS if u.startswith("/admin/") and u not in PUBLIC])
def test_a_member_is_sent_to_the_admin_login_from_every_admin_page(
    member, rows, staff, url: str
) -> None:
    response = login(member).get(with_real_ids(url, rows, staff))
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"].startswith("/admin/login/")


def test_the_walk_finds_exactly_the_staff_only_pages(member, staff, rows) -> None:
    """A page staff open and a member cannot (other than someone else's request: 404)."""
    found = set()
    for url in URLS:
        if url in PUBLIC or url.startswith(("/api/", "/admin/")):
            continue
        url = with_real_ids(url, rows, staff)
        if login(staff).get(url).status_code == 200 and login(member).get(url).status_code not in (
            200,
            404,
        ):
            found.add(url)
    assert found == set(STAFF_ONLY_PAGES)


@pytest.mark.parametrize("url", STAFF_ONLY_PAGES)
def test_every_staff_only_page_answers_a_member_403_saying_so_with_a_link_home(
    member, staff, rows, url: str
) -> None:
    refused = login(member).get(url)
    assert refused.status_code == 403, (url, refused.status_code)
    page = refused.content.decode()
    assert "This page is for staff." in page
    assert re.search(r'<a href="/">Back to the kiosk</a>', page), page

    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/login/?next={url}"

    assert login(staff).get(url).status_code == 200


@pytest.mark.parametrize("url", STAFF_ONLY_API)
def test_staff_only_api_refuses_a_member_and_serves_staff(member, staff, rows, url: str) -> None:
    url = url.format(**rows)
    assert login(member).get(url).status_code == 403
    assert login(staff).get(url).status_code == 200


@dataclass(frozen=True)
class Attempt:
    """One way to reach someone else's request, and the request it aims at."""

    method: str
    url: str
    target: str  # a key of `rows`: the request on which the action would work for staff
    refused: int = 404  # 404: as if no such request; 403: members may never do it

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url} ({self.target})"


ON_OTHERS = [
    Attempt("get", "/requests/{id}/", "pending"),
    Attempt("get", "/requests/{id}/status/", "pending"),
    Attempt("post", "/requests/{id}/cancel/", "pending"),
    Attempt("post", "/requests/{id}/approve/", "pending", 403),
    Attempt("post", "/requests/{id}/decline/", "pending", 403),
    Attempt("get", "/api/v1/requests/{id}/", "pending"),
    Attempt("post", "/api/v1/requests/{id}/cancel/", "pending"),
    Attempt("post", "/api/v1/requests/{id}/approve/", "pending", 403),
    Attempt("post", "/api/v1/requests/{id}/decline/", "pending", 403),
    Attempt("post", "/api/v1/requests/{id}/retry/", "failed", 403),
    Attempt("get", "/api/v1/tasks/task-of-ben/", "failed"),
]
# The real id, one that does not exist, and the one just below the member's own.
ID_GUESSES = ["target", "missing", "below_mine"]


def snapshot(pk: int) -> dict | None:
    """Everything about a request that an intruder could change, or None if it is gone."""
    row = MediaRequest.objects.filter(pk=pk).first()
    if row is None:
        return None
    return {
        **model_to_dict(row),
        "updated_at": row.updated_at,
        "events": list(row.events.values_list("to_status", flat=True)),
    }


@pytest.mark.parametrize("guess", ID_GUESSES)
@pytest.mark.parametrize("attempt", ON_OTHERS, ids=str)
def test_a_member_cannot_see_change_cancel_or_approve_anothers_request(
    member, rows, attempt: Attempt, guess: str
) -> None:
    target = rows[attempt.target]
    pk = {
        "target": target,
        "missing": rows["missing"],
        "below_mine": rows["mine"] - 1,
    }[guess]
    watched = {key: snapshot(rows[key]) for key in ("pending", "failed")}
    client = login(member) if attempt.url.startswith("/requests") else APIClient()
    if isinstance(client, APIClient):
        client.force_authenticate(member)
    response = getattr(client, attempt.method)(attempt.url.format(id=pk), {"reason": "mine now"})
    # The same answer whether the id is another's, nobody's or a neighbour's: no id leaks.
    assert response.status_code == attempt.refused, (str(attempt), guess, response.status_code)
    assert "Dune" not in response.content.decode()
    assert {key: snapshot(rows[key]) for key in watched} == watched


def test_a_member_lists_only_their_own_requests_on_the_page_and_the_api(member, rows) -> None:
    page = login(member).get("/requests/").content.decode()
    api = APIClient()
    api.force_authenticate(member)
    listed = {r["id"] for r in api.get("/api/v1/requests/").json()["results"]}
    assert listed == {rows["mine"]}
    assert f"/requests/{rows['mine']}/" in page
    assert f"/requests/{rows['pending']}/" not in page
    assert "Dune" not in page


def test_a_watcher_sees_a_joined_request_but_cannot_cancel_it(member, rows) -> None:
    joined = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    assert joined.request.pk == rows["pending"]
    before = snapshot(rows["pending"])
    client = login(member)
    assert client.get(f"/requests/{rows['pending']}/").status_code == 200
    assert client.post(f"/requests/{rows['pending']}/cancel/").status_code == 403
    api = APIClient()
    api.force_authenticate(member)
    assert api.post(f"/api/v1/requests/{rows['pending']}/cancel/").status_code == 403
    assert snapshot(rows["pending"]) == before


@pytest.mark.parametrize(
    "attempt", [a for a in ON_OTHERS if a.method == "post" and "/api/" in a.url], ids=str
)
def test_staff_can_do_what_members_are_refused(staff, rows, attempt: Attempt) -> None:
    api = APIClient()
    api.force_authenticate(staff)
    pk = rows[attempt.target]
    before = snapshot(pk)
    response = api.post(attempt.url.format(id=pk), {"reason": "no"})
    assert response.status_code == 200, response.content
    assert snapshot(pk) != before


@pytest.mark.parametrize(
    "url",
    [
        "/requests/{id}/approve/",
        "/requests/{id}/decline/",
        "/api/v1/requests/{id}/approve/",
        "/api/v1/requests/{id}/decline/",
        "/api/v1/requests/{id}/retry/",
    ],
)
@pytest.mark.parametrize("status", [Status.PENDING, Status.FAILED])
def test_a_member_cannot_approve_decline_or_retry_their_own_request(
    member, rows, url: str, status: str
) -> None:
    MediaRequest.objects.filter(pk=rows["mine"]).update(status=status)
    before = snapshot(rows["mine"])
    if url.startswith("/api/"):
        client = APIClient()
        client.force_authenticate(member)
    else:
        client = login(member)
    response = client.post(url.format(id=rows["mine"]), {"reason": "fine by me"})
    assert response.status_code == 403, (url, response.status_code)
    assert snapshot(rows["mine"]) == before
