"""The check qBittorrent's "torrent finished" call queues: one download, one call, never lost.

`downloads.tasks.check_download_task` over the qBittorrent simulator: it follows that
download alone, imports it once however many calls come, waits for a monitor pass that
holds the lock instead of dropping the push, looks again at a torrent qBittorrent is still
checking, and leaves the download to the passes when nothing helps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from core import locks
from downloads import monitor, tasks
from downloads.models import Download
from downloads.qbittorrent import QBittorrent
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.downloads.lifecycle_helpers import S, client_for, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_check(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[str], Any]:
    """Run the check task in this process as a worker would (retries included, at once)."""

    def run(info_hash: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.check_download_task.apply(args=[info_hash]).get()

    return run


def test_a_finished_torrent_is_completed_and_its_import_queued_with_one_call(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    qbt_sim.speed = 1 << 10  # the others stay under way
    finished = start(qbt_sim, 1)
    for n in range(2, 6):
        start(qbt_sim, n)
    # Its files were checked already (a .torrent's are, before it is added).
    Download.objects.filter(pk=finished.pk).update(files_selected_at=timezone.now())
    qbt_sim.finish(finished.info_hash)
    untouched = list(Download.objects.exclude(pk=finished.pk).values_list("pk", "updated_at"))
    client = client_for(qbt_sim)
    qbt_sim.reset_counts()

    with django_capture_on_commit_callbacks(execute=True):
        report = monitor.check_download(finished.info_hash, client=client)

    finished.refresh_from_db()
    assert report.completed == [finished.pk]
    assert finished.state == S.COMPLETED and finished.progress == 1.0
    assert queued_imports == [finished.pk]
    # Only that torrent was asked about, and only its row changed.
    assert dict(qbt_sim.calls) == {"torrents/info": 1}
    assert list(Download.objects.exclude(pk=finished.pk).values_list("pk", "updated_at")) == (
        untouched
    )


def test_two_calls_and_a_pass_for_one_finished_torrent_import_it_once(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    run_check: Callable[[str], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)

    first = run_check(download.info_hash)
    second = run_check(download.info_hash)
    with django_capture_on_commit_callbacks(execute=True):
        report = monitor.monitor_once()

    assert (first, second) == ("completed", "nothing to do")
    assert report.completed == []
    assert queued_imports == [download.pk]


def test_a_check_after_the_pass_saw_it_complete_does_nothing(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    run_check: Callable[[str], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()

    assert run_check(download.info_hash) == "nothing to do"
    assert queued_imports == [download.pk]


def test_a_torrent_qbittorrent_is_still_checking_is_looked_at_again_until_complete(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    run_check: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)
    real_get = QBittorrent.get
    looks: list[str] = []

    def get(self: QBittorrent, info_hash: str) -> Any:
        snapshot = real_get(self, info_hash)
        looks.append(snapshot.state)
        # The first two looks: every byte there, but qBittorrent rechecks the files.
        return replace(snapshot, state="checkingUP") if len(looks) <= 2 else snapshot

    monkeypatch.setattr(QBittorrent, "get", get)

    assert run_check(download.info_hash) == "completed"
    assert len(looks) == 3
    assert queued_imports == [download.pk]


def test_a_torrent_that_never_completes_is_left_to_the_monitor(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    run_check: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    qbt_sim.speed = 1 << 10
    download = start(qbt_sim)  # an early or mistaken call: the torrent is still under way
    real_get = QBittorrent.get
    looks: list[float] = []

    def get(self: QBittorrent, info_hash: str) -> Any:
        snapshot = real_get(self, info_hash)
        looks.append(snapshot.progress)
        return snapshot

    monkeypatch.setattr(QBittorrent, "get", get)

    assert run_check(download.info_hash) == "left to the monitor"

    download.refresh_from_db()
    assert download.state == S.DOWNLOADING and download.progress < 1
    assert len(looks) == len(tasks.CHECK_AGAIN) + 1  # a first look, then each look again
    assert queued_imports == []


def test_a_cancelled_download_is_not_imported_when_its_torrent_finishes(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int], run_check: Callable[[str], Any]
) -> None:
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)
    Download.objects.filter(pk=download.pk).update(state=S.CANCELLED)

    assert run_check(download.info_hash) == "nothing to do"
    download.refresh_from_db()
    assert download.state == S.CANCELLED
    assert queued_imports == []


def test_a_check_held_up_by_a_stuck_lock_tries_again_then_leaves_it_to_the_monitor(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    run_check: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    monkeypatch.setattr(tasks, "LOCK_WAIT", 0.05)
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)
    token = locks.acquire("download-monitor", ttl=300)  # a worker killed mid-pass left it

    assert run_check(download.info_hash) == "left to the monitor"
    download.refresh_from_db()
    assert download.state == S.QUEUED  # as it was added: nobody looked

    # The safety net: once the lock is free, the next pass completes it.
    locks.release("download-monitor", token)
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()
    assert queued_imports == [download.pk]


@pytest.mark.django_db(transaction=True)
def test_a_check_waits_for_a_running_pass_instead_of_losing_the_push(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int]
) -> None:
    download = start(qbt_sim)
    # A pass is running: it read the torrent before it finished and holds the lock.
    token = locks.acquire("download-monitor", ttl=300)
    qbt_sim.finish(download.info_hash)
    released = threading.Event()

    def end_the_pass() -> None:
        time.sleep(0.5)
        locks.release("download-monitor", token)
        released.set()
        connection.close()

    threading.Thread(target=end_the_pass).start()
    outcome = tasks.check_download_task.apply(args=[download.info_hash]).get()

    assert released.is_set()  # it waited for the pass, and did not give up or retry
    assert outcome == "completed"
    download.refresh_from_db()
    assert download.state == S.COMPLETED
    assert queued_imports == [download.pk]
