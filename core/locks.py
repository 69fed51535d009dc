"""Single-flight locks for jobs that must not overlap, kept in the database.

A row per held lock, with an expiry: if the worker holding it is killed, the lock
lapses after `ttl` seconds instead of blocking the job forever. Works the same on
SQLite and PostgreSQL, so the embedded default needs nothing more.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    transaction,
)
from django.utils import timezone

from core.models import JobLock

logger = logging.getLogger(__name__)

# What a query raises when the database went away under it (a PostgreSQL restart, a
# dropped network): temporary, worth a retry once the server is back.
DATABASE_GONE = (OperationalError, InterfaceError)


class LockHeld(Exception):
    """Another run holds the lock."""


def acquire(name: str, *, ttl: int, owner: str | None = None) -> str | None:
    """Take the lock `name` for `ttl` seconds; return its token, or None when it is held.

    With `owner` (a Celery task id, the same on each retry of the task) the token is the
    owner, and a lock left by the owner's earlier attempt is taken over: an attempt cut
    by a database restart could not release it, and its retry must not wait it out.
    """
    now = timezone.now()
    token = owner or secrets.token_hex(16)
    with transaction.atomic():
        JobLock.objects.filter(name=name, expires_at__lte=now).delete()
        if owner:
            JobLock.objects.filter(name=name, token=owner).delete()
        try:
            with transaction.atomic():
                JobLock.objects.create(
                    name=name, token=token, acquired_at=now, expires_at=now + timedelta(seconds=ttl)
                )
        except IntegrityError:
            return None
    return token


def extend(name: str, token: str, *, ttl: int) -> bool:
    """Push the expiry of a lock we hold; False if we lost it."""
    expires_at = timezone.now() + timedelta(seconds=ttl)
    return JobLock.objects.filter(name=name, token=token).update(expires_at=expires_at) == 1


def release(name: str, token: str) -> None:
    JobLock.objects.filter(name=name, token=token).delete()


def reconnect() -> None:
    """Close this thread's broken database connections: the next query opens a new one."""
    close_old_connections()


@contextmanager
def single_flight(name: str, *, ttl: int, owner: str | None = None) -> Iterator[str]:
    """Run the block only if no other run holds `name`; raise LockHeld otherwise."""
    token = acquire(name, ttl=ttl, owner=owner)
    if token is None:
        raise LockHeld(name)
    try:
        yield token
    finally:
        try:
            release(name, token)
        except DATABASE_GONE:
            # The connection died with the block (a database restart): a new one can
            # release the lock. If the database is still away, the lock lapses after
            # `ttl` (or the retry of the same task takes it over), and the block's own
            # error, not this one, is what the caller sees.
            reconnect()
            try:
                release(name, token)
            except DATABASE_GONE as exc:
                logger.warning("Could not release the %s lock: %s", name, exc)
