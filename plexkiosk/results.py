"""The result backend: django-celery-results, whose *started* mark cannot lose a task."""

from __future__ import annotations

import logging
from typing import Any

from celery import states
from django.db import InterfaceError, OperationalError
from django_celery_results.backends.database import DatabaseBackend as DjangoDatabaseBackend

logger = logging.getLogger(__name__)


class DatabaseBackend(DjangoDatabaseBackend):
    """Task results in the database; a task starts without its *started* row if it must."""

    def store_result(
        self,
        task_id: str,
        result: Any,
        state: str,
        traceback: str | None = None,
        request: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Store a task's state; a *started* mark the database cannot take is skipped."""
        if state != states.STARTED:
            return super().store_result(task_id, result, state, traceback, request, **kwargs)
        try:
            if self.TaskModel._default_manager.filter(
                task_id=task_id, status=states.SUCCESS
            ).exists():
                # A message delivered again after its task ran (its acknowledgement lost
                # with the broker connection): the row keeps saying so, and the task's
                # __call__ (plexkiosk.celery) does not run it twice.
                return result
            return super().store_result(task_id, result, state, traceback, request, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            # Celery writes *started* before the task's body, outside its retries: a database
            # restart at that moment failed the task, and its acknowledged message took the
            # request's next step with it. Without the mark the body runs, and a database
            # still away fails it inside, where it is retried.
            logger.warning(
                "task %s started without its started mark: the database is away (%s)",
                task_id,
                type(exc).__name__,
            )
            return result
