"""The Torznab client: the only module that talks to indexers (Jackett, Prowlarr, …).

Searches run concurrently, one thread per enabled indexer, each with its own deadline.
An indexer that is down, slow, or answers something other than Torznab XML is logged and
skipped; the others' results still count. Answers are hostile input: the body is capped,
XML is parsed with defusedxml (no DTDs, entities or external references), and API keys
are removed from every message that could reach a log or a page.

Torznab reference: https://torznab.github.io/spec-1.3-draft/torznab/Specification-v1.3.html
"""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import ServiceError
from downloads.releases import MOVIE, MediaQuery, Release

logger = logging.getLogger(__name__)

TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
NEWZNAB_NS = "http://www.newznab.com/DTD/2010/feeds/attributes/"
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_ITEMS = 1000
MAX_TITLE_LENGTH = 500
# Beyond these an item is lying (or garbled): the biggest public swarms have a few hundred
# thousand seeders, the biggest packs a few TB. Such items are skipped, not ranked first, and
# their numbers would not fit the database's integer columns anyway.
MAX_SEEDERS = 1_000_000
MAX_SIZE = 100 * 1024**4
CAPS_MAX_AGE = timedelta(hours=24)
MOVIE_CATEGORY = 2000
TV_CATEGORY = 5000
# Torznab error codes that retrying cannot fix: credentials, account, bad request, API off.
PERMANENT_ERROR_CODES = {100, 101, 102, 200, 201, 202, 203, 910}
_APIKEY_IN_TEXT = re.compile(r"(apikey|api_key|jackett_apikey)=[^&\s'\"]+", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_XML_TYPES = ("xml", "rss")


class TorznabError(ServiceError):
    """An indexer could not answer; `temporary` says whether retrying later could help."""

    service = "the indexers"
    temporary = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TorznabTemporaryError(TorznabError):
    """Down, slow, overloaded or rate-limited: try again later."""

    temporary = True


class TorznabPermanentError(TorznabError):
    """Wrong URL or key, not a Torznab server, unsafe answer: an admin must fix something."""

    temporary = False


@dataclass(frozen=True)
class IndexerConfig:
    """A snapshot of an `Indexer` row, safe to hand to a thread (no database access there)."""

    id: int | None
    name: str
    url: str
    api_key: str
    categories: tuple[int, ...] = ()
    priority: int = 25
    timeout: float = 15.0
    caps: dict[str, Any] | None = None

    @classmethod
    def from_indexer(cls, indexer: Any) -> IndexerConfig:
        """Snapshot a model row; reuse its cached caps while they are fresh."""
        fresh = (
            indexer.caps
            and indexer.caps_fetched_at
            and timezone.now() - indexer.caps_fetched_at < CAPS_MAX_AGE
        )
        try:
            categories = tuple(indexer.category_list())
        except ValidationError:
            # Admin validates the field; a row written some other way must not stop searches.
            logger.warning(
                "Indexer %s: bad categories %r ignored", indexer.name, indexer.categories
            )
            categories = ()
        return cls(
            id=indexer.pk,
            name=indexer.name,
            url=indexer.url,
            api_key=indexer.api_key,
            categories=categories,
            priority=indexer.priority,
            timeout=indexer.timeout,
            caps=indexer.caps if fresh else None,
        )

    def redact(self, text: str) -> str:
        """Remove this indexer's API key from a message."""
        if self.api_key:
            text = text.replace(self.api_key, "***")
        return _APIKEY_IN_TEXT.sub(r"\1=***", text)


@dataclass(frozen=True)
class Caps:
    """Which searches an indexer supports, and with which parameters."""

    search: frozenset[str] = frozenset({"q"})
    movie_search: frozenset[str] | None = None
    tv_search: frozenset[str] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Caps:
        """Rebuild caps cached as JSON on the indexer row."""

        def params(key: str) -> frozenset[str] | None:
            value = data.get(key)
            return None if value is None else frozenset(value)

        return cls(
            search=params("search") or frozenset(),
            movie_search=params("movie_search"),
            tv_search=params("tv_search"),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form cached on the indexer row."""
        return {
            key: None if value is None else sorted(value)
            for key, value in (
                ("search", self.search),
                ("movie_search", self.movie_search),
                ("tv_search", self.tv_search),
            )
        }


@dataclass
class IndexerFailure:
    """One indexer skipped during a search, and why."""

    indexer: str
    temporary: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored with the search."""
        return {"indexer": self.indexer, "temporary": self.temporary, "message": self.message}


@dataclass
class SearchResults:
    """What all indexers answered together."""

    releases: list[Release] = field(default_factory=list)
    failures: list[IndexerFailure] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    # Caps fetched during this search, by indexer id, for the caller to cache.
    new_caps: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def all_failed_temporarily(self) -> bool:
        """Say whether no indexer answered and at least one may answer later."""
        return not self.answered and any(f.temporary for f in self.failures)


def redact_url(url: str) -> str:
    """Hide API keys in a URL (indexer download links often carry one)."""
    return _APIKEY_IN_TEXT.sub(r"\1=***", url)


# --- HTTP -----------------------------------------------------------------------------


def _get_xml(config: IndexerConfig, params: dict[str, str], deadline: float) -> Element:
    """GET the indexer's API with these params and return the parsed, checked XML root."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TorznabTemporaryError(f"no answer within {config.timeout:g} s")
    try:
        with requests.get(
            config.url,
            params={**params, "apikey": config.api_key},
            timeout=(min(5.0, remaining), remaining),
            stream=True,
            headers={"Accept": "application/rss+xml, application/xml, text/xml"},
        ) as response:
            body = _read_capped(response, deadline, config.timeout)
            status = response.status_code
            content_type = response.headers.get("Content-Type", "").lower()
            retry_after = response.headers.get("Retry-After")
    except requests.Timeout as exc:
        raise TorznabTemporaryError(f"no answer within {config.timeout:g} s") from exc
    except requests.RequestException as exc:
        detail = config.redact(str(exc))[:300]
        raise TorznabTemporaryError(f"connection failed: {detail}") from exc

    if status == 429:
        wait_hint = f" (retry after {retry_after} s)" if retry_after else ""
        raise TorznabTemporaryError(f"rate-limited: HTTP 429{wait_hint}")
    if status >= 500:
        raise TorznabTemporaryError(f"server error: HTTP {status}")
    if "html" in content_type or body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        raise TorznabPermanentError(
            f"answered an HTML page (HTTP {status}), not Torznab XML: check the URL"
        )
    if content_type and not any(kind in content_type for kind in _XML_TYPES):
        raise TorznabPermanentError(f"answered {content_type!r}, not Torznab XML")
    root = _parse_xml(body)
    if root.tag == "error":
        _raise_torznab_error(root)
    if status >= 400:
        raise TorznabPermanentError(f"HTTP {status}")
    return root


def _read_capped(response: requests.Response, deadline: float, timeout: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TorznabPermanentError(f"answer of {int(declared):,} bytes is over the cap")
    chunks: list[bytes] = []
    total = 0
    # chunk_size=None yields data as it arrives, so a trickling server meets the deadline.
    for chunk in response.iter_content(chunk_size=None):
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise TorznabPermanentError(f"answer over the cap of {MAX_BODY_BYTES:,} bytes")
        if time.monotonic() > deadline:
            raise TorznabTemporaryError(f"no complete answer within {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_xml(body: bytes) -> Element:
    try:
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        # Billion laughs, XXE and friends: never expanded, never retried.
        raise TorznabPermanentError(f"unsafe XML refused ({type(exc).__name__})") from exc
    except (ParseError, ValueError) as exc:
        raise TorznabPermanentError(f"answer is not XML ({exc})") from exc


def _raise_torznab_error(root: Element) -> None:
    code_text = root.get("code", "")
    description = _clean(root.get("description", ""))[:200] or "no description"
    code = int(code_text) if code_text.isdigit() else 900
    message = f"Torznab error {code}: {description}"
    if code in PERMANENT_ERROR_CODES:
        raise TorznabPermanentError(message)
    raise TorznabTemporaryError(message)


def _clean(text: str) -> str:
    return _CONTROL_CHARS.sub(" ", text).strip()


# --- caps and queries -----------------------------------------------------------------


def parse_caps(root: Element) -> Caps:
    """Read the supported searches from a `t=caps` answer."""
    if root.tag != "caps":
        raise TorznabPermanentError(f"caps answer has root <{root.tag[:30]}>, not <caps>")
    searching = root.find("searching")

    def params(tag: str) -> frozenset[str] | None:
        node = searching.find(tag) if searching is not None else None
        if node is None or node.get("available", "no").lower() != "yes":
            return None
        supported = node.get("supportedParams", "q")
        return frozenset(p.strip().lower() for p in supported.split(",") if p.strip())

    return Caps(
        search=params("search") or frozenset({"q"}),
        movie_search=params("movie-search"),
        tv_search=params("tv-search"),
    )


def fetch_caps(config: IndexerConfig, deadline: float | None = None) -> Caps:
    """Ask an indexer what it can search for."""
    deadline = deadline or time.monotonic() + config.timeout
    return parse_caps(_get_xml(config, {"t": "caps"}, deadline))


def search_params(
    query: MediaQuery, caps: Caps, categories: tuple[int, ...]
) -> list[dict[str, str]]:
    """Return the searches to try, in order: by id when the caps allow, then by title."""
    default_category = MOVIE_CATEGORY if query.media_type == MOVIE else TV_CATEGORY
    common = {"cat": ",".join(str(c) for c in categories or (default_category,)), "limit": "100"}
    # "The Office (US)" is released as "The.Office.US…": drop the brackets for text search.
    text = re.sub(r"[()\[\]]", "", query.title).strip()
    attempts: list[dict[str, str]] = []
    if query.media_type == MOVIE:
        supported = caps.movie_search
        text_query = f"{text} {query.year}" if query.year else text
        if supported is not None:
            if query.imdb_id and "imdbid" in supported:
                attempts.append({"t": "movie", "imdbid": query.imdb_id})
            elif query.tmdb_id and "tmdbid" in supported:
                attempts.append({"t": "movie", "tmdbid": str(query.tmdb_id)})
            if "q" in supported:
                attempts.append({"t": "movie", "q": text_query})
        if not any("q" in a for a in attempts):
            attempts.append({"t": "search", "q": text_query})
    else:
        supported = caps.tv_search
        season = {"season": str(query.season)} if supported and "season" in supported else {}
        if supported is not None:
            if query.tvdb_id and "tvdbid" in supported:
                attempts.append({"t": "tvsearch", "tvdbid": str(query.tvdb_id), **season})
            if "q" in supported:
                text_query = text if season else f"{text} S{query.season:02d}"
                attempts.append({"t": "tvsearch", "q": text_query, **season})
        if not any("q" in a for a in attempts):
            attempts.append({"t": "search", "q": f"{text} S{query.season:02d}"})
    return [{**attempt, **common} for attempt in attempts]


# --- results --------------------------------------------------------------------------


def parse_results(root: Element, config: IndexerConfig) -> list[Release]:
    """Turn an RSS answer into releases, skipping items without a title, size or link."""
    if root.tag != "rss":
        raise TorznabPermanentError(f"search answer has root <{root.tag[:30]}>, not <rss>")
    releases = []
    skipped = 0
    for item in root.iter("item"):
        if len(releases) >= MAX_ITEMS:
            break
        release = _release_from_item(item, config)
        if release is not None:
            releases.append(release)
        else:
            skipped += 1
    if skipped:
        logger.info(
            "Indexer %s: %d items skipped (no title, size or link, or impossible numbers)",
            config.name,
            skipped,
        )
    return releases


def _release_from_item(item: Element, config: IndexerConfig) -> Release | None:
    attrs: dict[str, str] = {}
    for ns in (TORZNAB_NS, NEWZNAB_NS):
        for node in item.findall(f"{{{ns}}}attr"):
            name, value = node.get("name"), node.get("value")
            if name and value is not None:
                attrs.setdefault(name.lower(), value)
    title = _clean(item.findtext("title") or "")[:MAX_TITLE_LENGTH]
    enclosure = item.find("enclosure")
    size = _to_int(item.findtext("size")) or _to_int(attrs.get("size"))
    if not size and enclosure is not None:
        size = _to_int(enclosure.get("length"))
    if not title or not size or size > MAX_SIZE:
        return None
    link = (item.findtext("link") or "").strip()
    if not link and enclosure is not None:
        link = enclosure.get("url", "")
    magnet = attrs.get("magneturl") or (link if link.startswith("magnet:") else None)
    if not magnet and not link.startswith(("http://", "https://")):
        # Nothing to hand to qBittorrent: ranking it could only choose a dead end.
        return None
    if _beyond(attrs.get("seeders"), MAX_SEEDERS) or _beyond(attrs.get("peers"), MAX_SEEDERS):
        return None
    seeders = _to_int(attrs.get("seeders")) or 0
    peers = _to_int(attrs.get("peers"))
    return Release(
        title=title,
        size=size,
        seeders=seeders,
        # Torznab's `peers` counts seeders too; keep it as given.
        peers=peers,
        # Without an `infohash` attribute, the release reads it from the magnet.
        info_hash=attrs.get("infohash"),
        download_url=link if link.startswith(("http://", "https://")) else None,
        magnet_url=magnet,
        indexer=config.name,
        indexer_id=config.id,
        guid=_clean(item.findtext("guid") or "")[:500],
        pub_date=_clean(item.findtext("pubDate") or "")[:64],
        categories=tuple(
            c for c in (_to_int(v) for v in _all_values(item, "category")) if c is not None
        ),
        extra={k: v for k, v in attrs.items() if k in {"imdbid", "tmdbid", "tvdbid"}},
    )


def _all_values(item: Element, name: str) -> list[str]:
    return [
        node.get("value", "")
        for ns in (TORZNAB_NS, NEWZNAB_NS)
        for node in item.findall(f"{{{ns}}}attr")
        if node.get("name", "").lower() == name
    ]


def _beyond(value: str | None, limit: int) -> bool:
    """Say whether a numeric field is over `limit` (infinity included)."""
    try:
        return float(value or 0) > limit
    except ValueError:
        return False


def _to_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(int(float(value)), 0)
    # OverflowError: "1e999" and "inf" are floats, but no integer.
    except (TypeError, ValueError, OverflowError):
        return None


def deduplicate(releases: list[Release], priorities: dict[str, int] | None = None) -> list[Release]:
    """Keep one release per info hash: the highest-priority indexer's copy, with the best counts."""
    priorities = priorities or {}
    kept: dict[str, Release] = {}
    for release in sorted(releases, key=lambda r: priorities.get(r.indexer, 1000)):
        key = release.info_hash or f"{release.title.lower()}|{release.size}"
        first = kept.get(key)
        if first is None:
            kept[key] = release
            continue
        # Trackers count the same swarm differently; the client will use all of them.
        first.seeders = max(first.seeders, release.seeders)
        if release.peers is not None:
            first.peers = max(first.peers or 0, release.peers)
        if not first.magnet_url and release.magnet_url:
            first.magnet_url = release.magnet_url
    return list(kept.values())


# --- searching --------------------------------------------------------------------------


@dataclass
class _IndexerAnswer:
    releases: list[Release]
    caps: Caps | None


def search_indexer(config: IndexerConfig, query: MediaQuery) -> _IndexerAnswer:
    """Search one indexer: caps if not cached, then by id, then by title if ids found nothing."""
    deadline = time.monotonic() + config.timeout
    fetched = None
    if config.caps:
        caps = Caps.from_dict(config.caps)
    else:
        caps = fetched = fetch_caps(config, deadline)
    releases: list[Release] = []
    for params in search_params(query, caps, config.categories):
        releases = parse_results(_get_xml(config, params, deadline), config)
        if releases:
            break
    return _IndexerAnswer(releases=releases, caps=fetched)


def search_indexers(query: MediaQuery, configs: list[IndexerConfig]) -> SearchResults:
    """Search every given indexer at once; skip (and log) those that fail or run late."""
    results = SearchResults()
    if not configs:
        return results
    started = time.monotonic()
    executor = ThreadPoolExecutor(max_workers=len(configs), thread_name_prefix="torznab")
    pending: dict[Future[_IndexerAnswer], IndexerConfig] = {
        executor.submit(search_indexer, config, query): config for config in configs
    }
    deadlines = {future: started + config.timeout + 0.5 for future, config in pending.items()}
    try:
        while pending:
            next_deadline = min(deadlines[f] for f in pending)
            timeout = max(0.0, next_deadline - time.monotonic())
            done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                _collect(future, pending.pop(future), results)
            now = time.monotonic()
            for future in [f for f in pending if deadlines[f] <= now]:
                config = pending.pop(future)
                # The thread keeps running until its socket times out; its answer is ignored.
                future.cancel()
                late = TorznabTemporaryError(f"no answer within {config.timeout:g} s")
                _fail(results, config, late)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    priorities = {c.name: c.priority for c in configs}
    results.releases = deduplicate(results.releases, priorities)
    return results


def _collect(future: Future[_IndexerAnswer], config: IndexerConfig, results: SearchResults) -> None:
    try:
        answer = future.result()
    except TorznabError as exc:
        _fail(results, config, exc)
        return
    except Exception as exc:  # A parser bug must cost one indexer, not the whole search.
        logger.exception("Indexer %s: unexpected error", config.name)
        _fail(results, config, TorznabTemporaryError(config.redact(f"unexpected error: {exc}")))
        return
    results.answered.append(config.name)
    results.releases.extend(answer.releases)
    if answer.caps is not None and config.id is not None:
        results.new_caps[config.id] = answer.caps.as_dict()
    logger.info("Indexer %s: %d results", config.name, len(answer.releases))


def _fail(results: SearchResults, config: IndexerConfig, exc: TorznabError) -> None:
    message = config.redact(exc.message)
    kind = "temporary" if exc.temporary else "permanent"
    logger.warning("Indexer %s skipped (%s): %s", config.name, kind, message)
    results.failures.append(IndexerFailure(config.name, exc.temporary, message))
