"""qBittorrent's "torrent finished" call: POST /api/v1/downloads/finished/ with the hook token.

What qBittorrent's line sends (`curl -X POST -H "Authorization: Bearer …" -d hash=%I`) is
what these tests send: a form body and a header, from a client that enforces CSRF.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token

from downloads.api import HookRateThrottle
from downloads.models import Download

pytestmark = pytest.mark.django_db

URL = "/api/v1/downloads/finished/"
HOOK_TOKEN = "test-hook-token-0123456789abcdef"
S = Download.State


@pytest.fixture(autouse=True)
def hook_token(settings: Any) -> str:
    settings.QBITTORRENT_HOOK_TOKEN = HOOK_TOKEN
    cache.clear()  # the rate's history lives in the cache
    return HOOK_TOKEN


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the checks the endpoint queues instead of sending them to the broker."""
    queued: list[str] = []
    monkeypatch.setattr(
        "downloads.tasks.check_download_task.apply_async",
        lambda args, **options: queued.append(*args),
    )
    return queued


def download(n: int, state: str = S.DOWNLOADING) -> Download:
    return Download.objects.create(
        info_hash=f"{n:02x}" * 20,
        release_title=f"Film.{n}.2020.1080p-GRP",
        media_type="movie",
        title=f"Film {n}",
        state=state,
        progress=0.5,
    )


@pytest.fixture
def post(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Any]:
    """POST as qBittorrent's curl line does; `client` defaults to one enforcing CSRF."""

    def send(
        info_hash: str,
        authorization: str | None = f"Bearer {HOOK_TOKEN}",
        client: Client | None = None,
    ) -> Any:
        headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or Client(enforce_csrf_checks=True)).post(
                URL,
                urlencode({"hash": info_hash}),
                content_type="application/x-www-form-urlencoded",
                **headers,
            )

    return send


def rows() -> list[tuple]:
    return list(Download.objects.values_list("pk", "state", "progress", "updated_at"))


def test_the_call_queues_the_check_of_that_download_only(post, checks: list[str]) -> None:
    finished, other = download(1), download(2)

    answer = post(finished.info_hash)

    assert answer.status_code == 202, answer.content
    assert answer.json() == {"queued": True, "download": finished.pk}
    assert checks == [finished.info_hash]
    assert other.info_hash not in checks


def test_the_hash_is_read_whatever_its_case(post, checks: list[str]) -> None:
    finished = download(0xAB)
    assert post(finished.info_hash.upper()).status_code == 202
    assert checks == [finished.info_hash]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer wrong-token-0123456789abcdef",
        f"Bearer {HOOK_TOKEN}x",
        f"Bearer {HOOK_TOKEN[:-1]}",
        f"Bearer {HOOK_TOKEN} extra",
        f"Token {HOOK_TOKEN}",
        f"Basic {HOOK_TOKEN}",
        HOOK_TOKEN,
    ],
)
def test_a_missing_or_wrong_token_is_refused_and_changes_nothing(
    post, checks: list[str], authorization: str | None
) -> None:
    finished = download(1)
    before = rows()

    answer = post(finished.info_hash, authorization)

    assert answer.status_code == 403
    assert checks == []
    assert rows() == before


def test_a_members_api_token_or_a_staff_login_is_not_the_hook_token(
    post, checks: list[str]
) -> None:
    finished = download(1)
    member = get_user_model().objects.create_user("ana", password="pw-ana-123")
    staff = get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True)
    logged_in = Client(enforce_csrf_checks=True)
    logged_in.force_login(staff)

    by_token = post(finished.info_hash, f"Token {Token.objects.create(user=member).key}")
    by_session = post(finished.info_hash, None, client=logged_in)

    assert (by_token.status_code, by_session.status_code) == (403, 403)
    assert checks == []


def test_the_token_needs_no_csrf_token_where_a_login_still_does(post, checks: list[str]) -> None:
    finished = download(1)
    staff = get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True)
    logged_in = Client(enforce_csrf_checks=True)
    logged_in.force_login(staff)

    # The same CSRF-enforcing client, logged in: the hook's token works without a CSRF
    # token, while the rest of the API still refuses the session's post without one.
    hook_answer = post(finished.info_hash, client=logged_in)
    elsewhere = logged_in.post("/api/v1/requests/", {"media_type": "movie", "tmdb_id": 1})

    assert hook_answer.status_code == 202
    assert elsewhere.status_code == 403 and "CSRF" in elsewhere.content.decode()
    assert checks == [finished.info_hash]


def test_a_hash_the_app_never_had_is_404_and_queues_nothing(post, checks: list[str]) -> None:
    download(1)
    before = rows()

    answer = post("ff" * 20)  # a household's own torrent in the same qBittorrent

    assert answer.status_code == 404
    assert checks == []
    assert rows() == before


@pytest.mark.parametrize("state", [S.COMPLETED, S.IMPORTING, S.IMPORTED, S.FAILED, S.CANCELLED])
def test_a_download_past_downloading_is_left_as_it_is(post, checks: list[str], state: str) -> None:
    done = download(1, state)
    before = rows()

    answer = post(done.info_hash)

    assert answer.status_code == 200
    assert answer.json() == {"queued": False, "state": state}
    assert checks == []
    assert rows() == before


@pytest.mark.parametrize("value", ["", "-", "xyz", "ab" * 19, "ab" * 21, "../../" + "a" * 34])
def test_what_is_not_an_info_hash_is_a_400(post, checks: list[str], value: str) -> None:
    download(1)
    answer = post(value)
    assert answer.status_code == 400
    assert "hash" in answer.json()
    assert checks == []


def test_calls_beyond_the_rate_are_refused_wrong_tokens_counted_too(
    post, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HookRateThrottle, "THROTTLE_RATES", {"qbittorrent_hook": "3/minute"})
    finished = download(1)

    answers = [
        post(finished.info_hash, "Bearer guess-0123456789abcdefghij").status_code,
        post(finished.info_hash, "Bearer guess-abcdefghij0123456789").status_code,
        post(finished.info_hash).status_code,
        post(finished.info_hash).status_code,
        post(finished.info_hash, "Bearer guess-9876543210abcdefghij").status_code,
    ]

    assert answers == [403, 403, 202, 429, 429]
    assert checks == [finished.info_hash]


def test_the_token_never_reaches_the_logs(
    post, checks: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    finished = download(1)

    post(finished.info_hash)
    post(finished.info_hash, f"Bearer {HOOK_TOKEN}x")
    post("ff" * 20)
    post("not-a-hash")

    assert caplog.records, "nothing was logged: the assertion below would hold for nothing"
    assert HOOK_TOKEN not in caplog.text
    assert f"download {finished.pk} finished in qBittorrent" in caplog.text
