"""The "Play in Plex" link on title pages and completed requests: Plex's own link to the item."""

# The fixtures come from test_titles, so the tests name them as arguments again.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from library.server_identity import remember
from requests_app.models import Status
from tests.requests_app.test_titles import (  # noqa: F401 (fixtures are used by name)
    BREAKING_BAD,
    DUNE,
    MATRIX,
    ana,
    ask,
    put_episodes_in_plex,
    put_movie_in_plex,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]

SERVER = "0123456789abcdef0123456789abcdef01234567"
PLAY = ">Play in Plex</a>"


def page_of(user: AbstractUser, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def server_known() -> None:
    remember({"name": "Living room", "machine_identifier": SERVER, "version": "1.41"})


def test_a_movie_in_plex_links_to_it_in_plexs_web_app(tmdb_sim, ana, server_known) -> None:
    item = put_movie_in_plex(DUNE, "Dune", 2021)

    page = page_of(ana, f"/movie/{DUNE}/")

    link = (
        f"https://app.plex.tv/desktop/#!/server/{SERVER}/details"
        f"?key=%2Flibrary%2Fmetadata%2F{item.rating_key}"
    )
    assert f'href="{link}"' in page
    assert PLAY in page


def test_no_link_while_the_server_is_unknown(tmdb_sim, ana) -> None:
    put_movie_in_plex(DUNE, "Dune", 2021)

    page = page_of(ana, f"/movie/{DUNE}/")

    assert "In Plex" in page
    assert PLAY not in page


def test_no_link_for_a_movie_plex_does_not_have(tmdb_sim, ana, server_known) -> None:
    assert PLAY not in page_of(ana, f"/movie/{MATRIX}/")


def test_a_show_plex_has_in_part_links_to_the_show(tmdb_sim, ana, server_known) -> None:
    show = put_episodes_in_plex(BREAKING_BAD, "Breaking Bad", {1: 8, 2: 4})

    page = page_of(ana, f"/tv/{BREAKING_BAD}/")

    assert f"/details?key=%2Flibrary%2Fmetadata%2F{show.rating_key}" in page
    assert PLAY in page


def test_the_household_can_point_links_at_its_servers_own_web_app(
    tmdb_sim, ana, server_known, settings
) -> None:
    settings.PLEX_WEB_URL = "http://plex.lan:32400/web/index.html"
    item = put_movie_in_plex(DUNE, "Dune", 2021)

    page = page_of(ana, f"/movie/{DUNE}/")

    assert (
        f'href="http://plex.lan:32400/web/index.html#!/server/{SERVER}/details'
        f'?key=%2Flibrary%2Fmetadata%2F{item.rating_key}"'
    ) in page


def test_a_completed_request_links_to_what_plex_now_has(ana, server_known) -> None:
    item = put_movie_in_plex(DUNE, "Dune", 2021)
    done = ask(ana, DUNE, status=Status.COMPLETED)

    page = page_of(ana, f"/requests/{done.pk}/")

    assert f"key=%2Flibrary%2Fmetadata%2F{item.rating_key}" in page
    assert PLAY in page


def test_a_request_still_on_its_way_has_no_link(ana, server_known) -> None:
    put_movie_in_plex(DUNE, "Dune", 2021)  # e.g. Plex had it already while this one runs
    waiting = ask(ana, DUNE, status=Status.DOWNLOADING)

    assert PLAY not in page_of(ana, f"/requests/{waiting.pk}/")
