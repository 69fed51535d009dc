"""A new household's mirror is filled when beat starts, not at minute 0 of the next hour."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from library.first_sync import queue_first_full_sync
from library.models import LibraryItem, SyncRun
from plexkiosk.simulators.plex import PlexSimulator
from tests.conftest import process_env, requires_services
from tests.processes import Stack, wait_for

pytestmark = pytest.mark.django_db


def test_beat_starting_with_plex_never_read_queues_one_full_sync_and_says_so(
    plex_settings: PlexSimulator,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks,
) -> None:
    with (
        mock.patch("library.tasks.sync_plex_library_task.apply_async") as sync,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert queue_first_full_sync()
    sync.assert_called_once_with(args=[], kwargs={"full_sync": True})
    assert "No full Plex library sync has succeeded yet: one is queued now" in caplog.text


def test_nothing_is_queued_once_a_full_sync_succeeded_or_without_plex(
    plex_settings: PlexSimulator, settings: object, django_capture_on_commit_callbacks
) -> None:
    # An incremental run does not count: only a full one has read everything.
    SyncRun.objects.create(kind="incremental", status="succeeded", started_at=timezone.now())
    with (
        mock.patch("library.tasks.sync_plex_library_task.apply_async") as sync,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert queue_first_full_sync()
        SyncRun.objects.create(kind="full", status="succeeded", started_at=timezone.now())
        assert not queue_first_full_sync()
        SyncRun.objects.all().delete()
        settings.PLEX_TOKEN = ""
        assert not queue_first_full_sync()
    assert sync.call_count == 1


@requires_services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_beat_start_fills_the_empty_mirror_through_a_real_worker(
    plex: PlexSimulator, tmp_path: Path
) -> None:
    stack = Stack(process_env(PLEX_URL=plex.url, PLEX_TOKEN=plex.token), tmp_path)
    try:
        stack.worker("plex_sync")
        beat = stack.beat()
        wait_for(
            lambda: SyncRun.objects.filter(kind="full", status="succeeded").exists(),
            60,
            what="a full sync succeeding",
            logs=[stack.logs_text],
        )
        assert LibraryItem.objects.count() == 28  # 25 movies and 3 shows: all of Plex
        assert "No full Plex library sync has succeeded yet: one is queued now" in beat.log()
    finally:
        stack.stop()
