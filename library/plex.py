"""The Plex client: the only module that talks to Plex.

Connection, authentication and HTTP errors go through `plexapi` (its `PlexServer.query`),
but bulk reads parse the XML pages straight into plain dicts: building plexapi objects
costs ~200 µs an item (~17 s for 50,000 movies), parsing the page's Element ~30 µs.
Every failure leaves as a `PlexError` that says whether retrying could help.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlencode
from xml.etree.ElementTree import Element, ParseError

import requests
from django.conf import settings
from plexapi import exceptions as plex_exceptions
from plexapi.server import PlexServer

from core.errors import ServiceError

logger = logging.getLogger(__name__)

LIBTYPES = {"movie": 1, "show": 2, "season": 3, "episode": 4}
# Legacy agents put the external id in the item's own guid instead of <Guid> children.
LEGACY_GUID = re.compile(
    r"com\.plexapp\.agents\.(?P<agent>imdb|themoviedb|thetvdb|tmdb|tvdb)://(?P<id>[^?/]+)"
)


class PlexError(ServiceError):
    """Plex could not answer; `temporary` says whether trying again later could help."""

    service = "Plex"


class PlexTemporaryError(PlexError):
    """Plex is unreachable, slow, overloaded or sent a broken page: retry later."""

    temporary = True


class PlexPermanentError(PlexError):
    """Plex refused the request for a reason retrying will not fix."""


class PlexNotConfigured(PlexPermanentError):
    """PLEX_URL or PLEX_TOKEN is not set."""


class PlexAuthError(PlexPermanentError):
    """Plex refused the token (HTTP 401)."""


class PlexNotFound(PlexPermanentError):
    """Plex has no such thing (HTTP 404)."""


@dataclass(frozen=True)
class Section:
    """A Plex library section as Plex describes it."""

    key: str
    type: str
    title: str
    locations: list[str]


@dataclass
class Page:
    """One page of a paged read: the items parsed to dicts, and Plex's count of them all."""

    items: list[dict[str, Any]]
    start: int
    total: int


@dataclass
class _Counter:
    requests: int = 0
    paths: list[str] = field(default_factory=list)


class _CountingSession(requests.Session):
    """A requests session that counts what it sends, so syncs can report their HTTP cost."""

    def __init__(self, counter: _Counter) -> None:
        super().__init__()
        self._counter = counter

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self._counter.requests += 1
        return super().request(method, url, *args, **kwargs)


def parse_external_ids(guid: str, guids: list[str]) -> dict[str, Any]:
    """Return imdb/tmdb/tvdb ids from an item's <Guid> ids, or from a legacy agent guid."""
    found: dict[str, Any] = {"imdb_id": "", "tmdb_id": None, "tvdb_id": None}
    for value in guids:
        scheme, _, ident = value.partition("://")
        if scheme == "imdb" and ident:
            found["imdb_id"] = ident
        elif scheme in ("tmdb", "tvdb") and ident.isdigit():
            found[f"{scheme}_id"] = int(ident)
    legacy = LEGACY_GUID.search(guid or "")
    if legacy:
        agent, ident = legacy.group("agent"), legacy.group("id")
        if agent == "imdb" and not found["imdb_id"]:
            found["imdb_id"] = ident
        elif agent in ("themoviedb", "tmdb") and found["tmdb_id"] is None and ident.isdigit():
            found["tmdb_id"] = int(ident)
        elif agent in ("thetvdb", "tvdb") and found["tvdb_id"] is None and ident.isdigit():
            found["tvdb_id"] = int(ident)
    return found


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None


def parse_item(element: Element) -> dict[str, Any]:
    """Turn one <Video>/<Directory> element of a list into a plain dict of what we mirror."""
    attrib = element.attrib
    guid = attrib.get("guid", "")
    guids = [child.attrib.get("id", "") for child in element.iterfind("Guid")]
    item: dict[str, Any] = {
        "rating_key": int(attrib["ratingKey"]),
        "type": attrib.get("type", ""),
        "title": attrib.get("title", ""),
        "year": _int(attrib.get("year")),
        "added_at": _int(attrib.get("addedAt")),
        "updated_at": _int(attrib.get("updatedAt")),
        "plex_guid": guid,
        "thumb": attrib.get("thumb", ""),
        "index": _int(attrib.get("index")),
        "leaf_count": _int(attrib.get("leafCount")),
        "parent_rating_key": _int(attrib.get("parentRatingKey")),
        "parent_index": _int(attrib.get("parentIndex")),
        "grandparent_rating_key": _int(attrib.get("grandparentRatingKey")),
    }
    item.update(parse_external_ids(guid, guids))
    files = [
        part.attrib["file"] for part in element.iterfind("Media/Part") if "file" in part.attrib
    ]
    if not files:
        files = [loc.attrib["path"] for loc in element.iterfind("Location") if "path" in loc.attrib]
    item["files"] = files
    return item


