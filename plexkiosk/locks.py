"""Single-flight locks for jobs that must not overlap, kept in the database.

A row per held lock, with an expiry: if the worker holding it is killed, the lock
lapses after `ttl` seconds instead of blocking the job forever. Works the same on
SQLite and PostgreSQL, so the embedded default needs nothing more.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from plexkiosk.models import JobLock


class LockHeld(Exception):
    """Another run holds the lock."""


def acquire(name: str, *, ttl: int) -> str | None:
    """Take the lock `name` for `ttl` seconds; return its token, or None when it is held."""
    now = timezone.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        JobLock.objects.filter(name=name, expires_at__lte=now).delete()
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


@contextmanager
def single_flight(name: str, *, ttl: int) -> Iterator[str]:
    """Run the block only if no other run holds `name`; raise LockHeld otherwise."""
    token = acquire(name, ttl=ttl)
    if token is None:
        raise LockHeld(name)
    try:
        yield token
    finally:
        release(name, token)
