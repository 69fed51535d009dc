"""Single-flight locks: one holder at a time, and a dead holder's lock lapses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import locks
from core.models import JobLock

pytestmark = pytest.mark.django_db


def test_a_second_run_is_refused_while_the_first_holds_the_lock() -> None:
    with (
        locks.single_flight("sync", ttl=60),
        pytest.raises(locks.LockHeld),
        locks.single_flight("sync", ttl=60),
    ):
        pass
    with locks.single_flight("sync", ttl=60):  # released after the first run
        pass


def test_the_lock_of_a_crashed_holder_lapses_after_its_ttl() -> None:
    assert locks.acquire("sync", ttl=60) is not None  # never released: the worker died
    JobLock.objects.filter(name="sync").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert locks.acquire("sync", ttl=60) is not None


def test_extend_fails_once_the_lock_was_taken_over() -> None:
    token = locks.acquire("sync", ttl=60)
    JobLock.objects.filter(name="sync").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert locks.acquire("sync", ttl=60) is not None
    assert locks.extend("sync", token, ttl=60) is False
