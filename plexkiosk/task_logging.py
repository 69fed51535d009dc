"""One log line per task outcome: its name, id, state and duration."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task
from celery.signals import task_postrun, task_prerun

logger = logging.getLogger("plexkiosk.tasks")
_started: dict[str, float] = {}


@task_prerun.connect
def _remember_start(task_id: str, **kwargs: Any) -> None:
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _log_outcome(task_id: str, task: Task, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    duration = round(time.monotonic() - started, 3) if started is not None else None
    args = kwargs.get("args") or ()
    # Tasks take ids only; the first one is the request/download id where there is one.
    subject = args[0] if args and isinstance(args[0], int | str) else None
    logger.info(
        "task %s %s %s in %ss",
        task.name,
        task_id,
        state,
        duration,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": state,
            "duration": duration,
            "subject_id": subject,
        },
    )
