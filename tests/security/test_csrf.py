"""CSRF: every form post and every session-authenticated API post needs the token.

The walk posts to every route of the URL conf, logged in as a superuser so permissions
never answer first, and expects the CSRF refusal; the table then shows each form doing its
job with the token, so the refusal is the token's doing, not the route's.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from requests_app import flow
from requests_app.models import MediaRequest, Profile, Status
from tests.requests_app.conftest import DUNE
from tests.security.conftest import token_for
from tests.security.routes import ROUTES, URLS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued", "plex_has", "fake_tmdb")]


@pytest.fixture
def boss(db: None) -> AbstractUser:
    return get_user_model().objects.create_superuser("boss", password="pw-boss-123")


def strict(user: AbstractUser | None = None) -> Client:
    """A browser that, like a real one, sends no CSRF token unless the page gave it one."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def state() -> list[tuple]:
    """What a forged post could change: requests, their history, profiles, users."""
    return [
        list(MediaRequest.objects.values_list("pk", "status", "status_reason").order_by("pk")),
        list(MediaRequest.watchers.through.objects.values_list("pk").order_by("pk")),
        list(Profile.objects.values_list("pk", "notify_urls").order_by("pk")),
        list(get_user_model().objects.values_list("pk", "password", "is_staff").order_by("pk")),
    ]


# qBittorrent's "torrent finished" call takes no session at all, only its own token in a
# header, which a forged cross-site post cannot send (tests/downloads/test_finished_hook.py).
TOKEN_ONLY = {"/api/v1/downloads/finished/"}


@pytest.mark.parametrize("url", [u for u in URLS if u != "/healthz" and u not in TOKEN_ONLY])
def test_a_post_without_the_token_is_refused_on_every_route(boss, member, url: str) -> None:
    pending = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    url = url.replace("/1/", f"/{pending.pk}/")
    before = state()
    response = strict(boss).post(url, {"reason": "forged", "notify_urls": "json://evil"})
    assert response.status_code == 403, (url, response.status_code)
    if url != "/api/docs/":  # its HTML renderer prints a bare "403 Forbidden"
        assert "CSRF" in response.content.decode(), url
    assert state() == before


def test_no_page_view_opts_out_of_csrf() -> None:
    exempt = [route for route in ROUTES if getattr(route.view, "csrf_exempt", False)]
    # DRF marks its views exempt and checks CSRF itself for session logins.
    assert [route.url for route in exempt if not hasattr(route.view, "cls")] == []
    api = {route.url for route in exempt}
    assert {"/api/v1/requests/", "/api/v1/search/", "/api/v1/library/"} <= api, api


def test_the_login_form_needs_the_token(member) -> None:
    client = strict()
    forged = client.post("/login/", {"username": "ana", "password": "pw-ana-123"})
    assert forged.status_code == 403
    assert "_auth_user_id" not in client.session
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    real = client.post(
        "/login/", {"username": "ana", "password": "pw-ana-123", "csrfmiddlewaretoken": token}
    )
    assert real.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def with_token(client: Client) -> dict[str, str]:
    """Visit a page as a browser would, and return the form field it got."""
    client.get("/profile/")
    return {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}


def test_each_form_does_its_job_with_the_token_and_nothing_without(
    member, staff, other_member
) -> None:
    mine = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    theirs = flow.create_request(user=other_member, media_type="tv", tmdb_id=1396, season=1).request
    forms = [
        (member, "/requests/new/", {"media_type": "tv", "tmdb_id": 1396, "season": 2}),
        (member, f"/requests/{mine.pk}/cancel/", {}),
        (staff, f"/requests/{theirs.pk}/approve/", {}),
        (member, "/profile/", {"notify_urls": "json://localhost/ana"}),
        (member, "/logout/", {}),
    ]
    for user, url, data in forms:
        client = strict(user)
        before = state()
        assert client.post(url, data).status_code == 403, url
        assert state() == before, url
        assert client.post(url, {**data, **with_token(client)}).status_code == 302, url
    assert MediaRequest.objects.get(pk=mine.pk).status == Status.CANCELLED
    assert MediaRequest.objects.get(pk=theirs.pk).status != Status.PENDING
    assert MediaRequest.objects.filter(season=2).exists()
    assert Profile.objects.get(user=member).notify_urls


def test_decline_needs_the_token(member, staff) -> None:
    pending = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    client = strict(staff)
    assert client.post(f"/requests/{pending.pk}/decline/", {"reason": "x"}).status_code == 403
    assert MediaRequest.objects.get(pk=pending.pk).status == Status.PENDING
    response = client.post(
        f"/requests/{pending.pk}/decline/", {"reason": "x", **with_token(client)}
    )
    assert response.status_code == 302
    assert MediaRequest.objects.get(pk=pending.pk).status == Status.DECLINED


def test_the_api_checks_csrf_for_a_session_but_not_for_a_token(member) -> None:
    payload = {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}
    session = strict(member)
    refused = session.post("/api/v1/requests/", payload, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert MediaRequest.objects.count() == 0
    headers = {"X-CSRFToken": with_token(session)["csrfmiddlewaretoken"]}
    accepted = session.post(
        "/api/v1/requests/", payload, content_type="application/json", headers=headers
    )
    assert accepted.status_code == 201
    by_token = Client(enforce_csrf_checks=True).post(
        "/api/v1/requests/",
        {"media_type": "tv", "tmdb_id": 1396, "season": 3},
        content_type="application/json",
        headers={"Authorization": token_for(member)},
    )
    assert by_token.status_code == 201
    assert MediaRequest.objects.count() == 2
