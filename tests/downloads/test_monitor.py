"""The download monitor: one call, constant queries, completion, stall/error/lost failover."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from downloads import monitor
from downloads.models import Blocklist, Download
from downloads.qbittorrent import QBittorrent, QBittorrentError, TorrentSnapshot
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.downloads.lifecycle_helpers import (
    OWNER,
    S,
    client_for,
    fake_hash,
    start,
    under_way,
)

pytestmark = pytest.mark.django_db


def _monitor_cost(sim: QBittorrentSimulator, downloads: int) -> tuple[int, int]:
    """Add `downloads` active downloads; return (HTTP calls, SQL queries) of one monitor pass."""
    Download.objects.all().delete()
    sim.torrents.clear()
    for torrent in sim.add_many(downloads):
        Download.objects.create(
            info_hash=torrent.hash,
            release_title=torrent.name,
            media_type="movie",
            title="Bench",
            state=S.DOWNLOADING,
            owner_ref=OWNER,
        )
    client = client_for(sim)
    sim.reset_counts()
    with CaptureQueriesContext(connection) as queries:
        report = monitor.monitor_once(client=client)
    assert report.updated == downloads
    return sum(sim.calls.values()), len(queries)


def test_the_monitor_makes_one_call_and_the_same_queries_for_1_or_50_downloads(
    qbt_sim: QBittorrentSimulator, queued_imports: list[int]
) -> None:
    calls_one, queries_one = _monitor_cost(qbt_sim, 1)
    calls_fifty, queries_fifty = _monitor_cost(qbt_sim, 50)

    assert calls_one == calls_fifty == 1
    assert qbt_sim.calls["torrents/info"] == 1
    assert queries_one == queries_fifty <= 4
    assert Download.objects.filter(progress__gt=0.2).count() > 10


def test_the_monitor_follows_progress_then_queues_the_import_once(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    qbt_sim.speed = 1 << 20
    download = start(qbt_sim)
    under_way(qbt_sim, download)
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.DOWNLOADING
    assert 0 < download.progress < 1 and download.dlspeed == 1 << 20 and download.eta
    assert queued_imports == []

    qbt_sim.finish(download.info_hash)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.COMPLETED and download.progress == 1
    assert download.completed_at is not None and download.content_path.endswith(".mkv")
    assert queued_imports == [download.pk]


def test_a_pass_with_the_broker_away_saves_every_download_and_a_later_pass_queues_the_import(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    finished, running = start(qbt_sim, 1), start(qbt_sim, 2)
    qbt_sim.finish(finished.info_hash)
    qbt_sim.speed = 1 << 20
    under_way(qbt_sim, running)

    def broker_down(*args: object, **options: object) -> None:
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379")

    with (
        mock.patch("downloads.tasks.import_download_task.apply_async", broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = monitor.monitor_once()

    assert report.completed == [finished.pk] and report.updated == 2
    finished.refresh_from_db()
    running.refresh_from_db()
    assert finished.state == S.COMPLETED and running.progress > 0
    assert f"import of download {finished.pk} not queued" in caplog.text
    # Ten minutes on, the import that was never queued is queued again.
    Download.objects.filter(pk=finished.pk).update(
        completed_at=timezone.now() - timedelta(minutes=11)
    )
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()
    assert queued_imports == [finished.pk]


@pytest.mark.parametrize(
    ("stall", "no_seeders", "reason"),
    [(0, 3600, "no progress for 0 min"), (21600, 0, "no seeders for 0 min")],
)
def test_a_stalled_download_is_failed_blocklisted_and_its_owner_told(
    qbt_sim: QBittorrentSimulator,
    settings: Any,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
    stall: int,
    no_seeders: int,
    reason: str,
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = stall
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = no_seeders
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    time.sleep(0.05)  # time passes: past the 0-minute timeout under test
    with django_capture_on_commit_callbacks(execute=True):
        report = monitor.monitor_once()

    download.refresh_from_db()
    assert download.state == S.FAILED and download.error == reason
    assert report.failed == [(download.pk, reason)]
    assert download.info_hash not in qbt_sim.torrents
    assert Blocklist.objects.filter(info_hash=download.info_hash, request_ref="").exists()
    assert Blocklist.objects.filter(info_hash=download.info_hash, request_ref=OWNER).exists()
    assert [(kind, kw["owner_ref"], kw["reason"]) for kind, kw in told] == [
        ("failed", OWNER, reason)
    ]


def test_a_download_with_nothing_wrong_is_left_alone_within_the_timeouts(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 3600
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 3600
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.STALLED and download.info_hash in qbt_sim.torrents


def test_an_errored_download_is_removed_with_its_data_and_failed(
    qbt_sim: QBittorrentSimulator,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    content = Path(under_way(qbt_sim, download).content_path)
    assert content.exists()
    qbt_sim.error(download.info_hash)
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()

    download.refresh_from_db()
    assert download.state == S.FAILED and download.error == "qBittorrent reports an error (error)"
    assert download.info_hash not in qbt_sim.torrents and not content.exists()
    assert Blocklist.objects.filter(info_hash=download.info_hash).exists()
    assert told[0][0] == "failed"


def test_a_download_qbittorrent_lost_fails_after_a_grace_period(
    qbt_sim: QBittorrentSimulator,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    qbt_sim.lose(download.info_hash)
    monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.QUEUED  # just added: qBittorrent may not list it yet

    Download.objects.filter(pk=download.pk).update(added_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.FAILED
    assert download.error == "qBittorrent no longer has this torrent"
    assert told == [("failed", mock.ANY)] and told[0][1]["reason"] == download.error


def test_the_monitor_never_touches_torrents_outside_the_category(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 0
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 0
    for n, category in enumerate(["", "movies", "plexkiosk-other"]):
        torrent = qbt_sim.add(
            info_hash=fake_hash(n + 100), name=f"Mine.{n}", size=1 << 20, category=category
        )
        qbt_sim.error(torrent.hash)
    # Even a Download row for that hash does not make a foreign torrent the app's.
    Download.objects.create(
        info_hash=fake_hash(100), release_title="x", media_type="movie", title="x", state=S.QUEUED
    )
    report = monitor.monitor_once()

    assert report.seen == 0
    assert len(qbt_sim.torrents) == 3 and qbt_sim.calls["torrents/delete"] == 0


def test_a_download_qbittorrent_finished_long_ago_is_queued_for_import_once(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    download = start(qbt_sim)
    qbt_sim.finish(download.info_hash)
    # Already complete in qBittorrent for an hour (a release seeded before it was asked for).
    qbt_sim.update(download.info_hash, completion_on=int(time.time()) - 3600)
    with django_capture_on_commit_callbacks(execute=True):
        monitor.monitor_once()
    assert queued_imports == [download.pk]


def test_the_monitor_marks_the_downloads_it_updated(qbt_sim: QBittorrentSimulator) -> None:
    download = start(qbt_sim)
    Download.objects.filter(pk=download.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    monitor.monitor_once()
    download.refresh_from_db()
    assert timezone.now() - download.updated_at < timedelta(minutes=1)


def test_one_monitor_pass_over_1000_active_downloads_follows_each_and_acts_on_the_right_ones(
    qbt_sim: QBittorrentSimulator,
    queued_imports: list[int],
    settings: Any,
    told: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 3600
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 3600
    # Slow enough that no torrent at 95 % completes on its own while a loaded machine runs this.
    qbt_sim.speed = 1 << 10
    torrents = qbt_sim.add_many(1000)
    downloads = Download.objects.bulk_create(
        Download(
            info_hash=t.hash,
            release_title=t.name,
            media_type="movie",
            title=t.name,
            state=S.QUEUED,
            owner_ref=f"test:{n}",
        )
        for n, t in enumerate(torrents)
    )
    hashes = [d.info_hash for d in downloads]
    # 50 of the 1,000 go wrong or finish in five ways, 10 each, spread over the list.
    finished, errored, dead, waiting, lost = (set(hashes[k::100][:10]) for k in range(5))
    for info_hash in finished:
        qbt_sim.finish(info_hash)
    for info_hash in errored:
        qbt_sim.error(info_hash)
    for info_hash in dead | waiting:
        qbt_sim.stall(info_hash)
    for info_hash in lost:
        qbt_sim.lose(info_hash)
    before = {s.hash: s.progress for s in client_for(qbt_sim).list_torrents()}
    # Dead: no progress for two hours. Waiting: stalled, but only since a minute ago.
    two_hours_ago = timezone.now() - timedelta(hours=2)
    for info_hash in dead:
        Download.objects.filter(info_hash=info_hash).update(
            added_at=two_hours_ago, progress=before[info_hash]
        )
    Download.objects.filter(info_hash__in=lost).update(added_at=two_hours_ago)
    # The previous pass saw them all a minute ago (a longer gap would be an outage).
    Download.objects.update(updated_at=timezone.now() - timedelta(minutes=1))

    qbt_sim.reset_counts()
    with django_capture_on_commit_callbacks(execute=True):
        report = monitor.monitor_once()
    deletes = qbt_sim.calls["torrents/delete"]
    # One read of all 1,000, and one delete per failed torrent: nothing read twice.
    assert +qbt_sim.calls == {"auth/login": 1, "torrents/info": 1, "torrents/delete": 20}, (
        qbt_sim.calls
    )
    after = {s.hash: s.progress for s in client_for(qbt_sim).list_torrents()}

    by_hash = {d.info_hash: d for d in Download.objects.all()}
    assert report.seen == 990 and report.updated == 970
    assert sorted(report.completed) == sorted(by_hash[h].pk for h in finished)
    assert sorted(queued_imports) == sorted(report.completed)
    failed = {by_hash[h].pk: h for h in errored | dead | lost}
    assert {pk for pk, _ in report.failed} == set(failed)
    for info_hash in errored | dead | lost:
        assert by_hash[info_hash].state == S.FAILED, info_hash
    assert {by_hash[h].error for h in errored} == {"qBittorrent reports an error (error)"}
    assert {by_hash[h].error for h in dead} == {"no progress for 1 h"}
    assert {by_hash[h].error for h in lost} == {"qBittorrent no longer has this torrent"}
    # The failed ones are gone from qBittorrent, blocklisted, and their owners told once each.
    assert deletes == 20 and not (errored | dead) & set(qbt_sim.torrents)
    assert Blocklist.objects.filter(info_hash__in=failed.values(), request_ref="").count() == 30
    assert sorted(kw["owner_ref"] for kind, kw in told if kind == "failed") == sorted(
        by_hash[h].owner_ref for h in failed.values()
    )
    # Every other row now mirrors qBittorrent and carries this pass's time.
    for info_hash in set(hashes) - set(failed.values()):
        download = by_hash[info_hash]
        assert timezone.now() - download.updated_at < timedelta(seconds=50), info_hash
        assert before[info_hash] <= download.progress <= after.get(info_hash, 1.0), info_hash
        assert download.qbt_state, info_hash
    assert {by_hash[h].state for h in finished} == {S.COMPLETED}
    assert {by_hash[h].state for h in waiting} == {S.STALLED}
    rest = set(hashes) - finished - errored - dead - waiting - lost
    assert len(rest) == 950 and {by_hash[h].state for h in rest} == {S.DOWNLOADING}


def _age(download: Download, **clocks: timedelta) -> None:
    """Move a download's clocks back in time, as if that much had passed."""
    now = timezone.now()
    Download.objects.filter(pk=download.pk).update(**{k: now - v for k, v in clocks.items()})


