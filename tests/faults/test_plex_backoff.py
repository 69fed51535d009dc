"""The library sync's retry schedule while Plex is away, as Celery really computes it.

What the README's Plex row says: the n-th retry waits a random time between 0 and 30·2ⁿ
seconds (full jitter, at most 10 min), and the sync gives up after 5 retries.
The task runs eagerly against a Plex port nobody listens on (a real connection refusal),
and every countdown Celery draws is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from celery.app import autoretry

from library.models import SyncRun
from library.tasks import sync_plex_library_task
from tests.processes import free_port

pytestmark = pytest.mark.django_db

RUNS = 40  # of the whole retry chain; each draws one countdown per attempt


@pytest.fixture
def plex_away(settings: Any) -> None:
    settings.PLEX_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.PLEX_TOKEN = "token-of-the-owner"
    settings.PLEX_TIMEOUT = 1


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> dict[int, list[int]]:
    """Every countdown Celery's autoretry computes, by the retry number it was for."""
    by_retry: dict[int, list[int]] = defaultdict(list)
    real = autoretry.get_exponential_backoff_interval

    def recording(*, factor: int, retries: int, maximum: int, full_jitter: bool) -> int:
        countdown = real(factor=factor, retries=retries, maximum=maximum, full_jitter=full_jitter)
        by_retry[retries].append(countdown)
        return countdown

    monkeypatch.setattr(autoretry, "get_exponential_backoff_interval", recording)
    return by_retry


@pytest.mark.usefixtures("plex_away")
def test_a_sync_with_plex_away_retries_five_times_after_30_s_doubling_with_full_jitter(
    drawn: dict[int, list[int]],
) -> None:
    for _ in range(RUNS):
        # Eager: Celery runs each retry at once instead of waiting out its countdown.
        result = sync_plex_library_task.apply(kwargs={"full_sync": True})
        assert result.failed(), "the sync gives up once its retries are spent"

    # One first attempt and five retries per chain, each recorded as a failed run.
    assert SyncRun.objects.filter(status=SyncRun.Status.FAILED).count() == RUNS * 6
    assert sorted(drawn) == [0, 1, 2, 3, 4, 5]
    for retry, countdowns in drawn.items():
        ceiling = min(600, 30 * 2**retry)
        assert len(countdowns) == RUNS
        assert all(0 <= c <= ceiling for c in countdowns), (retry, countdowns)
        # Full jitter spreads the waits over the whole range, so a Plex coming back is not
        # met by every worker at the same second (P(all 40 in one half) ≈ 2e-12).
        assert min(countdowns) < ceiling / 2 < max(countdowns), (retry, countdowns)
    assert max(drawn[4]) > 240, "the fifth wait may exceed 4 min: the doubling goes on"
