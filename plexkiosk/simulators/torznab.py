"""A Torznab indexer simulator: real Torznab XML over real HTTP, for the tests and the demo.

It answers `t=caps`, `t=search`, `t=movie` and `t=tvsearch` from fixture releases, serves
real bencoded `.torrent` files whose info hash is the one advertised, and can misbehave on
request (slow, hanging, trickling, down, HTML, garbage, truncated XML, wrong content type,
Torznab errors, 500, 503, 429, a 50 MB body, XXE and billion-laughs payloads, and feeds
mixing good items with invalid ones).

Standalone: `python -m plexkiosk.simulators.torznab --port 9117 [--api-key KEY] [--mode slow]`
then point an indexer at `http://127.0.0.1:9117/api`. `GET /control?mode=…&delay=…`
switches the behaviour of a running simulator.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from plexkiosk.simulators.http import SimulatorHandler, SimulatorServer

MODES = (
    "ok", "slow", "hang", "trickle", "down", "html", "garbage", "truncated", "wrong-type",
    "error", "internal-error", "server-error", "rate-limit", "huge", "xxe", "billion-laughs",
    "invalid-items",
)  # fmt: skip
HUGE_BYTES = 50 * 1024 * 1024
PIECE_LENGTH = 16 * 1024 * 1024
_WORD = re.compile(r"[a-z0-9]+")


def bencode(value: Any) -> bytes:
    """Encode a value as BitTorrent's bencoding (BEP 3)."""
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list | tuple):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


@dataclass
class SimRelease:
    """One release the simulator knows, with the ids and season it answers to."""

    title: str
    size: int
    seeders: int
    peers: int | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    season: int | None = None
    category: int = 2000
    # A pack's files (path inside the torrent's folder, size); empty: one file of `size`.
    files: tuple[tuple[str, int], ...] = ()
    # The size the feed announces (`<size>`), when it lies about the torrent's: a fake's
    # "9.2 GB" over a .torrent of 31 MB. None: the torrent's own size.
    declared_size: int | None = None
    # False: the feed gives only the .torrent link (no magnet), as private trackers do.
    magnet_in_feed: bool = True
    _torrent: bytes | None = field(default=None, init=False, repr=False)

    @property
    def info(self) -> dict[str, Any]:
        """Return the torrent's `info` dictionary (pieces are made up but well-formed)."""
        count = max(1, math.ceil(self.size / PIECE_LENGTH))
        seed = hashlib.sha1(self.title.encode()).digest()  # noqa: S324 - not security
        info: dict[str, Any] = {
            "name": self.title,
            "piece length": PIECE_LENGTH,
            "pieces": seed * count,
        }
        if self.files:
            info["files"] = [
                {"path": path.split("/"), "length": length} for path, length in self.files
            ]
        else:
            info["length"] = self.size
        return info

    @property
    def torrent(self) -> bytes:
        """Return the bencoded .torrent file."""
        if self._torrent is None:
            self._torrent = bencode(
                {"announce": "http://127.0.0.1:6969/announce", "info": self.info}
            )
        return self._torrent

    @property
    def info_hash(self) -> str:
        """Return the SHA-1 of the bencoded info dictionary, as BitTorrent clients compute it."""
        return hashlib.sha1(bencode(self.info)).hexdigest()  # noqa: S324 - BitTorrent's hash

    @property
    def magnet(self) -> str:
        """Return a magnet link for this release."""
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={quote(self.title)}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimRelease:
        """Build a release from fixture JSON."""
        return cls(**{k: v for k, v in data.items() if not k.startswith("_")})


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("'", "")))