@pytest.mark.parametrize("state", ["pausedDL", "checkingDL", "queuedDL", "checkingResumeData"])
def test_time_paused_checked_or_queued_in_qbittorrent_is_not_a_stall(
    qbt_sim: QBittorrentSimulator, settings: Any, state: str
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 3600
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 3600
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    # Followed every 15 s for two hours while qBittorrent held it paused, checking or queued.
    hours = timedelta(hours=2)
    _age(download, added_at=hours, last_progress_at=hours, last_seeded_at=hours)
    real_list = QBittorrent.list_torrents

    def listed(self: QBittorrent) -> list[TorrentSnapshot]:
        return [replace(s, state=state) for s in real_list(self)]

    with mock.patch.object(QBittorrent, "list_torrents", listed):
        report = monitor.monitor_once()
    assert report.failed == []
    download.refresh_from_db()
    assert download.state == S.DOWNLOADING and download.qbt_state == state

    # Going again, still with nobody sending: the clocks start now, not two hours ago.
    report = monitor.monitor_once()
    download.refresh_from_db()
    assert report.failed == [] and download.state == S.STALLED


def test_a_long_qbittorrent_outage_does_not_count_toward_the_stall_timeouts(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 3600
    settings.DOWNLOAD_NO_SEEDERS_TIMEOUT = 3600
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    monitor.monitor_once()

    # qBittorrent is off for three hours: every pass fails before touching the row.
    qbt_sim.down()
    with pytest.raises(QBittorrentError) as away:
        monitor.monitor_once()
    assert away.value.temporary
    hours = timedelta(hours=3)
    _age(download, added_at=hours, updated_at=hours, last_progress_at=hours, last_seeded_at=hours)
    qbt_sim.up()

    report = monitor.monitor_once()
    download.refresh_from_db()
    assert report.failed == [] and download.state == S.STALLED, download.error

    # Back and still stuck for a whole timeout after its return: that is a real stall.
    _age(download, last_progress_at=timedelta(minutes=61), last_seeded_at=timedelta(minutes=61))
    report = monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.FAILED and download.error == "no progress for 1 h"


def test_ordinary_gaps_between_passes_count_toward_the_stall_timeouts(
    qbt_sim: QBittorrentSimulator, settings: Any
) -> None:
    settings.DOWNLOAD_STALL_TIMEOUT = 3600
    download = start(qbt_sim)
    qbt_sim.stall(download.info_hash)
    # Seen 20 minutes ago (a slow monitor row), no progress for 61 minutes.
    _age(
        download,
        added_at=timedelta(minutes=61),
        updated_at=timedelta(minutes=20),
        last_progress_at=timedelta(minutes=61),
    )
    report = monitor.monitor_once()
    download.refresh_from_db()
    assert [reason for _, reason in report.failed] == ["no progress for 1 h"]


def test_a_cancelled_downloads_torrent_left_in_qbittorrent_is_removed_by_the_next_pass(
    qbt_sim: QBittorrentSimulator,
) -> None:
    cancelled, imported, stranger = (start(qbt_sim, n) for n in (1, 2, 3))
    # The cancel marked its row while qBittorrent was away; its torrent is still there.
    Download.objects.filter(pk=cancelled.pk).update(state=S.CANCELLED)
    Download.objects.filter(pk=imported.pk).update(state=S.IMPORTED)  # seeding on: kept
    Download.objects.filter(pk=stranger.pk).delete()  # in the category, not ours: kept
    monitor.monitor_once()
    assert set(qbt_sim.torrents) == {imported.info_hash, stranger.info_hash}
    # Once gone, nothing more is asked of qBittorrent.
    qbt_sim.reset_counts()
    monitor.monitor_once()
    assert qbt_sim.calls["torrents/delete"] == 0


def test_a_restarted_qbittorrent_checking_at_zero_percent_keeps_the_known_progress(
    qbt_sim: QBittorrentSimulator,
) -> None:
    download = start(qbt_sim)
    qbt_sim.update(download.info_hash, downloaded=(2 << 20) // 2)
    monitor.monitor_once()
    download.refresh_from_db()
    assert download.progress == pytest.approx(0.5, abs=0.01)
    real_list = QBittorrent.list_torrents

    def checking(self: QBittorrent) -> list[TorrentSnapshot]:
        return [replace(s, state="checkingResumeData", progress=0.0) for s in real_list(self)]

    with mock.patch.object(QBittorrent, "list_torrents", checking):
        monitor.monitor_once()
    download.refresh_from_db()
    assert download.progress == pytest.approx(0.5, abs=0.01)
    assert download.qbt_state == "checkingResumeData"
