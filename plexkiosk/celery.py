"""The Celery app: configuration that makes background work safe to lose a process."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task, states
from django.db import InterfaceError, OperationalError
from kombu import Queue

from plexkiosk import worker_recovery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plexkiosk.settings")

logger = logging.getLogger(__name__)


class PlexKioskTask(Task):
    """Every task: a database that restarts under it retries the task (seconds apart)."""

    # Without this, a task whose own options name no database error failed for good on a
    # PostgreSQL restart, and the acknowledged message took the request's next step with
    # it (left to a sweep minutes or hours later). Tasks that name their own errors keep
    # theirs. Steps are safe to run twice: the database rolled back the failed try.
    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 5  # 5, 10, 20 s: a restart, or a server coming back after a power cut
    retry_jitter = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task, unless this very message already ran to success."""
        request = self.request
        if request.id and not request.called_directly and not request.is_eager:
            try:
                meta = self.backend.get_task_meta(request.id)
            except self.autoretry_for:
                # Outside the body, a database error would fail the task for good: run
                # it, and its own database errors retry it.
                meta = {}
            if meta.get("status") == states.SUCCESS:
                # Its acknowledgement went with a lost broker connection, and the message
                # came back (kombu restores unacknowledged messages): a notice would be
                # sent twice. A task that failed or never finished still runs again.
                logger.warning("task %s %s already ran; not run again", self.name, request.id)
                return meta.get("result")
        return super().__call__(*args, **kwargs)


app = Celery("plexkiosk", task_cls=PlexKioskTask)
# Broker URL, result backend and transport options come from Django settings (CELERY_*).
app.config_from_object("django.conf:settings", namespace="CELERY")

QUEUES = ("default", "priority", "plex_sync", "downloads")

# Routes by task name. Anything unrouted goes to `default`.
TASK_ROUTES = {
    "library.tasks.*": {"queue": "plex_sync"},
    "downloads.tasks.*": {"queue": "downloads"},
    "requests_app.tasks.process_request_task": {"queue": "priority"},
    "requests_app.tasks.complete_request_task": {"queue": "priority"},
}

app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_time_limit=3600,
    task_soft_time_limit=3300,
    worker_max_tasks_per_child=100,
    worker_max_memory_per_child=400_000,  # KiB
    task_queues=[Queue(name) for name in QUEUES],
    task_default_queue="default",
    task_routes=TASK_ROUTES,
    # No loss: a message is acknowledged only after its task ran, and comes back
    # if the worker process dies while running it.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_track_started=True,
    worker_send_task_events=True,
    task_send_sent_event=True,
    # Beat writes a row's last_run_at after each send instead of every 3 minutes: the
    # service checks read the heartbeat row's time, which could otherwise lag 4 minutes
    # behind and call a running beat stale (service_checks.BEAT_GRACE allows a minute).
    beat_sync_every=1,
    # Let Django's LOGGING (text or JSON, LOG_LEVEL) format the worker's lines too.
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()

from plexkiosk import task_logging  # noqa: E402, F401 - connects the task outcome log lines

# A worker killed whole (a power cut) gets its messages back within a minute (Redis only).
worker_recovery.connect(app)
