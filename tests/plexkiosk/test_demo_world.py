"""The demo's world airs a season: TMDB dates its episodes and the indexer offers each once aired.

The simulators run over real HTTP on a clock the test moves; the app's own TMDB client reads
the season and says what has aired by the app's real clock, as the demo's processes do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from pytest_django.fixtures import Settings as SettingsWrapper

from core.scheduling import default_jobs, ensure_jobs
from plexkiosk import demo
from plexkiosk.simulators import demo_catalogue
from plexkiosk.simulators.demo_world import DemoWorld
from requests_app import tmdb
from tests.plexkiosk.helpers import bare_env, manage
from tests.processes import wait_for

SEVERANCE = demo_catalogue.AIRING_TV_ID
INDEXER_KEY = "demo-test-key"


class Clock:
    """The simulators' clock, from the real now, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path: Path, clock: Clock, settings: SettingsWrapper) -> Iterator[DemoWorld]:
    """The demo's world on free ports, the app's TMDB client pointed at its TMDB."""
    started = DemoWorld.start(
        {"plex": 0, "tmdb": 0, "qbittorrent": 0},
        plex_token="t",
        movie_root=str(tmp_path / "Movies"),
        tv_root=str(tmp_path / "TV"),
        qbittorrent_login=("admin", "pw"),
        indexer_key=INDEXER_KEY,
        download_seconds=30,
        clock=clock,
    )
    settings.TMDB_URL, settings.TMDB_API_KEY = started.tmdb.base_url, started.tmdb.api_key
    cache.clear()
    yield started
    started.stop()
    cache.clear()


def aired_by_tmdb() -> list[int]:
    """Return the episodes of season 3 that the app counts as aired now, reading TMDB afresh."""
    season = tmdb.season(SEVERANCE, demo_catalogue.AIRING_SEASON, refresh=True)
    return [e.episode_number for e in tmdb.aired_episodes(season, now=timezone.now())]


def offered(world: DemoWorld) -> list[str]:
    """Return the titles the indexer answers to a search for season 3, as the app searches."""
    answer = requests.get(
        world.torznab.url,
        params={
            "t": "tvsearch",
            "apikey": INDEXER_KEY,
            "tvdbid": demo_catalogue.AIRING_TVDB_ID,
            "season": demo_catalogue.AIRING_SEASON,
        },
        timeout=5,
    )
    return re.findall(r"<title>(Severance[^<]*)</title>", answer.text)


def episode_numbers(titles: list[str]) -> list[int]:
    return sorted(int(re.search(r"S03E(\d\d)", title)[1]) for title in titles)


def test_the_demo_opens_with_two_episodes_of_severance_season_three_aired(
    world: DemoWorld,
) -> None:
    assert aired_by_tmdb() == [1, 2]
    season = tmdb.season(SEVERANCE, 3, refresh=True)
    assert len(season.episodes) == 8
    # Only what has aired is on the indexer: a release of an unaired episode does not exist.
    assert episode_numbers(offered(world)) == [1, 2]


def test_each_episode_airs_two_minutes_after_the_last_and_is_offered_from_then_on(
    world: DemoWorld, clock: Clock
) -> None:
    clock.advance(timedelta(seconds=55))  # episode 3 airs a minute after the start
    world.feed.publish_aired()
    assert aired_by_tmdb() == [1, 2]
    assert episode_numbers(offered(world)) == [1, 2]

    clock.advance(timedelta(seconds=5))  # the very moment it airs: a search finds it
    world.feed.publish_aired()
    assert aired_by_tmdb() == [1, 2, 3]
    assert episode_numbers(offered(world)) == [1, 2, 3]

    clock.advance(timedelta(minutes=2))
    world.feed.publish_aired()
    assert aired_by_tmdb() == [1, 2, 3, 4]
    assert episode_numbers(offered(world)) == [1, 2, 3, 4]


def test_the_feed_has_an_episode_on_the_indexer_by_the_moment_it_airs(
    world: DemoWorld, clock: Clock
) -> None:
    # Half a second before episode 3 airs: the feed's thread alone puts it on the indexer,
    # so a search the app makes the instant TMDB says it aired cannot miss it.
    clock.advance(timedelta(seconds=59.5))
    wait_for(
        lambda: 3 in episode_numbers(offered(world)), 5, what="episode 3 on the indexer", every=0.2
    )
    assert episode_numbers(offered(world)) == [1, 2, 3]
    assert aired_by_tmdb() == [1, 2]


def test_the_whole_season_has_aired_twelve_minutes_in(world: DemoWorld, clock: Clock) -> None:
    clock.advance(timedelta(minutes=12))  # episode 8: start - 3 min + 7 * 2 min
    world.feed.publish_aired()
    assert aired_by_tmdb() == list(range(1, 9))
    assert episode_numbers(offered(world)) == list(range(1, 9))
    details = requests.get(
        f"{world.tmdb.base_url}/tv/{SEVERANCE}", params={"api_key": world.tmdb.api_key}, timeout=5
    ).json()
    assert details["number_of_seasons"] == 3  # season 3 is listed, so it can be requested


def test_the_intro_names_the_show_on_the_air_and_when_the_next_episode_airs(
    world: DemoWorld,
) -> None:
    intro = demo.airing_intro(world)
    assert "On the air: Severance season 3, an episode every 2 minutes" in intro
    assert re.search(r"2 of 8 aired, episode 3 in (5\d|60) s", intro), intro
    assert "Search 'Severance', pick season 3" in intro


def test_the_demo_processes_read_tmdb_again_every_minute_for_a_season_on_the_air(
    tmp_path: Path,
) -> None:
    env = demo.demo_environment(tmp_path, {"plex": 1, "tmdb": 2, "qbittorrent": 3}, "key")
    assert env["TV_AIRING_CHECK_MINUTES"] == "1"
    shown = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.TV_AIRING_CHECK_MINUTES)",
        env=bare_env(**env),
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "1"


@pytest.mark.django_db
def test_the_demo_searches_due_requests_every_twenty_seconds() -> None:
    ensure_jobs(default_jobs())
    demo.speed_up_schedule()
    rows = {row.name: row for row in PeriodicTask.objects.select_related("interval")}
    every = {
        name: (rows[name].interval.every, rows[name].interval.period) for name in demo.FAST_ROWS
    }
    assert every == {"download-monitor": (2, "seconds"), "search-due-requests": (20, "seconds")}
    assert rows["search-due-requests"].crontab is None
    # The other rows keep their defaults.
    assert rows["recover-requests"].interval.every == 600
