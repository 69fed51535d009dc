"""Info hashes from magnets and .torrent files, and fetching indexer download links."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bencodepy
import pytest

from downloads.torrentfile import (
    FetchFailed,
    InvalidTorrent,
    fetch_torrent,
    info_hash_from_magnet,
    info_hash_from_torrent,
)

HASH = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
TORRENT = bencodepy.encode(
    {
        b"announce": b"http://tracker.example/announce",
        b"creation date": 1700000000,
        b"info": {
            b"name": b"Movie.2020.1080p.mkv",
            b"length": 123456,
            b"piece length": 262144,
            b"pieces": b"\x01" * 20,
        },
    }
)


def raw_info_slice_hash(data: bytes) -> str:
    """Hash the info dict's bytes as they sit in the file (it is the last key here)."""
    start = data.index(b"4:info") + len(b"4:info")
    return hashlib.sha1(data[start:-1], usedforsecurity=False).hexdigest()


def test_a_hex_magnet_gives_its_lowercase_hash() -> None:
    magnet = f"magnet:?xt=urn:btih:{HASH.upper()}&dn=Movie&tr=udp%3A%2F%2Ft.example%3A80"
    assert info_hash_from_magnet(magnet) == HASH


def test_a_base32_magnet_gives_the_same_hash_in_hex() -> None:
    base32 = base64.b32encode(bytes.fromhex(HASH)).decode()
    assert info_hash_from_magnet(f"magnet:?dn=x&xt=urn:btih:{base32}") == HASH
    assert info_hash_from_magnet(f"magnet:?xt=urn:btih:{base32.lower()}") == HASH


def test_a_hybrid_magnet_gives_its_v1_hash() -> None:
    magnet = f"magnet:?xt=urn:btmh:1220{'ab' * 32}&xt=urn:btih:{HASH}"
    assert info_hash_from_magnet(magnet) == HASH


@pytest.mark.parametrize(
    "magnet",
    [
        "http://example.com/?xt=urn:btih:" + HASH,
        "magnet:?dn=no-topic",
        "magnet:?xt=urn:btih:1234",
        f"magnet:?xt=urn:btmh:1220{'ab' * 32}",
        "magnet:?xt=urn:btih:" + "z" * 40,
        # urlsplit's own ValueError (a bracket left open) is a refusal too.
        "magnet://[::1?xt=urn:btih:" + HASH,
    ],
)
def test_a_malformed_or_v2_only_magnet_is_refused(magnet: str) -> None:
    with pytest.raises(InvalidTorrent):
        info_hash_from_magnet(magnet)


def test_a_torrent_file_hash_is_the_sha1_of_its_info_bytes() -> None:
    assert info_hash_from_torrent(TORRENT) == raw_info_slice_hash(TORRENT)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<html><body>Please log in</body></html>",
        b"d8:announce3:abce",
        bencodepy.encode({b"info": {b"name": b"v2", b"meta version": 2, b"file tree": {}}}),
        bencodepy.encode([1, 2, 3]),
        b"d4:info" + b"d" * 5000,
    ],
    ids=["empty", "html", "no-info", "v2-only", "a-list", "deep-nesting"],
)
def test_a_file_that_is_not_a_usable_torrent_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidTorrent):
        info_hash_from_torrent(data)


def test_a_non_canonical_info_dict_is_refused_rather_than_misjudged() -> None:
    # Keys out of order: re-encoding would sort them and hash different bytes.
    info = b"d6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:" + b"\x00" * 20 + b"e"
    unsorted = b"d4:infod4:name1:x6:lengthi1e12:piece lengthi16384e6:pieces20:" + b"\x00" * 20
    assert info_hash_from_torrent(b"d4:info" + info + b"e")
    with pytest.raises(InvalidTorrent, match="canonical"):
        info_hash_from_torrent(unsorted + b"ee")


