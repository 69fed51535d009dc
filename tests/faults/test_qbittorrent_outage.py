"""qBittorrent down, restarted, or forgetting the app's session, with a real qbittorrent-nox.

Adding and following downloads wait it out and log in again on their own: an outage is a
temporary error that the tasks retry, never a failed download, and the time qBittorrent
was away (or a torrent sat paused) does not count toward the stall timeouts.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F
from django.utils import timezone
from django_celery_results.models import TaskResult

from downloads import lifecycle, monitor
from downloads.models import Download, Indexer, QualityProfile, ReleaseCandidate
from downloads.qbittorrent import QBittorrent, QBittorrentTemporaryError
from downloads.tasks import monitor_downloads_task, stop_download_task
from plexkiosk.celery import app
from plexkiosk.simulators.torznab import TorznabSimulator
from requests_app import pipeline
from requests_app.models import MediaRequest, Status
from requests_app.tasks import failover_request_task, process_request_task
from tests.conftest import WorkerProcess, requires_services
from tests.downloads.lifecycle_helpers import DUNE, make_candidate
from tests.downloads.qbt_harness import (
    QbtInstance,
    QbtPair,
    SeededTorrent,
    require_qbittorrent,
    start_instance,
)
from tests.e2e.world import RealRelease
from tests.processes import wait_for

pytestmark = pytest.mark.slow

S = Download.State
OWNER = "test:outage"  # not a request: the request flow's receivers leave these alone
DUNE_IDS = {"imdb_id": "tt1160419", "tmdb_id": 438631}


# --- a real qBittorrent the test may stop and start ---------------------------------------
@pytest.fixture(scope="module")
def seeder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QbtInstance]:
    """One seeder (with its tracker) for the module; it stays up through every outage."""
    require_qbittorrent()
    instance = start_instance(tmp_path_factory.mktemp("seeder"), "seeder", tracker=True)
    yield instance
    instance.stop()


@pytest.fixture
def qbt(seeder: QbtInstance, tmp_path: Path, settings: Any) -> Iterator[QbtPair]:
    """The app's own qbittorrent-nox, for this test alone, with the app's settings on it."""
    client = start_instance(tmp_path, "client", username="kiosk")
    settings.QBITTORRENT_URL = client.url
    settings.QBITTORRENT_USERNAME = client.username
    settings.QBITTORRENT_PASSWORD = client.password
    settings.QBITTORRENT_CATEGORY = "plexkiosk"
    settings.DOWNLOADS_DIR = tmp_path / "downloads"
    settings.DOWNLOADS_DIR.mkdir()
    yield QbtPair(root=tmp_path, seeder=seeder, client=client)
    if client.proc is not None and client.proc.poll() is None:
        os.kill(client.proc.pid, signal.SIGCONT)  # a test that froze it may have failed
    client.stop()


def seeded_magnet(qbt: QbtPair, torrent: SeededTorrent) -> str:
    """A magnet with the seeder's tracker, so qBittorrent finds the peer by itself."""
    return f"{torrent.magnet}&tr=http://127.0.0.1:{qbt.seeder.tracker_port}/announce"


def start(
    qbt: QbtPair, name: str, *, seed: bool = True, client: QBittorrent | None = None
) -> Download:
    """Make a release (seeded, or that nobody serves) and start its download as the app does.

    Names must differ between the tests of the module: they share the seeder's folder.
    """
    torrent = qbt.make_torrent(f"{name}.mkv", 4 << 20, seed=seed)
    magnet = seeded_magnet(qbt, torrent) if seed else torrent.magnet
    candidate = make_candidate(torrent.name, torrent.size, magnet=magnet)
    return lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE, client=client)


def start_download(candidate: ReleaseCandidate, client: QBittorrent) -> Download:
    """Start the candidate's download as the request flow does, through this client."""
    return lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE, client=client)


def hashes_in_qbittorrent(qbt: QbtPair) -> set[str]:
    return {t.hash for t in qbt.client.api.torrents_info(category="plexkiosk")}


def rows() -> dict[int, tuple[str, float, str, datetime]]:
    """Each download's state, progress, error and last update, by id."""
    return {
        pk: (state, progress, error, updated)
        for pk, state, progress, error, updated in Download.objects.values_list(
            "pk", "state", "progress", "error", "updated_at"
        )
    }


