"""A plex.tv simulator: plex.tv, its watchlist service (discover) and its auth app, over HTTP.

One port serves what `requests_app/plextv.py` and plexapi's `MyPlexAccount` /
`MyPlexPinLogin` use: sign-in PINs (`/api/v2/pins`, strong for the auth app and short
4-character codes for `/link`, both expiring), the account (`/api/v2/user`,
`/users/account.json`), resources (`/api/v2/resources`), shared users (`/api/users`, XML),
Plex Home users and switching to them (`/api/home/users`, `…/{id}/switch`), and the
watchlist (`/library/sections/watchlist/all` paged with `X-Plex-Container-Start/Size`,
ETag / `If-None-Match`, `/library/metadata/{ratingKey}`). The v2 endpoints answer JSON
when asked (`Accept: application/json`) and XML otherwise, as plex.tv does. The auth app
(`/auth#?clientID=…&code=…&forwardUrl=…`) is a page where a person (or a browser test)
picks an account and presses *Approve*; `/link` takes a short code.

Tests change the world (accounts, shares, Home users, watchlists), approve, expire and
revoke, and make it fail (`down`, `delay`, `override` for hostile answers); every request
is recorded. Run it alone with `python -m plexkiosk.simulators.plextv --port 8766`, then set
PLEX_TV_URL, PLEX_DISCOVER_URL to its URL and PLEX_AUTH_APP_URL to its URL + `/auth`; the
owner's token is `sim-owner-token`.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import quoteattr

import segno

# The Plex Media Server simulator's machine identifier (plexkiosk/simulators/plex.py), so
# the two simulators describe one household's server.
PLEX_SIM_MACHINE_ID = "plexkiosk-simulator-0001"
OWNER_TOKEN = "sim-owner-token"  # noqa: S105 - the simulator's own made-up token
STRONG_PIN_SECONDS = 30 * 60  # plex.tv: strong PINs live 30 minutes
SHORT_PIN_SECONDS = 15 * 60  # and the short codes for plex.tv/link 15
# plex.tv's short codes avoid letters that read like digits.
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
DEFAULT_PAGE_SIZE = 20  # discover's page when the client gives no size
MAX_PAGE_SIZE = 300

# Error bodies as plex.tv sends them.
UNAUTHORIZED = {"errors": [{"code": 1001, "message": "User could not be authenticated"}]}
PIN_NOT_FOUND = {"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]}
NO_CLIENT_ID = {
    "errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing", "status": 400}]
}
NOT_FOUND = {"errors": [{"code": 1002, "message": "Not found", "status": 404}]}


def _attr(value: object) -> str:
    if isinstance(value, bool):
        value = int(value)
    return quoteattr("" if value is None else str(value))


def _element(tag: str, attrs: dict[str, Any], children: str = "") -> str:
    text = " ".join(f"{name}={_attr(value)}" for name, value in attrs.items())
    return f"<{tag} {text}>{children}</{tag}>" if children else f"<{tag} {text}/>"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SimAccount:
    """A plex.tv account, or a managed Home user (no username, no e-mail)."""

    id: int
    uuid: str
    username: str
    email: str
    token: str
    title: str = ""
    thumb: str = ""

    def __post_init__(self) -> None:
        self.title = self.title or self.username
        self.thumb = self.thumb or f"https://plex.tv/users/{self.uuid}/avatar?c=1"


@dataclass
class SimHomeUser:
    """One profile of the owner's Plex Home: a member account or a managed user."""

    account_id: int
    managed: bool = False
    pin: str | None = None  # the Home PIN; switching needs it when set
    admin: bool = False


@dataclass
class SimPin:
    id: int
    code: str
    strong: bool
    client_id: str
    product: str
    created_at: datetime
    expires_at: datetime
    auth_token: str | None = None


@dataclass
class SimWatchItem:
    """A title on a watchlist; `inline_guids=False` leaves its Guid children to metadata."""

    rating_key: str
    title: str
    type: str  # movie | show
    year: int | None
    guids: tuple[str, ...]
    inline_guids: bool = True
    seasons: int = 1  # shows only


@dataclass
class _Override:
    prefix: str
    status: int
    body: bytes
    content_type: str
    times: int