@dataclass
class SimulatorState:
    """What the simulator serves and how it behaves; changed live by tests or `/control`."""

    releases: list[SimRelease]
    api_key: str = "simkey"
    mode: str = "ok"
    delay: float = 2.0
    movie_params: tuple[str, ...] | None = ("q", "imdbid", "tmdbid")
    tv_params: tuple[str, ...] | None = ("q", "season", "ep", "tvdbid")
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Bytes of the "huge" body written before the client hung up.
    bytes_sent: int = 0
    # What the "xxe" payload's external entity points at.
    xxe_target: str = "file:///etc/passwd"
    # Set when the simulator stops, so "hang" handlers let go.
    stopped: threading.Event = field(default_factory=threading.Event)


class _Handler(SimulatorHandler):
    server: _Server

    def do_GET(self) -> None:
        """Route one request."""
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        state = self.server.state
        if parts.path == "/control":
            self._control(params)
        elif parts.path.startswith("/download/") and parts.path.endswith(".torrent"):
            self._torrent(parts.path.removeprefix("/download/").removesuffix(".torrent"))
        elif parts.path in ("/api", "/api/"):
            with state.lock:
                state.requests.append(params)
            self._api(params)
        else:
            self._send(404, "text/plain", b"not found")

    def _control(self, params: dict[str, str]) -> None:
        state = self.server.state
        mode = params.get("mode", state.mode)
        if mode not in MODES:
            self._send(400, "text/plain", f"mode must be one of {', '.join(MODES)}".encode())
            return
        state.mode = mode
        state.delay = float(params.get("delay", state.delay))
        self._send(200, "application/json", json.dumps({"mode": mode}).encode())

    def _torrent(self, info_hash: str) -> None:
        for release in self.server.state.releases:
            if release.info_hash == info_hash.lower():
                self._send(200, "application/x-bittorrent", release.torrent)
                return
        self._send(404, "text/plain", b"no such torrent")

    def _api(self, params: dict[str, str]) -> None:
        state = self.server.state
        mode = state.mode
        if mode == "down":
            # Drop the connection without a word, as a crashed or firewalled server does.
            self.close_connection = True
            self.connection.close()
            return
        if mode == "slow":
            state.stopped.wait(state.delay)
        if mode == "hang":
            # Accept the request and never say a word, like a server stuck behind a proxy.
            state.stopped.wait(600)
            return
        misbehaviour = _MISBEHAVIOURS.get(mode)
        if misbehaviour is not None:
            misbehaviour(self)
            return
        if params.get("apikey") != state.api_key:
            self._xml(_error_xml(100, "Incorrect user credentials"))
            return
        kind = params.get("t", "")
        if kind == "caps":
            self._xml(_caps_xml(state))
        elif kind in ("search", "movie", "tvsearch"):
            if (kind == "movie" and state.movie_params is None) or (
                kind == "tvsearch" and state.tv_params is None
            ):
                self._xml(_error_xml(203, "Function not available"))
                return
            found = list(_search(state.releases, kind, params))
            body = _results_xml(found, self._base_url(), state.api_key, mode == "invalid-items")
            if mode == "trickle":
                self._trickle(body, state.delay)
            elif mode == "truncated":
                # The connection dropped mid-answer behind a proxy that still said 200.
                self._send(200, "application/rss+xml", body.encode()[: len(body) // 2])
            else:
                self._xml(body)
        else:
            self._xml(_error_xml(202, f"No such function ({kind[:20]})"))

    def _base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
        self.send_body(status, body, content_type, **headers)

    def _xml(self, body: str) -> None:
        self._send(200, "application/rss+xml; charset=utf-8", body.encode())

    def _trickle(self, body: str, seconds: float) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        step = max(1, len(data) // 20)
        try:
            for start in range(0, len(data), step):
                self.wfile.write(data[start : start + step])
                self.wfile.flush()
                time.sleep(seconds / 20)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _huge(self) -> None:
        # Chunked and without a length, so only a reader that counts bytes notices.
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        state = self.server.state
        item = b"<item><title>" + b"x" * 65_000 + b"</title></item>"
        chunks = [b'<?xml version="1.0"?><rss><channel>']
        chunks += [item] * (HUGE_BYTES // len(item) + 1)  # 50 MB, one shared bytes object
        try:
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                with state.lock:
                    state.bytes_sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


def _html(handler: _Handler) -> None:
    page = b"<!DOCTYPE html><html><body><h1>Cloudflare: checking your browser</h1></body></html>"
    handler._send(200, "text/html; charset=utf-8", page)


_MISBEHAVIOURS = {
    "html": _html,
    "garbage": lambda h: h._send(200, "application/xml", b"\x00\x01<rss><channel><item><tit"),
    "wrong-type": lambda h: h._send(200, "application/json", b'{"results": []}'),
    "error": lambda h: h._xml(_error_xml(100, "Invalid API Key")),
    "server-error": lambda h: h._send(503, "text/plain", b"Service Unavailable"),
    # Jackett's error page echoes the failing URL, API key included.
    "internal-error": lambda h: h._send(
        500, "text/html", b"<html><body>Internal Server Error at " + h.path.encode() + b"</body>"
    ),
    "rate-limit": lambda h: h._send(429, "text/plain", b"Too Many Requests", Retry_After="60"),
    "huge": lambda h: h._huge(),
    "xxe": lambda h: h._xml(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM '
        f"{quoteattr(h.server.state.xxe_target)}>]><rss><channel><item><title>&xxe;</title>"
        "<size>1000000000</size><link>http://example.invalid/x.torrent</link></item>"
        "</channel></rss>"
    ),
    "billion-laughs": lambda h: h._xml(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]><rss><channel><item><title>&lol9;</title></item></channel></rss>"
    ),
}


def _search(
    releases: Iterable[SimRelease], kind: str, params: dict[str, str]
) -> Iterator[SimRelease]:
    cats = {int(c) for c in params.get("cat", "").split(",") if c.strip().isdigit()}
    query_words = _words(params.get("q", ""))
    season = params.get("season")
    offset = int(params.get("offset", "0") or 0)
    limit = int(params.get("limit", "100") or 100)
    matched = []
    for release in releases:
        if cats and release.category not in cats and release.category // 1000 * 1000 not in cats:
            continue
        if "imdbid" in params and release.imdb_id != params["imdbid"]:
            continue
        if "tmdbid" in params and str(release.tmdb_id) != params["tmdbid"]:
            continue
        if "tvdbid" in params and str(release.tvdb_id) != params["tvdbid"]:
            continue
        if query_words and not query_words <= _words(release.title):
            continue
        # Like trackers behind Jackett: a season filter is loose and lets packs through.
        if season and release.season is not None and str(release.season) != season:
            continue
        matched.append(release)
    return iter(matched[offset : offset + limit])


def _error_xml(code: int, description: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<error code="{code}" description={quoteattr(description)}/>'
    )


def _caps_xml(state: SimulatorState) -> str:
    def searching(tag: str, params: tuple[str, ...] | None) -> str:
        if params is None:
            return f'<{tag} available="no" supportedParams="q"/>'
        return f'<{tag} available="yes" supportedParams="{",".join(params)}"/>'

    return (
        '<?xml version="1.0" encoding="UTF-8"?><caps>'
        '<server title="Plex Kiosk Torznab simulator"/><limits default="100" max="100"/>'
        "<searching>"
        '<search available="yes" supportedParams="q"/>'
        f"{searching('tv-search', state.tv_params)}"
        f"{searching('movie-search', state.movie_params)}"
        "</searching><categories>"
        '<category id="2000" name="Movies"><subcat id="2040" name="Movies/HD"/></category>'
        '<category id="5000" name="TV"><subcat id="5040" name="TV/HD"/></category>'
        "</categories></caps>"
    )


# Items a careless or hostile indexer sends: no link, no size, a negative or absurd size,
# impossible seeder counts. Named like the real release, so a client that kept one would rank
# it (the absurd seeders first of all); the client must skip them and keep the good items.
_INVALID_ITEMS = (
    ("NOLINK", "<size>1000000000</size>"),
    ("NOSIZE", "<link>{base}/download/nosize.torrent</link>"),
    ("NEGATIVE", "<size>-5000000000</size><link>{base}/download/negative.torrent</link>"),
    ("HUGESIZE", "<size>1e30</size><link>{base}/download/hugesize.torrent</link>"),
    (
        "SEEDERS",
        "<size>1000000000</size><link>{base}/download/seeders.torrent</link>"
        '<torznab:attr name="seeders" value="99999999999999999999"/>',
    ),
    (
        "INFINITE",
        "<size>1000000000</size><link>{base}/download/infinite.torrent</link>"
        '<torznab:attr name="seeders" value="1e999"/><torznab:attr name="peers" value="inf"/>',
    ),
)


def _invalid_items(like: str, base_url: str) -> list[str]:
    stem = like.rsplit("-", 1)[0]
    return [
        f"<item><title>{escape(stem)}-{group}</title>{fields.format(base=base_url)}</item>"
        for group, fields in _INVALID_ITEMS
    ]


def _results_xml(
    releases: list[SimRelease], base_url: str, api_key: str, invalid: bool = False
) -> str:
    now = format_datetime(datetime.now(UTC))
    items = []
    for r in releases:
        # Jackett's links carry the key like this; the client must never show or log it.
        link = f"{base_url}/download/{r.info_hash}.torrent?jackett_apikey={quote(api_key)}"
        peers = r.peers if r.peers is not None else r.seeders
        size = r.size if r.declared_size is None else r.declared_size
        attrs = {
            "category": str(r.category),
            "seeders": str(r.seeders),
            "peers": str(peers),
            "infohash": r.info_hash,
            **({"magneturl": r.magnet} if r.magnet_in_feed else {}),
            "downloadvolumefactor": "1",
            "uploadvolumefactor": "1",
        }
        if r.imdb_id:
            attrs["imdbid"] = r.imdb_id
        if r.tvdb_id:
            attrs["tvdbid"] = str(r.tvdb_id)
        attr_xml = "".join(
            f"<torznab:attr name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in attrs.items()
        )
        items.append(
            f"<item><title>{escape(r.title)}</title><guid>{escape(link)}</guid>"
            f"<link>{escape(link)}</link><pubDate>{now}</pubDate><size>{size}</size>"
            f"<category>{r.category}</category>"
            f'<enclosure url={quoteattr(link)} length="{size}" type="application/x-bittorrent"/>'
            f"{attr_xml}</item>"
        )
    if invalid and releases:
        # Interleaved, so a client that gives up on the first bad item loses good ones.
        bad = _invalid_items(releases[0].title, base_url)
        items = [part for pair in zip_longest(bad, items, fillvalue="") for part in pair]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        "<title>Plex Kiosk Torznab simulator</title>"
        f"{''.join(items)}</channel></rss>"
    )


class _Server(SimulatorServer):
    def __init__(self, address: tuple[str, int], state: SimulatorState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class TorznabSimulator:
    """A running simulator on a local port (use as a context manager, or start/stop)."""

    def __init__(
        self,
        releases: Iterable[SimRelease] | None = None,
        *,
        api_key: str = "simkey",
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "ok",
        delay: float = 2.0,
        movie_params: tuple[str, ...] | None = ("q", "imdbid", "tmdbid"),
        tv_params: tuple[str, ...] | None = ("q", "season", "ep", "tvdbid"),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.state = SimulatorState(
            releases=list(default_releases() if releases is None else releases),
            api_key=api_key,
            mode=mode,
            delay=delay,
            movie_params=movie_params,
            tv_params=tv_params,
        )
        self._server = _Server((host, port), self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Return the Torznab API URL to configure as an indexer."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api"

    @property
    def requests(self) -> list[dict[str, str]]:
        """Return the query parameters of every API request received so far."""
        return list(self.state.requests)

    def set_mode(self, mode: str, delay: float | None = None) -> None:
        """Change how the simulator behaves from now on."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.state.mode = mode
        if delay is not None:
            self.state.delay = delay

    def start(self) -> TorznabSimulator:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.state.stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TorznabSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


GB = 1_000_000_000


def default_releases() -> list[SimRelease]:
    """Return the demo catalogue: a few films and a show, with the usual traps among them."""
    matrix = {"imdb_id": "tt0133093", "tmdb_id": 603}
    dune = {"imdb_id": "tt15239678", "tmdb_id": 693134}
    office = {"tvdb_id": 73244, "category": 5000}
    rows: list[tuple[str, float, int, dict[str, Any]]] = [
        ("The.Matrix.1999.1080p.BluRay.x264-AMIABLE", 10.9, 412, matrix),
        ("The.Matrix.1999.2160p.UHD.BluRay.x265.10bit.HDR-TERMINAL", 18.2, 133, matrix),
        ("The.Matrix.1999.720p.BRRip.x264-YIFY", 0.9, 2201, matrix),
        ("The.Matrix.1999.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-EPSiLON", 31.5, 88, matrix),
        ("The.Matrix.Reloaded.2003.1080p.BluRay.x264-SADPANDA", 9.8, 301, {}),
        ("The.Matrix.Resurrections.2021.1080p.WEB-DL.DDP5.1.Atmos.H.264-EVO", 5.6, 501, {}),
        ("The.Matrix.1999.1080p.WEB-DL.x264", 0.35, 999, matrix),
        ("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 6.4, 1890, dune),
        ("Dune.Part.Two.2024.HDCAM.x264-SUNSCREEN", 1.9, 4200, dune),
        ("Dune.Part.Two.2024.2160p.WEB-DL.DDP5.1.Atmos.DV.HDR.H.265-FLUX", 16.9, 950, dune),
        ("Dune.2021.1080p.BluRay.x264-GECKOS", 11.2, 700, {}),
        ("The.Office.US.S02.1080p.WEB-DL.DD5.1.H.264-NTb", 21.4, 210, {**office, "season": 2}),
        ("The.Office.US.S02E05.1080p.WEB-DL.DD5.1.H.264-NTb", 0.9, 85, {**office, "season": 2}),
        ("The.Office.US.S03.720p.BluRay.x264-DEMAND", 13.0, 95, {**office, "season": 3}),
        ("The.Office.US.Complete.Series.S01-S09.1080p.BluRay.x265", 160.0, 310, office),
        (
            "The.Office.UK.S02.1080p.BluRay.x264-SHORTBREHD",
            6.6,
            40,
            {"category": 5000, "season": 2},
        ),
    ]
    return [
        SimRelease(title=t, size=int(gb * GB), seeders=s, peers=s + s // 3, **extra)
        for t, gb, s, extra in rows
    ]


def load_releases(path: Path) -> list[SimRelease]:
    """Read fixture releases from a JSON list of objects (`title`, `size`, `seeders`, …)."""
    return [SimRelease.from_dict(row) for row in json.loads(path.read_text())]


def main(argv: list[str] | None = None) -> None:
    """Run a simulator in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9117)
    parser.add_argument("--api-key", default="simkey")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds, for slow/trickle")
    parser.add_argument("--fixtures", type=Path, help="JSON list of releases (default: demo set)")
    args = parser.parse_args(argv)
    releases = load_releases(args.fixtures) if args.fixtures else None
    simulator = TorznabSimulator(
        releases, api_key=args.api_key, host=args.host, port=args.port, mode=args.mode,
        delay=args.delay,
    )  # fmt: skip
    print(f"Torznab simulator on {simulator.url} (api key {args.api_key!r}, mode {args.mode})")
    simulator.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
