"""Posters and backdrops kept on disk, so the kiosk's pages never send a browser to TMDB.

An image is asked for by kind (poster or backdrop), a TMDB size and TMDB's file path;
the first request fetches it through `tmdb.fetch_image` and writes it under
IMAGE_CACHE_DIR/<size>/<name>, later ones read it from there. TMDB's paths name an image
for good (a new picture gets a new path), so a cached file never goes stale; the cleanup
task trims the folder to IMAGE_CACHE_MAX_MB, oldest first.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.urls import get_script_prefix, reverse

from requests_app import tmdb

log = logging.getLogger(__name__)

# The sizes each kind is served in; anything else is refused before the disk or TMDB.
SIZES = {"poster": ("w185", "w342", "w500"), "backdrop": ("w780", "w1280")}
NAME = re.compile(r"[A-Za-z0-9_-]+\.(?:jpg|png)")
# A failed fetch is not tried again for a while: a page of twenty missing posters would
# otherwise ask TMDB twenty times at every load.
RETRY_AFTER_TEMPORARY = 5 * 60
RETRY_AFTER_PERMANENT = 24 * 60 * 60
SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    # The TMDB simulator draws its posters as SVG; TMDB itself sends JPEG and PNG.
    b"<svg": "image/svg+xml",
    b"<?xml": "image/svg+xml",
}


@dataclass(frozen=True)
class CachedImage:
    """One image's bytes as the disk holds them, with what its response needs."""

    body: bytes
    content_type: str
    etag: str


def is_allowed(kind: str, size: str, name: str) -> bool:
    """Tell whether an image address is one this app serves (kind, size and file name)."""
    return size in SIZES.get(kind, ()) and bool(NAME.fullmatch(name))


def image_url(kind: str, size: str, source: str) -> str:
    """Return the app's address of a TMDB image, from its full URL or its path ("" if none)."""
    name = str(source or "").rsplit("/", 1)[-1]
    if not is_allowed(kind, size, name):
        return ""
    return _image_folder(kind, size, get_script_prefix()) + name


@lru_cache(maxsize=64)
def _image_folder(kind: str, size: str, script_prefix: str) -> str:
    """Return the address of a kind and size's images, up to the name (reversed once).

    reverse() takes ~25 µs and a home page names some 200 images (srcset included); the
    script prefix (FORCE_SCRIPT_NAME, a proxy's SCRIPT_NAME) is part of the key because
    reverse() puts it in front.
    """
    return reverse("image", kwargs={"kind": kind, "size": size, "name": "_.jpg"})[:-5]


def cache_dir() -> Path:
    return Path(settings.IMAGE_CACHE_DIR)


def get_image(*, size: str, name: str) -> CachedImage | None:
    """Return the image from disk, fetching it from TMDB once; None when it cannot be had."""
    path = cache_dir() / size / name
    found = _read(path)
    if found is not None:
        return found
    failed_key = f"image-unavailable:{size}:{name}"
    if _cache_get(failed_key):
        return None
    try:
        body = tmdb.fetch_image(size, f"/{name}")
    except tmdb.TMDBError as exc:
        retry = RETRY_AFTER_TEMPORARY if exc.temporary else RETRY_AFTER_PERMANENT
        _cache_set(failed_key, retry)
        return None
    if _content_type(body) is None:
        log.warning("TMDB sent %s/%s that is no JPEG, PNG or SVG; not kept", size, name)
        _cache_set(failed_key, RETRY_AFTER_PERMANENT)
        return None
    _write(path, body)
    return _read(path)


def placeholder_svg(kind: str) -> bytes:
    """Draw a neutral poster (or backdrop) shape for an image that cannot be had."""
    width, height = (342, 513) if kind == "poster" else (780, 439)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(kind)}">'
        f'<rect width="{width}" height="{height}" fill="#1f2430"/>'
        f'<rect x="{width // 2 - 40}" y="{height // 2 - 30}" width="80" height="60" rx="6" '
        'fill="none" stroke="#5c6370" stroke-width="4"/>'
        f'<circle cx="{width // 2 - 14}" cy="{height // 2 - 8}" r="7" fill="#5c6370"/>'
        "</svg>"
    ).encode()


def trim_cache(*, root: Path, max_bytes: int) -> int:
    """Delete the oldest cached images until the folder holds at most `max_bytes`."""
    if not root.is_dir():
        return 0
    files = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    removed = 0
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    log.info("removed %d cached images from %s; %d bytes left", removed, root, total)
    return removed


def _read(path: Path) -> CachedImage | None:
    try:
        body = path.read_bytes()
        stat = path.stat()
    except FileNotFoundError:
        return None
    content_type = _content_type(body)
    if content_type is None:
        return None
    return CachedImage(
        body=body, content_type=content_type, etag=f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    )


def _write(path: Path, body: bytes) -> None:
    """Write through a temporary file and a rename, so no reader sees half an image."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(body)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _content_type(body: bytes) -> str | None:
    head = body[:16].lstrip()
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)


def _cache_get(key: str) -> object:
    # The cache only spares TMDB calls: when it is down, images are still served.
    try:
        return cache.get(key)
    except Exception:
        log.warning("Cache unavailable; asking TMDB for the image", exc_info=True)
        return None


def _cache_set(key: str, seconds: int) -> None:
    try:
        cache.set(key, True, seconds)
    except Exception:
        log.warning("Cache unavailable; image failure not remembered", exc_info=True)
