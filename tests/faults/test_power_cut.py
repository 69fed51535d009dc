"""A power cut: the whole worker dies holding a task, and the next worker runs it again at
once (its heartbeat is gone), not after Redis's visibility timeout; a live worker's task is
never run twice."""

# The fixtures come from test_worker_killed, so the tests name them as arguments again.
# ruff: noqa: F811

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model

from downloads.models import Download, Indexer
from plexkiosk import worker_recovery
from plexkiosk.celery import app
from plexkiosk.simulators import torznab as torznab_sim
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app.models import MediaRequest, Status
from requests_app.tasks import process_request_task
from tests.conftest import WorkerProcess, requires_services
from tests.faults.test_worker_killed import (  # noqa: F401 - indexer, qbt, worker_env, import_world: fixtures
    DUNE,
    SEARCHES,
    GatedIndexer,
    approved_dune,
    assert_downloaded_once,
    assert_imported_once,
    dune_ready_to_import,
    import_world,
    indexer,
    qbt,
    unacked_since,
    worker_env,
)
from tests.processes import wait_for
from tests.reliability.servers import RedisServer

pytestmark = [requires_services, pytest.mark.django_db(transaction=True)]

# Seconds, small so the tests wait little for a heartbeat to expire (defaults: 10 and 30).
# Redis's own redelivery is pushed far away: a task that runs again was restored by the
# workers' recovery, not by the visibility timeout.
RECOVERY_ENV = {
    "WORKER_HEARTBEAT_SECONDS": "1",
    "WORKER_DEAD_AFTER_SECONDS": "4",
    "CELERY_VISIBILITY_TIMEOUT": "3600",
}
RESTORED = "restored them to their queues: "
SEARCH = "requests_app.tasks.process_request_task"
IMPORT = "downloads.tasks.import_download_task"
MATRIX = {"imdb_id": "tt0133093", "tmdb_id": 603}


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.fixture(autouse=True)
def no_workers_listed() -> Iterator[None]:
    """Start and end with no worker listed: an earlier test's dead ones are not ours."""

    def clean() -> None:
        client = broker()
        for raw in client.smembers(worker_recovery.REGISTRY_KEY):
            worker = worker_recovery.Incarnation(raw.decode())
            client.delete(worker.alive_key, worker.held_key)
        client.delete(worker_recovery.REGISTRY_KEY, "unacked", "unacked_index")

    clean()
    yield
    clean()


def heartbeats_gone() -> bool:
    """True when no listed worker's heartbeat key is left (the machine is still off)."""
    client = broker()
    listed = client.smembers(worker_recovery.REGISTRY_KEY)
    return bool(listed) and not any(
        client.exists(worker_recovery.Incarnation(raw.decode()).alive_key) for raw in listed
    )


def power_cut(worker: WorkerProcess) -> None:
    """Kill the worker's whole process group, and wait as long as a reboot would take."""
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=30)
    wait_for(heartbeats_gone, 30, what="the dead worker's heartbeat expiring", logs=[worker])


def restored(*workers: WorkerProcess) -> list[str]:
    """The tasks the workers' recovery said it gave back to their queues."""
    return [
        task
        for worker in workers
        for line in worker.log().splitlines()
        if RESTORED in line
        for task in line.split(RESTORED, 1)[1].split(", ")
    ]


def received(task_id: str, *workers: WorkerProcess) -> int:
    """How many times the workers received the task's message."""
    return sum(w.log().count(f"[{task_id}] received") for w in workers)


def restart_and_time(
    start: Callable[..., WorkerProcess], env: dict[str, str], task_id: str, what: str
) -> WorkerProcess:
    """Start the next worker; print how long until it runs the lost task again."""
    started = time.monotonic()
    worker = start(**env)
    ready = time.monotonic() - started
    wait_for(lambda: received(task_id, worker), 120, what="the task running again", logs=[worker])
    resumed = time.monotonic() - started
    print(
        f"\n{what} ran again {resumed:.1f} s after the next worker's start (ready: {ready:.1f} s)"
    )
    return worker


def test_a_power_cut_mid_search_runs_the_search_again_as_the_next_worker_starts(
    celery_worker_process: Callable[..., WorkerProcess],
    indexer: GatedIndexer,
    qbt: QBittorrentSimulator,
    worker_env: dict[str, str],
) -> None:
    env = {**worker_env, **RECOVERY_ENV}
    first = celery_worker_process(**env)
    request = approved_dune()
    wait_for(indexer.hit.is_set, 60, what="the search reaching the indexer", logs=[first])
    power_cut(first)
    indexer.release.set()
    # Without the recovery the message would wait here for the 3600 s visibility timeout.
    assert unacked_since(request.celery_task_id) is not None

    second = restart_and_time(celery_worker_process, env, request.celery_task_id, "the search")

    assert_downloaded_once(request, qbt, first, second)
    assert request.search_attempts == 1
    assert restored(second) == [f"{SEARCH}[{request.celery_task_id}]"]


