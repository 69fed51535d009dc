"""A worker killed in the middle of a request's search: the message comes back and the
request ends with exactly one torrent and one Download, never two."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model

from downloads.models import Download, Indexer
from plexkiosk.simulators import torznab as torznab_sim
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app.models import MediaRequest, Status
from requests_app.tasks import process_request_task
from tests.conftest import WorkerProcess, requires_services
from tests.processes import wait_for

pytestmark = [requires_services, pytest.mark.django_db(transaction=True)]

DUNE = {"imdb_id": "tt1160419", "tmdb_id": 438631}
SEARCHES = ("search", "movie", "tvsearch")


class GatedIndexer:
    """A Torznab simulator whose first search blocks until the test lets it go."""

    def __init__(self, releases: list[SimRelease]) -> None:
        self.hit = threading.Event()
        self.release = threading.Event()
        self.simulator = TorznabSimulator(releases, api_key="k")
        gate = self

        class Handler(torznab_sim._Handler):
            def _api(self, params: dict[str, str]) -> None:
                if params.get("t") in SEARCHES and not gate.hit.is_set():
                    gate.hit.set()
                    gate.release.wait(120)
                super()._api(params)

        # The server builds one handler per connection from this class.
        self.simulator._server.RequestHandlerClass = Handler
        self.simulator.start()

    def stop(self) -> None:
        self.release.set()
        self.simulator.stop()


@pytest.fixture
def indexer() -> Iterator[GatedIndexer]:
    gated = GatedIndexer(
        [SimRelease("Dune.2021.1080p.BluRay.x264-FIRST", int(10 * GB), 500, **DUNE)]
    )
    Indexer.objects.create(name="gated", url=gated.simulator.url, api_key="k")
    yield gated
    gated.stop()


@pytest.fixture
def qbt(tmp_path: Path, indexer: GatedIndexer) -> Iterator[QBittorrentSimulator]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    simulator = QBittorrentSimulator(
        save_path=str(downloads), torrents_url=indexer.simulator.url, speed=1
    )
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def worker_env(qbt: QBittorrentSimulator, tmp_path: Path) -> dict[str, str]:
    return {
        "QBITTORRENT_URL": qbt.url,
        "QBITTORRENT_USERNAME": qbt.username,
        "QBITTORRENT_PASSWORD": qbt.password,
        "DOWNLOADS_DIR": qbt.default_save_path,
        "MOVIES_DIR": str(tmp_path / "media" / "Movies"),
        "TV_DIR": str(tmp_path / "media" / "TV"),
        # Redis hands an unacknowledged message to another consumer after this long.
        "CELERY_VISIBILITY_TIMEOUT": "5",
    }


def children_of(pid: int) -> list[int]:
    """Return the pids whose parent is `pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after its closing ")" do not.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def unacked_since(task_id: str) -> float | None:
    """When Redis handed out the task's message that nobody acknowledged, if it did."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for tag, payload in broker.hgetall("unacked").items():
        message = json.loads(payload)[0]
        if message["headers"].get("id") == task_id:
            return broker.zscore("unacked_index", tag)
    return None


def approved_dune() -> MediaRequest:
    """Queue an approved Dune request as the app does: row first, then its task."""
    user = get_user_model().objects.create_user("ana", password="pw-ana-123")
    task_id = str(uuid.uuid4())
    request = MediaRequest.objects.create(
        requested_by=user,
        media_type="movie",
        title="Dune",
        year=2021,
        status=Status.APPROVED,
        celery_task_id=task_id,
        **DUNE,
    )
    process_request_task.apply_async(args=[request.pk], task_id=task_id)
    return request


def assert_pool_process_lost(worker: WorkerProcess, pid: int) -> None:
    """The worker saw its pool process `pid` die of the SIGKILL, and the task lost with it."""
    log = worker.log()
    assert f"pid:{pid} exited with 'signal 9 (SIGKILL)'" in log, log[-3000:]
    assert "WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL)" in log, log[-3000:]


def assert_downloaded_once(request: MediaRequest, qbt: QBittorrentSimulator, *logs: Any) -> None:
    def downloading() -> bool:
        request.refresh_from_db()
        return request.status == Status.DOWNLOADING

    wait_for(downloading, 90, what="the request reaching downloading", logs=logs)
    assert len(qbt.torrents) == 1, list(qbt.torrents)
    assert Download.objects.count() == 1
    assert request.download_hash == next(iter(qbt.torrents))


def test_a_killed_pool_process_mid_search_is_retried_and_downloads_exactly_one_torrent(
    celery_worker_process: Callable[..., WorkerProcess],
    indexer: GatedIndexer,
    qbt: QBittorrentSimulator,
    worker_env: dict[str, str],
) -> None:
    worker = celery_worker_process(**worker_env)
    request = approved_dune()
    wait_for(indexer.hit.is_set, 60, what="the search reaching the indexer", logs=[worker])
    pool = children_of(worker.proc.pid)
    assert len(pool) == 1, pool  # concurrency 1: the one child is running the search
    os.kill(pool[0], signal.SIGKILL)
    indexer.release.set()

    assert_downloaded_once(request, qbt, worker)
    assert_pool_process_lost(worker, pool[0])
    # The second run resumed the same claim: one search attempt counted.
    assert request.search_attempts == 1


def test_a_whole_worker_killed_mid_search_is_redelivered_to_the_next_worker_once(
    celery_worker_process: Callable[..., WorkerProcess],
    indexer: GatedIndexer,
    qbt: QBittorrentSimulator,
    worker_env: dict[str, str],
) -> None:
    first = celery_worker_process(**worker_env)
    request = approved_dune()
    wait_for(indexer.hit.is_set, 60, what="the search reaching the indexer", logs=[first])
    # The whole process group, main process included: nothing gets to requeue the message.
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=30)
    indexer.release.set()

    # kombu restores unacked messages older than the visibility timeout when a consumer
    # starts polling (then only every unacked_restore_interval x unacked_restore_throttle
    # = 100 s): wait until the lost delivery is older than that timeout before starting.
    delivered_at = wait_for(
        lambda: unacked_since(request.celery_task_id),
        10,
        what="the message waiting unacked",
        logs=[first],
    )
    while time.time() - delivered_at <= 6:
        time.sleep(0.25)
    second = celery_worker_process(**worker_env)

    assert_downloaded_once(request, qbt, first, second)
    assert request.search_attempts == 1


@pytest.fixture
def import_world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Plex (whose first folder refresh blocks), its scanner, TMDB and a notification sink."""
    from plexkiosk.simulators.demo_world import PlexScanner
    from plexkiosk.simulators.plex import PlexSimulator
    from plexkiosk.simulators.tmdb import start_tmdb_simulator
    from tests.e2e.world import NotificationSink

    movies, downloads = tmp_path / "media" / "Movies", tmp_path / "downloads"
    for folder in (movies, tmp_path / "media" / "TV", downloads):
        folder.mkdir(parents=True)
    plex = PlexSimulator(token="t", movie_root=str(movies), tv_root=str(tmp_path / "media/TV"))
    hit, release = threading.Event(), threading.Event()
    answer = plex.handle

    def gated(method: str, path: str, headers: dict[str, str]) -> Any:
        # The import has filed the files when it asks Plex to scan the folder.
        if "/refresh" in path and not hit.is_set():
            hit.set()
            release.wait(120)
        return answer(method, path, headers)

    plex.handle = gated  # the handler looks the method up on the instance for each call
    plex.start()
    tmdb, _url = start_tmdb_simulator()
    scanner = PlexScanner(plex, tmdb)
    scanner.start()
    sink = NotificationSink()
    yield {
        "hit": hit,
        "release": release,
        "movies": movies,
        "downloads": downloads,
        "sink": sink,
        "env": {
            "PLEX_URL": plex.url,
            "PLEX_TOKEN": "t",
            "MOVIES_DIR": str(movies),
            "TV_DIR": str(tmp_path / "media" / "TV"),
            "DOWNLOADS_DIR": str(downloads),
            "TRANSFER_MODE": "hardlink",
            "NOTIFY_URLS": sink.url,
        },
    }
    release.set()
    scanner.stop()
    for part in (sink, plex, tmdb):
        part.stop()


def broker_idle() -> bool:
    """True when no message waits in a queue or unacknowledged in Redis."""
    from plexkiosk.celery import QUEUES

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    waiting = sum(broker.llen(queue) for queue in QUEUES)
    return waiting == 0 and broker.zcard("unacked_index") == 0


def dune_ready_to_import(world: dict[str, Any]) -> tuple[MediaRequest, Download]:
    """Leave Dune downloaded and completed in qBittorrent's folder, its request downloading."""
    from requests_app.models import Profile, owner_ref

    user = get_user_model().objects.create_user("ana", password="pw-ana-123")
    # "Dune is in Plex" goes to the requester's own notification URLs.
    Profile.objects.create(user=user, notify_urls=world["sink"].url)
    request = MediaRequest.objects.create(
        requested_by=user,
        media_type="movie",
        title="Dune",
        year=2021,
        status=Status.DOWNLOADING,
        download_hash="a" * 40,
        **DUNE,
    )
    content = world["downloads"] / "Dune.2021.1080p.BluRay.x264-FIRST"
    content.mkdir()
    with (content / "Dune.2021.1080p.BluRay.x264-FIRST.mkv").open("wb") as film:
        film.truncate(400 * 1024 * 1024)  # sparse: big enough not to pass for a sample
    download = Download.objects.create(
        info_hash="a" * 40,
        release_title=content.name,
        owner_ref=owner_ref(request.pk),
        media_type="movie",
        title="Dune",
        year=2021,
        state=Download.State.COMPLETED,
        save_path=str(world["downloads"]),
        content_path=str(content),
    )
    return request, download


def assert_imported_once(
    world: dict[str, Any], request: MediaRequest, download: Download, *logs: WorkerProcess
) -> None:
    def completed() -> bool:
        request.refresh_from_db()
        return request.status == Status.COMPLETED

    wait_for(completed, 120, what="the request completing", logs=logs)
    wait_for(lambda: world["sink"].received, 60, what="the notification", logs=logs)
    wait_for(broker_idle, 60, what="the queues draining", logs=logs)
    filed = [p for p in world["movies"].rglob("*") if p.is_file()]
    assert len(filed) == 1, filed
    assert len(world["sink"].received) == 1, world["sink"].received
    download.refresh_from_db()
    assert download.state == Download.State.IMPORTED


def test_a_worker_killed_mid_import_files_one_copy_and_sends_one_notification(
    celery_worker_process: Callable[..., WorkerProcess], import_world: dict[str, Any]
) -> None:
    from downloads.tasks import import_download_task

    request, download = dune_ready_to_import(import_world)
    worker = celery_worker_process(**import_world["env"])
    import_download_task.delay(download.pk)
    wait_for(import_world["hit"].is_set, 60, what="the import asking Plex to scan", logs=[worker])
    (child,) = children_of(worker.proc.pid)  # concurrency 1
    os.kill(child, signal.SIGKILL)
    import_world["release"].set()

    assert_imported_once(import_world, request, download, worker)
    assert_pool_process_lost(worker, child)


def test_a_whole_worker_killed_mid_import_is_redelivered_and_files_one_copy_with_one_notification(
    celery_worker_process: Callable[..., WorkerProcess], import_world: dict[str, Any]
) -> None:
    from downloads.tasks import import_download_task

    request, download = dune_ready_to_import(import_world)
    # Small, so the test waits seconds for Redis to hand the lost message on (default: 1 h).
    env = {**import_world["env"], "CELERY_VISIBILITY_TIMEOUT": "5"}
    first = celery_worker_process(**env)
    task_id = str(uuid.uuid4())
    import_download_task.apply_async(args=[download.pk], task_id=task_id)
    wait_for(import_world["hit"].is_set, 60, what="the import asking Plex to scan", logs=[first])
    # Main process and pool child together: nothing is left to reject or requeue the message.
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=30)
    import_world["release"].set()
    # The first run filed the film before it died; the second must not file it twice.
    assert [p for p in import_world["movies"].rglob("*") if p.is_file()]
    assert import_world["sink"].received == []

    # As in the search test: kombu restores the lost delivery only once it is older than
    # the visibility timeout when the next consumer starts polling.
    delivered_at = wait_for(
        lambda: unacked_since(task_id), 10, what="the message waiting unacked", logs=[first]
    )
    while time.time() - delivered_at <= 6:
        time.sleep(0.25)
    second = celery_worker_process(**env)

    assert_imported_once(import_world, request, download, first, second)
    assert "import_download_task" in second.log()


def test_a_pool_process_killed_after_qbittorrent_took_the_torrent_does_not_add_it_twice(
    celery_worker_process: Callable[..., WorkerProcess],
    indexer: GatedIndexer,
    qbt: QBittorrentSimulator,
    worker_env: dict[str, str],
) -> None:
    indexer.hit.set()  # this time the search goes through
    indexer.release.set()
    added, release = threading.Event(), threading.Event()
    answer = qbt.handle

    def gated(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        reply = answer(method, path, headers, body)
        # qBittorrent holds the torrent; the worker dies before it hears "Ok."
        if "torrents/add" in path and not added.is_set():
            added.set()
            release.wait(120)
        return reply

    qbt.handle = gated  # the handler looks the method up on the instance for each call
    worker = celery_worker_process(**worker_env)
    request = approved_dune()
    wait_for(added.is_set, 60, what="qBittorrent receiving the torrent", logs=[worker])
    (child,) = children_of(worker.proc.pid)  # concurrency 1
    os.kill(child, signal.SIGKILL)
    release.set()

    assert_downloaded_once(request, qbt, worker)
    assert_pool_process_lost(worker, child)
    # The second run found the torrent in qBittorrent and did not add it again.
    assert qbt.calls["torrents/add"] == 1


def test_a_worker_killed_mid_copy_leaves_no_plex_name_and_its_retry_files_one_copy_and_no_partial(
    celery_worker_process: Callable[..., WorkerProcess], import_world: dict[str, Any]
) -> None:
    from downloads.tasks import import_download_task

    import_world["release"].set()  # Plex scans at once: the kill is in the copy itself
    request, download = dune_ready_to_import(import_world)
    movies = import_world["movies"]
    worker = celery_worker_process(**{**import_world["env"], "TRANSFER_MODE": "copy"})
    import_download_task.delay(download.pk)

    def copying() -> list[Path]:
        # The copy goes to a temporary name beside its destination, then is renamed.
        return [p for p in movies.rglob(".plexkiosk-*.partial") if p.stat().st_size > 0]

    (partial,) = wait_for(copying, 60, what="the copy under way", every=0.005, logs=[worker])
    (child,) = children_of(worker.proc.pid)  # concurrency 1
    os.kill(child, signal.SIGKILL)
    # Killed half-way: nothing carries a name Plex would read.
    assert [p for p in movies.rglob("*") if p.is_file() and not p.name.endswith(".partial")] == []

    assert_imported_once(import_world, request, download, worker)
    assert_pool_process_lost(worker, child)
    # The retry found the dead copy's lock gone and removed it before copying again.
    assert not partial.exists()
    assert list(movies.rglob("*.partial")) == []
    (filed,) = [p for p in movies.rglob("*") if p.is_file()]
    assert filed.name == "Dune (2021).mkv" and filed.stat().st_size == 400 * 1024 * 1024
