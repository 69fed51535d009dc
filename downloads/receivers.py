"""Listeners for Celery's signals: each one only queues a task."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from downloads import queueing


def on_worker_ready(sender: Any = None, **kwargs: Any) -> None:
    if settings.QBITTORRENT_SET_HOOK and settings.QBITTORRENT_URL:
        queueing.queue_install_hook()