def test_a_power_cut_mid_import_files_one_copy_and_notifies_once_after_the_restart(
    celery_worker_process: Callable[..., WorkerProcess], import_world: dict[str, Any]
) -> None:
    from downloads.tasks import import_download_task

    request, download = dune_ready_to_import(import_world)
    env = {**import_world["env"], **RECOVERY_ENV}
    first = celery_worker_process(**env)
    task_id = str(uuid.uuid4())
    import_download_task.apply_async(args=[download.pk], task_id=task_id)
    wait_for(import_world["hit"].is_set, 60, what="the import asking Plex to scan", logs=[first])
    power_cut(first)
    import_world["release"].set()
    assert unacked_since(task_id) is not None
    # The first run filed the film before it died; the second must not file it twice.
    assert [p for p in import_world["movies"].rglob("*") if p.is_file()]

    second = restart_and_time(celery_worker_process, env, task_id, "the import")

    assert_imported_once(import_world, request, download, first, second)
    assert restored(second) == [f"{IMPORT}[{task_id}]"]


class FilmGates:
    """A Torznab simulator that holds each film's first search until the test lets it go."""

    def __init__(self, releases: list[SimRelease], films: dict[str, str]) -> None:
        # films: name -> the IMDb digits its searches carry.
        self.hit = {name: threading.Event() for name in films}
        self.release = {name: threading.Event() for name in films}
        self.searches = dict.fromkeys(films, 0)
        self.simulator = TorznabSimulator(releases, api_key="k")
        gates = self

        class Handler(torznab_sim._Handler):
            def _api(self, params: dict[str, str]) -> None:
                if params.get("t") in SEARCHES:
                    asked = " ".join(params.values())
                    for name, digits in films.items():
                        if digits in asked:
                            gates.searches[name] += 1
                            if not gates.hit[name].is_set():
                                gates.hit[name].set()
                                gates.release[name].wait(110)
                super()._api(params)

        self.simulator._server.RequestHandlerClass = Handler
        self.simulator.start()

    def stop(self) -> None:
        for event in self.release.values():
            event.set()
        self.simulator.stop()


def approved(
    title: str, year: int, ids: dict[str, Any], username: str, broker_url: str | None = None
) -> MediaRequest:
    """Queue an approved request as the app does: row first, then its task."""
    user = get_user_model().objects.create_user(username, password=f"pw-{username}-123")
    task_id = str(uuid.uuid4())
    request = MediaRequest.objects.create(
        requested_by=user,
        media_type="movie",
        title=title,
        year=year,
        status=Status.APPROVED,
        celery_task_id=task_id,
        **ids,
    )
    with app.connection_for_write(broker_url) as conn:
        process_request_task.apply_async(args=[request.pk], task_id=task_id, connection=conn)
    return request


@dataclass
class Films:
    gates: FilmGates
    qbittorrent: QBittorrentSimulator
    env: dict[str, str]


@pytest.fixture
def films(tmp_path: Path) -> Iterator[Films]:
    """Dune and The Matrix behind held searches, a qBittorrent, and the workers' settings."""
    gates = FilmGates(
        [
            SimRelease("Dune.2021.1080p.BluRay.x264-FIRST", int(10 * GB), 500, **DUNE),
            SimRelease("The.Matrix.1999.1080p.BluRay.x264-FIRST", int(8 * GB), 400, **MATRIX),
        ],
        {"dune": "1160419", "matrix": "0133093"},
    )
    # Patient: a held search must not end in a timeout and a retry (a second message).
    Indexer.objects.create(name="gated", url=gates.simulator.url, api_key="k", timeout=120)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    qbittorrent = QBittorrentSimulator(
        save_path=str(downloads), torrents_url=gates.simulator.url, speed=1
    )
    qbittorrent.start()
    env = {
        "QBITTORRENT_URL": qbittorrent.url,
        "QBITTORRENT_USERNAME": qbittorrent.username,
        "QBITTORRENT_PASSWORD": qbittorrent.password,
        "DOWNLOADS_DIR": qbittorrent.default_save_path,
        "MOVIES_DIR": str(tmp_path / "media" / "Movies"),
        "TV_DIR": str(tmp_path / "media" / "TV"),
        **RECOVERY_ENV,
    }
    yield Films(gates, qbittorrent, env)
    qbittorrent.stop()
    gates.stop()


def downloading(request: MediaRequest) -> Callable[[], bool]:
    def check() -> bool:
        request.refresh_from_db()
        return request.status == Status.DOWNLOADING

    return check