class LoginCounter:
    """Count the logins of one app client's qbittorrent-api session, and show its cookie."""

    def __init__(self, client: QBittorrent) -> None:
        self.api = client._api
        self.count = 0
        log_in = self.api.auth_log_in

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return log_in(*args, **kwargs)

        # qbittorrent-api looks auth_log_in up on the instance when a call gets a 403.
        self.api.auth_log_in = counting

    @property
    def sid(self) -> str | None:
        return self.api._SID


def expire_session(url: str, sid: str) -> None:
    """End a session on qBittorrent's side only, as its session timeout does."""
    assert requests.post(f"{url}/api/v2/auth/logout", cookies={"SID": sid}, timeout=5).ok
    # The client still holds the cookie, but qBittorrent no longer knows it.
    assert (
        requests.get(f"{url}/api/v2/app/version", cookies={"SID": sid}, timeout=5).status_code
        == 403
    )


# --- (a) adding while qBittorrent is down ---------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_adding_while_qbittorrent_is_down_is_a_temporary_error_that_writes_nothing(
    qbt: QbtPair, outage: str
) -> None:
    torrent = qbt.make_torrent(f"Dune.2021.1080p.BluRay.x264-{outage.upper()}.mkv", 4 << 20)
    candidate = make_candidate(torrent.name, torrent.size, magnet=seeded_magnet(qbt, torrent))
    # Short timeouts: a frozen qBittorrent accepts connections and never answers.
    client = QBittorrent(timeout=(1.0, 1.0))
    if outage == "stopped":
        qbt.client.stop()
    else:
        os.kill(qbt.client.proc.pid, signal.SIGSTOP)

    with pytest.raises(QBittorrentTemporaryError, match="unreachable"):
        start_download(candidate, client)
    assert not Download.objects.exists()

    if outage == "stopped":
        qbt.client.start()
    else:
        os.kill(qbt.client.proc.pid, signal.SIGCONT)
    download = start_download(candidate, client)
    assert download.info_hash == torrent.info_hash and download.state == S.QUEUED
    assert hashes_in_qbittorrent(qbt) == {torrent.info_hash}
    assert Download.objects.count() == 1


@pytest.fixture
def broker_emptied() -> Iterator[None]:
    """Drop what a test's workers leave queued on the broker (a retry due in minutes)."""
    yield
    app.control.purge()
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.delete("unacked", "unacked_index")


@pytest.fixture
def indexer(qbt: QbtPair) -> Iterator[TorznabSimulator]:
    """An indexer offering one real, seeded Dune release; a profile that accepts 4 MB films."""
    simulator = TorznabSimulator([], api_key="k").start()
    Indexer.objects.create(name="Simulated", url=simulator.url, api_key="k")
    profile = QualityProfile.get_default()
    QualityProfile.objects.filter(pk=profile.pk).update(
        movie_min_gb=0.001, movie_min_gb_by_resolution={}
    )
    yield simulator
    simulator.stop()


def worker_env(qbt: QbtPair, tmp_path: Path) -> dict[str, str]:
    client = qbt.client
    return {
        "QBITTORRENT_URL": client.url,
        "QBITTORRENT_USERNAME": client.username,
        "QBITTORRENT_PASSWORD": client.password,
        "QBITTORRENT_CATEGORY": "plexkiosk",
        "DOWNLOADS_DIR": str(django_settings.DOWNLOADS_DIR),
        "MOVIES_DIR": str(tmp_path / "media" / "Movies"),
        "TV_DIR": str(tmp_path / "media" / "TV"),
    }


def task_state(task_id: str) -> TaskResult | None:
    return TaskResult.objects.filter(task_id=task_id).first()


def wait_for_state(
    task_id: str, states: set[str], worker: WorkerProcess, timeout: float
) -> TaskResult:
    """Wait until the task's stored state is one of `states`; return its result row."""

    def reached() -> TaskResult | None:
        result = task_state(task_id)
        return result if result is not None and result.status in states else None

    return wait_for(
        reached,
        timeout,
        what=f"task {task_id} reaching {sorted(states)}",
        logs=[lambda: f"its last state: {task_state(task_id)}", worker],
    )


