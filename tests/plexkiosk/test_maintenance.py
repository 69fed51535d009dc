"""Project-wide housekeeping: task results, database upkeep, temporary files."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_results.models import TaskResult

from plexkiosk import maintenance


@pytest.mark.django_db
def test_expired_task_results_are_deleted_and_recent_ones_kept() -> None:
    old = TaskResult.objects.create(task_id="old", status="SUCCESS")
    TaskResult.objects.filter(pk=old.pk).update(date_done=timezone.now() - timedelta(days=8))
    TaskResult.objects.create(task_id="recent", status="SUCCESS")

    assert maintenance.delete_expired_results(older_than_days=7) == 1
    assert list(TaskResult.objects.values_list("task_id", flat=True)) == ["recent"]


@pytest.mark.django_db(transaction=True)
def test_database_maintenance_vacuums_postgresql_and_skips_others() -> None:
    outcome = maintenance.vacuum_analyze()
    if connection.vendor == "postgresql":
        assert outcome == "vacuum analyze"
    else:
        assert outcome.startswith("skipped")


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then), follow_symlinks=False)


def test_old_temporary_files_go_and_new_ones_stay(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    (root / "upload").mkdir(parents=True)
    old, new = root / "upload" / "old.part", root / "new.part"
    old.write_text("x")
    new.write_text("y")
    _age(old, 30)

    assert maintenance.remove_old_temp_files(root=root, max_age_hours=24) == 1
    assert not old.exists()
    assert not (root / "upload").exists()  # emptied folders go too
    assert new.exists()


def test_temporary_file_cleanup_never_follows_a_link_out_of_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "precious"
    outside.mkdir()
    keep = outside / "film.mkv"
    keep.write_text("data")
    _age(keep, 100)
    root = tmp_path / "tmp"
    root.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    _age(root / "link", 100)

    maintenance.remove_old_temp_files(root=root, max_age_hours=24)
    assert keep.exists()
    assert not (root / "link").exists()