def watch_item(
    tmdb_id: int | None,
    title: str,
    kind: str = "movie",
    year: int | None = None,
    *,
    imdb: str | None = None,
    tvdb: int | None = None,
    inline_guids: bool = True,
    seasons: int = 1,
) -> SimWatchItem:
    """Make a watchlist item with discover-like ids (a 24-hex ratingKey from the title)."""
    guids = tuple(
        g
        for g in (
            f"imdb://{imdb}" if imdb else None,
            f"tmdb://{tmdb_id}" if tmdb_id else None,
            f"tvdb://{tvdb}" if tvdb else None,
        )
        if g
    )
    rating_key = hashlib.sha1(f"{kind}:{title}:{year}".encode()).hexdigest()[:24]  # noqa: S324
    return SimWatchItem(rating_key, title, kind, year, guids, inline_guids, seasons)


@dataclass
class PlexTVState:
    """Everything the simulator knows; tests read and change it (under `lock`)."""

    machine_identifier: str = PLEX_SIM_MACHINE_ID
    server_name: str = "Plex Simulator"
    owner_id: int = 0
    accounts: dict[int, SimAccount] = field(default_factory=dict)
    shares: dict[int, set[str]] = field(default_factory=dict)  # friend id -> server ids
    home: dict[int, SimHomeUser] = field(default_factory=dict)  # the owner's Home
    pins: dict[int, SimPin] = field(default_factory=dict)
    watchlists: dict[int, list[SimWatchItem]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)


