"""Plex down or too slow while the library sync runs, with a real worker: the run is
recorded as failed with nothing removed, the task retries on its own with backoff, and the
retry mirrors Plex exactly once Plex answers again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_celery_results.models import TaskResult

from library.models import LibraryItem, SyncRun
from library.plex import PlexClient
from library.sync import sync_library
from plexkiosk.celery import app
from plexkiosk.simulators.plex import PlexSimulator
from tests.conftest import requires_services
from tests.processes import wait_for

pytestmark = [requires_services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def movies() -> set[str]:
    return set(LibraryItem.objects.filter(type="movie").values_list("title", flat=True))


@pytest.mark.parametrize("fault", ["down", "slow"])
def test_a_sync_while_plex_is_down_or_slow_retries_and_then_mirrors_plex(
    celery_worker_process: Callable[..., Any], fault: str
) -> None:
    plex = PlexSimulator()
    plex.seed(movies=12, shows=0)
    plex.start()
    port = int(plex.url.rsplit(":", 1)[1])
    try:
        assert sync_library(full=True, client=PlexClient(plex.url, plex.token)).added == 12
        before = movies()
        # While Plex is away, two films leave it: the failed run must not act on a
        # missing answer, and the retry must remove exactly those two.
        gone = sorted(k for k, i in plex.items.items() if i.type == "movie")[:2]
        gone_titles = {plex.items[key].title for key in gone}
        for key in gone:
            plex.remove_item(key)
        if fault == "down":
            plex.stop()
        else:
            plex.delay_seconds = 3  # longer than the worker's PLEX_TIMEOUT

        worker = celery_worker_process(
            queues="plex_sync",
            PLEX_URL=f"http://127.0.0.1:{port}",
            PLEX_TOKEN=plex.token,
            PLEX_TIMEOUT="1",
        )
        result = app.send_task("library.tasks.sync_plex_library_task", kwargs={"full_sync": True})

        failed = wait_for(
            lambda: SyncRun.objects.filter(status=SyncRun.Status.FAILED).first(),
            60,
            what="the first attempt failing",
            logs=[worker],
        )
        assert failed.removed == 0 and movies() == before
        assert ("unreachable" if fault == "down" else "did not answer within 1 s") in failed.error
        assert plex.token not in failed.error
        # Not "any state but PENDING": the first attempt is STARTED until it has failed.
        wait_for(
            lambda: TaskResult.objects.filter(task_id=result.id, status="RETRY").exists(),
            30,
            what="a retry being scheduled",
            logs=[worker],
        )

        if fault == "down":
            plex.start(port=port)
        else:
            plex.delay_seconds = 0
        outcome = result.get(timeout=90)  # backoff: 30 s at most, with jitter
    finally:
        plex.stop()

    assert outcome["status"] == "succeeded" and outcome["removed"] == 2
    # Full runs only: a refresh after a scan, queued by an earlier test, may run here too.
    runs = list(
        SyncRun.objects.filter(kind=SyncRun.Kind.FULL)
        .order_by("started_at")
        .values_list("status", flat=True)
    )
    assert runs[0] == runs[-1] == SyncRun.Status.SUCCEEDED
    assert set(runs[1:-1]) == {SyncRun.Status.FAILED}
    assert movies() == before - gone_titles and len(movies()) == 10
