"""Fixtures for the security tests: the request tests' people and fakes, and API tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from tests.requests_app.conftest import (  # noqa: F401 - fixtures, shared on purpose
    fake_tmdb,
    member,
    other_member,
    plex_has,
    queued,
    staff,
)


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """Start every test with empty rate-limit counters (they live in the cache)."""
    cache.clear()


def token_for(user: AbstractUser) -> str:
    """Return an `Authorization` header value for the user's API token."""
    return f"Token {Token.objects.get_or_create(user=user)[0].key}"
