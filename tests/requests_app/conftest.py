"""Fixtures for the request tests: people, a fake TMDB answer, a fake library."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from downloads.models import Download, Indexer, ReleaseCandidate
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app import flow, tmdb
from requests_app.models import MediaRequest, Profile

DUNE = tmdb.TitleResult(
    media_type="movie",
    tmdb_id=438631,
    title="Dune",
    year=2021,
    overview="Paul Atreides…",
    poster_url="https://image.tmdb.org/t/p/w342/dune.jpg",
    imdb_id="tt1160419",
    aliases=("Dune: Part One",),
)
BREAKING_BAD = tmdb.TitleResult(
    media_type="tv",
    tmdb_id=1396,
    title="Breaking Bad",
    year=2008,
    overview="",
    poster_url="",
    tvdb_id=81189,
    seasons=(1, 2, 3, 4, 5),
)
CATALOGUE = {("movie", DUNE.tmdb_id): DUNE, ("tv", BREAKING_BAD.tmdb_id): BREAKING_BAD}


@pytest.fixture
def member(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ana", password="pw-ana-123")


@pytest.fixture
def other_member(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("ben", password="pw-ben-123")


@pytest.fixture
def trusted_member(db: None) -> AbstractUser:
    user = get_user_model().objects.create_user("cleo", password="pw-cleo-123")
    Profile.objects.create(user=user, auto_approve=True)
    return user


@pytest.fixture
def staff(db: None) -> AbstractUser:
    return get_user_model().objects.create_user("sam", password="pw-sam-123", is_staff=True)


@pytest.fixture
def fake_tmdb(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Answer title details from a small catalogue instead of TMDB."""

    def details(media_type: str, tmdb_id: int) -> tmdb.TitleResult:
        try:
            return CATALOGUE[(media_type, tmdb_id)]
        except KeyError:
            raise tmdb.TMDBError("not found", temporary=False) from None

    monkeypatch.setattr(tmdb, "details", details)
    return CATALOGUE


@pytest.fixture
def plex_has(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Say which TMDB ids the library mirror holds (none unless told)."""
    held: set[int] = set()
    monkeypatch.setattr(flow, "library_has", lambda info, season: info.tmdb_id in held)
    return held.add


@pytest.fixture
def queued() -> Iterator[mock.MagicMock]:
    """Capture tasks queued by the flow instead of sending them."""
    with (
        mock.patch("requests_app.tasks.process_request_task.apply_async") as process,
        mock.patch("requests_app.tasks.notify_request_task.delay") as notify,
        mock.patch("requests_app.flow.stop_download_later") as stop,
    ):
        yield mock.MagicMock(process=process, notify=notify, stop=stop)


DUNE_IDS = {"imdb_id": "tt1160419", "tmdb_id": 438631}


@pytest.fixture
def indexer() -> Iterator[TorznabSimulator]:
    """A simulated indexer with two acceptable Dune releases (and a camera rip)."""
    releases = [
        SimRelease("Dune.2021.1080p.BluRay.x264-FIRST", int(10 * GB), 500, **DUNE_IDS),
        SimRelease("Dune.2021.1080p.WEB-DL.DDP5.1.H.264-SECOND", int(6 * GB), 200, **DUNE_IDS),
        SimRelease("Dune.2021.HDCAM.x264-CAM", int(1.5 * GB), 900, **DUNE_IDS),
    ]
    with TorznabSimulator(releases, api_key="k") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        yield simulator


@pytest.fixture
def qbittorrent() -> Iterator[list[ReleaseCandidate]]:
    """Stand in for the hand-over to qBittorrent: record what was started."""
    started: list[ReleaseCandidate] = []

    def start(*, candidate: ReleaseCandidate, owner_ref: str, media: object) -> Download:
        started.append(candidate)
        return Download.objects.create(
            info_hash=candidate.info_hash,
            release_title=candidate.title,
            owner_ref=owner_ref,
            media_type="movie",
            title="Dune",
            year=2021,
            state="downloading",
        )

    with (
        mock.patch("downloads.lifecycle.start_download", side_effect=start),
        mock.patch("requests_app.tasks.notify_request_task.delay"),
        mock.patch("requests_app.tasks.process_request_task.apply_async"),
    ):
        yield started


def approved_dune(user: object) -> MediaRequest:
    return flow.create_request(user=user, media_type="movie", tmdb_id=DUNE.tmdb_id).request
