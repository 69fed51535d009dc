"""Redis restarted under the app: queued tasks survive (append-only file on), the running
worker and beat reconnect on their own; without persistence the queue is lost."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from downloads.models import Download, Indexer
from plexkiosk.celery import app
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from plexkiosk.tasks import ping_task
from requests_app.models import MediaRequest, Status
from requests_app.tasks import process_request_task
from tests.conftest import process_env, requires_services
from tests.processes import Stack, wait_for
from tests.reliability.servers import RedisServer

pytestmark = [
    requires_services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_schedule"),
]

PING = "plexkiosk.tasks.ping_task"
DUNE = {"imdb_id": "tt1160419", "tmdb_id": 438631}
CLEANUP = "plexkiosk.tasks.cleanup_temp_files_task"
RECOVER = "requests_app.tasks.recover_requests_task"


def queue_pings(broker_url: str, n: int) -> list[str]:
    """Send `n` ping tasks through this broker (as the web process would); return their ids."""
    with app.connection_for_write(broker_url) as conn, app.amqp.Producer(conn) as producer:
        return [ping_task.apply_async(producer=producer).id for _ in range(n)]


def done(ids: list[str]) -> int:
    return TaskResult.objects.filter(task_id__in=ids, status="SUCCESS").count()


@pytest.fixture
def broker() -> Iterator[RedisServer]:
    server = RedisServer(appendonly=True)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def stack(tmp_path: Path, broker: RedisServer, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The app's worker and beat on the private Redis; their logs print if the test fails."""
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Stack(process_env(CELERY_BROKER_URL=broker.url), logs)
    yield running
    running.stop()
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        print(running.logs_text())
        print("--- redis ---\n" + broker.log()[-2000:])


def every_second(*names: str) -> None:
    """Make these schedule rows due every second and switch every other row off."""
    PeriodicTask.objects.exclude(name__in=names).update(enabled=False)
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    for row in PeriodicTask.objects.filter(name__in=names):
        row.crontab = None
        row.interval = interval
        row.save()  # what saving the admin form does; beat notices the change


def test_tasks_queued_before_a_redis_restart_all_run_and_worker_and_beat_carry_on_through_one(
    broker: RedisServer, stack: Stack
) -> None:
    # Twenty tasks wait in Redis with no worker to take them, and Redis restarts.
    queued = queue_pings(broker.url, 20)
    assert broker.client().llen("default") == 20
    broker.restart()
    assert broker.client().llen("default") == 20, "the append-only file kept the queue"

    every_second("beat-heartbeat", "cleanup-temp-files")
    worker = stack.worker()
    stack.beat()
    wait_for(lambda: done(queued) == 20, 90, what="the 20 kept tasks done", logs=[stack.logs_text])
    wait_for(
        lambda: TaskResult.objects.filter(task_name=CLEANUP).exists(),
        60,
        what="beat's cleanup row running",
        logs=[stack.logs_text],
    )

    # Redis restarts again under the running worker and beat: nobody restarts them.
    worker_pid = worker.proc.pid
    broker.stop()
    time.sleep(3)  # down long enough for both to notice and start retrying
    broker.start()
    restarted_at = timezone.now()

    after = queue_pings(broker.url, 20)
    wait_for(lambda: done(after) == 20, 120, what="the 20 new tasks done", logs=[stack.logs_text])
    assert worker.proc.poll() is None and worker.proc.pid == worker_pid
    # Beat's rows keep arriving: it marks the heartbeat row sent, and its messages reach
    # the worker (the cleanup row stores a result each run).
    wait_for(
        lambda: (
            TaskResult.objects.filter(task_name=CLEANUP, date_done__gt=restarted_at).count() >= 2
        ),
        60,
        what="two cleanup runs after the restart",
        logs=[stack.logs_text],
    )
    wait_for(
        lambda: PeriodicTask.objects.filter(
            name="beat-heartbeat", last_run_at__gt=restarted_at
        ).exists(),
        30,
        what="beat's heartbeat after the restart",
        logs=[stack.logs_text],
    )
    assert all(child.proc.poll() is None for child in stack.children)


