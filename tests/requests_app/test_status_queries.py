"""The live part of a request's page, polled every 3 s while it moves: what it reads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from downloads.models import Download
from requests_app import episodes
from requests_app.models import EpisodeState, MediaRequest, Status

pytestmark = pytest.mark.django_db


def downloading(user: AbstractUser, n: int, **fields: object) -> MediaRequest:
    info_hash = f"{n:040d}"
    Download.objects.create(
        info_hash=info_hash, release_title=f"Title.{n}.1080p", size=4 << 30,
        state="downloading", progress=0.25, dlspeed=1 << 20, eta=600, owner_ref="request:x",
        media_type=fields.get("media_type", "movie"), title=f"Title {n}",
    )  # fmt: skip
    return MediaRequest.objects.create(
        requested_by=user, tmdb_id=1000 + n, title=f"Title {n}", status=Status.DOWNLOADING,
        download_hash=info_hash, **{"media_type": "movie", **fields},
    )  # fmt: skip


def test_a_movie_has_no_episodes_to_read(member: AbstractUser) -> None:
    movie = downloading(member, 1)

    with CaptureQueriesContext(connection) as queries:
        assert episodes.shown(movie) == []
        assert episodes.summary(movie) is None

    assert len(queries) == 0


def test_a_movies_polled_status_shows_its_bar_reading_only_the_request_and_its_download(
    member: AbstractUser,
) -> None:
    movie = downloading(member, 1)
    season = downloading(member, 2, media_type="tv", season=1)
    season.episodes.create(number=1, state=EpisodeState.IN_PLEX)
    client = Client()
    client.force_login(member)

    with CaptureQueriesContext(connection) as for_movie:
        movie_part = client.get(f"/requests/{movie.pk}/status/").content.decode()
    with CaptureQueriesContext(connection) as for_season:
        season_part = client.get(f"/requests/{season.pk}/status/").content.decode()

    assert 'aria-valuenow="25"' in movie_part
    assert 'aria-valuenow="25"' in season_part
    assert "In Plex" in season_part  # its episode 1
    # The session, the person, the request, its download; a season reads its episodes too.
    assert len(for_movie) == 4 < len(for_season)
