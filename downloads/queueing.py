"""Queue the downloads app's tasks by their documented names (`downloads.tasks.*`).

The only door from download code to Celery: domain modules never import `tasks`, so the
tasks can import them without a cycle. Every send waits for the current transaction to
commit, and a broker that is down is logged, not raised: the monitor's changes are saved
either way, and a completed download whose import was not queued is queued again by a
later pass (`downloads.monitor.IMPORT_REQUEUE_AFTER`).
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

IMPORT = "downloads.tasks.import_download_task"
STOP = "downloads.tasks.stop_download_task"


def task_named(name: str) -> Task:
    """Return the registered task of that name, importing its `tasks` module when needed."""
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def send_after_commit(name: str, *args: Any, what: str) -> None:
    """Queue task `name` once the transaction commits; log (not raise) a broker that is down."""

    def send() -> None:
        try:
            task_named(name).delay(*args)
        except KombuOperationalError as exc:
            logger.warning("%s not queued, the broker is unreachable: %s", what, exc)

    transaction.on_commit(send)


def queue_import(download_id: int) -> None:
    """Queue the filing of a completed download into the library."""
    send_after_commit(IMPORT, download_id, what=f"import of download {download_id}")


def queue_stop(info_hash: str) -> None:
    """Queue the removal of a download (and its data) from qBittorrent."""
    send_after_commit(STOP, info_hash, what=f"removal of {info_hash}")