def test_tasks_queued_before_redis_is_killed_with_sigkill_all_run_from_the_append_only_file(
    broker: RedisServer, stack: Stack
) -> None:
    """A power cut, not a polite stop: `appendfsync always` wrote each task before Redis
    said OK, so nothing acknowledged to the web process is lost."""
    queued = queue_pings(broker.url, 20)
    broker.restart(kill=True)
    assert broker.client().llen("default") == 20, "the append-only file kept the queue"
    stack.worker()
    wait_for(lambda: done(queued) == 20, 90, what="the 20 kept tasks done", logs=[stack.logs_text])


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_without_persistence_a_redis_restart_loses_every_queued_task(how: str) -> None:
    """The reason the README asks for the append-only file: this is what happens without."""
    server = RedisServer(appendonly=False)
    server.start()
    try:
        queue_pings(server.url, 5)
        assert server.client().llen("default") == 5
        server.restart(kill=how == "kill")
        assert server.client().llen("default") == 0
    finally:
        server.remove()


def test_a_search_lost_with_a_redis_that_kept_nothing_is_sent_again_by_the_recover_row(
    tmp_path: Path,
) -> None:
    """Even without persistence, a request is not lost for good: its row in PostgreSQL
    says it waits, and beat's recover-requests row sends its search again."""
    server = RedisServer(appendonly=False)
    server.start()
    indexer = TorznabSimulator(
        [SimRelease("Dune.2021.1080p.BluRay.x264-FIRST", int(10 * GB), 500, **DUNE)],
        api_key="k",
    ).start()
    qbt = QBittorrentSimulator(save_path=str(tmp_path), torrents_url=indexer.url, speed=1)
    qbt.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    stack = Stack(
        process_env(
            CELERY_BROKER_URL=server.url,
            QBITTORRENT_URL=qbt.url,
            QBITTORRENT_USERNAME=qbt.username,
            QBITTORRENT_PASSWORD=qbt.password,
            DOWNLOADS_DIR=str(tmp_path),
        ),
        logs,
    )
    try:
        Indexer.objects.create(name="sim", url=indexer.url, api_key="k")
        user = get_user_model().objects.create_user("ana", password="pw-ana-123")
        lost_id = str(uuid.uuid4())
        request = MediaRequest.objects.create(
            requested_by=user,
            media_type="movie",
            title="Dune",
            year=2021,
            status=Status.APPROVED,
            celery_task_id=lost_id,
            **DUNE,
        )
        with app.connection_for_write(server.url) as conn, app.amqp.Producer(conn) as producer:
            process_request_task.apply_async(args=[request.pk], task_id=lost_id, producer=producer)
        assert server.client().llen("priority") == 1
        server.restart()
        assert server.client().llen("priority") == 0, "the search's message is gone"

        # Half an hour later nothing has happened to it; beat runs the recovery row.
        MediaRequest.objects.filter(pk=request.pk).update(
            updated_at=timezone.now() - timedelta(minutes=31)
        )
        every_second("recover-requests")
        stack.worker()
        stack.beat()

        def downloading() -> bool:
            request.refresh_from_db()
            return request.status == Status.DOWNLOADING

        wait_for(downloading, 90, what="the recovered request downloading", logs=[stack.logs_text])
        assert request.celery_task_id != lost_id
        assert len(qbt.torrents) == 1 and Download.objects.count() == 1
        # The row goes on running (two more sweeps end) and sends nothing more for it.
        sweeps = TaskResult.objects.filter(task_name=RECOVER, status="SUCCESS")
        seen = sweeps.count()
        wait_for(
            lambda: sweeps.count() >= seen + 2,
            30,
            what="two more recovery sweeps",
            logs=[stack.logs_text],
        )
        assert all('"searches": []' in r.result for r in sweeps.order_by("-date_done")[:2])
        assert len(qbt.torrents) == 1 and Download.objects.count() == 1
    finally:
        stack.stop()
        qbt.stop()
        indexer.stop()
        server.remove()
