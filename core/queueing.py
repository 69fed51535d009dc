"""Send a task by its documented name once the current transaction commits.

Each app's `queueing` module names its tasks and calls `send_after_commit`, so domain
code never imports a `tasks` module (which imports the domain code: a cycle) and never
sends a message for a change that was rolled back.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from celery import Task, current_app, current_task
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

# Inside a worker's task, wait for a broker that restarts (about 25 s in all, each try
# bounded by CELERY_BROKER_TIMEOUT): the step done, its next one would otherwise be lost
# until a sweep, and a notice for good. A page (no current task) keeps Celery's short
# default, so it answers at once.
IN_TASK_PUBLISH = {
    "retry": True,
    "retry_policy": {
        "max_retries": 10,
        "interval_start": 0.5,
        "interval_step": 1,
        "interval_max": 3,
    },
}


def _in_worker_task() -> bool:
    """Tell whether this code runs inside a task a worker took from the broker."""
    # A proxy: false outside a task.
    return bool(current_task) and not (
        current_task.request.called_directly or current_task.request.is_eager
    )


def task_named(name: str) -> Task:
    """Return the registered task of that name, importing its `tasks` module when needed."""
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def send_after_commit(name: str, *args: Any, what: str, **options: Any) -> None:
    """Queue task `name` with `args` after the commit; log (not raise) a broker that is down.

    `options` go to `apply_async` (task_id, countdown, kwargs). The change is saved either
    way; each app has a sweep that sends a lost step again (recover-requests, the
    monitor's re-queue of imports, the refresh's own next look).
    """

    def send() -> None:
        publish = {**IN_TASK_PUBLISH, **options} if _in_worker_task() else options
        try:
            task_named(name).apply_async(args=list(args), **publish)
        except KombuOperationalError as exc:
            logger.warning("%s not queued, the broker is unreachable: %s", what, exc)

    transaction.on_commit(send)
