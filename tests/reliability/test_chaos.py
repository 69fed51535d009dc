"""Chaos during the end-to-end flow: one of the app's processes or servers SIGKILLed at a
random moment while a household's three films are fetched, then started again.

Each run is the app's real processes (gunicorn, a Celery worker, Celery beat) on a private
Redis (append-only) and a private PostgreSQL, a real qbittorrent-nox pair, simulated Plex
(with its scanner), TMDB and indexer, and a notification sink. Three films are asked for
at once over the API; at a moment drawn from `random.Random(seed)` the victim is killed
(kill -9 of its whole process group, or PostgreSQL's immediate stop, a crash), left down
a few seconds and started again on the same port and data. Every film must still end
*completed*, with one torrent, one file, one "is in Plex" notification and one Download.

The seed is printed; `CHAOS_SEED=<seed> pytest tests/reliability/test_chaos.py -k <victim>`
replays a run's kill moment.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.db import connections
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from downloads.models import Download
from requests_app.models import MediaRequest, owner_ref
from tests.conftest import process_env, requires_services
from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture, require_qbittorrent  # noqa: F401
from tests.e2e.test_request_flow import api, prepare_database
from tests.e2e.world import World
from tests.processes import Child, Stack, wait_for
from tests.reliability.servers import PostgresCluster, RedisServer, migrated_cluster

pytestmark = [requires_services, pytest.mark.slow]

TEMPLATE = "chaos_template"
VICTIMS = ["gunicorn", "worker", "beat", "redis", "postgresql"]


@dataclass(frozen=True)
class Film:
    tmdb_id: int
    imdb_id: str
    title: str
    year: int

    @property
    def name(self) -> str:
        """The film's folder, file and notice name: "Dune (2021)"."""
        return f"{self.title} ({self.year})"


FILMS = [
    Film(438631, "tt1160419", "Dune", 2021),
    Film(335984, "tt1856101", "Blade Runner 2049", 2017),
    Film(27205, "tt1375666", "Inception", 2010),
]
SIZE = 6 << 20
SEEDER_RATE = 2 << 20  # bytes/s per film: each download spans a few seconds
MONITOR_EVERY = 5  # seconds: the polling safety net behind qBittorrent's push
KILL_WITHIN = 10.0  # seconds after the requests: about the length of an untroubled flow
DOWN_FOR = 3.0  # seconds the victim stays dead
FINISH_WITHIN = 75.0  # seconds after the restart


@pytest.fixture(scope="module")
def cluster(django_db_blocker: Any) -> Iterator[PostgresCluster]:
    """A private PostgreSQL holding one migrated template that each run copies."""
    with migrated_cluster(TEMPLATE, django_db_blocker) as pg:
        yield pg


