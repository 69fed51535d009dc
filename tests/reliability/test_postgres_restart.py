"""PostgreSQL restarted in the middle of a library sync and of a download-monitor pass:
the run fails cleanly, is retried, and leaves no half-written state or stuck lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django_celery_results.models import TaskResult

from core.models import JobLock
from downloads.models import Download
from library.models import Episode, LibraryItem, Season, SyncRun
from library.plex import PlexClient
from library.sync import sync_library
from plexkiosk.celery import app
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.conftest import WorkerProcess, process_env, requires_services
from tests.downloads import lifecycle_helpers
from tests.processes import wait_for
from tests.reliability.servers import PostgresCluster, RedisServer, migrated_cluster

pytestmark = [requires_services, pytest.mark.slow]

DATABASE = "plexkiosk"


@pytest.fixture(scope="module")
def cluster(django_db_blocker: Any) -> Iterator[PostgresCluster]:
    """A private, migrated PostgreSQL that this module's code and workers both use.

    The test process's own `default` connection points at it for the module, so the
    app's code (helpers, models) reads and writes what the worker sees.
    """
    with migrated_cluster(DATABASE, django_db_blocker) as pg:
        yield pg


@pytest.fixture
def broker() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.remove()


def send(broker: RedisServer, name: str, **kwargs: Any) -> str:
    """Queue the task `name` on this broker, as beat or the web process would; return its id."""
    with app.connection_for_write(broker.url) as conn, app.amqp.Producer(conn) as producer:
        return app.send_task(name, kwargs=kwargs, producer=producer).id


def restart_under(cluster: PostgresCluster) -> None:
    """Restart PostgreSQL (every open connection dies) and forget our own dead one."""
    cluster.restart("fast")
    connections["default"].close()


def outcome(task_id: str) -> TaskResult | None:
    return TaskResult.objects.filter(task_id=task_id, status__in=["SUCCESS", "FAILURE"]).first()


class Gate:
    """Hold one request of a simulator until the test lets it go."""

    def __init__(self) -> None:
        self.armed = False
        self.hit = threading.Event()
        self.release = threading.Event()

    def pass_through(self) -> None:
        if self.armed and not self.hit.is_set():
            self.hit.set()
            self.release.wait(120)


class GatedPlex(PlexSimulator):
    """A Plex whose second page of movies waits for the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = Gate()

    def handle(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, str, Any]:
        start = headers.get("x-plex-container-start") or ""
        if "/library/sections/1/all" in raw_path and ("Start=50" in raw_path or start == "50"):
            self.gate.pass_through()
        return super().handle(method, raw_path, headers)


class GatedQBittorrent(QBittorrentSimulator):
    """A qBittorrent whose torrent list waits for the gate."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = Gate()

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes, dict[str, str]]:
        if raw_path.startswith("/api/v2/torrents/info"):
            self.gate.pass_through()
        return super().handle(method, raw_path, headers, body)


@pytest.fixture
def start_worker(
    cluster: PostgresCluster, broker: RedisServer, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start a real worker on the private database and broker; print its log on failure."""
    started: list[WorkerProcess] = []

    def start(queues: str, **env: str) -> WorkerProcess:
        worker_env = process_env(
            DATABASE_URL=cluster.url(DATABASE), CELERY_BROKER_URL=broker.url, **env
        )
        worker = WorkerProcess(queues, worker_env, tmp_path, f"worker{len(started)}")
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        for worker in started:
            print(f"--- {worker.name} ---\n{worker.log()[-6000:]}")
        print(f"--- postgresql ---\n{cluster.log()[-2000:]}")


def mirror() -> dict[str, set[tuple[int, str]]]:
    """Return what the database mirrors of Plex, by kind: (rating key, title)."""
    return {
        "items": set(LibraryItem.objects.values_list("rating_key", "title")),
        "seasons": set(Season.objects.values_list("rating_key", "title")),
        "episodes": set(Episode.objects.values_list("rating_key", "title")),
    }


