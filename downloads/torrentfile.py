"""Info hashes from magnets and .torrent files, and fetching an indexer's .torrent link."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

import bencodepy
import requests
import urllib3

from core.errors import ServiceError

MAX_TORRENT_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT = (5.0, 30.0)
MAX_REDIRECTS = 5

_HEX_HASH = re.compile(r"^[0-9a-fA-F]{40}$")
_BASE32_HASH = re.compile(r"^[A-Za-z2-7]{32}$")
_DRIVE = re.compile(rb"^[A-Za-z]:([/\\]|$)")
_decoder = bencodepy.Bencode(encoding=None, max_depth=64)


class TorrentError(ServiceError):
    """A torrent could not be obtained or understood; `temporary` says if retrying could help."""

    service = "the indexer's torrent"


class InvalidTorrent(TorrentError):
    """The magnet or .torrent is malformed, too big, or not a torrent at all."""


class FetchFailed(TorrentError):
    """The indexer's link could not be fetched right now (timeout, unreachable, 5xx)."""

    temporary = True


@dataclass(frozen=True)
class ContentFile:
    """One file a torrent holds: its path as qBittorrent lists it, and its size in bytes."""

    path: str
    size: int


@dataclass(frozen=True)
class FetchedTorrent:
    """What an indexer's download link gave: .torrent bytes or a magnet, and its info hash.

    `files` is the .torrent's file list (empty for a magnet, whose list comes with its
    metadata).
    """

    info_hash: str
    torrent_bytes: bytes | None = None
    magnet: str | None = None
    files: tuple[ContentFile, ...] = ()


def info_hash_from_magnet(magnet: str) -> str:
    """Return the lowercase hex v1 info hash of a magnet link's `urn:btih:` topic.

    Raises InvalidTorrent when the link is not a magnet or carries no usable v1 hash.
    """
    try:
        parts = urlsplit(magnet.strip())
    except ValueError as exc:
        # urlsplit refuses a bracket left open ("magnet://[…"); a ValueError escaped the
        # callers, which expect InvalidTorrent, and failed the start instead of the release.
        raise InvalidTorrent(f"not a magnet link ({exc})") from exc
    if parts.scheme.lower() != "magnet":
        raise InvalidTorrent("not a magnet link")
    for topic in parse_qs(parts.query).get("xt", []):
        if not topic.lower().startswith("urn:btih:"):
            continue
        value = topic[len("urn:btih:") :]
        if _HEX_HASH.match(value):
            return value.lower()
        if _BASE32_HASH.match(value):
            return base64.b32decode(value.upper()).hex()
        raise InvalidTorrent("magnet link has a malformed btih info hash")
    # A v2-only magnet (urn:btmh) has no v1 hash, and qBittorrent 4.x cannot add it.
    raise InvalidTorrent("magnet link has no urn:btih info hash")


def info_hash_from_torrent(data: bytes) -> str:
    """Return the lowercase hex SHA-1 of a .torrent's bencoded `info` dict."""
    info = _info(data)
    if b"pieces" not in info:
        # v2-only torrents are keyed by a SHA-256 hash, which qBittorrent 4.x cannot add.
        raise InvalidTorrent(".torrent file has no v1 pieces (v2-only torrents unsupported)")
    if not isinstance(info.get(b"name"), bytes):
        raise InvalidTorrent(".torrent file's info has no name")
    _refuse_unsafe_paths(info)
    encoded = bencodepy.encode(info)
    # The hash is over the bytes as written; re-encoding equals them only when the file is
    # canonical (sorted keys, no leading zeros), which every client writes. Refuse others
    # rather than return a hash qBittorrent would not know.
    if b"4:info" + encoded not in data:
        raise InvalidTorrent(".torrent file's info dictionary is not canonically bencoded")
    return hashlib.sha1(encoded, usedforsecurity=False).hexdigest()


def torrent_files(data: bytes) -> tuple[ContentFile, ...]:
    """Return the files of a (valid) .torrent with their sizes, named as qBittorrent lists them.

    A single-file torrent holds its `name`; a multi-file one `name/path…`. Padding files
    (BEP 47) are left out: clients write no such file, and they are no part of the release.
    """
    info = _info(data)
    name = _text(info[b"name"])
    if b"files" not in info:
        return (ContentFile(path=name, size=_length(info)),)
    files = []
    for entry in info[b"files"]:
        attr = entry.get(b"attr")
        if isinstance(attr, bytes) and b"p" in attr:
            continue
        parts = [_text(part) for part in entry.get(b"path", [])]
        files.append(ContentFile(path="/".join([name, *parts]), size=_length(entry)))
    return tuple(files)


def _info(data: bytes) -> dict:
    """Return a .torrent's decoded `info` dictionary."""
    try:
        meta = _decoder.decode(data)
    except (bencodepy.BencodeDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidTorrent("not a bencoded .torrent file") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get(b"info"), dict):
        raise InvalidTorrent(".torrent file has no info dictionary")
    return meta[b"info"]


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else ""


