"""Fixtures for the request tests: people, a fake TMDB answer, a fake library."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper

from core import queueing as core_queueing
from downloads import queueing as downloads_queueing
from downloads.models import Download, Indexer, ReleaseCandidate
from library.models import LibraryItem, PlexSection
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app import flow, queueing, tmdb
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
def plex_has() -> Callable[[int], None]:
    """Put movies (by TMDB id) in the library mirror, where the real lookup finds them."""

    def add(tmdb_id: int) -> None:
        section, _ = PlexSection.objects.get_or_create(
            key="1", defaults={"type": "movie", "title": "Movies"}
        )
        LibraryItem.objects.create(
            section=section, rating_key=100_000 + tmdb_id, type="movie", title="In Plex",
            tmdb_id=tmdb_id,
        )  # fmt: skip

    return add


class _SentTask:
    """Stands in for a task looked up by name: records what would have been sent."""

    def __init__(self, record: mock.MagicMock) -> None:
        self.record = record

    def apply_async(self, args: list[object] = (), task_id: str | None = None, **_: object) -> None:
        self.record(*args, **({"task_id": task_id} if task_id else {}))


@pytest.fixture
def queued() -> Iterator[mock.MagicMock]:
    """Capture the tasks request code queues (by name, after the commit) instead of sending."""
    sent: dict[str, mock.MagicMock] = defaultdict(mock.MagicMock)
    with mock.patch.object(core_queueing, "task_named", lambda name: _SentTask(sent[name])):
        yield mock.MagicMock(
            process=sent[queueing.SEARCH],
            notify=sent[queueing.NOTIFY],
            notify_episodes=sent[queueing.NOTIFY_EPISODES],
            stop=sent[downloads_queueing.STOP],
            complete=sent[queueing.COMPLETE],
            fail_over=sent[queueing.FAILOVER],
            match=sent[queueing.MATCH_LIBRARY],
            refresh_episodes=sent[queueing.REFRESH_EPISODES],
        )


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
        mock.patch.object(core_queueing, "task_named", lambda name: _SentTask(mock.MagicMock())),
    ):
        yield started


def approved_dune(user: object) -> MediaRequest:
    return flow.create_request(user=user, media_type="movie", tmdb_id=DUNE.tmdb_id).request


@pytest.fixture
def tmdb_sim(settings: SettingsWrapper) -> Iterator[TMDBSimulatorServer]:
    """Start a TMDB simulator and point the client at it, with an empty cache."""
    server, base_url = start_tmdb_simulator()
    settings.TMDB_URL = base_url
    settings.TMDB_API_KEY = DEFAULT_API_KEY
    settings.TMDB_TIMEOUT = 2.0
    cache.clear()
    yield server
    server.stop()
    cache.clear()
