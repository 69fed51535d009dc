"""One check's outcome, and the checks of the parts the app cannot work without.

`/healthz` runs `check_database` and `check_broker`; `plexkiosk.service_checks` runs them
too, with the services', into the same `Check`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu import Connection


@dataclass(frozen=True)
class Check:
    """What one part answered; `required` parts fail the check, *starting* ones do not yet."""

    name: str
    ok: bool
    detail: str
    required: bool = True
    seconds: float = 0.0
    starting: bool = False

    @property
    def failing(self) -> bool:
        """Tell whether this is a required part that does not answer and is not starting."""
        return self.required and not self.ok and not self.starting


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check("database", True, connection.vendor)
    except Exception as exc:  # any failure means "down"; say which
        return Check("database", False, type(exc).__name__)


def check_broker(*, timeout: float = 3.0) -> Check:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        ok = folder.is_dir() and os.access(folder, os.W_OK)
        return Check("broker", ok, "filesystem" if ok else "broker folder not writable")
    try:
        with Connection(
            url,
            connect_timeout=timeout,
            transport_options={
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
            },
        ) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            return Check("broker", True, conn.transport_cls)
    except Exception as exc:
        # Only the type: the message may carry the broker URL and its password.
        return Check("broker", False, type(exc).__name__)


def run_checks() -> list[Check]:
    return [check_database(), check_broker()]