def retry_due_in(worker: WorkerProcess, task_id: str, *, minutes: int) -> bool:
    """Wait until the worker holds a retry of the task due `minutes` from now (+1 min)."""

    def held() -> bool:
        scheduled = app.control.inspect([worker.hostname], timeout=2).scheduled() or {}
        return any(
            entry["request"]["id"] == task_id
            and timedelta(minutes=minutes - 0.5)
            < datetime.fromisoformat(entry["eta"]) - timezone.now()
            < timedelta(minutes=minutes + 1)
            for entry in scheduled.get(worker.hostname, [])
        )

    return bool(wait_for(held, timeout=30, what=f"a retry due in {minutes} min"))


def approved_dune() -> MediaRequest:
    """An approved Dune request with the id of the task that is to search for it."""
    user = get_user_model().objects.create_user("ana", password="pw-ana-123")
    return MediaRequest.objects.create(
        requested_by=user,
        media_type="movie",
        title="Dune",
        year=2021,
        status=Status.APPROVED,
        celery_task_id=str(uuid.uuid4()),
        **DUNE_IDS,
    )


def offer(qbt: QbtPair, indexer: TorznabSimulator, name: str, **options: Any) -> RealRelease:
    """Make a real torrent (seeded unless told) and have the indexer list it for Dune."""
    seed = options.pop("seed", True)
    torrent = qbt.make_torrent(f"{name}.mkv", 4 << 20, seed=seed)
    tracker = f"http://127.0.0.1:{qbt.seeder.tracker_port}/announce"
    release = RealRelease(torrent, tracker=tracker, **DUNE_IDS, **options)
    indexer.state.releases.append(release)
    return release


@requires_services
@pytest.mark.django_db(transaction=True)
def test_a_request_added_while_qbittorrent_is_down_is_retried_and_ends_with_one_torrent(
    broker_emptied: None,
    celery_worker_process: Callable[..., WorkerProcess],
    qbt: QbtPair,
    indexer: TorznabSimulator,
    tmp_path: Path,
) -> None:
    release = offer(qbt, indexer, "Dune.2021.1080p.BluRay.x264-RETRY")
    qbt.client.stop()
    worker = celery_worker_process(**worker_env(qbt, tmp_path))

    request = approved_dune()
    task_id = request.celery_task_id
    process_request_task.apply_async(args=[request.pk], task_id=task_id)

    # The search found the release; handing it to qBittorrent failed: the task retries.
    retried = wait_for_state(task_id, {"RETRY", "SUCCESS", "FAILURE"}, worker, 60)
    request.refresh_from_db()
    assert retried.status == "RETRY", (retried.result, request.status_reason)
    assert "unreachable" in retried.result
    # Still this task's claim (its retry resumes it), not failed; nothing was recorded.
    assert (request.status, request.celery_task_id) == (Status.SEARCHING, task_id)
    assert not Download.objects.exists()
    assert retry_due_in(worker, task_id, minutes=1)

    # Half an hour into the outage, the fourth try (sent now rather than awaited) fails
    # the same way and waits 30 minutes more: the request is not given up.
    process_request_task.apply_async(args=[request.pk], task_id=task_id, retries=3)
    assert retry_due_in(worker, task_id, minutes=30)
    request.refresh_from_db()
    assert request.status == Status.SEARCHING, request.status_reason

    # qBittorrent is back before the first retry, due a minute after the first try.
    qbt.client.start()
    done = wait_for_state(task_id, {"SUCCESS", "FAILURE"}, worker, 120)

    assert done.status == "SUCCESS" and json.loads(done.result) == "downloading", done.result
    request.refresh_from_db()
    assert request.status == Status.DOWNLOADING
    assert request.download_hash == release.info_hash
    assert hashes_in_qbittorrent(qbt) == {release.info_hash}
    assert list(Download.objects.values_list("info_hash", "state")) == [
        (release.info_hash, S.QUEUED)
    ]


