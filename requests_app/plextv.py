"""The plex.tv client: sign-in PINs, accounts, servers, shared and Home users, watchlists.

The only module that talks HTTP to plex.tv and its watchlist service (discover). Every
failure becomes a `PlexTVError` saying whether retrying could help; tokens travel in the
`X-Plex-Token` header only (never in a URL) and never appear in a log line, an exception
message or a repr. Endpoints as plexapi (`plexapi/myplex.py`), Overseerr and Sonarr use
them: see REFERENCE.md, "plex.tv".
"""

from __future__ import annotations

import json
import logging
import platform
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree.ElementTree import Element

import requests
import urllib3
from defusedxml import ElementTree as SafeET
from django.conf import settings

from core.errors import ServiceError
from requests_app.models import PlexInstallation

log = logging.getLogger(__name__)

PRODUCT = "Plex Kiosk"
APP_VERSION = "0.1.0"  # pyproject.toml's version; plex.tv shows it in the account's devices
DEVICE_NAME = "Plex Kiosk"
PLATFORM = platform.system() or "Linux"
WATCHLIST_PAGE_SIZE = 100
# A watchlist past this is a server that keeps paging; what was read is used.
MAX_WATCHLIST_ITEMS = 5000
# A plex.tv answer is a few kilobytes; one much larger is not plex.tv.
MAX_ANSWER_BYTES = 5 * 1024 * 1024
# Discover's ratingKeys are hex ids; anything else is not put in a URL path.
RATING_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
HOME_PIN = re.compile(r"\d{4}")
WATCHLIST_TYPES = ("movie", "show")


class PlexTVError(ServiceError):
    """plex.tv could not answer; `temporary` says whether trying again later could help."""

    service = "plex.tv"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PlexTVTemporaryError(PlexTVError):
    """plex.tv is down, slow, overloaded (429) or failing (5xx): retry later."""

    temporary = True


class PlexTVPermanentError(PlexTVError):
    """plex.tv refused the request or answered nonsense; retrying will not help."""


class PlexTVUnauthorized(PlexTVPermanentError):
    """plex.tv refused the token (401): it was revoked or has expired."""


class PinNotFound(PlexTVPermanentError):
    """plex.tv knows no such PIN (never made, or expired and forgotten)."""


@dataclass(frozen=True)
class Pin:
    id: int
    code: str
    auth_token: str | None
    expires_at: datetime
    strong: bool

    def __repr__(self) -> str:
        # The dataclass repr would print the token into tracebacks and debug output.
        approved = self.auth_token is not None
        return f"Pin(id={self.id}, code={self.code!r}, approved={approved}, strong={self.strong})"

    @property
    def expired(self) -> bool:
        return self.expires_at <= datetime.now(UTC)


@dataclass(frozen=True)
class PlexUser:
    id: int
    uuid: str
    username: str
    title: str
    email: str
    thumb: str


@dataclass(frozen=True)
class SharedUser(PlexUser):
    home: bool
    restricted: bool
    server_ids: tuple[str, ...]


@dataclass(frozen=True)
class HomeUser(PlexUser):
    admin: bool
    restricted: bool
    protected: bool  # has a Home PIN


@dataclass(frozen=True)
class Server:
    client_identifier: str
    name: str
    owned: bool


@dataclass(frozen=True)
class WatchlistEntry:
    rating_key: str
    title: str
    media_type: str  # "movie" | "show"
    year: int | None
    guids: tuple[str, ...]  # "tmdb://603", "imdb://tt0133093", "tvdb://81189"

    @property
    def tmdb_id(self) -> int | None:
        for guid in self.guids:
            scheme, _, value = guid.partition("://")
            if scheme == "tmdb" and value.isdigit():
                return int(value)
        return None


@dataclass(frozen=True)
class Watchlist:
    entries: tuple[WatchlistEntry, ...]
    etag: str
    not_modified: bool


# --- the installation's identity ------------------------------------------------------