def _length(entry: dict) -> int:
    length = entry.get(b"length")
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise InvalidTorrent(".torrent file has a file without a valid length")
    return length


def _refuse_unsafe_paths(info: dict) -> None:
    """Refuse a torrent whose name or file paths would climb out of its save folder.

    qBittorrent sanitises these itself; refusing here means the release is reported as
    unusable and another one is tried, rather than trusting every client version with it.
    """
    paths = [[info[key]] for key in (b"name", b"name.utf-8") if key in info]
    files = info.get(b"files", [])
    for entry in files if isinstance(files, list) else [None]:
        if not isinstance(entry, dict):
            raise InvalidTorrent(".torrent file has an unsafe (malformed) file list")
        paths += [entry[key] for key in (b"path", b"path.utf-8") if key in entry]
    for path in paths:
        if not isinstance(path, list) or not path:
            raise InvalidTorrent(".torrent file has an unsafe (malformed) file path")
        for part in path:
            if (
                not isinstance(part, bytes)
                or b"\x00" in part
                or part.startswith((b"/", b"\\"))
                or _DRIVE.match(part)
                or any(piece in (b".", b"..") for piece in re.split(rb"[/\\]", part))
            ):
                raise InvalidTorrent(f".torrent file has an unsafe file name: {part!r:.100}")


def redact(url: str) -> str:
    """Return `url` without its query string, which holds indexer API keys."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def fetch_torrent(
    url: str,
    *,
    max_bytes: int = MAX_TORRENT_BYTES,
    timeout: tuple[float, float] = FETCH_TIMEOUT,
    session: requests.Session | None = None,
) -> FetchedTorrent:
    """Fetch an indexer's download link, following redirects, and return what it points at."""
    if url.lower().startswith("magnet:"):
        return FetchedTorrent(info_hash=info_hash_from_magnet(url), magnet=url)
    if session is None:
        with requests.Session() as own:
            return fetch_torrent(url, max_bytes=max_bytes, timeout=timeout, session=own)
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(url).scheme.lower() not in {"http", "https"}:
            raise InvalidTorrent(f"refusing to fetch a {urlsplit(url).scheme or 'relative'} link")
        try:
            # Redirects are followed by hand: Jackett and Prowlarr answer with a redirect to a
            # `magnet:` when the indexer has no file, which requests cannot follow.
            response = session.get(url, timeout=timeout, stream=True, allow_redirects=False)
        except requests.Timeout as exc:
            raise FetchFailed(f"timed out fetching {redact(url)}") from exc
        except requests.RequestException as exc:
            raise FetchFailed(f"could not reach {redact(url)}: {type(exc).__name__}") from exc
        with response:
            if response.is_redirect:
                location = response.headers.get("Location", "")
                if location.lower().startswith("magnet:"):
                    return FetchedTorrent(
                        info_hash=info_hash_from_magnet(location), magnet=location
                    )
                url = urljoin(url, location)
                continue
            data = _read_body(response, url=url, max_bytes=max_bytes, seconds=timeout[1])
        return FetchedTorrent(
            info_hash=info_hash_from_torrent(data), torrent_bytes=data, files=torrent_files(data)
        )
    raise InvalidTorrent(f"more than {MAX_REDIRECTS} redirects from {redact(url)}")


def _read_body(response: requests.Response, *, url: str, max_bytes: int, seconds: float) -> bytes:
    """Read a .torrent answer up to `max_bytes` and `seconds`, mapping failures to their kind."""
    if response.status_code >= 500 or response.status_code == 429:
        raise FetchFailed(f"{redact(url)} answered HTTP {response.status_code}")
    if response.status_code != 200:
        raise InvalidTorrent(f"{redact(url)} answered HTTP {response.status_code}")
    declared = response.headers.get("Content-Length")
    too_big = InvalidTorrent(f".torrent from {redact(url)} is larger than {max_bytes} bytes")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    body = bytearray()
    # requests' read timeout is per socket read: a server dripping a byte at a time would
    # never trip it, so the whole body gets a deadline too. read1 returns what has arrived
    # instead of waiting to fill the chunk, so the deadline is checked as bytes come.
    deadline = time.monotonic() + seconds
    try:
        while chunk := response.raw.read1(64 * 1024, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise too_big
            if time.monotonic() > deadline:
                raise FetchFailed(f"{redact(url)} is sending its .torrent too slowly")
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise FetchFailed(f"connection lost reading {redact(url)}") from exc
    if not body.startswith(b"d"):
        # An HTML login page or a JSON error is the usual answer of a misconfigured indexer.
        raise InvalidTorrent(f"{redact(url)} did not answer with a .torrent file")
    return bytes(body)


def is_info_hash(value: str) -> bool:
    """Return whether `value` is a 40-character hex info hash."""
    return bool(_HEX_HASH.match(value))
