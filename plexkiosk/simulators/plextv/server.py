"""The simulated plex.tv over HTTP: routing, JSON or XML by `Accept`, failures on demand."""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from plexkiosk.simulators.http import SimulatorHandler, SimulatorServer
from plexkiosk.simulators.plextv import pages, responses
from plexkiosk.simulators.plextv.responses import (
    DEFAULT_PAGE_SIZE,
    NO_CLIENT_ID,
    NOT_FOUND,
    PIN_NOT_FOUND,
    UNAUTHORIZED,
)
from plexkiosk.simulators.plextv.world import OWNER_TOKEN, PlexTVWorld, SimAccount, SimPin


class PlexTVSimulator(PlexTVWorld, SimulatorServer):
    """plex.tv, discover and the auth app on one 127.0.0.1 port, serving a PlexTVWorld."""

    def __init__(
        self,
        address: tuple[str, int] = ("127.0.0.1", 0),
        *,
        seed: bool = True,
        owner_token: str = OWNER_TOKEN,
    ) -> None:
        SimulatorServer.__init__(self, address, _Handler)
        PlexTVWorld.__init__(self, seed=seed, owner_token=owner_token)

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
        self.serve_in_background("plextv-sim")
        return self.url


class _Handler(SimulatorHandler):
    server: PlexTVSimulator
    wbufsize = 64 * 1024  # headers and body in one segment

    # --- answering ---------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_body(status, body, content_type, **headers)

    def _json(self, status: int, payload: object, **headers: str) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, "application/json; charset=utf-8", **headers)

    def _xml(self, status: int, body: str, **headers: str) -> None:
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()
        self._send(status, xml, "application/xml; charset=utf-8", **headers)

    def _html(self, status: int, page: str) -> None:
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _either(self, status: int, body: object, xml: str, **headers: str) -> None:
        """Answer JSON when the request asks for it, else XML, as plex.tv's v2 API does."""
        if self._wants_json:
            return self._json(status, body, **headers)
        self._xml(status, xml, **headers)

    def _error(self, status: int, payload: dict[str, Any]) -> None:
        self._either(status, payload, responses.error_xml(payload))

    @property
    def _wants_json(self) -> bool:
        return "application/json" in self.headers.get("Accept", "")

    def _account(self) -> SimAccount | None:
        token = self.headers.get("X-Plex-Token") or self.params.get("X-Plex-Token")
        return self.server.account_for(token)

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
            record = {"method": method, "path": path, "query": parts.query}
            self.server.requests.append({**record, "headers": dict(self.headers)})
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
        state = self.server.state
        if path == "/api/v2/user" or path == "/users/account.json":
            with state.lock:
                body = responses.user_json(account, state)
            if path.endswith(".json"):
                return self._json(200, {"user": body})
            return self._either(200, body, responses.user_xml(body))
        if path == "/api/v2/resources":
            with state.lock:
                found = responses.resources_json(account, state, self.server.server_address[0])
            return self._either(200, found, responses.resources_xml(found))
        if path in ("/api/users", "/api/home/users"):
            household = responses.users_xml if path == "/api/users" else responses.home_users_xml
            with state.lock:
                xml = household(account, state)
            return self._xml(200, xml)
        if (match := re.fullmatch(r"/api/home/users/(\d+)/switch", path)) and method == "POST":
            return self._switch(account, int(match.group(1)))
        if path == "/library/sections/watchlist/all":
            return self._watchlist(account)
        if match := re.fullmatch(r"/library/metadata/([A-Za-z0-9]+)", path):
            return self._metadata(match.group(1))
        if path == "/":
            return self._xml(200, responses.DISCOVER_ROOT)
        return self._error(404, NOT_FOUND)

    # --- PINs --------------------------------------------------------------------------

    def _send_pin(self, status: int, pin: SimPin) -> None:
        url = self.server.url
        self._either(status, responses.pin_json(pin, url), responses.pin_xml(pin, url))

    def _create_pin(self) -> None:
        client_id = self.headers.get("X-Plex-Client-Identifier", "")
        if not client_id:
            return self._error(400, NO_CLIENT_ID)
        strong = self.params.get("strong", "").lower() in ("true", "1")
        product = self.headers.get("X-Plex-Product", "")
        pin = self.server.new_pin(strong=strong, client_id=client_id, product=product)
        self._send_pin(201, pin)

    def _check_pin(self, pin_id: int) -> None:
        pin = self.server.find_pin(pin_id)
        # plex.tv shows a PIN only to the client that made it.
        client_id = self.headers.get("X-Plex-Client-Identifier", "")
        if pin is None or pin.client_id != client_id:
            return self._error(404, PIN_NOT_FOUND)
        self._send_pin(200, pin)

    def _qr(self, code: str) -> None:
        # A phone scanning it lands on /link with the code typed in.
        pin = self.server.find_pin(code)
        if pin is None or pin.strong:
            return self._error(404, PIN_NOT_FOUND)
        self._send(200, pages.qr_svg(f"{self.server.url}/link?code={pin.code}"), "image/svg+xml")

    # --- the owner's Home --------------------------------------------------------------

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
        self._xml(201, responses.switch_xml(person, member))

    # --- watchlists --------------------------------------------------------------------

    def _paging(self, name: str, default: int) -> int:
        raw = self.headers.get(name) or self.params.get(name)
        try:
            return max(0, int(raw)) if raw is not None else default
        except ValueError:
            return default

    def _send_items(
        self, items: list[dict[str, Any]], container: dict[str, Any], **headers: str
    ) -> None:
        body = {"MediaContainer": {**container, "Metadata": items}}
        self._either(200, body, responses.items_xml(items, container), **headers)

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
        items = [responses.watch_item_json(i, guids=include_guids and i.inline_guids) for i in page]
        container = {
            "librarySectionTitle": "Watchlist",
            "offset": start,
            "totalSize": len(everything),
            "identifier": "tv.plex.provider.discover",
            "size": len(items),
        }
        self._send_items(items, container, ETag=etag)

    def _metadata(self, rating_key: str) -> None:
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
        self._send_items([responses.watch_item_json(known[0], guids=True)], container)

    # --- the pages a person sees -------------------------------------------------------

    def _pages(self, method: str, path: str) -> None:
        with self.server.state.lock:
            accounts = list(self.server.state.accounts.values())
        if path == "/auth" and method == "GET":
            return self._html(200, pages.auth_page(accounts))
        if path == "/auth/approve" and method == "POST":
            return self._approve(self.form.get("code", ""), self.form.get("forwardUrl", ""))
        if path == "/link" and method == "GET":
            return self._html(200, pages.link_page(accounts, self.params.get("code", "")))
        if path == "/link" and method == "POST":
            return self._approve(self.form.get("code", ""), "", short_only=True)
        return self._html(404, pages.NOT_FOUND)

    def _approve(self, code: str, forward_url: str, *, short_only: bool = False) -> None:
        server = self.server
        try:
            account = server.account(int(self.form.get("account", "")))
        except (KeyError, ValueError):
            return self._html(400, pages.CHOOSE_AN_ACCOUNT)
        pin = server.find_pin(code) if code else None
        if pin is None or (short_only and pin.strong):
            return self._html(404, pages.CODE_NOT_FOUND)
        server.approve(pin.id, account)
        if forward_url.startswith(("http://", "https://")):
            return self._send(303, b"", "text/html", Location=forward_url)
        self._html(200, pages.APPROVED)


def start_plextv_simulator(
    port: int = 0, *, host: str = "127.0.0.1", seed: bool = True, owner_token: str = OWNER_TOKEN
) -> tuple[PlexTVSimulator, str]:
    """Start a simulator in a background thread; return it and its base URL."""
    server = PlexTVSimulator((host, port), seed=seed, owner_token=owner_token)
    return server, server.start()


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description="A plex.tv simulator (plex.tv, discover, auth)")
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
    server.serve_until_interrupted()