@requires_services
@pytest.mark.django_db(transaction=True)
def test_a_failover_while_qbittorrent_is_down_is_retried_and_downloads_the_next_release(
    broker_emptied: None,
    celery_worker_process: Callable[..., WorkerProcess],
    qbt: QbtPair,
    indexer: TorznabSimulator,
    settings: Any,
    tmp_path: Path,
) -> None:
    dead = offer(qbt, indexer, "Dune.2021.1080p.BluRay.x264-DEAD", seed=False, seeders=50)
    spare = offer(qbt, indexer, "Dune.2021.1080p.BluRay.x264-SPARE", seeders=5)
    request = approved_dune()
    assert pipeline.search_and_download(request.pk, task_id=request.celery_task_id) == (
        "downloading"
    )
    # Nobody serves the first choice: the monitor fails it, which queues the failover.
    settings.DOWNLOAD_STALL_TIMEOUT = settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 1
    wait_for(
        lambda: monitor.monitor_once().failed,
        timeout=20,
        what="the monitor to fail the release nobody serves",
    )
    reason = Download.objects.get(info_hash=dead.info_hash).error
    qbt.client.stop()
    worker = celery_worker_process(**worker_env(qbt, tmp_path))

    failover = wait_for(
        lambda: TaskResult.objects.filter(task_name=failover_request_task.name).first(),
        timeout=60,
        what="the failover task to run",
    )
    retried = wait_for_state(failover.task_id, {"RETRY", "SUCCESS", "FAILURE"}, worker, 60)
    assert retried.status == "RETRY" and "unreachable" in retried.result, retried.result
    request.refresh_from_db()
    assert request.status == Status.SEARCHING  # trying the next release, not failed

    qbt.client.start()
    # Its retry, sent now rather than after the task's 60 s countdown.
    failover_request_task.apply_async(
        args=[request.pk, dead.info_hash, reason], task_id=failover.task_id, retries=1
    )
    done = wait_for_state(failover.task_id, {"SUCCESS", "FAILURE"}, worker, 60)

    assert done.status == "SUCCESS" and json.loads(done.result) == "downloading", done.result
    request.refresh_from_db()
    assert (request.status, request.download_hash) == (Status.DOWNLOADING, spare.info_hash)
    assert hashes_in_qbittorrent(qbt) == {spare.info_hash}


# --- (b) restarted while downloads exist ---------------------------------------------------
def added_long_ago() -> None:
    """Date the downloads an hour back: one missing from qBittorrent's list is now "lost".

    The first pass after a restart runs the moment the Web UI answers; qBittorrent 4.5
    loads every torrent before it opens the Web UI (300 checked), so none is missing then.
    """
    Download.objects.update(added_at=F("added_at") - timedelta(hours=1))


@pytest.mark.django_db
def test_a_restart_fails_one_monitor_pass_as_temporary_and_the_next_logs_in_and_updates_all(
    qbt: QbtPair,
) -> None:
    client = QBittorrent()
    logins = LoginCounter(client)
    slow = start(qbt, "Dune.2021.1080p.BluRay.x264-SLOW", client=client)
    # 4 MB at 256 KiB/s: still downloading across the restart.
    qbt.seeder.api.torrents_set_upload_limit(limit=256 << 10, torrent_hashes=slow.info_hash)
    stuck = start(qbt, "Dune.2021.1080p.BluRay.x264-NOBODY", seed=False, client=client)
    wait_for(
        lambda: (
            monitor.monitor_once(client=client).updated == 2
            and Download.objects.get(pk=slow.pk).progress > 0
        ),
        timeout=20,
        what="the slow download to start moving",
    )
    first_sid = logins.sid
    logins.count = 0
    added_long_ago()

    qbt.client.stop()
    before = rows()
    with pytest.raises(QBittorrentTemporaryError):
        monitor.monitor_once(client=client)
    assert rows() == before  # nothing failed, nothing touched

    qbt.client.start()
    restarted_at = timezone.now()
    report = monitor.monitor_once(client=client)

    assert report.failed == [] and report.updated == 2
    assert logins.count == 1 and logins.sid not in (None, first_sid)
    # The torrents survived in qBittorrent's own profile, and every row was followed.
    assert hashes_in_qbittorrent(qbt) == {slow.info_hash, stuck.info_hash}
    after = rows()
    assert all(updated >= restarted_at for _, _, _, updated in after.values()), after
    assert after[stuck.pk][0] == S.STALLED and not after[stuck.pk][2]
    # Right after a start qBittorrent may say checkingResumeData at 0 %; then it goes on.
    wait_for(
        lambda: (
            monitor.monitor_once(client=client).failed == []
            and Download.objects.get(pk=slow.pk).progress > before[slow.pk][1]
        ),
        timeout=20,
        what="the slow download to go on after the restart",
    )
    assert logins.count == 1


