"""Search as you type and the requests list as live cards (issue 17), rendered by Django."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from downloads.models import Download
from requests_app import flow, tmdb
from requests_app.models import MediaRequest, RequestEpisode, Status
from tests.requests_app.conftest import BREAKING_BAD, DUNE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tmdb_search(monkeypatch: pytest.MonkeyPatch) -> mock.MagicMock:
    """Answer every title search with Dune and Breaking Bad, recording the queries."""
    search = mock.MagicMock(return_value=[DUNE, BREAKING_BAD])
    monkeypatch.setattr(tmdb, "search", search)
    return search


def test_an_htmx_search_answers_only_the_results_with_a_type_badge_on_each(
    member, tmdb_search
) -> None:
    response = logged_in(member).get("/search/?q=du", **HTMX)
    page = response.content.decode()
    assert "<html" not in page and 'role="search"' not in page
    assert page.count('class="result"') == 2
    assert "Movie" in page and "TV show" in page
    assert f'href="/movie/{DUNE.tmdb_id}/"' in page
    assert f'href="/tv/{BREAKING_BAD.tmdb_id}/"' in page
    assert "HX-Request" in response["Vary"]
    tmdb_search.assert_called_once()
    assert tmdb_search.call_args.args[0] == "du"


def test_the_same_search_url_without_javascript_is_the_whole_page(member, tmdb_search) -> None:
    page = logged_in(member).get("/search/?q=dune").content.decode()
    assert "<html" in page
    assert 'role="search"' in page
    assert 'hx-trigger="input changed delay:400ms, search, submit"' in page
    assert 'action="/search/"' in page and 'method="get"' in page
    assert '<div id="results" aria-live="polite">' in page
    assert page.count('class="result"') == 2


def test_a_back_button_restore_gets_the_whole_page_even_from_htmx(member, tmdb_search) -> None:
    page = (
        logged_in(member)
        .get("/search/?q=dune", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
        .content.decode()
    )
    assert "<html" in page


@pytest.mark.parametrize("q", ["", "d", " d "])
def test_an_empty_or_one_letter_query_does_not_ask_tmdb(member, tmdb_search, q: str) -> None:
    page = logged_in(member).get("/search/", {"q": q}, **HTMX).content.decode()
    tmdb_search.assert_not_called()
    assert 'class="result"' not in page
    assert "Nothing found" not in page
    if q:
        assert "Type at least two letters." in page


def dune_for(member: AbstractUser) -> MediaRequest:
    return flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request


def test_staff_approve_in_place_and_get_the_card_back_approved(
    member, staff, fake_tmdb, plex_has
) -> None:
    request = dune_for(member)
    client = logged_in(staff)
    response = client.post(f"/requests/{request.pk}/approve/", {"next": "/requests/"}, **HTMX)
    assert response.status_code == 200
    card = response.content.decode()
    assert f'id="request-{request.pk}"' in card and "<html" not in card
    assert "Approved: Dune (2021)" in card and 'role="status"' in card
    assert '<span class="status status-approved">Approved</span>' in card
    assert "/approve/" not in card  # no buttons left on a request that is not pending
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    # The notice was shown on the card: it does not wait for the next page as well.
    assert "Approved: Dune" not in client.get("/requests/").content.decode()


def test_staff_decline_in_place_with_a_reason(member, staff, fake_tmdb, plex_has) -> None:
    request = dune_for(member)
    response = logged_in(staff).post(
        f"/requests/{request.pk}/decline/", {"reason": "We have it on DVD"}, **HTMX
    )
    card = response.content.decode()
    assert "Declined: Dune (2021)" in card
    assert "status-declined" in card
    request.refresh_from_db()
    assert (request.status, request.status_reason) == (Status.DECLINED, "We have it on DVD")


def test_approving_twice_in_place_says_it_no_longer_can(member, staff, fake_tmdb, plex_has) -> None:
    request = dune_for(member)
    client = logged_in(staff)
    client.post(f"/requests/{request.pk}/approve/", **HTMX)
    card = client.post(f"/requests/{request.pk}/approve/", **HTMX).content.decode()
    assert "Only a request awaiting approval can be approved." in card
    assert "status-approved" in card


def test_approve_without_javascript_still_redirects_back_with_a_message(
    member, staff, fake_tmdb, plex_has
) -> None:
    request = dune_for(member)
    response = logged_in(staff).post(
        f"/requests/{request.pk}/approve/", {"next": "/requests/"}, follow=True
    )
    assert response.redirect_chain == [("/requests/", 302)]
    assert "Approved: Dune (2021)" in response.content.decode()


def test_a_member_cannot_approve_in_place(member, other_member, fake_tmdb, plex_has) -> None:
    request = dune_for(member)
    for who in (member, other_member):
        assert logged_in(who).post(f"/requests/{request.pk}/approve/", **HTMX).status_code == 403
        assert logged_in(who).post(f"/requests/{request.pk}/decline/", **HTMX).status_code == 403
    request.refresh_from_db()
    assert request.status == Status.PENDING


def test_a_member_sees_cards_without_approve_buttons_or_requester(
    member, fake_tmdb, plex_has
) -> None:
    request = dune_for(member)
    page = logged_in(member).get("/requests/").content.decode()
    assert f'id="request-{request.pk}"' in page
    assert "/img/poster/w185/dune.jpg" in page  # through the image cache, not TMDB
    assert "Awaiting approval" in page
    assert "/approve/" not in page and "Asked by" not in page


def downloading(user: AbstractUser, n: int, *, season: bool = False) -> MediaRequest:
    """A request downloading at n times 10 %: a movie's one torrent or a season's two episodes."""
    request = MediaRequest.objects.create(
        requested_by=user,
        media_type="tv" if season else "movie",
        tmdb_id=1000 + n,
        season=1 if season else None,
        title=f"Title {n}",
        year=2000 + n,
        status=Status.DOWNLOADING,
        download_hash="" if season else f"{n:040x}",
    )
    hashes = [f"{n:039x}{k}" for k in (1, 2)] if season else [f"{n:040x}"]
    for k, info_hash in enumerate(hashes, start=1):
        Download.objects.create(
            info_hash=info_hash, size=1 << 30, state="downloading", progress=n / 10,
            owner_ref=f"request:{request.pk}", media_type=request.media_type, title=request.title,
        )  # fmt: skip
        if season:
            RequestEpisode.objects.create(
                request=request, number=k, state="downloading", download_hash=info_hash
            )
    return request


def list_queries(client: Client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/requests/").content.decode()
    return len(queries), page


def test_the_list_shows_each_downloads_bar_in_the_same_queries_for_2_or_20_rows(
    member, staff
) -> None:
    client = logged_in(staff)
    for n in (1, 2):
        downloading(member, n, season=n % 2 == 0)
    few, page = list_queries(client)
    assert 'aria-valuenow="10"' in page and 'aria-valuenow="20"' in page
    assert "Asked by ana" in page
    for n in range(3, 21):
        downloading(member, n, season=n % 2 == 0)
    many, page = list_queries(client)
    assert page.count('class="request-card"') == 20
    assert many == few


def test_the_list_polls_its_active_cards_in_one_request_and_stops_when_none_are(
    member, staff
) -> None:
    client = logged_in(staff)
    moving = downloading(member, 4)
    done = MediaRequest.objects.create(
        requested_by=member, media_type="movie", tmdb_id=9, title="Done", status=Status.COMPLETED
    )
    page = client.get("/requests/").content.decode()
    poller = re.search(r'<div id="list-live"[^>]*>', page).group(0)
    assert f'hx-get="/requests/live/?ids={moving.pk}"' in poller
    assert 'hx-trigger="every 3s"' in poller
    assert page.count("hx-get=") == 1  # one poll for the whole list, none per card

    Download.objects.filter(info_hash=moving.download_hash).update(progress=0.75)
    live = client.get(f"/requests/live/?ids={moving.pk},{done.pk}", **HTMX).content.decode()
    assert f'id="request-{moving.pk}" hx-swap-oob="true"' in live
    assert 'aria-valuenow="75"' in live

    MediaRequest.objects.filter(pk=moving.pk).update(status=Status.COMPLETED)
    live = client.get(f"/requests/live/?ids={moving.pk}", **HTMX).content.decode()
    assert "status-completed" in live
    assert "hx-get" not in live  # nothing active: the list stops polling


def test_the_live_fragment_shows_a_member_only_their_own_cards(member, other_member, staff) -> None:
    theirs = downloading(other_member, 5)
    live = logged_in(member).get(f"/requests/live/?ids={theirs.pk}", **HTMX).content.decode()
    assert f"request-{theirs.pk}" not in live and "Title 5" not in live


def test_the_cards_and_the_search_hint_speak_french_to_a_french_browser(
    member, staff, fake_tmdb, plex_has, tmdb_search
) -> None:
    dune_for(member)
    client = logged_in(staff)
    page = client.get("/requests/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Demandé par ana" in page and "Valider Dune (2021)" in page
    hint = client.get("/search/?q=d", HTTP_ACCEPT_LANGUAGE="fr", **HTMX).content.decode()
    assert "Tapez au moins deux lettres." in hint
