"""TMDB's HTTP side: the one session, errors, the API key, languages, the cache.

Every failure becomes a `TMDBError` saying whether retrying could help; the API key never
appears in a log line, an exception message or a returned value.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from datetime import date
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from core.errors import ServiceError

log = logging.getLogger(__name__)


CACHE_VERSION = 4  # bump when a cached result (TitleResult, Season, …) changes shape or module
# TMDB's own default, and what requests and release searches are made with.
DEFAULT_LANGUAGE = "en-US"
# The site's languages (settings.LANGUAGES) as TMDB names them; any other reads in English.
TMDB_LANGUAGES = {"en": "en-US", "fr": "fr-FR"}
LANGUAGE_PATTERN = re.compile(r"[a-z]{2}-[A-Z]{2}")


_session = requests.Session()
_session.headers.update({"Accept": "application/json", "User-Agent": "PlexKiosk"})


class TMDBError(ServiceError):
    """TMDB could not answer; `temporary` tells whether trying again later could help."""

    service = "TMDB"

    def __init__(
        self,
        message: str,
        *,
        temporary: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.status = status
        self.retry_after = retry_after


class TMDBNotConfigured(TMDBError):
    """No TMDB API key is set, so title search is unavailable."""

    def __init__(self) -> None:
        super().__init__(
            "Title search is not set up: the administrator needs to set TMDB_API_KEY "
            "(a free key from themoviedb.org).",
            temporary=False,
        )


# --- Languages ------------------------------------------------------------------------


def language_for(code: str | None) -> str:
    """Return TMDB's language for a Django language code ("fr", "fr-ca" -> "fr-FR")."""
    base = re.split(r"[-_]", str(code or "").strip().lower(), maxsplit=1)[0]
    return TMDB_LANGUAGES.get(base, DEFAULT_LANGUAGE)


def page_language() -> str:
    """Return TMDB's language for the page being drawn: the person's active language."""
    return language_for(translation.get_language())


def household_language() -> str:
    """Return TMDB's language for text stored for pages outside a page (LANGUAGE_CODE)."""
    return language_for(settings.LANGUAGE_CODE)


def _language_params(language: str) -> dict[str, str]:
    """Return the query parameters that ask TMDB for titles, overviews and images in `language`."""
    if not isinstance(language, str) or not LANGUAGE_PATTERN.fullmatch(language):
        raise ValueError(f"language must look like 'fr-FR', not {language!r}.")
    # Images in that language first, then those without text ("null"), as TMDB's docs suggest.
    return {"language": language, "include_image_language": f"{language[:2]},null"}


# --- HTTP -----------------------------------------------------------------------------


def is_configured() -> bool:
    """Tell whether an API key and a base URL are set."""
    return bool(_api_key() and _base_url())


def _api_key() -> str:
    return str(getattr(settings, "TMDB_API_KEY", "") or "").strip()


def _base_url() -> str:
    return str(getattr(settings, "TMDB_URL", "") or "").strip().rstrip("/")


def _timeout() -> float:
    # requests refuses zero or negative timeouts; a typo in TMDB_TIMEOUT must not break search.
    return max(0.1, float(getattr(settings, "TMDB_TIMEOUT", 8.0)))


def _is_read_token(key: str) -> bool:
    """Tell a v4 read-access token (a JWT: three dot-separated parts) from a v3 API key."""
    return key.startswith("eyJ") and key.count(".") == 2


def _scrub(text: str) -> str:
    """Remove the API key from text that came from elsewhere (a URL in an error, say)."""
    key = _api_key()
    if key:
        text = text.replace(key, "***")
    text = re.sub(r"(api_key=)[^&\s'\"]+", r"\1***", text)
    return re.sub(r"(Bearer\s+)\S+", r"\1***", text)


