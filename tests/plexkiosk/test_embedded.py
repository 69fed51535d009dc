"""The embedded default: no server at all, SQLite and the filesystem broker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.plexkiosk.helpers import ROOT, bare_env, manage


@pytest.mark.slow
def test_migrate_and_a_task_round_trip_work_with_nothing_configured(tmp_path: Path) -> None:
    env = bare_env(DATA_DIR=str(tmp_path), DEBUG="true")
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "plexkiosk.sqlite3").exists()

    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "plexkiosk",
            "worker",
            "-c",
            "1",
            "-Q",
            "default,priority,plex_sync,downloads",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        code = (
            "from plexkiosk.tasks import ping_task; "
            "from django_celery_results.models import TaskResult; "
            "r = ping_task.delay(); print('RESULT', r.get(timeout=60)); "
            "print('STORED', TaskResult.objects.get(task_id=r.id).status)"
        )
        sent = manage("shell", "-c", code, env=env, timeout=90)
        assert sent.returncode == 0, sent.stderr + (tmp_path / "worker.log").read_text()
        assert "RESULT {'pong':" in sent.stdout
        assert "STORED SUCCESS" in sent.stdout
        # The message went through files under the data folder, not a server.
        assert (tmp_path / "broker" / "queue").is_dir()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