def _items_of(container: Element) -> list[Element]:
    return [
        child
        for child in container
        if child.tag in ("Video", "Directory") and "ratingKey" in child.attrib
    ]


class PlexClient:
    """A connection to one Plex server, with explicit timeouts and errors that say what to do."""

    def __init__(
        self, url: str | None = None, token: str | None = None, *, timeout: float | None = None
    ) -> None:
        self.url = (url if url is not None else settings.PLEX_URL).rstrip("/")
        self._token = token if token is not None else settings.PLEX_TOKEN
        self.timeout = timeout if timeout is not None else settings.PLEX_TIMEOUT
        self._counter = _Counter()
        self._server: PlexServer | None = None

    def __repr__(self) -> str:
        # Never the token: this shows up in logs and tracebacks.
        return f"<PlexClient {self.url}>"

    @property
    def request_count(self) -> int:
        """Return how many HTTP requests this client has sent."""
        return self._counter.requests

    # --- errors ------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _translate(self, exc: Exception, what: str) -> PlexError:
        message = self._scrub(f"{what}: {exc}")
        if isinstance(exc, plex_exceptions.Unauthorized):
            return PlexAuthError(f"Plex refused the token ({what}); check PLEX_TOKEN")
        if isinstance(exc, plex_exceptions.NotFound):
            return PlexNotFound(message)
        if isinstance(exc, plex_exceptions.BadRequest):
            status = re.match(r"\((\d{3})\)", str(exc))
            code = int(status.group(1)) if status else 0
            if code in (408, 429) or code >= 500:
                return PlexTemporaryError(f"Plex answered HTTP {code} ({what})")
            return PlexPermanentError(message)
        if isinstance(exc, requests.Timeout):
            return PlexTemporaryError(f"Plex did not answer within {self.timeout:g} s ({what})")
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return PlexTemporaryError(f"Plex is unreachable at {self.url} ({what})")
        if isinstance(exc, ParseError):
            return PlexTemporaryError(f"Plex sent a broken page ({what})")
        if isinstance(exc, requests.RequestException):
            return PlexTemporaryError(message)
        return PlexPermanentError(message)

    # --- low level -----------------------------------------------------------------
    @property
    def server(self) -> PlexServer:
        """Connect on first use (one request: GET /) and return plexapi's server object."""
        if self._server is None:
            if not self.url or not self._token:
                raise PlexNotConfigured("PLEX_URL and PLEX_TOKEN must be set to reach Plex")
            session = _CountingSession(self._counter)
            try:
                self._server = PlexServer(
                    self.url, self._token, session=session, timeout=self.timeout
                )
            except Exception as exc:
                raise self._translate(exc, "connecting") from None
        return self._server

    def query(self, key: str, *, headers: dict[str, str] | None = None) -> Element:
        """GET `key` through plexapi (auth, status codes) and return the parsed XML."""
        server = self.server
        try:
            data = server.query(key, headers=headers)
        except Exception as exc:
            raise self._translate(exc, key.split("?")[0]) from None
        if data is None:
            raise PlexTemporaryError(f"Plex sent an empty answer ({key.split('?')[0]})")
        return data

    # --- what the library uses -----------------------------------------------------
    def identity(self) -> dict[str, str]:
        """Return the server's name, id and version."""
        server = self.server
        return {
            "name": server.friendlyName,
            "machine_identifier": server.machineIdentifier,
            "version": server.version,
        }

    def sections(self) -> list[Section]:
        """Return the movie and show sections (music and photos are not mirrored)."""
        data = self.query("/library/sections")
        found = []
        for directory in data.iterfind("Directory"):
            kind = directory.attrib.get("type")
            if kind not in ("movie", "show"):
                continue
            found.append(
                Section(
                    key=directory.attrib["key"],
                    type=kind,
                    title=directory.attrib.get("title", ""),
                    locations=[loc.attrib["path"] for loc in directory.iterfind("Location")],
                )
            )
        return found

    @staticmethod
    def _all_key(
        section_key: str, libtype: str, filters: dict[str, int] | None, sort: str | None
    ) -> str:
        params: list[tuple[str, str]] = [("type", str(LIBTYPES[libtype])), ("includeGuids", "1")]
        if sort:
            params.append(("sort", sort))
        # `addedAt>>=N` means "added at or after epoch N" in Plex's filter syntax.
        params.extend((f"{name}>>", str(value)) for name, value in (filters or {}).items())
        return f"/library/sections/{section_key}/all?{urlencode(params)}"

    def count(
        self, section_key: str, libtype: str, *, filters: dict[str, int] | None = None
    ) -> int:
        """Return how many items of `libtype` the section holds (an empty page's totalSize)."""
        key = self._all_key(section_key, libtype, filters, None)
        data = self.query(f"{key}&X-Plex-Container-Start=0&X-Plex-Container-Size=0")
        return int(data.attrib.get("totalSize") or data.attrib.get("size") or 0)

    def pages(
        self,
        section_key: str,
        libtype: str,
        *,
        filters: dict[str, int] | None = None,
        sort: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Page]:
        """Yield every page of a section's items; raise if a page is missing items.

        The read is complete only when the generator ends without an error: a short page
        or a total that moved while reading means Plex changed under us, and a caller
        that removes what it did not see must not trust such a read.
        """
        size = page_size or settings.PLEX_PAGE_SIZE
        key = self._all_key(section_key, libtype, filters, sort)
        start = 0
        first_total: int | None = None
        while True:
            data = self.query(
                key,
                headers={"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)},
            )
            elements = _items_of(data)
            total = int(data.attrib.get("totalSize") or data.attrib.get("size") or len(elements))
            if first_total is None:
                first_total = total
            elif total != first_total:
                raise PlexTemporaryError(
                    f"section {section_key} changed while it was read "
                    f"({first_total} → {total} items)"
                )
            expected = max(0, min(size, total - start))
            if len(elements) < expected:
                raise PlexTemporaryError(
                    f"Plex sent {len(elements)} of {expected} items at offset {start} "
                    f"of section {section_key}"
                )
            yield Page(items=[parse_item(e) for e in elements], start=start, total=total)
            start += size
            if start >= total:
                return

    def children(self, rating_key: int) -> list[dict[str, Any]]:
        """Return the children of an item (a show's seasons, a season's episodes)."""
        data = self.query(f"/library/metadata/{rating_key}/children?includeGuids=1")
        return [parse_item(e) for e in _items_of(data)]

    def all_leaves(self, rating_key: int) -> list[dict[str, Any]]:
        """Return every episode of a show."""
        data = self.query(f"/library/metadata/{rating_key}/allLeaves?includeGuids=1")
        return [parse_item(e) for e in _items_of(data)]

    def metadata(self, rating_key: int) -> dict[str, Any] | None:
        """Return one item, or None when Plex no longer has it (404)."""
        try:
            data = self.query(f"/library/metadata/{rating_key}?includeGuids=1")
        except PlexNotFound:
            return None
        items = _items_of(data)
        return parse_item(items[0]) if items else None

    def refresh(self, section_key: str, path: str | None = None) -> None:
        """Ask Plex to scan a section, or only `path` inside it (as Plex sees the path)."""
        key = f"/library/sections/{section_key}/refresh"
        if path is not None:
            # plexapi's section.update(path=) quotes the same way: a `+` is a space.
            key += f"?path={quote_plus(path)}"
        server = self.server
        try:
            server.query(key)
        except Exception as exc:
            raise self._translate(exc, f"refreshing section {section_key}") from None

    def thumb(self, thumb_path: str) -> tuple[bytes, str]:
        """Return a poster's bytes and content type (the token stays on this side)."""
        if not thumb_path.startswith("/library/"):
            raise PlexPermanentError("only Plex library images are fetched")
        server = self.server
        try:
            response = server._session.get(
                server.url(thumb_path),
                headers=server._headers(),
                timeout=min(self.timeout, 10),
            )
        except Exception as exc:
            raise self._translate(exc, "poster") from None
        if response.status_code == 404:
            raise PlexNotFound("no such poster")
        if response.status_code != 200:
            raise PlexTemporaryError(f"Plex answered HTTP {response.status_code} (poster)")
        return response.content, response.headers.get("Content-Type", "image/jpeg")