def plex_library(plex: PlexSimulator) -> dict[str, set[tuple[int, str]]]:
    kinds = {"movie": "items", "show": "items", "season": "seasons", "episode": "episodes"}
    found: dict[str, set[tuple[int, str]]] = {"items": set(), "seasons": set(), "episodes": set()}
    for item in plex.items.values():
        found[kinds[item.type]].add((item.rating_key, item.title))
    return found


def test_a_full_sync_cut_by_a_postgresql_restart_is_retried_and_mirrors_plex_exactly(
    cluster: PostgresCluster,
    broker: RedisServer,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    plex = GatedPlex()
    plex.seed(movies=180, shows=4, seasons=2, episodes=3)
    plex.start()
    try:
        client = PlexClient(plex.url, plex.token)
        assert sync_library(full=True, client=client).status == SyncRun.Status.SUCCEEDED
        before = mirror()
        assert before == plex_library(plex)

        # Plex changes: three films leave, two arrive. The next full sync must remove
        # the three only after it has read every page.
        movies = sorted(k for k, i in plex.items.items() if i.type == "movie")
        for key in movies[:3]:
            plex.remove_item(key)
        plex.tick()
        plex.add_movie("Arrived One", 2024)
        plex.add_movie("Arrived Two", 2025)

        start_worker("plex_sync", PLEX_URL=plex.url, PLEX_TOKEN=plex.token, PLEX_PAGE_SIZE="50")
        plex.gate.armed = True
        task_id = send(broker, "library.tasks.sync_plex_library_task", full_sync=True)
        assert plex.gate.hit.wait(60), "the sync never asked for its second page"
        restart_under(cluster)
        plex.gate.release.set()

        result = wait_for(lambda: outcome(task_id), 150, what="the sync's outcome")
        assert result.status == "SUCCESS", result.traceback
        runs = list(SyncRun.objects.order_by("started_at"))
        cut = runs[1]
        assert cut.status == SyncRun.Status.FAILED
        assert cut.removed == 0, "the cut run deleted items from a partial read"
        retried = runs[-1]
        assert retried.status == SyncRun.Status.SUCCEEDED and retried.removed == 3
        assert [r.status for r in runs[2:-1]] == [], "the retry was not skipped by a stuck lock"
        assert mirror() == plex_library(plex)
        assert not JobLock.objects.exists()
    finally:
        plex.gate.release.set()
        plex.stop()


def test_a_monitor_pass_cut_by_a_postgresql_restart_is_retried_and_fails_no_download(
    cluster: PostgresCluster,
    broker: RedisServer,
    start_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    qbt = GatedQBittorrent(save_path=str(tmp_path), speed=0)
    qbt.start()
    try:
        client = lifecycle_helpers.client_for(qbt)
        downloads = [lifecycle_helpers.start(qbt, n, client=client) for n in (1, 2, 3)]
        for n, download in enumerate(downloads, start=1):
            qbt.update(download.info_hash, downloaded=n * (2 << 20) // 4)

        start_worker(
            "downloads",
            QBITTORRENT_URL=qbt.url,
            QBITTORRENT_USERNAME=qbt.username,
            QBITTORRENT_PASSWORD=qbt.password,
        )
        qbt.gate.armed = True
        task_id = send(broker, "downloads.tasks.monitor_downloads_task")
        assert qbt.gate.hit.wait(60), "the monitor never asked qBittorrent for its torrents"
        restart_under(cluster)
        qbt.gate.release.set()

        result = wait_for(lambda: outcome(task_id), 150, what="the monitor's outcome")
        assert result.status == "SUCCESS", result.traceback
        assert '"updated": 3' in result.result, result.result  # not skipped by a stuck lock
        for n, download in enumerate(downloads, start=1):
            download.refresh_from_db()
            assert download.state == Download.State.DOWNLOADING, download.error
            assert download.progress == pytest.approx(n / 4, abs=0.01)
        assert not JobLock.objects.exists()
    finally:
        qbt.gate.release.set()
        qbt.stop()