def client_identifier() -> str:
    """Return this installation's plex.tv client identifier, made once and kept in the DB."""
    # A fixed pk makes concurrent first calls race on one row: the loser's insert fails
    # and get_or_create then reads the winner's, so every process sends the same id.
    row, _ = PlexInstallation.objects.get_or_create(
        pk=1, defaults={"client_identifier": uuid.uuid4().hex}
    )
    return row.client_identifier


# --- HTTP -----------------------------------------------------------------------------

_session = requests.Session()


def _headers(token: str | None, *, as_json: bool) -> dict[str, str]:
    headers = {
        "X-Plex-Product": PRODUCT,
        "X-Plex-Version": APP_VERSION,
        "X-Plex-Client-Identifier": client_identifier(),
        "X-Plex-Device-Name": DEVICE_NAME,
        "X-Plex-Device": PRODUCT,
        "X-Plex-Platform": PLATFORM,
        "User-Agent": f"PlexKiosk/{APP_VERSION}",
    }
    # plex.tv answers XML unless asked for JSON; the XML-only endpoints get what they send.
    headers["Accept"] = "application/json" if as_json else "application/xml"
    if token is not None:
        if not token:
            raise PlexTVUnauthorized("no Plex token to send")
        headers["X-Plex-Token"] = token
    return headers


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes


def _call(
    method: str,
    url: str,
    what: str,
    *,
    token: str | None = None,
    as_json: bool = True,
    params: dict[str, str] | None = None,
    extra_headers: dict[str, str] | None = None,
    not_found: type[PlexTVError] | None = None,
) -> _Answer:
    """Send one request and return its answer, or raise the PlexTVError that fits it."""
    headers = _headers(token, as_json=as_json)
    headers.update(extra_headers or {})
    timeout = settings.PLEX_TV_TIMEOUT
    slow = PlexTVTemporaryError(f"plex.tv did not answer within {timeout:g} s ({what})")
    try:
        with _session.request(
            method, url, headers=headers, params=params, timeout=timeout, stream=True
        ) as response:
            # requests' timeout bounds each read; this bounds the whole answer.
            deadline = time.monotonic() + timeout
            body = _read_capped(response, deadline, slow)
            answer = _Answer(response.status_code, response.headers, body)
    except requests.Timeout:
        raise slow from None
    except requests.RequestException as exc:
        # Only the exception's class: its text quotes URLs and connection internals.
        reason = type(exc).__name__
        raise PlexTVTemporaryError(f"plex.tv could not be reached ({what}: {reason})") from None
    status = answer.status
    log.debug("plex.tv %s %s: HTTP %s", method, what, status)
    if status == 401:
        raise PlexTVUnauthorized(f"plex.tv refused the token ({what})", status=status)
    if status == 404 and not_found is not None:
        raise not_found(f"plex.tv has no such thing ({what})", status=status)
    if status == 429 or status >= 500:
        raise PlexTVTemporaryError(f"plex.tv is unavailable ({what}: HTTP {status})", status=status)
    if status != 304 and not 200 <= status < 300:
        raise PlexTVPermanentError(f"plex.tv refused {what} (HTTP {status})", status=status)
    return answer


