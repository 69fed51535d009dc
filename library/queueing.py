"""Queue the library's tasks by their documented names (domain code never imports `tasks`)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.db import transaction

REFRESH_AFTER_SCAN = "library.tasks.refresh_after_scan_task"
SYNC = "library.tasks.sync_plex_library_task"


def task_named(name: str) -> Task:
    """Return the registered task of that name, importing its `tasks` module when needed."""
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def refresh_after_scan(folder: str, *, attempt: int = 0, countdown: float = 0) -> None:
    """Queue a look at Plex's recent changes for `folder`, once the transaction commits."""
    send = task_named(REFRESH_AFTER_SCAN).apply_async
    transaction.on_commit(lambda: send(args=[folder, attempt], countdown=countdown))


def full_sync(**options: Any) -> None:
    """Queue a full library sync, once the transaction commits."""
    send = task_named(SYNC).apply_async
    transaction.on_commit(lambda: send(kwargs={"full_sync": True}, **options))