@pytest.fixture
def database(cluster: PostgresCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh copy of the template for one run; the test's own connection uses it."""
    name = f"chaos_{request.node.callspec.id}"
    default = connections["default"]
    default.close()  # a template with a session open cannot be copied
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    default.settings_dict["NAME"] = name
    yield name
    default.close()
    default.settings_dict["NAME"] = TEMPLATE


@pytest.fixture
def broker() -> Iterator[RedisServer]:
    """A private Redis with the append-only file, as docker/compose.yml runs it."""
    server = RedisServer(appendonly=True)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def world(tmp_path: Path, qbt_pair: QbtPair) -> Iterator[World]:
    built = World(tmp_path / "world", qbt_pair)
    yield built
    built.stop()
    client = qbt_pair.client.api
    client.app_set_preferences(prefs={"autorun_enabled": False, "autorun_program": ""})
    client.torrents_delete(delete_files=True, torrent_hashes="all")


@pytest.fixture
def stack(
    tmp_path: Path,
    cluster: PostgresCluster,
    database: str,
    broker: RedisServer,
    request: pytest.FixtureRequest,
) -> Iterator[Stack]:
    """The app's processes on the private database and broker; their logs show on failure."""
    logs = tmp_path / "logs"
    logs.mkdir()
    env = process_env(
        DATABASE_URL=cluster.url(database),
        CELERY_BROKER_URL=broker.url,
        # A worker killed whole gives its messages back once its heartbeat is 3 s stale.
        WORKER_HEARTBEAT_SECONDS="1",
        WORKER_DEAD_AFTER_SECONDS="3",
    )
    running = Stack(env, logs)
    yield running
    running.stop()
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        print(running.logs_text())
        print(f"--- redis ---\n{broker.log()[-2000:]}")
        print(f"--- postgresql ---\n{cluster.log()[-3000:]}")


def seed() -> int:
    """The run's seed: CHAOS_SEED to replay one, else a new one (printed by the test)."""
    given = os.environ.get("CHAOS_SEED")
    return int(given) if given else random.SystemRandom().randrange(1 << 32)


def kill_group(child: Child) -> None:
    """kill -9 a process and all its children (gunicorn's or Celery's workers)."""
    os.killpg(child.proc.pid, signal.SIGKILL)
    child.proc.wait()


class Victim:
    """Kill one part of the running household and start it again as it was."""

    def __init__(
        self, name: str, stack: Stack, broker: RedisServer, cluster: PostgresCluster
    ) -> None:
        self.name = name
        self.stack = stack
        self.broker = broker
        self.cluster = cluster
        self.port = int(stack.base_url.rsplit(":", 1)[1])

    def _child(self, prefix: str) -> Child:
        return next(c for c in reversed(self.stack.children) if c.name.startswith(prefix))

    def kill(self) -> None:
        """SIGKILL the victim (PostgreSQL: an immediate stop, no checkpoint: a crash)."""
        if self.name == "gunicorn":
            kill_group(self._child("web"))
        elif self.name in ("worker", "beat"):
            kill_group(self._child(self.name))
        elif self.name == "redis":
            self.broker.kill()
        else:
            self.cluster.stop("immediate")  # the postmaster and every backend, no checkpoint
            connections["default"].close()

    def start(self) -> None:
        """Start the victim again on its port and data."""
        if self.name == "gunicorn":
            self.stack.web(port=self.port, name="web-again")
        elif self.name == "worker":
            self.stack.worker(name="worker-again")
        elif self.name == "beat":
            self.stack.beat(name="beat-again")
        elif self.name == "redis":
            self.broker.start()
        else:
            self.cluster.start()


def request_status(session: requests.Session, request_id: int) -> str | None:
    """The request's status as the API shows it, or None while the API cannot answer."""
    try:
        answer = session.get(f"{session.base}/api/v1/requests/{request_id}/", timeout=5)
    except requests.RequestException:
        return None
    return answer.json()["status"] if answer.status_code == 200 else None


def in_plex_notices(world: World, film: Film) -> int:
    """How many "<film> is in Plex" notices the requester received."""
    return sum(1 for n in world.sink.received if n.get("title") == f"{film.name} is in Plex")


@pytest.mark.parametrize("victim", VICTIMS)
def test_every_film_ends_with_one_torrent_one_file_one_notice_whatever_is_killed(
    victim: str,
    stack: Stack,
    world: World,
    broker: RedisServer,
    cluster: PostgresCluster,
) -> None:
    require_qbittorrent()
    run_seed = seed()
    rng = random.Random(run_seed)
    kill_after = rng.uniform(0.5, KILL_WITHIN)
    print(f"chaos: victim={victim} seed={run_seed} kill at +{kill_after:.1f} s")

    token = prepare_database(world)
    every, _ = IntervalSchedule.objects.get_or_create(every=MONITOR_EVERY, period="seconds")
    PeriodicTask.objects.filter(name="download-monitor").update(interval=every)
    PeriodicTasks.update_changed()
    releases = {}
    for film in FILMS:
        dotted = film.title.replace(" ", ".").replace(":", "")
        release = world.offer(
            # One name per run: the module's seeder keeps the earlier runs' files.
            f"{dotted}.{film.year}.1080p.BluRay.x264-{victim.upper()}.mkv",
            SIZE,
            imdb_id=film.imdb_id,
            tmdb_id=film.tmdb_id,
        )
        world.qbt.seeder.api.torrents_set_upload_limit(
            limit=SEEDER_RATE, torrent_hashes=release.info_hash
        )
        releases[film] = release

    stack.env.update(world.env(), QBITTORRENT_HOOK_TOKEN=secrets.token_hex(24))
    base = stack.web()
    stack.env.update(APP_URL=base, QBITTORRENT_SET_HOOK="true")
    stack.worker()
    stack.beat()
    killer = Victim(victim, stack, broker, cluster)
    session = api(base, token)

    asked: dict[Film, int] = {}
    started = time.monotonic()
    for film in FILMS:
        created = session.post(
            f"{base}/api/v1/requests/",
            json={"media_type": "movie", "tmdb_id": film.tmdb_id},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        asked[film] = created.json()["id"]

    time.sleep(max(0.0, started + kill_after - time.monotonic()))
    statuses = {f.title: request_status(session, i) for f, i in asked.items()}
    killer.kill()
    killed_at = time.monotonic()
    print(f"chaos: killed {victim} at +{killed_at - started:.1f} s, requests: {statuses}")
    time.sleep(DOWN_FOR)
    killer.start()

    def all_completed() -> bool:
        return all(request_status(session, i) == "completed" for i in asked.values())

    def states() -> str:
        return f"statuses: { {f.title: request_status(session, i) for f, i in asked.items()} }"

    wait_for(all_completed, FINISH_WITHIN, what="every film completed", logs=[states], every=0.5)
    finished = time.monotonic() - started
    # The notice is sent just after the request completes; a second one (a step run twice
    # after the kill) would follow within a few seconds.
    wait_for(
        lambda: all(in_plex_notices(world, f) for f in FILMS),
        20,
        what="every requester told",
        logs=[lambda: f"notifications: {world.sink.received}"],
    )
    time.sleep(3)
    print(
        f"chaos: victim={victim} seed={run_seed} kill at +{killed_at - started:.1f} s, "
        f"every film completed at +{finished:.1f} s"
    )

    torrents = world.qbt.client.api.torrents_info()
    files = sorted(p.relative_to(world.movies) for p in world.movies.rglob("*") if p.is_file())
    assert len(files) == len(FILMS), files
    for film, request_id in asked.items():
        request = MediaRequest.objects.get(pk=request_id)
        assert request.status == "completed", request.status_reason
        release = releases[film]
        mine = [t for t in torrents if t.hash == release.info_hash]
        assert len(mine) == 1, [t.name for t in torrents]
        filed = world.movies / film.name
        assert [p.name for p in filed.iterdir()] == [f"{film.name}.mkv"], files
        assert (filed / f"{film.name}.mkv").stat().st_size == SIZE
        assert in_plex_notices(world, film) == 1, world.sink.received
        downloads = Download.objects.filter(owner_ref=owner_ref(request_id))
        assert downloads.count() == 1, list(downloads.values("info_hash", "state"))
    assert len(torrents) == len(FILMS), [t.name for t in torrents]