def _read_capped(response: requests.Response, deadline: float, slow: PlexTVTemporaryError) -> bytes:
    """Read the body, refusing one far larger than plex.tv sends or one still coming."""
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            # read1 returns what has arrived: a body sent a byte at a time meets the deadline.
            chunk = response.raw.read1(16 * 1024, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            raise slow from None
        except urllib3.exceptions.HTTPError:
            raise PlexTVTemporaryError("plex.tv broke off its answer") from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise PlexTVPermanentError(f"plex.tv sent more than {MAX_ANSWER_BYTES} bytes")
        if time.monotonic() > deadline:
            raise slow
        chunks.append(chunk)


def _json(answer: _Answer, what: str) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        raise PlexTVPermanentError(f"plex.tv sent something that is not JSON ({what})") from None


def _xml(answer: _Answer, what: str) -> Element:
    try:
        return SafeET.fromstring(answer.body)
    except Exception:  # ParseError, and defusedxml's refusals (entities, DTDs)
        raise PlexTVPermanentError(f"plex.tv sent something that is not XML ({what})") from None


def _malformed(what: str) -> PlexTVPermanentError:
    return PlexTVPermanentError(f"plex.tv sent an answer of an unexpected shape ({what})")


def _text(value: object, limit: int = 500) -> str:
    """Return a field as a short string ("" for missing or not a scalar)."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:limit]


def _int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise _malformed(what)
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise _malformed(what) from None
    if number < 0:
        raise _malformed(what)
    return number


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true")


def _datetime(value: object, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _malformed(what) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- PINs (sign in with Plex) -----------------------------------------------------------


def _pin(data: Any, what: str) -> Pin:
    if not isinstance(data, dict) or not isinstance(data.get("code"), str) or not data["code"]:
        raise _malformed(what)
    token = data.get("authToken")
    if token is not None and not isinstance(token, str):
        raise _malformed(what)
    if data.get("expiresAt"):
        expires_at = _datetime(data["expiresAt"], what)
    else:
        expires_at = datetime.now(UTC) + timedelta(seconds=_int(data.get("expiresIn"), what))
    code = _text(data["code"], 100)
    return Pin(
        id=_int(data.get("id"), what),
        code=code,
        auth_token=token or None,
        expires_at=expires_at,
        # plex.tv's short codes (for plex.tv/link) are 4 characters; strong ones are long.
        strong=len(code) > 8,
    )


def create_pin(*, strong: bool) -> Pin:
    """Ask plex.tv for a sign-in PIN: strong for the auth app, short for plex.tv/link."""
    params = {"strong": "true"} if strong else None
    response = _call("POST", f"{settings.PLEX_TV_URL}/api/v2/pins", "new PIN", params=params)
    return _pin(_json(response, "new PIN"), "new PIN")


def check_pin(pin_id: int) -> Pin:
    """Read a PIN again; its `auth_token` is set once someone approved it."""
    response = _call(
        "GET",
        f"{settings.PLEX_TV_URL}/api/v2/pins/{int(pin_id)}",
        "PIN check",
        not_found=PinNotFound,
    )
    return _pin(_json(response, "PIN check"), "PIN check")


def auth_app_url(*, code: str, forward_url: str | None = None) -> str:
    """Return the address of Plex's auth app that approves this PIN, then comes back."""
    params = {"clientID": client_identifier(), "code": code}
    if forward_url:
        params["forwardUrl"] = forward_url
    params["context[device][product]"] = PRODUCT
    return f"{settings.PLEX_AUTH_APP_URL}#?{urlencode(params, quote_via=quote)}"


# --- accounts and servers ---------------------------------------------------------------


def _user_fields(data: dict[str, Any] | Any, what: str) -> dict[str, Any]:
    get = data.get
    return {
        "id": _int(get("id"), what),
        "uuid": _text(get("uuid"), 64),
        "username": _text(get("username"), 150),
        "title": _text(get("title"), 150),
        "email": _text(get("email"), 254),
        "thumb": _text(get("thumb"), 500),
    }


def account(token: str) -> PlexUser:
    """Return the Plex account this token belongs to (PlexTVUnauthorized if none)."""
    response = _call("GET", f"{settings.PLEX_TV_URL}/api/v2/user", "account", token=token)
    data = _json(response, "account")
    if not isinstance(data, dict):
        raise _malformed("account")
    return PlexUser(**_user_fields(data, "account"))


def servers(token: str) -> list[Server]:
    """Return the Plex Media Servers this account owns or has been shared."""
    response = _call(
        "GET",
        f"{settings.PLEX_TV_URL}/api/v2/resources",
        "servers",
        token=token,
        params={"includeHttps": "1"},
    )
    data = _json(response, "servers")
    if not isinstance(data, list):
        raise _malformed("servers")
    found = []
    for resource in data:
        if not isinstance(resource, dict):
            raise _malformed("servers")
        provides = _text(resource.get("provides")).split(",")
        if "server" not in provides or not resource.get("clientIdentifier"):
            continue
        found.append(
            Server(
                client_identifier=_text(resource["clientIdentifier"], 100),
                name=_text(resource.get("name"), 200),
                owned=_flag(resource.get("owned")),
            )
        )
    return found


# --- the owner's household (XML endpoints) -----------------------------------------------

_AVATAR_UUID = re.compile(r"/users/([0-9a-f]{8,64})/avatar")


def _users(root: Element, what: str) -> list[Element]:
    if root.tag != "MediaContainer":
        raise _malformed(what)
    return [child for child in root if child.tag == "User"]


def shared_users(owner_token: str) -> list[SharedUser]:
    """Return the people the owner shares servers with (friends, and Home members)."""
    response = _call(
        "GET", f"{settings.PLEX_TV_URL}/api/users", "shared users", token=owner_token, as_json=False
    )
    found = []
    for user in _users(_xml(response, "shared users"), "shared users"):
        fields = _user_fields(user.attrib, "shared users")
        # /api/users has no uuid attribute; the avatar URL carries it.
        if not fields["uuid"] and (match := _AVATAR_UUID.search(fields["thumb"])):
            fields["uuid"] = match.group(1)
        found.append(
            SharedUser(
                **fields,
                home=_flag(user.get("home")),
                restricted=_flag(user.get("restricted")),
                server_ids=tuple(
                    _text(server.get("machineIdentifier"), 100)
                    for server in user
                    if server.tag == "Server" and server.get("machineIdentifier")
                ),
            )
        )
    return found


def home_users(owner_token: str) -> list[HomeUser]:
    """Return the owner's Plex Home profiles (managed ones have no username or e-mail)."""
    response = _call(
        "GET",
        f"{settings.PLEX_TV_URL}/api/home/users",
        "Home users",
        token=owner_token,
        as_json=False,
    )
    return [
        HomeUser(
            **_user_fields(user.attrib, "Home users"),
            admin=_flag(user.get("admin")),
            restricted=_flag(user.get("restricted")),
            protected=_flag(user.get("protected")),
        )
        for user in _users(_xml(response, "Home users"), "Home users")
    ]


def switch_home_user(owner_token: str, user: HomeUser | int, *, pin: str | None) -> str:
    """Return the token of one of the owner's Home profiles (its PIN when it has one)."""
    user_id = user.id if isinstance(user, HomeUser) else int(user)
    params = {}
    if pin:
        if not HOME_PIN.fullmatch(pin):
            raise PlexTVPermanentError("wrong PIN")
        params["pin"] = pin
    # plexapi's MyPlexAccount.switchHomeUser: POST /api/home/users/{id}/switch[?pin=…].
    url = f"{settings.PLEX_TV_URL}/api/home/users/{user_id}/switch"
    try:
        response = _call(
            "POST",
            url,
            "Home user switch",
            token=owner_token,
            as_json=False,
            params=params,
            not_found=PlexTVPermanentError,
        )
    except PlexTVPermanentError as exc:
        if exc.status not in (401, 403):
            raise
        # plex.tv answers a wrong PIN and a revoked owner token alike; the owner's own
        # account tells them apart (it raises PlexTVUnauthorized when the token is bad).
        account(owner_token)
        raise PlexTVPermanentError("wrong PIN", status=exc.status) from None
    root = _xml(response, "Home user switch")
    token = root.get("authenticationToken") or root.get("authToken")
    if not token:
        raise _malformed("Home user switch")
    return token


# --- watchlists (discover) ---------------------------------------------------------------


def _container(data: Any, what: str) -> dict[str, Any]:
    container = data.get("MediaContainer") if isinstance(data, dict) else None
    if not isinstance(container, dict):
        raise _malformed(what)
    metadata = container.get("Metadata", [])
    if not isinstance(metadata, list):
        raise _malformed(what)
    return container


def _guids(item: dict[str, Any]) -> tuple[str, ...]:
    guids = item.get("Guid")
    if not isinstance(guids, list):
        return ()
    return tuple(
        _text(guid["id"], 100)
        for guid in guids
        if isinstance(guid, dict) and isinstance(guid.get("id"), str)
    )


def _entry(item: Any) -> WatchlistEntry | None:
    """Return one watchlist item, or None for what is not a movie or show we can name."""
    if not isinstance(item, dict):
        return None
    rating_key = _text(item.get("ratingKey"), 100)
    media_type = _text(item.get("type"), 20)
    if not RATING_KEY.fullmatch(rating_key) or media_type not in WATCHLIST_TYPES:
        log.info("watchlist: skipped an item that is not a movie or show with a key")
        return None
    year = item.get("year")
    return WatchlistEntry(
        rating_key=rating_key,
        title=_text(item.get("title"), 300) or rating_key,
        media_type=media_type,
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        guids=_guids(item),
    )


class _NoSuchItem(PlexTVPermanentError):
    """Discover lists an item it has no metadata for (it happens to withdrawn titles)."""


def _metadata_guids(token: str, rating_key: str) -> tuple[str, ...]:
    try:
        response = _call(
            "GET",
            f"{settings.PLEX_DISCOVER_URL}/library/metadata/{rating_key}",
            "watchlist item",
            token=token,
            not_found=_NoSuchItem,
        )
    except _NoSuchItem:
        return ()  # the item stays, without ids: the watchlist says "no TMDB id" for it
    items = _container(_json(response, "watchlist item"), "watchlist item").get("Metadata", [])
    return _guids(items[0]) if items and isinstance(items[0], dict) else ()


def watchlist(token: str, *, etag: str | None = None) -> Watchlist:
    """Return the whole watchlist, or `not_modified` when it still has this ETag."""
    url = f"{settings.PLEX_DISCOVER_URL}/library/sections/watchlist/all"
    entries: list[WatchlistEntry] = []
    new_etag = ""
    start = 0
    while True:
        headers = {
            "X-Plex-Container-Start": str(start),
            "X-Plex-Container-Size": str(WATCHLIST_PAGE_SIZE),
        }
        # Only the first page is conditional: an unchanged list then costs one small call.
        if start == 0 and etag:
            headers["If-None-Match"] = etag
        response = _call(
            "GET",
            url,
            "watchlist",
            token=token,
            params={"includeGuids": "1"},
            extra_headers=headers,
        )
        if response.status == 304:
            if start == 0 and etag:
                return Watchlist(entries=(), etag=etag, not_modified=True)
            raise _malformed("watchlist")
        if start == 0:
            new_etag = _text(response.headers.get("ETag"), 200)
        container = _container(_json(response, "watchlist"), "watchlist")
        page = container.get("Metadata", [])
        entries += [entry for entry in map(_entry, page) if entry is not None]
        start += len(page)
        total = container.get("totalSize")
        total = total if isinstance(total, int) and not isinstance(total, bool) else None
        # Discover may give fewer items than asked for: totalSize says when the end is
        # reached; without it, a short page is the last.
        if not page or (start >= total if total is not None else len(page) < WATCHLIST_PAGE_SIZE):
            break
        if start >= MAX_WATCHLIST_ITEMS:
            log.warning("watchlist: stopped after %d items", start)
            break
    complete = []
    for entry in entries:
        if not entry.guids:
            # includeGuids=1 leaves some items bare; their metadata has the ids.
            guids = _metadata_guids(token, entry.rating_key)
            entry = WatchlistEntry(**{**entry.__dict__, "guids": guids})
        complete.append(entry)
    return Watchlist(entries=tuple(complete), etag=new_etag, not_modified=False)