def test_a_survivor_restores_only_the_dead_workers_task_and_never_runs_a_live_ones_twice(
    celery_worker_process: Callable[..., WorkerProcess],
    films: Films,
) -> None:
    gates, env = films.gates, films.env
    # One task each (concurrency 1, prefetch 1): Dune held in `doomed`, The Matrix in `live`.
    doomed = celery_worker_process(**env)
    dune = approved("Dune", 2021, DUNE, "ana")
    wait_for(gates.hit["dune"].is_set, 60, what="Dune's search", logs=[doomed])
    live = celery_worker_process(**env)
    matrix = approved("The Matrix", 1999, MATRIX, "ben")
    wait_for(gates.hit["matrix"].is_set, 60, what="The Matrix's search", logs=[live])

    os.killpg(doomed.proc.pid, signal.SIGKILL)
    doomed.proc.wait(timeout=30)
    gates.release["dune"].set()
    # Started at once: the dead worker's heartbeat has seconds left to live.
    spare = celery_worker_process(**env)
    workers = (doomed, live, spare)

    wait_for(downloading(dune), 90, what="Dune searched again", logs=workers)
    # Both survivors go on checking while The Matrix is still held: several passes.
    time.sleep(3 * int(RECOVERY_ENV["WORKER_DEAD_AFTER_SECONDS"]))
    assert gates.searches["matrix"] == 1
    assert received(matrix.celery_task_id, *workers) == 1
    assert received(dune.celery_task_id, *workers) == 2
    # One message restored, once, by one survivor; The Matrix's still held by `live`.
    assert restored(live, spare) == [f"{SEARCH}[{dune.celery_task_id}]"]
    assert unacked_since(matrix.celery_task_id) is not None

    gates.release["matrix"].set()
    wait_for(downloading(matrix), 90, what="The Matrix downloading", logs=workers)
    assert received(matrix.celery_task_id, *workers) == 1
    assert len(films.qbittorrent.torrents) == 2, list(films.qbittorrent.torrents)
    assert Download.objects.count() == 2
    dune.refresh_from_db()
    assert (dune.search_attempts, matrix.search_attempts) == (1, 1)


def test_redis_down_longer_than_a_heartbeats_life_makes_no_live_worker_look_dead(
    celery_worker_process: Callable[..., WorkerProcess],
    films: Films,
) -> None:
    gates = films.gates
    dead_after = 8
    server = RedisServer(appendonly=True)
    server.start()
    workers: tuple[WorkerProcess, ...] = ()
    try:
        env = {
            **films.env,
            "CELERY_BROKER_URL": server.url,
            "WORKER_DEAD_AFTER_SECONDS": str(dead_after),
        }
        workers = (celery_worker_process(**env), celery_worker_process(**env))
        dune = approved("Dune", 2021, DUNE, "ana", broker_url=server.url)
        wait_for(gates.hit["dune"].is_set, 60, what="Dune's search", logs=workers)
        (holder,) = (w for w in workers if received(dune.celery_task_id, w))

        server.stop()
        # The holder reaches Redis again 2 s after the other one (stuck in a reconnect, say).
        os.kill(holder.proc.pid, signal.SIGSTOP)
        time.sleep(dead_after + 2)  # every heartbeat key expires meanwhile
        server.start()
        time.sleep(2)
        os.kill(holder.proc.pid, signal.SIGCONT)
        client = server.client()

        def both_beating() -> bool:
            listed = client.smembers(worker_recovery.REGISTRY_KEY)
            alive = [worker_recovery.Incarnation(raw.decode()).alive_key for raw in listed]
            return len(alive) == 2 and all(client.exists(key) for key in alive)

        wait_for(both_beating, 60, what="both workers beating again", logs=workers)
        # Several recovery passes while the search is still held.
        time.sleep(2 * dead_after)
        logs = "".join(w.log() for w in workers)
        assert logs.count("was silent for over") == 2  # both heartbeat keys had expired
        # Neither took the other for dead. (What a worker does with the messages of its
        # own lost connection is not this test's business.)
        assert restored(*workers) == []

        gates.release["dune"].set()
        wait_for(downloading(dune), 90, what="Dune downloading", logs=workers)
        assert restored(*workers) == []
        assert len(films.qbittorrent.torrents) == 1
    finally:
        for worker in workers:
            if worker.proc.poll() is None:
                os.kill(worker.proc.pid, signal.SIGCONT)
        server.remove()


def test_a_power_cut_that_takes_redis_down_too_runs_the_search_again_after_the_restart(
    celery_worker_process: Callable[..., WorkerProcess],
    films: Films,
) -> None:
    gates = films.gates
    server = RedisServer(appendonly=True)
    server.start()
    try:
        env = {**films.env, "CELERY_BROKER_URL": server.url}
        first = celery_worker_process(**env)
        dune = approved("Dune", 2021, DUNE, "ana", broker_url=server.url)
        wait_for(gates.hit["dune"].is_set, 60, what="Dune's search", logs=[first])
        # Everything goes at once; the append-only file keeps what Redis had.
        os.killpg(first.proc.pid, signal.SIGKILL)
        server.kill()
        first.proc.wait(timeout=30)
        gates.release["dune"].set()
        server.start()
        assert server.client().hlen("unacked") == 1

        second = restart_and_time(celery_worker_process, env, dune.celery_task_id, "the search")
        wait_for(downloading(dune), 90, what="Dune downloading", logs=[first, second])
        assert restored(second) == [f"{SEARCH}[{dune.celery_task_id}]"]
        assert received(dune.celery_task_id, first, second) == 2
        assert len(films.qbittorrent.torrents) == 1
        dune.refresh_from_db()
        assert dune.search_attempts == 1
    finally:
        server.remove()