@requires_services
@pytest.mark.django_db(transaction=True)
def test_the_monitor_task_retries_through_a_restart_and_its_retry_updates_every_download(
    broker_emptied: None,
    celery_worker_process: Callable[..., WorkerProcess],
    qbt: QbtPair,
    tmp_path: Path,
) -> None:
    downloads = [
        start(qbt, "Dune.2021.1080p.BluRay.x264-TASK1", seed=False),
        start(qbt, "Dune.2021.1080p.BluRay.x264-TASK2", seed=False),
    ]
    added_long_ago()
    worker = celery_worker_process(**worker_env(qbt, tmp_path))
    qbt.client.stop()

    task_id = monitor_downloads_task.delay().id
    retried = wait_for_state(task_id, {"RETRY", "SUCCESS", "FAILURE"}, worker, 60)
    assert retried.status == "RETRY" and "unreachable" in retried.result, retried.result
    qbt.client.start()  # the retry is due in 0-5 s (backoff 5 s with full jitter)
    restarted_at = timezone.now()
    done = wait_for_state(task_id, {"SUCCESS", "FAILURE"}, worker, 60)

    assert done.status == "SUCCESS", done.result
    assert json.loads(done.result) == {"seen": 2, "updated": 2, "completed": 0, "failed": 0}
    for download in downloads:
        download.refresh_from_db()
        assert download.state == S.STALLED and download.updated_at >= restarted_at


# --- (c) the session expired ---------------------------------------------------------------
@pytest.mark.django_db
def test_an_expired_session_is_renewed_once_by_the_next_add_and_the_next_monitor_pass(
    qbt: QbtPair,
) -> None:
    client = QBittorrent()
    client.login()
    logins = LoginCounter(client)
    first = start(qbt, "Dune.2021.1080p.BluRay.x264-SESSION1", seed=False, client=client)
    assert logins.count == 0

    expired = logins.sid
    expire_session(qbt.client.url, expired)
    second = start(qbt, "Dune.2021.1080p.BluRay.x264-SESSION2", seed=False, client=client)
    assert logins.count == 1 and logins.sid not in (None, expired)
    assert hashes_in_qbittorrent(qbt) == {first.info_hash, second.info_hash}

    expired = logins.sid
    expire_session(qbt.client.url, expired)
    report = monitor.monitor_once(client=client)
    assert report.updated == 2 and report.failed == []
    assert logins.count == 2 and logins.sid not in (None, expired)
    assert set(Download.objects.values_list("state", flat=True)) == {S.STALLED}


# --- (d) time away, or paused, is not a stall ------------------------------------------------
def move_clocks_back(download: Download, by: timedelta, *, watched: bool) -> None:
    """Move every time on the row back by `by`, as if that much time had passed since.

    `watched`: the monitor kept passing meanwhile (its last pass was just now), so only
    the row's history moves; otherwise nobody saw the torrent for all that time.
    """
    clocks = [f.name for f in Download._meta.fields if isinstance(f, models.DateTimeField)]
    moved: dict[str, Any] = {name: F(name) - by for name in clocks}
    if watched:
        moved["updated_at"] = timezone.now() - timedelta(seconds=15)
    Download.objects.filter(pk=download.pk).update(**moved)


