"""TMDB's images: the image host's base URL (from /configuration) and poster downloads."""

from __future__ import annotations

import re

import requests

from requests_app.tmdb.client import (
    TMDBError,
    TMDBNotConfigured,
    _cache_get,
    _cache_key,
    _cache_set,
    _failed,
    _get,
    _scrub,
    _session,
    _timeout,
)

DEFAULT_IMAGE_BASE = "https://image.tmdb.org/t/p/"
POSTER_SIZE = "w342"
BACKDROP_SIZE = "w1280"
CONFIGURATION_CACHE_SECONDS = 24 * 60 * 60

# When /configuration did not answer: TMDB's documented base, until it is asked again.
IMAGE_BASE_RETRY_SECONDS = 10 * 60
# The sizes TMDB's /configuration lists for posters and backdrops that the pages use.
IMAGE_SIZES = ("w185", "w342", "w500", "w780", "w1280")
# A w1280 backdrop is ~300 KB; past this it is not an image a page should carry.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_PATH = re.compile(r"/[A-Za-z0-9_-]+\.(?:jpg|png)")


def _poster_url(image_base: str, poster_path: object, size: str = POSTER_SIZE) -> str:
    # A poster path is a bare file name ("/abc.jpg"); anything else is not put in a page.
    if not isinstance(poster_path, str) or not re.fullmatch(r"/[\w.-]+", poster_path):
        return ""
    return f"{image_base}{size}{poster_path}"


def _image_base() -> str:
    """Return the image base URL from TMDB's /configuration, as TMDB asks clients to."""
    key = _cache_key("configuration")
    cached = _cache_get(key)
    if cached is not None:
        return cached
    try:
        images = _get("/configuration", {}).get("images")
    except TMDBNotConfigured:
        raise
    except TMDBError:
        images = None
    base = images.get("secure_base_url") if isinstance(images, dict) else None
    if isinstance(base, str) and re.fullmatch(r"https?://[^\s?#]+/", base):
        _cache_set(key, base, CONFIGURATION_CACHE_SECONDS)
        return base
    # TMDB's documented base still works when /configuration did not answer; ask again later.
    _cache_set(key, DEFAULT_IMAGE_BASE, IMAGE_BASE_RETRY_SECONDS)
    return DEFAULT_IMAGE_BASE


def fetch_image(size: str, path: str) -> bytes:
    """Download one poster or backdrop (`size` like "w342", `path` like "/abc.jpg")."""
    if size not in IMAGE_SIZES:
        raise ValueError(f"size must be one of {', '.join(IMAGE_SIZES)}, not {size!r}.")
    if not isinstance(path, str) or not IMAGE_PATH.fullmatch(path):
        raise ValueError(f"path must look like '/abc.jpg', not {path!r}.")
    url = f"{_image_base()}{size}{path}"
    timeout = _timeout()
    try:
        # The image host needs no API key: none is sent, so none can leak from here.
        with _session.get(
            url,
            headers={"Accept": "image/*"},
            timeout=(min(timeout, 3.05), timeout),
            stream=True,
        ) as response:
            if response.status_code != 200:
                raise _failed(
                    path,
                    f"TMDB's image host answered HTTP {response.status_code}.",
                    response.status_code >= 500 or response.status_code == 429,
                    status=response.status_code,
                )
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > IMAGE_MAX_BYTES:
                    raise _failed(path, "TMDB sent an image over 5 MB; not kept.", False)
    except requests.Timeout:
        raise _failed(path, f"TMDB did not answer within {timeout:g} s.", temporary=True) from None
    except requests.RequestException as exc:
        reason = f"{type(exc).__name__}: {_scrub(str(exc))[:200]}"
        raise _failed(path, f"Could not fetch the image: {reason}", temporary=True) from None
    if not body:
        raise _failed(path, "TMDB sent an empty image.", temporary=True)
    return bytes(body)
