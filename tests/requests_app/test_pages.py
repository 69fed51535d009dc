"""Kiosk pages, rendered: search, request, follow progress, approve."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from requests_app import flow
from requests_app.models import MediaRequest, Profile, Status
from tests.requests_app.conftest import DUNE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/", "/search/?q=dune", "/requests/", "/requests/1/"])
def test_pages_send_anonymous_visitors_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_login_page_logs_a_member_in(client: Client, member) -> None:
    page = client.get("/login/")
    assert "Log in" in page.content.decode()
    response = client.post("/login/", {"username": "ana", "password": "pw-ana-123"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_request_button_creates_a_request_and_shows_it(member, fake_tmdb, plex_has) -> None:
    client = logged_in(member)
    response = client.post(
        "/requests/new/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, follow=True
    )
    page = response.content.decode()
    assert "Dune (2021)" in page
    assert "Awaiting approval" in page
    assert MediaRequest.objects.get().requested_by == member


def test_forms_refuse_a_post_without_the_csrf_token(member, fake_tmdb, plex_has) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post("/requests/new/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id})
    assert response.status_code == 403
    assert MediaRequest.objects.count() == 0


def test_the_detail_page_shows_the_download_percent(trusted_member, fake_tmdb, plex_has) -> None:
    from downloads.models import Download

    request = flow.create_request(
        user=trusted_member, media_type="movie", tmdb_id=DUNE.tmdb_id
    ).request
    Download.objects.create(
        info_hash="b" * 40,
        release_title="Dune.2021.1080p.BluRay.x264-GRP",
        size=8 << 30,
        state="downloading",
        progress=0.424,
        dlspeed=5 << 20,
        eta=754,
        owner_ref=f"request:{request.pk}",
        media_type="movie",
        title="Dune",
        year=2021,
    )
    MediaRequest.objects.filter(pk=request.pk).update(
        status=Status.DOWNLOADING,
        download_hash="b" * 40,
        release_title="Dune.2021.1080p.BluRay.x264-GRP",
    )
    page = logged_in(trusted_member).get(f"/requests/{request.pk}/").content.decode()
    assert 'aria-valuenow="42"' in page
    assert "42.4%" in page
    assert "5.2\xa0MB/s" in page
    assert "12 min 34 s left" in page
    fragment = logged_in(trusted_member).get(f"/requests/{request.pk}/status/").content.decode()
    assert 'hx-trigger="every 3s"' in fragment


def test_a_member_gets_404_for_anothers_request_page(
    member, other_member, fake_tmdb, plex_has
) -> None:
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    client = logged_in(other_member)
    assert client.get(f"/requests/{request.pk}/").status_code == 404
    assert client.post(f"/requests/{request.pk}/cancel/").status_code == 404
    assert client.post(f"/requests/{request.pk}/approve/").status_code == 403
    request.refresh_from_db()
    assert request.status == Status.PENDING


def test_staff_see_pending_requests_with_approve_and_decline(
    member, staff, fake_tmdb, plex_has
) -> None:
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    client = logged_in(staff)
    page = client.get("/requests/").content.decode()
    assert "All requests" in page
    assert f"/requests/{request.pk}/approve/" in page
    response = client.post(f"/requests/{request.pk}/approve/", {"next": "/requests/"})
    assert response["Location"] == "/requests/"
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_a_post_cannot_redirect_off_site(member, staff, fake_tmdb, plex_has) -> None:
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    response = logged_in(staff).post(
        f"/requests/{request.pk}/decline/", {"next": "https://evil.example/", "reason": "no"}
    )
    assert response["Location"] == f"/requests/{request.pk}/"


def test_pages_are_served_in_french_to_a_french_browser(member) -> None:
    client = logged_in(member)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Que voulez-vous regarder" in page


def test_a_member_sets_notification_urls_and_bad_ones_are_refused(member) -> None:
    client = logged_in(member)
    page = client.get("/profile/").content.decode()
    assert "10 of 10 left" in page
    bad = client.post("/profile/", {"notify_urls": "ntfy://ntfy.sh/kiosk\nnot-a-url"})
    assert "2: " in bad.content.decode()
    assert Profile.objects.filter(user=member, notify_urls__contains="ntfy").count() == 0
    good = client.post("/profile/", {"notify_urls": "ntfy://ntfy.sh/kiosk\n\n"}, follow=True)
    assert "Saved." in good.content.decode()
    assert Profile.objects.get(user=member).notify_urls == "ntfy://ntfy.sh/kiosk"