@pytest.mark.django_db
def test_an_outage_longer_than_the_stall_timeout_fails_nothing_but_a_stall_after_it_does(
    qbt: QbtPair, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 2 * 3600
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 2 * 3600
    stuck = start(qbt, "Dune.2021.1080p.BluRay.x264-UNSEEDED", seed=False)
    assert monitor.monitor_once().updated == 1

    qbt.client.stop()
    with pytest.raises(QBittorrentTemporaryError):
        monitor.monitor_once()
    # qBittorrent stays off for three hours, more than either timeout.
    move_clocks_back(stuck, timedelta(hours=3), watched=False)
    qbt.client.start()

    report = monitor.monitor_once()
    stuck.refresh_from_db()
    assert report.failed == [] and (stuck.state, stuck.error) == (S.STALLED, "")
    assert hashes_in_qbittorrent(qbt) == {stuck.info_hash}

    # Back, followed every 15 s, and still nothing for a whole timeout: a real stall.
    move_clocks_back(stuck, timedelta(hours=2, minutes=1), watched=True)
    report = monitor.monitor_once(client=QBittorrent())
    stuck.refresh_from_db()
    assert report.failed == [(stuck.pk, "no progress for 2 h")]
    assert (stuck.state, stuck.error) == (S.FAILED, "no progress for 2 h")
    assert hashes_in_qbittorrent(qbt) == set()


@pytest.mark.django_db
def test_a_torrent_paused_in_qbittorrent_longer_than_the_stall_timeout_is_not_failed(
    qbt: QbtPair, settings: Any
) -> None:
    # Real seconds: a torrent nobody serves is failed after 2 s unless it is paused.
    settings.DOWNLOAD_STALL_TIMEOUT = 2
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 2
    running = start(qbt, "Dune.2021.1080p.BluRay.x264-RUNNING", seed=False)
    paused = start(qbt, "Dune.2021.1080p.BluRay.x264-PAUSED", seed=False)
    api = qbt.client.api
    api.torrents_pause(torrent_hashes=paused.info_hash)
    wait_for(
        lambda: api.torrents_info(torrent_hashes=paused.info_hash)[0].state == "pausedDL",
        timeout=10,
        what="qBittorrent to pause the torrent",
    )
    paused_at = time.monotonic()

    def states() -> dict[int, str]:
        monitor.monitor_once()
        return dict(Download.objects.values_list("pk", "state"))

    # Passes go on until the running one is failed and the pause outlasted the timeout.
    wait_for(
        lambda: states()[running.pk] == S.FAILED and time.monotonic() - paused_at > 3,
        timeout=20,
        what="the unpaused torrent nobody serves to be failed",
    )
    paused.refresh_from_db()
    assert (paused.state, paused.qbt_state, paused.error) == (S.DOWNLOADING, "pausedDL", "")
    assert hashes_in_qbittorrent(qbt) == {paused.info_hash}

    # Resumed, still nobody serving it: its clocks run again from the resume on.
    api.torrents_resume(torrent_hashes=paused.info_hash)
    wait_for(
        lambda: states()[paused.pk] == S.FAILED,
        timeout=20,
        what="the resumed torrent nobody serves to be failed",
    )


# --- a cancel while qBittorrent is down --------------------------------------------------------
@pytest.mark.django_db
def test_a_download_cancelled_while_qbittorrent_is_down_is_never_followed_again(
    qbt: QbtPair,
) -> None:
    download = start(qbt, "Dune.2021.1080p.BluRay.x264-CANCEL")
    qbt.client.stop()

    with pytest.raises(QBittorrentTemporaryError):
        lifecycle.stop_download(download.info_hash)
    # Cancelled at once: however long qBittorrent stays away (longer than the task's
    # retries), the monitor will not finish and import what nobody wants any more.
    download.refresh_from_db()
    assert download.state == S.CANCELLED

    qbt.client.start()
    assert monitor.monitor_once().updated == 0
    lifecycle.stop_download(download.info_hash)  # the task's retry
    assert hashes_in_qbittorrent(qbt) == set()
    download.refresh_from_db()
    assert download.state == S.CANCELLED


@requires_services
@pytest.mark.django_db(transaction=True)
def test_the_stop_task_retries_a_cancel_until_qbittorrent_is_back_and_removes_the_torrent(
    broker_emptied: None,
    celery_worker_process: Callable[..., WorkerProcess],
    qbt: QbtPair,
    tmp_path: Path,
) -> None:
    download = start(qbt, "Dune.2021.1080p.BluRay.x264-STOPTASK", seed=False)
    worker = celery_worker_process(**worker_env(qbt, tmp_path))
    qbt.client.stop()

    task_id = stop_download_task.delay(download.info_hash).id
    retried = wait_for_state(task_id, {"RETRY", "SUCCESS", "FAILURE"}, worker, 60)
    assert retried.status == "RETRY" and "unreachable" in retried.result, retried.result
    download.refresh_from_db()
    assert download.state == S.CANCELLED
    qbt.client.start()  # the retry is due in 0-10 s (backoff 10 s with full jitter)

    done = wait_for_state(task_id, {"SUCCESS", "FAILURE"}, worker, 60)
    assert done.status == "SUCCESS", done.result
    assert hashes_in_qbittorrent(qbt) == set()
