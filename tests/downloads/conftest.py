"""Fixtures for the downloads tests: simulators on local ports, a server of .torrent links."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from downloads.signals import download_completed, download_failed
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator


@pytest.fixture
def qbt_sim(tmp_path: Path, settings: Any) -> Iterator[QBittorrentSimulator]:
    """Start a qBittorrent simulator saving under DOWNLOADS_DIR, and point the settings at it."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    simulator = QBittorrentSimulator(speed=64 << 20, save_path=str(downloads))
    settings.QBITTORRENT_URL = simulator.start()
    settings.QBITTORRENT_USERNAME = simulator.username
    settings.QBITTORRENT_PASSWORD = simulator.password
    settings.QBITTORRENT_CATEGORY = "plexkiosk"
    settings.DOWNLOADS_DIR = downloads
    yield simulator
    simulator.stop()


@pytest.fixture
def queued_imports(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the imports the monitor queues instead of sending them to the broker."""
    queued: list[int] = []
    monkeypatch.setattr(
        "downloads.tasks.import_download_task.apply_async",
        lambda args, **options: queued.append(*args),
    )
    return queued


@pytest.fixture
def library(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point MOVIES_DIR and TV_DIR at temporary folders; record what Plex is asked to scan."""
    settings.MOVIES_DIR = tmp_path / "media" / "Movies"
    settings.TV_DIR = tmp_path / "media" / "TV"
    settings.MOVIES_DIR.mkdir(parents=True)
    settings.TV_DIR.mkdir(parents=True)
    scanned: list[str] = []
    monkeypatch.setattr("library.lookups.request_partial_scan", lambda path: scanned.append(path))
    return scanned


@pytest.fixture
def told() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record the download_completed and download_failed signals."""
    heard: list[tuple[str, dict[str, Any]]] = []

    def completed(sender: Any, **kwargs: Any) -> None:
        heard.append(("completed", kwargs))

    def failed(sender: Any, **kwargs: Any) -> None:
        heard.append(("failed", kwargs))

    download_completed.connect(completed, dispatch_uid="test-completed")
    download_failed.connect(failed, dispatch_uid="test-failed")
    yield heard
    download_completed.disconnect(dispatch_uid="test-completed")
    download_failed.disconnect(dispatch_uid="test-failed")


@pytest.fixture
def torrent_link() -> Iterator[Callable[[bytes], str]]:
    """Serve .torrent bytes over HTTP, as an indexer's download link does."""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/x-bittorrent")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def link(data: bytes) -> str:
        path = f"/download/{len(served)}.torrent"
        served[path] = data
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    yield link
    server.shutdown()
    server.server_close()
