"""Settings of the library app, read from Django settings first and the environment second.

The project's settings module is the usual home for variables; until it defines these,
they are read here with the same rule: a bad value fails with ImproperlyConfigured
naming the variable.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _raw(name: str, default: str) -> object:
    if hasattr(settings, name):
        return getattr(settings, name)
    return os.environ.get(name, default)


def plex_url() -> str:
    """Return the Plex base URL without a trailing slash (empty when not configured)."""
    return str(_raw("PLEX_URL", "") or "").rstrip("/")


def plex_token() -> str:
    """Return the Plex token (empty when not configured)."""
    return str(_raw("PLEX_TOKEN", "") or "")


def plex_timeout() -> float:
    """Return the seconds one HTTP request to Plex may take."""
    value = _raw("PLEX_TIMEOUT", "30")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"PLEX_TIMEOUT must be a number of seconds, not {value!r}"
        ) from exc
    if seconds <= 0:
        raise ImproperlyConfigured(f"PLEX_TIMEOUT must be positive, not {value!r}")
    return seconds


def plex_page_size() -> int:
    """Return how many items one paged read asks Plex for."""
    value = _raw("PLEX_PAGE_SIZE", "1000")
    try:
        size = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"PLEX_PAGE_SIZE must be an integer, not {value!r}") from exc
    if not 1 <= size <= 10_000:
        raise ImproperlyConfigured(f"PLEX_PAGE_SIZE must be between 1 and 10000, not {size}")
    return size


def plex_path_map() -> list[tuple[str, str]]:
    """Return (app prefix, Plex prefix) pairs, longest app prefix first.

    `PLEX_PATH_MAP` is `app_path=plex_path` pairs separated by commas, e.g.
    `/data/media/Movies=/movies,/data/media/TV=/tv` when Plex runs in another container.
    """
    value = _raw("PLEX_PATH_MAP", "")
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        pairs = [tuple(pair) for pair in value]
    else:
        pairs = []
        for chunk in str(value or "").split(","):
            if not chunk.strip():
                continue
            app_side, sep, plex_side = chunk.partition("=")
            if not sep or not app_side.strip() or not plex_side.strip():
                raise ImproperlyConfigured(
                    f"PLEX_PATH_MAP entries look like /app/path=/plex/path, not {chunk.strip()!r}"
                )
            pairs.append((app_side.strip(), plex_side.strip()))
    cleaned = [(str(PurePosixPath(a)), str(PurePosixPath(p))) for a, p in pairs]
    return sorted(cleaned, key=lambda pair: len(pair[0]), reverse=True)
