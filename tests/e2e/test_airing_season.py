"""A season on the air, end to end, through the real processes and a real qBittorrent.

The web server, a Celery worker and Celery beat run as child processes; qBittorrent is
Debian's qbittorrent-nox with a seeder beside it; Plex (with its scanner), the indexer
and TMDB are simulators. TMDB runs in the test process on a clock the test moves: two
episodes of Severance's season 3 have aired, the third airs when the test says so. The
test only talks to the app over HTTP and never touches the request once it is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from downloads.models import QualityProfile
from plexkiosk.simulators.tmdb import AiringSeason
from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture, require_qbittorrent  # noqa: F401
from tests.e2e.test_request_flow import api, prepare_database, report_timing
from tests.e2e.world import World
from tests.processes import Stack, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("default_schedule")]

SEVERANCE = {"tmdb_id": 95396, "tvdb_id": 371980}
SEASON = 3
EVERY = timedelta(minutes=10)
# The planner's per-episode sizes are fixed defaults (downloads/episode_plan.py, not in the
# profile); the smallest minimum is 0.03 GB at 360p, so the test's episodes are 360p files
# just above it, and the profile lists 360p.
EPISODE_SIZE = 32 << 20
SEARCH_DUE_EVERY = 5  # seconds: the search-due-requests row, 900 s by default
# E02 is seeded at 1 MB/s (~32 s, two or three monitor passes: its bar moves), E01 at full
# speed: E01 reaches Plex alone, well before E02, so the first message names it alone.
SLOW_SEEDING = 1 << 20


class Clock:
    """TMDB's clock: still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Airing:
    """The world, with Severance season 3 on the air by `clock`."""

    world: World
    clock: Clock
    season: AiringSeason

    def air_episode(self, number: int) -> None:
        """Move TMDB's clock just past the moment the episode airs."""
        self.clock.now = self.season.airs_at(number) + timedelta(seconds=1)


@pytest.fixture
def airing(tmp_path: Path, qbt_pair: QbtPair) -> Iterator[Airing]:
    """Put Severance season 3 on the air, with E01 and E02 aired and E03 not yet."""
    # Episodes air 30, 20 and 10 minutes before now by the real clock; TMDB's clock stands 5
    # minutes before E03. The app judges "aired" by its own clock from the day TMDB serves:
    # with the whole schedule in the real past, moving TMDB's clock past E03 makes it aired
    # for the app at once, whatever the hour of the day (no midnight flake).
    world = World(tmp_path / "world", qbt_pair)
    started = datetime.now(UTC)
    season = AiringSeason(SEVERANCE["tmdb_id"], SEASON, started - 3 * EVERY, EVERY, episodes=3)
    clock = Clock(season.airs_at(3) - timedelta(minutes=5))
    world.tmdb.clock = clock
    world.tmdb.air(season)
    yield Airing(world, clock, season)
    world.stop()


def prepare_season_database(world: World) -> str:
    """The film test's admin setup, plus 360p accepted and the due searches every 5 s."""
    token = prepare_database(world)
    QualityProfile.objects.filter(is_default=True).update(resolutions=["360p"])
    every, _ = IntervalSchedule.objects.get_or_create(every=SEARCH_DUE_EVERY, period="seconds")
    PeriodicTask.objects.filter(name="search-due-requests").update(interval=every, crontab=None)
    PeriodicTasks.update_changed()
    return token


def episode_name(number: int) -> str:
    """Name one episode's release as a group would."""
    return f"Severance.S{SEASON:02d}E{number:02d}.360p.WEB-DL.x264-E2E.mkv"


def states(answer: dict) -> dict[int, str]:
    """Return each episode's state in an API answer, by number."""
    return {e["number"]: e["state"] for e in answer["episodes"]}


def watch(
    session: requests.Session,
    request_id: int,
    until: Callable[[dict], bool],
    timeout: float,
    what: str,
    seen: list[dict],
) -> dict:
    """Poll the request's detail until `until(answer)`, keeping every answer in `seen`."""

    def reached() -> dict | None:
        body = session.get(f"{session.base}/api/v1/requests/{request_id}/", timeout=5).json()
        seen.append(body)
        if body["status"] in ("failed", "cancelled", "declined"):
            raise AssertionError(f"the request ended {body['status']}: {body}")
        return body if until(body) else None

    return wait_for(
        reached,
        timeout,
        what=what,
        logs=[lambda: f"last answer: {seen[-1] if seen else None}"],
        every=0.3,
    )