def _get(path: str, params: dict[str, Any]) -> dict[str, Any]:
    """GET one TMDB endpoint and return its JSON object, or raise TMDBError."""
    key = _api_key()
    if not key:
        raise TMDBNotConfigured()
    headers = {}
    params = dict(params)
    if _is_read_token(key):
        headers["Authorization"] = f"Bearer {key}"
    else:
        params["api_key"] = key
    timeout = _timeout()
    started = time.monotonic()
    try:
        response = _session.get(
            f"{_base_url()}{path}",
            params=params,
            headers=headers,
            # Connecting should be quick even when TMDB is busy; the read gets the rest.
            timeout=(min(timeout, 3.05), timeout),
        )
    except requests.Timeout:
        raise _failed(path, f"TMDB did not answer within {timeout:g} s.", temporary=True) from None
    except requests.ConnectionError as exc:
        # urllib3 nests the useful part ("Connection refused") deep inside a URL dump.
        errno = re.search(r"\[Errno -?\d+\] ([^\"')]+)", str(exc))
        reason = errno.group(1).strip() if errno else _scrub(str(exc))[:200]
        raise _failed(path, f"Could not reach TMDB: {reason}", temporary=True) from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        reason = _scrub(str(exc))
        raise _failed(path, f"TMDB_URL is not a usable URL: {reason}", temporary=False) from None
    except requests.RequestException as exc:
        reason = f"{type(exc).__name__}: {_scrub(str(exc))}"
        raise _failed(path, f"TMDB request failed: {reason}", temporary=False) from None
    elapsed_ms = (time.monotonic() - started) * 1000
    log.debug("TMDB %s answered %s in %.0f ms", path, response.status_code, elapsed_ms)
    if response.status_code != 200:
        raise _http_error(path, response)
    try:
        data = response.json()
    except ValueError:
        raise _failed(path, "TMDB answered with something that is not JSON.", False) from None
    if not isinstance(data, dict):
        raise _failed(path, "TMDB answered with JSON that is not an object.", temporary=False)
    return data


def _get_tv(path: str, not_found: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET a TV (or movie) endpoint, saying plainly what is missing on a 404."""
    try:
        return _get(path, params or {})
    except TMDBError as exc:
        if exc.status == 404:
            raise TMDBError(not_found, temporary=False, status=404) from None
        raise


def _failed(path: str, message: str, temporary: bool, **extra: Any) -> TMDBError:
    """Log a failed call (without the key) and build the error to raise."""
    log.warning("TMDB %s failed: %s", path, message)
    return TMDBError(message, temporary=temporary, **extra)


def _http_error(path: str, response: requests.Response) -> TMDBError:
    """Turn a non-200 answer into a TMDBError, keeping TMDB's own message."""
    status = response.status_code
    try:
        body = response.json()
        detail = str(body.get("status_message") or "") if isinstance(body, dict) else ""
    except ValueError:
        detail = ""
    detail = _scrub(detail)[:200]
    suffix = f" ({detail})" if detail else ""
    if status == 401:
        return _failed(
            path, f"TMDB refused the API key; check TMDB_API_KEY{suffix}.", False, status=status
        )
    if status == 429:
        retry_after = _float(response.headers.get("Retry-After"))
        return _failed(
            path,
            f"TMDB asks us to slow down (HTTP 429){suffix}.",
            True,
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        return _failed(
            path, f"TMDB is having trouble (HTTP {status}){suffix}.", True, status=status
        )
    return _failed(path, f"TMDB answered HTTP {status}{suffix}.", False, status=status)


# --- Reading TMDB's values ------------------------------------------------------------


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _float(value: object) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _date(value: object) -> date | None:
    """Read a TMDB day ("2024-05-03"); TMDB sends "" or null when it has none."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# --- Cache ----------------------------------------------------------------------------


def _cache_key(*parts: object) -> str:
    """Build a cache key per TMDB base URL (never the API key)."""
    base = hashlib.sha256(_base_url().encode()).hexdigest()[:12]
    return ":".join(["tmdb", f"v{CACHE_VERSION}", base, *map(str, parts)])


def _cache_get(key: str) -> Any:
    # The cache only saves TMDB calls: when it is down, search still works.
    try:
        return cache.get(key)
    except Exception:
        log.warning("Cache unavailable; asking TMDB directly", exc_info=True)
        return None


def _cache_set(key: str, value: object, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        log.warning("Cache unavailable; TMDB answer not cached", exc_info=True)