class PlexTVSimulator(ThreadingHTTPServer):
    """plex.tv, discover and the auth app on one 127.0.0.1 port; see the module docstring."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int] = ("127.0.0.1", 0),
        *,
        seed: bool = True,
        owner_token: str = OWNER_TOKEN,
    ) -> None:
        super().__init__(address, _Handler)
        self.state = PlexTVState()
        self.down = False  # every API answer becomes 503
        self.delay = 0.0  # seconds each API answer waits first
        self.page_size_limit = MAX_PAGE_SIZE
        self.requests: list[dict[str, Any]] = []  # method, path, query, headers
        self._overrides: list[_Override] = []
        self._next_pin = 1000
        self._thread: threading.Thread | None = None
        if seed:
            self.seed(owner_token=owner_token)

    # --- the world ---------------------------------------------------------------------

    def add_account(
        self, account_id: int, username: str, email: str = "", *, token: str | None = None
    ) -> SimAccount:
        """Add a plex.tv account (empty username and e-mail: a managed Home user)."""
        account = SimAccount(
            id=account_id,
            uuid=hashlib.md5(str(account_id).encode()).hexdigest()[:16],  # noqa: S324
            username=username,
            email=email,
            token=token or f"sim-token-{account_id}-{secrets.token_hex(6)}",
        )
        with self.state.lock:
            self.state.accounts[account_id] = account
        return account

    def share(self, account_id: int, *server_ids: str) -> None:
        """Share the owner's server (or the given server ids) with this account."""
        with self.state.lock:
            self.state.shares.setdefault(account_id, set()).update(
                server_ids or {self.state.machine_identifier}
            )

    def unshare(self, account_id: int) -> None:
        """Stop sharing any server with this account."""
        with self.state.lock:
            self.state.shares.pop(account_id, None)

    def add_home_user(
        self, account: SimAccount, *, managed: bool = False, pin: str | None = None
    ) -> None:
        """Put an account in the owner's Plex Home (managed: a profile with no e-mail)."""
        with self.state.lock:
            self.state.home[account.id] = SimHomeUser(account.id, managed=managed, pin=pin)

    def set_watchlist(self, account_id: int, items: list[SimWatchItem]) -> None:
        """Replace an account's watchlist (its ETag changes when its content does)."""
        with self.state.lock:
            self.state.watchlists[account_id] = list(items)

    def add_to_watchlist(self, account_id: int, item: SimWatchItem) -> None:
        """Add one title at the front, where plex.tv puts the newest."""
        with self.state.lock:
            self.state.watchlists.setdefault(account_id, []).insert(0, item)

    def account(self, name_or_id: str | int) -> SimAccount:
        """Return the account with this id, username or title."""
        with self.state.lock:
            for account in self.state.accounts.values():
                if name_or_id in (account.id, account.username, account.title):
                    return account
        raise KeyError(name_or_id)

    @property
    def owner(self) -> SimAccount:
        return self.state.accounts[self.state.owner_id]

    def seed(self, *, owner_token: str = OWNER_TOKEN) -> None:
        """Make the demo household: an owner, a friend, a stranger, two Home profiles."""
        # The owner's token is also the server's PLEX_TOKEN in the demo, as at home.
        owner = self.add_account(1001, "alice", "alice@example.com", token=owner_token)
        owner.title = "Alice"
        self.state.owner_id = owner.id
        self.state.home[owner.id] = SimHomeUser(owner.id, admin=True)
        bob = self.add_account(1002, "bob", "bob@example.com", token="sim-bob-token")  # noqa: S106
        self.share(bob.id)
        self.add_account(1003, "mallory", "mallory@example.com", token="sim-mallory-token")  # noqa: S106
        dana = self.add_account(1004, "dana", "dana@example.com", token="sim-dana-token")  # noqa: S106
        self.add_home_user(dana)
        kid = self.add_account(1005, "", "", token="sim-kid-token")  # noqa: S106
        kid.title = "Kids"
        self.add_home_user(kid, managed=True, pin="1234")
        self.set_watchlist(
            owner.id,
            [
                watch_item(603, "The Matrix", "movie", 1999, imdb="tt0133093"),
                watch_item(
                    1396, "Breaking Bad", "show", 2008, imdb="tt0903747", tvdb=81189, seasons=5
                ),
                # Discover sometimes lists an item without its ids: metadata has them.
                watch_item(438631, "Dune", "movie", 2021, imdb="tt1160419", inline_guids=False),
                # A title TMDB does not know (only an IMDb id).
                watch_item(None, "A Home Movie", "movie", 2020, imdb="tt9999999"),
            ],
        )
        self.set_watchlist(bob.id, [watch_item(27205, "Inception", "movie", 2010)])

    # --- controls ----------------------------------------------------------------------

    def approve(self, pin: int | str, account: SimAccount | str | int) -> SimPin:
        """Approve a PIN (its id, or its code) as this account, as the auth app does."""
        chosen = account if isinstance(account, SimAccount) else self.account(account)
        with self.state.lock:
            found = self.find_pin(pin)
            if found is None:
                raise KeyError(pin)
            found.auth_token = chosen.token
            return found

    def find_pin(self, pin: int | str) -> SimPin | None:
        """Return a live PIN by id or code (codes compared without case), or None."""
        now = datetime.now(UTC)
        with self.state.lock:
            for candidate in self.state.pins.values():
                match = candidate.id == pin or (
                    isinstance(pin, str) and candidate.code.upper() == pin.strip().upper()
                )
                if match and candidate.expires_at > now:
                    return candidate
        return None

    def expire(self, pin_id: int) -> None:
        """Make a PIN expire now (plex.tv then forgets it: 404)."""
        with self.state.lock:
            self.state.pins[pin_id].expires_at = datetime.now(UTC) - timedelta(seconds=1)

    def revoke(self, token: str) -> None:
        """Revoke a token: every call made with it is answered 401 from now on."""
        with self.state.lock:
            self.state.revoked.add(token)

    def override(
        self,
        prefix: str,
        status: int = 200,
        body: bytes | str = b"<html>Bad gateway</html>",
        content_type: str = "text/html",
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests under `prefix` with this (hostile answers)."""
        data = body.encode() if isinstance(body, str) else body
        with self.state.lock:
            self._overrides.append(_Override(prefix, status, data, content_type, times))

    def take_override(self, path: str) -> _Override | None:
        with self.state.lock:
            for override in self._overrides:
                if path.startswith(override.prefix):
                    override.times -= 1
                    if override.times <= 0:
                        self._overrides.remove(override)
                    return override
        return None

    def count(self, prefix: str) -> int:
        """Count the recorded requests whose path starts with `prefix`."""
        with self.state.lock:
            return sum(1 for r in self.requests if r["path"].startswith(prefix))

    def new_pin(self, *, strong: bool, client_id: str, product: str) -> SimPin:
        now = datetime.now(UTC)
        with self.state.lock:
            self._next_pin += 1
            if strong:
                code = "".join(
                    secrets.choice(string.ascii_lowercase + string.digits) for _ in range(25)
                )
            else:
                code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(4))
            lifetime = STRONG_PIN_SECONDS if strong else SHORT_PIN_SECONDS
            pin = SimPin(
                id=self._next_pin,
                code=code,
                strong=strong,
                client_id=client_id,
                product=product,
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime),
            )
            self.state.pins[pin.id] = pin
            return pin

    def account_for(self, token: str | None) -> SimAccount | None:
        """Return the account a (not revoked) token belongs to."""
        if not token:
            return None
        with self.state.lock:
            if token in self.state.revoked:
                return None
            for account in self.state.accounts.values():
                if account.token == token:
                    return account
        return None

    def watchlist_etag(self, account_id: int) -> str:
        """Return the ETag of an account's watchlist: stable until its content changes."""
        with self.state.lock:
            items = self.state.watchlists.get(account_id, [])
            digest = hashlib.sha256(repr([vars(i) for i in items]).encode()).hexdigest()
        return f'W/"{digest[:32]}"'

    # --- serving -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Return the base URL (PLEX_TV_URL and PLEX_DISCOVER_URL alike)."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def auth_url(self) -> str:
        """Return the auth app's address, to use as PLEX_AUTH_APP_URL."""
        return f"{self.url}/auth"

    def start(self) -> str:
        """Serve in a background thread and return the base URL."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="plextv-sim",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up early (the timeout tests do that)."""


class _Handler(BaseHTTPRequestHandler):
    server: PlexTVSimulator
    protocol_version = "HTTP/1.1"
    # Headers and body in one segment: with Nagle's algorithm and the client's delayed ACK,
    # a kept-alive connection otherwise waits ~40 ms on every answer.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; the server records requests itself."""

    # --- answering ---------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: object, **headers: str) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, "application/json; charset=utf-8", **headers)

    def _xml(self, status: int, body: str, **headers: str) -> None:
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()
        self._send(status, xml, "application/xml; charset=utf-8", **headers)

    def _html(self, status: int, body: str, **headers: str) -> None:
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Plex (simulated)</title></head><body>{body}</body></html>"
        )
        self._send(status, page.encode(), "text/html; charset=utf-8", **headers)

    def _error(self, status: int, payload: dict[str, Any]) -> None:
        if self._wants_json:
            return self._json(status, payload)
        message = payload["errors"][0]["message"]
        code = payload["errors"][0]["code"]
        self._xml(status, f"<errors><error code={_attr(code)} message={_attr(message)}/></errors>")

    @property
    def _wants_json(self) -> bool:
        return "application/json" in self.headers.get("Accept", "")

    def _token(self) -> str | None:
        return self.headers.get("X-Plex-Token") or self.params.get("X-Plex-Token")

    def _account(self) -> SimAccount | None:
        return self.server.account_for(self._token())

    # --- routing -----------------------------------------------------------------------

    def do_GET(self) -> None:
        """Answer one GET."""
        self._answer("GET")

    def do_POST(self) -> None:
        """Answer one POST."""
        self._answer("POST")

    def do_PUT(self) -> None:
        """Answer one PUT."""
        self._answer("PUT")

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.params = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        self.form = dict(parse_qsl(self.rfile.read(length).decode())) if length else {}
        path = parts.path.rstrip("/") or "/"
        with self.server.state.lock:
            self.server.requests.append(
                {
                    "method": method,
                    "path": path,
                    "query": parts.query,
                    "headers": dict(self.headers),
                }
            )
        if path in ("/auth", "/link") or path.startswith("/auth/"):
            return self._pages(method, path)  # the pages a person sees never fail on purpose
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.server.down:
            return self._send(503, b"<html>503 Service Unavailable</html>", "text/html")
        if override := self.server.take_override(path):
            return self._send(override.status, override.body, override.content_type)
        self._api(method, path)

    def _api(self, method: str, path: str) -> None:
        if path == "/api/v2/pins" and method == "POST":
            return self._create_pin()
        if (match := re.fullmatch(r"/api/v2/pins/(\d+)", path)) and method == "GET":
            return self._check_pin(int(match.group(1)))
        if match := re.fullmatch(r"/api/v2/pins/qr/([A-Za-z0-9]+)", path):
            return self._qr(match.group(1))
        account = self._account()
        if account is None:
            return self._error(401, UNAUTHORIZED)
        if path == "/api/v2/user" or path == "/users/account.json":
            return self._user(account, wrapped=path.endswith(".json"))
        if path == "/api/v2/resources":
            return self._resources(account)
        if path == "/api/users":
            return self._users(account)
        if path == "/api/home/users":
            return self._home_users(account)
        if (match := re.fullmatch(r"/api/home/users/(\d+)/switch", path)) and method == "POST":
            return self._switch(account, int(match.group(1)))
        if path == "/library/sections/watchlist/all":
            return self._watchlist(account)
        if match := re.fullmatch(r"/library/metadata/([A-Za-z0-9]+)", path):
            return self._metadata(account, match.group(1))
        if path == "/":
            # plexapi's watchlist() opens metadata.provider.plex.tv as a "server".
            return self._xml(
                200,
                _element(
                    "MediaContainer",
                    {"friendlyName": "Plex Discover", "machineIdentifier": "discover", "size": 0},
                ),
            )
        return self._error(404, NOT_FOUND)

    # --- PINs --------------------------------------------------------------------------

    def _pin_body(self, pin: SimPin) -> dict[str, Any]:
        return {
            "id": pin.id,
            "code": pin.code,
            "product": pin.product,
            "trusted": False,
            "qr": f"{self.server.url}/api/v2/pins/qr/{pin.code}",
            "clientIdentifier": pin.client_id,
            "location": {"code": "FR", "country": "France", "city": "Paris"},
            "expiresIn": max(0, int((pin.expires_at - datetime.now(UTC)).total_seconds())),
            "createdAt": _iso(pin.created_at),
            "expiresAt": _iso(pin.expires_at),
            "authToken": pin.auth_token,
            "newRegistration": None,
        }

    def _send_pin(self, status: int, pin: SimPin) -> None:
        body = self._pin_body(pin)
        if self._wants_json:
            return self._json(status, body)
        attrs = {k: v for k, v in body.items() if not isinstance(v, dict)}
        attrs["authToken"] = pin.auth_token or ""
        self._xml(status, _element("pin", attrs))

    def _create_pin(self) -> None:
        client_id = self.headers.get("X-Plex-Client-Identifier", "")
        if not client_id:
            return self._error(400, NO_CLIENT_ID)
        strong = self.params.get("strong", "").lower() in ("true", "1")
        product = self.headers.get("X-Plex-Product", "")
        self._send_pin(
            201, self.server.new_pin(strong=strong, client_id=client_id, product=product)
        )

    def _check_pin(self, pin_id: int) -> None:
        pin = self.server.find_pin(pin_id)
        # plex.tv shows a PIN only to the client that made it.
        client_id = self.headers.get("X-Plex-Client-Identifier", "")
        if pin is None or pin.client_id != client_id:
            return self._error(404, PIN_NOT_FOUND)
        self._send_pin(200, pin)

    def _qr(self, code: str) -> None:
        # plex.tv's `qr` is an image of the link page for the code; a phone scanning it
        # lands on /link with the code typed in.
        pin = self.server.find_pin(code)
        if pin is None or pin.strong:
            return self._error(404, PIN_NOT_FOUND)
        svg = segno.make(f"{self.server.url}/link?code={pin.code}").svg_inline(scale=4)
        self._send(200, svg.encode(), "image/svg+xml")

    # --- accounts ----------------------------------------------------------------------

    def _user(self, account: SimAccount, *, wrapped: bool) -> None:
        state = self.server.state
        with state.lock:
            home = state.home.get(account.id)
            in_home = home is not None and len(state.home) > 1
        body = {
            "id": account.id,
            "uuid": account.uuid,
            "username": account.username,
            "title": account.title,
            "email": account.email,
            "friendlyName": account.title,
            "locale": None,
            "confirmed": True,
            "joinedAt": 1_600_000_000,
            "emailOnlyAuth": False,
            "hasPassword": True,
            "protected": bool(home and home.pin),
            "thumb": account.thumb,
            "authToken": account.token,
            "mailingListStatus": "unsubscribed",
            "mailingListActive": False,
            "scrobbleTypes": "",
            "country": "FR",
            "subscription": {
                "active": False,
                "subscribedAt": None,
                "status": "Inactive",
                "paymentService": None,
                "plan": None,
                "features": [],
            },
            "subscriptionDescription": None,
            "restricted": bool(home and home.managed),
            "anonymous": None,
            "home": in_home,
            "guest": False,
            "homeSize": len(state.home) if in_home else 1,
            "homeAdmin": bool(home and home.admin),
            "maxHomeSize": 15,
            "rememberExpiresAt": 1_900_000_000,
            "profile": {
                "autoSelectAudio": True,
                "defaultAudioLanguage": "en",
                "defaultSubtitleLanguage": "en",
                "autoSelectSubtitle": 0,
                "defaultSubtitleAccessibility": 0,
                "defaultSubtitleForced": 0,
            },
            "entitlements": [],
            "roles": [],
            "services": [],
            "adsConsent": None,
            "adsConsentSetAt": None,
            "adsConsentReminderAt": None,
            "experimentalFeatures": False,
            "twoFactorEnabled": False,
            "backupCodesCreated": False,
        }
        if wrapped:
            return self._json(200, {"user": body})
        if self._wants_json:
            return self._json(200, body)
        scalars = {
            k: v for k, v in body.items() if not isinstance(v, dict | list) and v is not None
        }
        subscription = {k: v for k, v in body["subscription"].items() if v is not None}
        children = (
            _element("subscription", {**subscription, "subscribedAt": ""})
            + _element("profile", body["profile"])
            + "<entitlements/><roles/><services/>"
        )
        self._xml(200, _element("user", scalars, children))

    def _resources(self, account: SimAccount) -> None:
        state = self.server.state
        with state.lock:
            owned = account.id == state.owner_id
            shared = state.machine_identifier in state.shares.get(account.id, set())
            home = account.id in state.home
        resources = [
            {
                "name": "Plex Web (Chrome)",
                "product": "Plex Web",
                "productVersion": "4.0",
                "platform": "Chrome",
                "clientIdentifier": f"web-{account.id}",
                "provides": "client,player,pubsub-player",
                "owned": True,
                "accessToken": account.token,
                "connections": [],
            }
        ]
        if owned or shared or home:
            host = self.server.server_address[0]
            resources.append(
                {
                    "name": state.server_name,
                    "product": "Plex Media Server",
                    "productVersion": "1.40.0.7998",
                    "platform": "Linux",
                    "clientIdentifier": state.machine_identifier,
                    "provides": "server",
                    "owned": owned,
                    "ownerId": None if owned else state.owner_id,
                    "home": home,
                    "accessToken": f"server-{account.token}",
                    "httpsRequired": False,
                    "createdAt": "2024-01-01T00:00:00Z",
                    "lastSeenAt": "2026-01-01T00:00:00Z",
                    "connections": [
                        {
                            "protocol": "http",
                            "address": host,
                            "port": 32400,
                            "uri": f"http://{host}:32400",
                            "local": True,
                            "relay": False,
                            "IPv6": False,
                        }
                    ],
                }
            )
        if self._wants_json:
            return self._json(200, resources)
        elements = []
        for resource in resources:
            attrs = {k: v for k, v in resource.items() if k != "connections" and v is not None}
            connections = "".join(_element("connection", c) for c in resource["connections"])
            elements.append(
                _element("resource", attrs, f"<connections>{connections}</connections>")
            )
        self._xml(200, _element("MediaContainer", {"size": len(elements)}, "".join(elements)))

    def _users(self, account: SimAccount) -> None:
        state = self.server.state
        users = []
        with state.lock:
            if account.id == state.owner_id:
                people = [a for a in state.accounts.values() if a.id != account.id]
                for person in people:
                    servers = set(state.shares.get(person.id, set()))
                    home = person.id in state.home
                    if home:
                        servers.add(state.machine_identifier)  # Home members see its server
                    if not servers:
                        continue
                    users.append(self._user_element(person, servers, home=home))
        self._xml(
            200,
            _element(
                "MediaContainer",
                {
                    "friendlyName": "myPlex",
                    "identifier": "com.plexapp.plugins.myplex",
                    "machineIdentifier": state.machine_identifier,
                    "totalSize": len(users),
                    "size": len(users),
                },
                "".join(users),
            ),
        )

    def _user_element(self, person: SimAccount, servers: set[str], *, home: bool) -> str:
        state = self.server.state
        managed = bool(state.home.get(person.id) and state.home[person.id].managed)
        children = "".join(
            _element(
                "Server",
                {
                    "id": 9000 + n,
                    "serverId": 9000 + n,
                    "machineIdentifier": machine,
                    "name": state.server_name if machine == state.machine_identifier else machine,
                    "lastSeenAt": 1_700_000_000,
                    "numLibraries": 2,
                    "allLibraries": 1,
                    "owned": 0,
                    "pending": 0,
                },
            )
            for n, machine in enumerate(sorted(servers))
        )
        return _element(
            "User",
            {
                "id": person.id,
                "title": person.title,
                "username": person.username,
                "email": person.email,
                "recommendationsPlaylistId": "",
                "thumb": person.thumb,
                "protected": 0,
                "home": home,
                "allowTuners": 0,
                "allowSync": 1,
                "allowCameraUpload": 0,
                "allowChannels": 0,
                "allowSubtitleAdmin": 0,
                "filterAll": "",
                "filterMovies": "",
                "filterMusic": "",
                "filterPhotos": "",
                "filterTelevision": "",
                "restricted": managed,
            },
            children,
        )

    def _home_users(self, account: SimAccount) -> None:
        state = self.server.state
        with state.lock:
            members = list(state.home.values()) if account.id in state.home else []
            elements = []
            for member in members:
                person = state.accounts[member.account_id]
                elements.append(
                    _element(
                        "User",
                        {
                            "id": person.id,
                            "uuid": person.uuid,
                            "admin": member.admin,
                            "guest": False,
                            "restricted": member.managed,
                            "restrictionProfile": "little_kid" if member.managed else "",
                            "hasPassword": not member.managed,
                            "protected": bool(member.pin),
                            "title": person.title,
                            "username": person.username,
                            "email": person.email,
                            "thumb": person.thumb,
                        },
                    )
                )
        self._xml(
            200,
            _element(
                "MediaContainer",
                {
                    "friendlyName": "myPlex",
                    "identifier": "com.plexapp.plugins.myplex",
                    "machineIdentifier": state.machine_identifier,
                    "size": len(elements),
                },
                "".join(elements),
            ),
        )

    def _switch(self, account: SimAccount, user_id: int) -> None:
        state = self.server.state
        with state.lock:
            member = state.home.get(user_id) if account.id in state.home else None
            person = state.accounts.get(user_id)
        if member is None or person is None:
            return self._error(404, NOT_FOUND)
        pin = self.params.get("pin") or self.form.get("pin")
        if member.pin and pin != member.pin:
            # plex.tv answers a wrong Home PIN as it answers a bad token.
            return self._error(401, UNAUTHORIZED)
        self._xml(
            201,
            _element(
                "user",
                {
                    "id": person.id,
                    "uuid": person.uuid,
                    "title": person.title,
                    "username": person.username,
                    "email": person.email,
                    "thumb": person.thumb,
                    "authenticationToken": person.token,
                    "restricted": member.managed,
                    "home": True,
                    "homeAdmin": member.admin,
                    "protected": bool(member.pin),
                },
            ),
        )

    # --- watchlists --------------------------------------------------------------------

    def _paging(self, name: str, default: int) -> int:
        raw = self.headers.get(name) or self.params.get(name)
        try:
            return max(0, int(raw)) if raw is not None else default
        except ValueError:
            return default

    def _item(self, item: SimWatchItem, *, guids: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ratingKey": item.rating_key,
            "key": f"/library/metadata/{item.rating_key}",
            "guid": f"plex://{item.type}/{item.rating_key}",
            "type": item.type,
            "title": item.title,
            "year": item.year,
            "thumb": f"https://metadata-static.plex.tv/{item.rating_key}.jpg",
            "publicPagesURL": f"https://watch.plex.tv/{item.type}/{item.rating_key}",
        }
        if item.type == "show":
            body.update(childCount=item.seasons, leafCount=item.seasons * 8, viewedLeafCount=0)
        if guids:
            body["Guid"] = [{"id": guid} for guid in item.guids]
        return body

    def _send_items(self, items: list[dict[str, Any]], container: dict[str, Any], **headers: str):
        if self._wants_json:
            return self._json(200, {"MediaContainer": {**container, "Metadata": items}}, **headers)
        elements = []
        for item in items:
            tag = "Video" if item["type"] == "movie" else "Directory"
            attrs = {k: v for k, v in item.items() if k != "Guid" and v is not None}
            children = "".join(_element("Guid", g) for g in item.get("Guid", []))
            elements.append(_element(tag, attrs, children))
        self._xml(200, _element("MediaContainer", container, "".join(elements)), **headers)

    def _watchlist(self, account: SimAccount) -> None:
        server = self.server
        etag = server.watchlist_etag(account.id)
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", "application/json", ETag=etag)
        start = self._paging("X-Plex-Container-Start", 0)
        size = min(self._paging("X-Plex-Container-Size", DEFAULT_PAGE_SIZE), server.page_size_limit)
        include_guids = self.params.get("includeGuids") == "1"
        with server.state.lock:
            everything = list(server.state.watchlists.get(account.id, []))
        page = everything[start : start + size]
        items = [self._item(i, guids=include_guids and i.inline_guids) for i in page]
        container = {
            "librarySectionTitle": "Watchlist",
            "offset": start,
            "totalSize": len(everything),
            "identifier": "tv.plex.provider.discover",
            "size": len(items),
        }
        self._send_items(items, container, ETag=etag)

    def _metadata(self, account: SimAccount, rating_key: str) -> None:
        with self.server.state.lock:
            known = [
                item
                for items in self.server.state.watchlists.values()
                for item in items
                if item.rating_key == rating_key
            ]
        if not known:
            return self._error(404, NOT_FOUND)
        container = {"identifier": "tv.plex.provider.metadata", "offset": 0, "size": 1}
        self._send_items([self._item(known[0], guids=True)], container)

    # --- the pages a person sees -------------------------------------------------------

    def _account_choices(self) -> str:
        with self.server.state.lock:
            accounts = [a for a in self.server.state.accounts.values() if a.username]
        return "".join(
            f"<label><input type='radio' name='account' value='{a.id}'"
            f"{' checked' if n == 0 else ''}> {html.escape(a.title)} "
            f"({html.escape(a.username)})</label><br>"
            for n, a in enumerate(accounts)
        )

    def _pages(self, method: str, path: str) -> None:
        if path == "/auth" and method == "GET":
            return self._auth_page()
        if path == "/auth/approve" and method == "POST":
            return self._approve(self.form.get("code", ""), self.form.get("forwardUrl", ""))
        if path == "/link" and method == "GET":
            code = html.escape(self.params.get("code", "")[:4], quote=True)
            return self._html(
                200,
                "<h1>Link a device</h1><form method='post' action='/link'>"
                f"<label>Code <input name='code' value='{code}' autocomplete='off' "
                "maxlength='4'></label><br>"
                f"{self._account_choices()}<button type='submit'>Link</button></form>",
            )
        if path == "/link" and method == "POST":
            return self._approve(self.form.get("code", ""), "", short_only=True)
        return self._html(404, "<h1>Not found</h1>")

    def _auth_page(self) -> None:
        # The auth app reads its parameters from the fragment (`#?code=…`), which the
        # browser never sends; a script copies them into the form, as Plex's app reads them.
        self._html(
            200,
            "<h1>Sign in to Plex (simulated)</h1>"
            "<p id='product'></p>"
            "<form method='post' action='/auth/approve' id='approve'>"
            "<input type='hidden' name='code' id='code'>"
            "<input type='hidden' name='forwardUrl' id='forwardUrl'>"
            f"<fieldset><legend>Account</legend>{self._account_choices()}</fieldset>"
            "<button type='submit'>Approve</button></form>"
            "<script>"
            "const raw = (location.hash.replace(/^#!?\\??/, '') || location.search.slice(1));"
            "const q = new URLSearchParams(raw);"
            "document.getElementById('code').value = q.get('code') || '';"
            "document.getElementById('forwardUrl').value = q.get('forwardUrl') || '';"
            "document.getElementById('product').textContent ="
            " 'Sign in to ' + (q.get('context[device][product]') || 'an app');"
            "</script>",
        )

    def _approve(self, code: str, forward_url: str, *, short_only: bool = False) -> None:
        server = self.server
        try:
            account = server.account(int(self.form.get("account", "")))
        except (KeyError, ValueError):
            return self._html(400, "<h1>Choose an account</h1>")
        pin = server.find_pin(code) if code else None
        if pin is None or (short_only and pin.strong):
            return self._html(404, "<h1>Code not found or expired</h1>")
        server.approve(pin.id, account)
        if forward_url.startswith(("http://", "https://")):
            return self._send(303, b"", "text/html", Location=forward_url)
        self._html(200, "<h1>Approved</h1><p>You can go back to the app now.</p>")


def start_plextv_simulator(
    port: int = 0, *, host: str = "127.0.0.1", seed: bool = True, owner_token: str = OWNER_TOKEN
) -> tuple[PlexTVSimulator, str]:
    """Start a simulator in a background thread; return it and its base URL."""
    server = PlexTVSimulator((host, port), seed=seed, owner_token=owner_token)
    return server, server.start()


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--owner-token", default=OWNER_TOKEN, help="the owner's token (PLEX_TOKEN)")
    args = parser.parse_args(argv)
    server = PlexTVSimulator((args.host, args.port), owner_token=args.owner_token)
    print(
        f"plex.tv simulator on {server.url} (PLEX_TV_URL and PLEX_DISCOVER_URL; "
        f"PLEX_AUTH_APP_URL={server.auth_url}; owner token {args.owner_token}); Ctrl-C stops it",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
