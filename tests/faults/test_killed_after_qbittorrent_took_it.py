"""A worker killed after a real qBittorrent took the torrent, before the worker heard back.

Debian's qbittorrent-nox is the app's client; a small HTTP relay in front of its Web UI
passes every call through and, for the first `torrents/add`, holds qBittorrent's "Ok."
until the test has SIGKILLed the worker's pool process. The redelivered search must find
the torrent qBittorrent already holds (by its info hash) and add nothing.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from downloads.models import Download, Indexer, QualityProfile
from plexkiosk.simulators.torznab import TorznabSimulator
from requests_app.models import Status
from tests.conftest import WorkerProcess, requires_services
from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture  # noqa: F401
from tests.e2e.world import RealRelease
from tests.faults.test_worker_killed import (
    DUNE,
    approved_dune,
    assert_pool_process_lost,
    children_of,
)
from tests.processes import wait_for

pytestmark = [requires_services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class HoldingRelay:
    """Relay HTTP calls to qBittorrent; hold the answer to the first `torrents/add`."""

    def __init__(self, target: str) -> None:
        self.added, self.release = threading.Event(), threading.Event()
        self.calls: Counter[str] = Counter()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                # qBittorrent refuses a Host or Referer that is not its own (CSRF check).
                headers = {k: v.replace(relay.url, target) for k, v in headers.items()}
                headers["Host"] = target.removeprefix("http://")
                answer = requests.request(
                    self.command,
                    target + self.path,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                    timeout=30,
                )
                endpoint = self.path.split("?")[0].removeprefix("/api/v2/")
                relay.calls[endpoint] += 1
                if endpoint == "torrents/add" and not relay.added.is_set():
                    relay.added.set()  # qBittorrent holds the torrent now
                    relay.release.wait(120)
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _relay

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relay(qbt_pair: QbtPair) -> Iterator[HoldingRelay]:
    held = HoldingRelay(qbt_pair.client.url)
    yield held
    held.stop()


def test_a_pool_process_killed_after_a_real_qbittorrent_took_the_torrent_does_not_add_it_twice(
    celery_worker_process: Callable[..., WorkerProcess], qbt_pair: QbtPair, relay: HoldingRelay
) -> None:
    seeded = qbt_pair.make_torrent("Dune.2021.1080p.BluRay.x264-FIRST.mkv", 4 << 20)
    tracker = f"http://127.0.0.1:{qbt_pair.seeder.tracker_port}/announce"
    indexer = TorznabSimulator([RealRelease(seeded, tracker=tracker, **DUNE)], api_key="k")
    indexer.start()
    try:
        Indexer.objects.create(name="sim", url=indexer.url, api_key="k")
        # A 4 MB "1080p" film is a fake to the default profile; this household accepts it.
        QualityProfile.objects.filter(pk=QualityProfile.get_default().pk).update(
            movie_min_gb=0.001, movie_min_gb_by_resolution={}
        )
        client = qbt_pair.client
        worker = celery_worker_process(
            QBITTORRENT_URL=relay.url,
            QBITTORRENT_USERNAME=client.username,
            QBITTORRENT_PASSWORD=client.password,
            DOWNLOADS_DIR=str(client.save_path),
        )
        request = approved_dune()
        wait_for(relay.added.is_set, 60, what="qBittorrent taking the torrent", logs=[worker])
        (child,) = children_of(worker.proc.pid)  # concurrency 1
        os.kill(child, signal.SIGKILL)
        relay.release.set()

        def downloading() -> bool:
            request.refresh_from_db()
            return request.status == Status.DOWNLOADING

        wait_for(downloading, 90, what="the request downloading", logs=[worker])
        assert_pool_process_lost(worker, child)
    finally:
        indexer.stop()

    # The second run asked qBittorrent for the hash, found it, and added nothing.
    assert relay.calls["torrents/add"] == 1, relay.calls
    held = client.api.torrents_info(category="plexkiosk")
    assert [t.hash for t in held] == [seeded.info_hash]
    assert Download.objects.count() == 1
    assert request.download_hash == seeded.info_hash