class IndexerHandler(BaseHTTPRequestHandler):
    """Answer like an indexer's download endpoint, one behaviour per path."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:
        if self.path.startswith("/drip"):
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client hangs up, as it should
                for _ in range(100):
                    self.wfile.write(b"d")
                    self.wfile.flush()
                    time.sleep(0.05)
            return
        status, headers, body = self.routes.get(self.path.split("?")[0], (404, {}, b"nope"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if headers.get("Transfer-Encoding") == "chunked":
            for start in range(0, len(body), 4096):
                piece = body[start : start + 4096]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def indexer() -> Iterator[str]:
    """Serve the routes on loopback and return the base URL."""
    magnet = f"magnet:?xt=urn:btih:{HASH}&dn=Movie"
    IndexerHandler.routes = {
        "/file": (200, {"Content-Type": "application/x-bittorrent"}, TORRENT),
        "/to-magnet": (302, {"Location": magnet}, b""),
        "/to-file": (301, {"Location": "/file"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/to-local-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/login-page": (200, {"Content-Type": "text/html"}, b"<html>log in</html>"),
        "/huge-declared": (200, {"Content-Length": str(50 << 20)}, b""),
        "/huge-chunked": (200, {"Transfer-Encoding": "chunked"}, b"d" + b"x" * (64 << 10)),
        "/down": (503, {}, b"maintenance"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), IndexerHandler)
    server.daemon_threads = True  # a dripping answer must not hold up the teardown
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetching_a_torrent_link_returns_its_bytes_and_hash(indexer: str) -> None:
    fetched = fetch_torrent(f"{indexer}/file?apikey=secret")
    assert (fetched.torrent_bytes, fetched.magnet) == (TORRENT, None)
    assert fetched.info_hash == raw_info_slice_hash(TORRENT)


def test_a_link_that_redirects_to_a_magnet_returns_the_magnet(indexer: str) -> None:
    fetched = fetch_torrent(f"{indexer}/to-magnet")
    assert fetched.torrent_bytes is None
    assert fetched.magnet is not None and fetched.magnet.startswith("magnet:?")
    assert fetched.info_hash == HASH


def test_http_redirects_are_followed(indexer: str) -> None:
    assert fetch_torrent(f"{indexer}/to-file").torrent_bytes == TORRENT


def test_a_magnet_given_as_the_link_is_returned_as_is() -> None:
    magnet = f"magnet:?xt=urn:btih:{HASH}"
    assert fetch_torrent(magnet).magnet == magnet


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/login-page", "did not answer with a .torrent"),
        ("/huge-declared", "larger than"),
        ("/huge-chunked", "larger than"),
        ("/missing", "HTTP 404"),
        ("/loop", "redirects"),
        ("/to-local-file", "refusing to fetch a file link"),
    ],
)
def test_a_bad_link_is_a_permanent_error(indexer: str, path: str, message: str) -> None:
    with pytest.raises(InvalidTorrent, match=message) as raised:
        fetch_torrent(f"{indexer}{path}?apikey=secret-key", max_bytes=32 << 10)
    assert not raised.value.temporary
    assert "secret-key" not in str(raised.value)


def test_an_indexer_that_is_down_is_a_temporary_error(indexer: str) -> None:
    with pytest.raises(FetchFailed) as raised:
        fetch_torrent(f"{indexer}/down?apikey=secret-key")
    assert raised.value.temporary and "secret-key" not in str(raised.value)


def test_an_indexer_that_never_answers_is_a_temporary_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(FetchFailed, match="timed out"):
            fetch_torrent(f"http://127.0.0.1:{port}/file", timeout=(0.5, 0.5))


def test_an_unreachable_indexer_is_a_temporary_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(FetchFailed, match="could not reach"):
        fetch_torrent(f"http://127.0.0.1:{port}/file", timeout=(0.5, 0.5))


def test_an_indexer_dripping_its_answer_is_cut_off_as_a_temporary_error(indexer: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="too slowly"):
        fetch_torrent(f"{indexer}/drip", timeout=(0.5, 0.5))
    assert time.monotonic() - started < 2