def test_an_airing_season_downloads_the_aired_episodes_then_each_new_one_until_complete(
    stack: Stack, airing: Airing
) -> None:
    require_qbittorrent()
    world = airing.world
    token = prepare_season_database(world)
    ids = {**SEVERANCE, "season": SEASON, "category": 5000}
    # Every episode's release is on the indexer from the start: only the schedule holds E03.
    releases = {n: world.offer(episode_name(n), EPISODE_SIZE, **ids) for n in (1, 2, 3)}
    world.qbt.seeder.api.torrents_set_upload_limit(
        limit=SLOW_SEEDING, torrent_hashes=releases[2].info_hash
    )
    stack.env.update(world.env(), TV_AIRING_CHECK_MINUTES="1")
    base = stack.web()
    stack.worker()
    stack.beat()
    session = api(base, token)

    requested_at = time.time()
    created = session.post(
        f"{base}/api/v1/requests/",
        json={"media_type": "tv", "tmdb_id": SEVERANCE["tmdb_id"], "season": SEASON},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]

    # Episodes 1 and 2 have aired: both are fetched, filed and in Plex; 3 waits.
    seen: list[dict] = []
    following = watch(
        session,
        request_id,
        lambda a: a["status"] == "following",
        timeout=240,
        what="E01 and E02 in Plex and the request following the season",
        seen=seen,
    )
    report_timing("season request -> 2 aired episodes in Plex (s)", time.time() - requested_at)
    assert states(following) == {1: "in_plex", 2: "in_plex", 3: "not_aired"}, following
    assert "2 of 3 in Plex" in following["status_reason"], following["status_reason"]
    # (The first answers may come before TMDB's episodes are read: no rows yet.)
    assert all(states(a).get(3, "not_aired") == "not_aired" for a in seen), [
        states(a) for a in seen
    ]
    downloading = [
        e for a in seen for e in a["episodes"] if e["state"] == "downloading" and e["progress"]
    ]
    assert {e["number"] for e in downloading} == {1, 2}, [states(a) for a in seen]
    percents = [e["progress"]["percent"] for e in downloading]
    assert any(0 < p < 100 for p in percents), percents  # the bars moved while downloading
    season_folder = world.tv / "Severance (2022)" / "Season 03"
    for n in (1, 2):
        filed = list(season_folder.glob(f"*S03E{n:02d}*"))
        assert [f.stat().st_size for f in filed] == [EPISODE_SIZE], (filed, stack.logs_text())
    held = {t.hash for t in world.qbt.client.api.torrents_info()}
    assert held == {releases[1].info_hash, releases[2].info_hash}, "E03 fetched before it aired?"

    # Episode 3 airs; nobody touches the request: the next due search finds it.
    airing.air_episode(3)
    aired_at = time.time()
    searched = watch(
        session,
        request_id,
        lambda a: states(a).get(3) not in ("not_aired", "wanted"),
        timeout=120,
        what="E03 searched for and started after it aired",
        seen=seen,
    )
    report_timing("episode 3 airs -> its download starts (s)", time.time() - aired_at)
    assert states(searched)[3] in ("downloading", "in_plex"), searched
    completed = watch(
        session,
        request_id,
        lambda a: a["status"] == "completed",
        timeout=240,
        what="E03 found after it aired, in Plex, and the season completed",
        seen=seen,
    )
    report_timing("episode 3 airs -> E03 in Plex, season completed (s)", time.time() - aired_at)
    assert states(completed) == {1: "in_plex", 2: "in_plex", 3: "in_plex"}, completed
    assert completed["status_reason"] == "Every episode of season 3 is in Plex.", completed
    filed = list(season_folder.glob("*S03E03*"))
    assert [f.stat().st_size for f in filed] == [EPISODE_SIZE], filed
    history = [e["to_status"] for e in completed["events"]]
    # Following while E03 had not aired, completed once it was in Plex; never "not found".
    assert history[-1] == "completed" and "following" in history[:-1], history
    assert "not_found" not in history, history
    # Plex is asked to scan the season's folder, not the whole show or library.
    assert world.plex.refreshes, "Plex was never asked to scan"
    assert {path.rstrip("/") for _, path in world.plex.refreshes} == {str(season_folder)}, (
        world.plex.refreshes
    )

    # Told twice: the first episode at once, then the season; E02 (held for the day's
    # digest) and E03 (arriving with the season's end) are not told one by one.
    complete = "Season 3 of Severance is complete"

    def told_complete() -> bool:
        return any(n.get("title") == complete for n in world.sink.received)

    wait_for(
        told_complete,
        30,
        what="the requester told the season is complete",
        logs=[lambda: f"notifications: {world.sink.received}", stack.logs_text],
    )
    titles = [n.get("title", "") for n in world.sink.received]
    assert len(titles) == 2, titles
    assert titles[0] == "Severance S03E01 is in Plex", titles
    assert titles[1] == complete, titles
