"""REST API v1: requests, permissions, validation, task status, schema."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.management import call_command
from django_celery_results.models import TaskResult
from rest_framework.test import APIClient

from requests_app.models import MediaRequest, Status
from tests.requests_app.conftest import BREAKING_BAD, DUNE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


def api(user: AbstractUser | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_api_needs_a_login() -> None:
    refused = api().get("/api/v1/requests/")
    assert refused.status_code == 403  # session login first: no 401
    assert refused.json() == {"detail": "Authentication credentials were not provided."}


def test_a_member_creates_a_request_and_gets_it_back(member, fake_tmdb, plex_has) -> None:
    response = api(member).post(
        "/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["display_title"] == "Dune (2021)"
    listing = api(member).get("/api/v1/requests/").json()
    assert listing["count"] == 1
    assert listing["results"][0]["id"] == body["id"]


def test_asking_twice_answers_200_with_the_same_request(
    member, other_member, fake_tmdb, plex_has
) -> None:
    payload = {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}
    first = api(member).post("/api/v1/requests/", payload, format="json")
    second = api(other_member).post("/api/v1/requests/", payload, format="json")
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"media_type": "tv", "tmdb_id": BREAKING_BAD.tmdb_id}, "season"),
        ({"media_type": "film", "tmdb_id": 1}, "media_type"),
        ({"media_type": "movie", "tmdb_id": -4}, "tmdb_id"),
        ({"media_type": "movie"}, "tmdb_id"),
        ({"media_type": "movie", "tmdb_id": DUNE.tmdb_id, "season": 1}, "season"),
    ],
)
def test_bad_input_is_a_400_with_field_errors_and_changes_nothing(
    member, fake_tmdb, plex_has, payload, field
) -> None:
    response = api(member).post("/api/v1/requests/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert MediaRequest.objects.count() == 0


def test_an_exceeded_quota_is_a_400_and_nothing_is_queued(
    member, fake_tmdb, plex_has, settings
) -> None:
    settings.REQUEST_QUOTA_MOVIES = 0
    with mock.patch("requests_app.tasks.process_request_task.apply_async") as process:
        response = api(member).post(
            "/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, format="json"
        )
    assert response.status_code == 400
    assert "limit of 0 movies" in response.json()["non_field_errors"][0]
    process.assert_not_called()
    assert MediaRequest.objects.count() == 0


def test_a_member_cannot_see_cancel_or_approve_anothers_request(
    member, other_member, fake_tmdb, plex_has
) -> None:
    created = (
        api(member)
        .post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, format="json")
        .json()
    )
    url = f"/api/v1/requests/{created['id']}/"
    intruder = api(other_member)
    assert intruder.get(url).status_code == 404
    assert intruder.post(url + "cancel/").status_code == 404
    assert intruder.post(url + "approve/").status_code == 403
    assert intruder.get("/api/v1/requests/").json()["count"] == 0
    assert MediaRequest.objects.get().status == Status.PENDING


def test_staff_approve_and_decline_through_the_api(member, staff, fake_tmdb, plex_has) -> None:
    dune = (
        api(member)
        .post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, format="json")
        .json()
    )
    bb = (
        api(member)
        .post(
            "/api/v1/requests/",
            {"media_type": "tv", "tmdb_id": BREAKING_BAD.tmdb_id, "season": 1},
            format="json",
        )
        .json()
    )
    assert api(staff).post(f"/api/v1/requests/{dune['id']}/approve/").json()["status"] == "approved"
    declined = (
        api(staff)
        .post(f"/api/v1/requests/{bb['id']}/decline/", {"reason": "Too violent"}, format="json")
        .json()
    )
    assert (declined["status"], declined["status_reason"]) == ("declined", "Too violent")
    again = api(staff).post(f"/api/v1/requests/{dune['id']}/approve/")
    assert again.status_code == 409


def test_the_owner_cancels_and_sees_the_history(member, fake_tmdb, plex_has) -> None:
    created = (
        api(member)
        .post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, format="json")
        .json()
    )
    url = f"/api/v1/requests/{created['id']}/"
    assert api(member).post(url + "cancel/").json()["status"] == "cancelled"
    detail = api(member).get(url).json()
    assert [e["to_status"] for e in detail["events"]] == ["pending", "cancelled"]
    assert detail["progress"] is None


def test_task_status_is_shown_for_the_callers_own_request_only(
    trusted_member, other_member, fake_tmdb, plex_has
) -> None:
    created = (
        api(trusted_member)
        .post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": DUNE.tmdb_id}, format="json")
        .json()
    )
    task_id = created["celery_task_id"]
    assert api(trusted_member).get(f"/api/v1/tasks/{task_id}/").json()["status"] == "PENDING"
    TaskResult.objects.create(task_id=task_id, status="SUCCESS", result='"downloading"')
    assert api(trusted_member).get(f"/api/v1/tasks/{task_id}/").json()["status"] == "SUCCESS"
    assert api(other_member).get(f"/api/v1/tasks/{task_id}/").status_code == 404


def test_the_openapi_schema_validates() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/api/v1/requests/" in out.getvalue()


def _requests_of(user: AbstractUser, count: int) -> None:
    MediaRequest.objects.bulk_create(
        MediaRequest(
            requested_by=user,
            media_type="tv" if n % 2 else "movie",
            season=n if n % 2 else None,
            title=f"Title {n}",
            year=2000 + n % 20,
            tmdb_id=5_000 + n,
            status=Status.COMPLETED,
        )
        for n in range(count)
    )


def test_the_list_costs_the_same_queries_for_three_rows_or_a_full_page(
    member, other_member, staff, django_assert_num_queries
) -> None:
    _requests_of(member, 3)
    with django_assert_num_queries(3):  # count, page, requesters (force_authenticate: no token)
        assert len(api(staff).get("/api/v1/requests/").json()["results"]) == 3
    _requests_of(other_member, 120)
    with django_assert_num_queries(3):
        assert len(api(staff).get("/api/v1/requests/?page=2").json()["results"]) == 20


def test_a_list_page_holds_20_by_default_and_up_to_100_on_request(member, staff) -> None:
    _requests_of(member, 130)
    sizes = {
        query: len(api(staff).get(f"/api/v1/requests/{query}").json()["results"])
        for query in ("", "?page_size=50", "?page_size=1000", "?page=7")
    }
    assert sizes == {"": 20, "?page_size=50": 50, "?page_size=1000": 100, "?page=7": 10}
    newest_first = [r["id"] for r in api(staff).get("/api/v1/requests/").json()["results"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_the_list_shows_each_request_as_the_generic_serializer_would(member) -> None:
    from rest_framework import serializers

    from requests_app.serializers import MediaRequestSerializer

    _requests_of(member, 2)
    MediaRequest.objects.filter(media_type="tv").update(completed_at="2026-11-28T10:00:00Z")
    for request in MediaRequest.objects.all():
        fast = MediaRequestSerializer(request).data
        generic = serializers.ModelSerializer.to_representation(
            MediaRequestSerializer(request), request
        )
        assert fast == generic
        assert list(fast) == MediaRequestSerializer.Meta.fields
