"""The qBittorrent client against real qbittorrent-nox instances on loopback."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import bencodepy
import pytest

from downloads.importer import MediaTarget, file_into_library
from downloads.qbittorrent import (
    AuthenticationError,
    BadTorrentError,
    QBittorrent,
    QBittorrentPermanentError,
    QBittorrentTemporaryError,
    TorrentSnapshot,
    classify,
    seeding_finished,
)
from tests.downloads import qbt_harness
from tests.downloads.qbt_harness import (
    QbtPair,
    qbt_pair_fixture,  # noqa: F401 - provides the module-scoped `qbt_pair`
    start_instance,
)
from tests.processes import wait_for

CATEGORY = "plexkiosk"


def app_client(pair: QbtPair, **overrides: object) -> QBittorrent:
    """Return the app's client for the pair's qBittorrent, logging in like production."""
    options = {
        "url": pair.client.url,
        "username": pair.client.username,
        "password": pair.client.password,
        "category": CATEGORY,
        "timeout": (2.0, 10.0),
    }
    options.update(overrides)
    return QBittorrent(**options)


def wait_until_classified(
    qbt: QBittorrent, info_hash: str, verdict: str, timeout: float = 20
) -> TorrentSnapshot:
    """Poll the app's view of one torrent until `classify` says `verdict`."""

    def check() -> TorrentSnapshot | None:
        snapshot = qbt.get(info_hash)
        return snapshot if snapshot and classify(snapshot) == verdict else None

    return wait_for(check, timeout=timeout, what=f"{info_hash} to be {verdict}")


def snapshot(state: str, *, progress: float = 1.0, amount_left: int = 0) -> TorrentSnapshot:
    """Build a snapshot as qBittorrent would report it, for the classifier."""
    return TorrentSnapshot.from_api(
        {"hash": "ab" * 20, "state": state, "progress": progress, "amount_left": amount_left}
    )


@pytest.mark.parametrize(
    ("state", "progress", "amount_left", "verdict"),
    [
        ("stalledUP", 1.0, 0, "completed"),
        ("uploading", 1.0, 0, "completed"),
        ("pausedUP", 1.0, 0, "completed"),  # 4.x
        ("stoppedUP", 1.0, 0, "completed"),  # 5.0 renamed pausedUP
        ("queuedUP", 1.0, 0, "completed"),
        ("forcedUP", 1.0, 0, "completed"),
        ("stalledUP", 0.999, 1024, "downloading"),
        ("checkingUP", 1.0, 0, "checking"),
        ("moving", 1.0, 0, "checking"),
        ("checkingResumeData", 0.0, 10, "checking"),
        ("stalledDL", 0.3, 10, "stalled"),
        ("downloading", 0.3, 10, "downloading"),
        ("metaDL", 0.0, 0, "stalled"),
        ("pausedDL", 0.3, 10, "paused"),  # 4.x
        ("stoppedDL", 0.3, 10, "paused"),  # 5.0 renamed pausedDL
        ("error", 0.3, 10, "errored"),
        ("missingFiles", 1.0, 0, "errored"),
        ("somethingNew", 1.0, 0, "checking"),
    ],
)
def test_classify_reads_qbittorrent_4_and_5_state_names(
    state: str, progress: float, amount_left: int, verdict: str
) -> None:
    assert classify(snapshot(state, progress=progress, amount_left=amount_left)) == verdict


@pytest.mark.parametrize(
    ("state", "ratio", "seeding_days", "finished"),
    [
        ("stalledUP", 2.0, 0, True),
        ("uploading", 0.1, 14, True),
        ("stoppedUP", 1.99, 13.9, False),
        ("downloading", 5.0, 30, False),
        ("checkingUP", 5.0, 30, False),
    ],
)
def test_seeding_is_finished_at_the_ratio_or_the_time_whichever_comes_first(
    state: str, ratio: float, seeding_days: float, finished: bool
) -> None:
    seeding = TorrentSnapshot.from_api(
        {
            "hash": "ab" * 20,
            "state": state,
            "progress": 1,
            "amount_left": 0,
            "ratio": ratio,
            "seeding_time": int(seeding_days * 86400),
        }
    )
    assert seeding_finished(seeding, max_ratio=2.0, max_seeding=timedelta(days=14)) is finished


def test_seeding_finished_reads_the_ratio_a_real_qbittorrent_reports(qbt_pair: QbtPair) -> None:
    seeded = qbt_pair.make_torrent("ratio.bin", 2 << 20)
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        torrent_bytes=seeded.torrent_bytes, save_path=str(qbt_pair.client.save_path), tag="r"
    )
    wait_until_classified(qbt, info_hash, "completed")

    def seeder_view() -> TorrentSnapshot | None:
        [raw] = qbt_pair.seeder.api.torrents_info(torrent_hashes=info_hash)
        snapshot = TorrentSnapshot.from_api(raw)
        return snapshot if snapshot.ratio >= 0.95 else None

    # The seeder has uploaded the whole file once: ratio 1.0.
    uploaded_once = wait_for(seeder_view, timeout=10, what="the seeder's ratio")
    assert seeding_finished(uploaded_once, max_ratio=0.9)
    assert not seeding_finished(uploaded_once, max_ratio=2.0)


def test_a_magnet_fetching_metadata_from_someone_is_downloading() -> None:
    fetching = TorrentSnapshot.from_api(
        {"hash": "ab" * 20, "state": "metaDL", "num_seeds": 1, "dlspeed": 0, "amount_left": 0}
    )
    assert classify(fetching) == "downloading"


def test_snapshot_turns_unknown_eta_and_never_completed_into_none() -> None:
    raw = {"hash": "AB" * 20, "state": "metaDL", "eta": 8640000, "completion_on": -1}
    parsed = TorrentSnapshot.from_api(raw)
    assert (parsed.hash, parsed.eta, parsed.completion_on) == ("ab" * 20, None, None)
    assert replace(parsed, eta=5).eta == 5


def test_app_logs_in_with_the_hashed_password(qbt_pair: QbtPair) -> None:
    assert app_client(qbt_pair).login().startswith("v")


def test_wrong_password_is_a_permanent_error_that_never_shows_the_password(
    qbt_pair: QbtPair, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-password-xyzzy"
    qbt = app_client(qbt_pair, password=wrong)
    with pytest.raises(AuthenticationError) as raised:
        qbt.login()
    assert not raised.value.temporary
    assert wrong not in str(raised.value) and wrong not in repr(qbt)
    # The monitor never calls login() itself: its first call logs in on the way.
    # (Two failures only: qBittorrent bans the IP after five.)
    with pytest.raises(AuthenticationError):
        app_client(qbt_pair, password=wrong).list_torrents()
    assert wrong not in caplog.text


def test_adding_a_torrent_file_downloads_it_to_completion_in_the_apps_category(
    qbt_pair: QbtPair,
) -> None:
    seeded = qbt_pair.make_torrent("file-add.bin", 4 << 20)
    qbt = app_client(qbt_pair)
    save_path = qbt_pair.client.save_path / "by-file"
    started = time.monotonic()
    info_hash = qbt.add_torrent(
        torrent_bytes=seeded.torrent_bytes, save_path=str(save_path), tag="download-1"
    )
    assert info_hash == seeded.info_hash
    done = wait_until_classified(qbt, info_hash, "completed")
    print(f"add -> completed by .torrent + tracker: {time.monotonic() - started:.2f} s")
    assert (done.category, done.tags, done.amount_left) == (CATEGORY, ("download-1",), 0)
    assert done.completion_on is not None
    assert Path(done.content_path).read_bytes() == seeded.path.read_bytes()
    assert Path(done.content_path).parent == save_path


def test_adding_a_magnet_downloads_it_from_a_peer_given_by_address(qbt_pair: QbtPair) -> None:
    seeded = qbt_pair.make_torrent("magnet-add.bin", 4 << 20, tracker=False)
    qbt = app_client(qbt_pair)
    started = time.monotonic()
    info_hash = qbt.add_torrent(
        magnet=seeded.magnet, save_path=str(qbt_pair.client.save_path), tag="download-2"
    )
    assert info_hash == seeded.info_hash
    # No tracker and no DHT: only the peer we name can hand over the metadata.
    qbt_pair.client.api.torrents_add_peers(peers=qbt_pair.seeder_peer, torrent_hashes=info_hash)
    done = wait_until_classified(qbt, info_hash, "completed")
    print(f"add -> completed by magnet + peer: {time.monotonic() - started:.2f} s")
    assert Path(done.content_path).read_bytes() == seeded.path.read_bytes()


def test_a_magnet_with_a_base32_hash_is_added_under_its_hex_hash(qbt_pair: QbtPair) -> None:
    seeded = qbt_pair.make_torrent("base32.bin", 1 << 20, tracker=False)
    base32 = base64.b32encode(bytes.fromhex(seeded.info_hash)).decode()
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        magnet=f"magnet:?xt=urn:btih:{base32}", save_path=str(qbt_pair.client.save_path), tag="b32"
    )
    assert info_hash == seeded.info_hash
    assert qbt.get(info_hash) is not None


def test_adding_the_same_hash_twice_is_a_no_op(qbt_pair: QbtPair) -> None:
    seeded = qbt_pair.make_torrent("twice.bin", 1 << 20)
    qbt = app_client(qbt_pair)
    save_path = str(qbt_pair.client.save_path)
    first = qbt.add_torrent(torrent_bytes=seeded.torrent_bytes, save_path=save_path, tag="first")
    again = qbt.add_torrent(magnet=seeded.magnet, save_path=save_path, tag="second")
    assert first == again == seeded.info_hash
    mine = [t for t in qbt.list_torrents() if t.hash == seeded.info_hash]
    assert [t.tags for t in mine] == [("first",)]


def test_the_category_is_created_and_an_existing_one_is_accepted(qbt_pair: QbtPair) -> None:
    category = "plexkiosk-fresh"
    for attempt in range(2):
        # A fresh client each time, so the second one meets qBittorrent's 409 for a known name.
        qbt = app_client(qbt_pair, category=category)
        qbt.ensure_category()
        assert category in qbt_pair.client.api.torrents_categories(), attempt


def test_progress_shows_while_a_rate_limited_download_runs(qbt_pair: QbtPair) -> None:
    seeded = qbt_pair.make_torrent("slow.bin", 12 << 20)
    qbt = app_client(qbt_pair)
    # A limit on a loopback peer is the only way to see `downloading`: unthrottled, the
    # transfer ends inside one refresh interval.
    qbt_pair.client.api.app_set_preferences({"dl_limit": 3 << 20})
    try:
        info_hash = qbt.add_torrent(
            torrent_bytes=seeded.torrent_bytes, save_path=str(qbt_pair.client.save_path), tag="p"
        )
        wait_until_classified(qbt, info_hash, "downloading", timeout=10)

        def downloading_partway() -> TorrentSnapshot | None:
            snapshot = qbt.get(info_hash)
            moving = snapshot and 0 < snapshot.progress < 1 and classify(snapshot) == "downloading"
            return snapshot if moving else None

        # Not "downloading or stalled": the bar must move under a Downloading verdict.
        partway = wait_for(downloading_partway, timeout=10, what="partial progress, downloading")
        assert partway.amount_left > 0
    finally:
        qbt_pair.client.api.app_set_preferences({"dl_limit": 0})
    done = wait_until_classified(qbt, info_hash, "completed")
    assert done.progress == 1.0


def test_list_torrents_never_returns_torrents_outside_the_category(qbt_pair: QbtPair) -> None:
    mine = qbt_pair.make_torrent("mine.bin", 1 << 20)
    theirs = qbt_pair.make_torrent("theirs.bin", 1 << 20)
    nobody = qbt_pair.make_torrent("nobody.bin", 1 << 20)
    qbt = app_client(qbt_pair)
    save_path = str(qbt_pair.client.save_path)
    qbt.add_torrent(torrent_bytes=mine.torrent_bytes, save_path=save_path, tag="mine")
    api = qbt_pair.client.api
    api.torrents_add(torrent_files=theirs.torrent_bytes, save_path=save_path, category="movies")
    api.torrents_add(torrent_files=nobody.torrent_bytes, save_path=save_path)
    wait_for(lambda: len(api.torrents_info(torrent_hashes=theirs.info_hash)), timeout=5, what="add")
    wait_for(lambda: len(api.torrents_info(torrent_hashes=nobody.info_hash)), timeout=5, what="add")
    listed = {t.hash for t in qbt.list_torrents()}
    assert mine.info_hash in listed
    assert not listed & {theirs.info_hash, nobody.info_hash}
    assert all(t.category == CATEGORY for t in qbt.list_torrents())


def test_a_hash_held_by_another_category_is_refused_and_left_alone(qbt_pair: QbtPair) -> None:
    theirs = qbt_pair.make_torrent("foreign.bin", 1 << 20)
    api = qbt_pair.client.api
    api.torrents_add(
        torrent_files=theirs.torrent_bytes, save_path=str(qbt_pair.client.save_path), category="tv"
    )
    wait_for(lambda: len(api.torrents_info(torrent_hashes=theirs.info_hash)), timeout=5, what="add")
    qbt = app_client(qbt_pair)
    with pytest.raises(QBittorrentPermanentError, match="outside"):
        qbt.add_torrent(magnet=theirs.magnet, save_path="/tmp", tag="x")
    with pytest.raises(QBittorrentPermanentError):
        qbt.remove(theirs.info_hash)
    assert api.torrents_info(torrent_hashes=theirs.info_hash)[0].category == "tv"


def test_remove_deletes_the_torrent_and_its_data(qbt_pair: QbtPair) -> None:
    seeded = qbt_pair.make_torrent("removed.bin", 1 << 20)
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        torrent_bytes=seeded.torrent_bytes,
        save_path=str(qbt_pair.client.save_path / "to-remove"),
        tag="gone",
    )
    content = Path(wait_until_classified(qbt, info_hash, "completed").content_path)
    assert content.exists()
    assert qbt.remove(info_hash) is True
    wait_for(lambda: not content.exists(), timeout=5, what="data to be deleted")
    assert qbt.get(info_hash) is None
    assert qbt.remove(info_hash) is False


def test_a_torrent_qbittorrent_cannot_load_is_a_permanent_bad_torrent(qbt_pair: QbtPair) -> None:
    # Well-formed bencoding whose pieces are not a multiple of 20 bytes: we can hash it,
    # qBittorrent refuses it.
    broken = bencodepy.encode(
        {b"info": {b"name": b"x.bin", b"length": 10, b"piece length": 16384, b"pieces": b"abc"}}
    )
    qbt = app_client(qbt_pair)
    with pytest.raises(BadTorrentError) as raised:
        qbt.add_torrent(torrent_bytes=broken, save_path="/tmp", tag="broken")
    assert not raised.value.temporary
    with pytest.raises(BadTorrentError):
        qbt.add_torrent(torrent_bytes=b"<html>login</html>", save_path="/tmp", tag="html")


def test_a_torrent_nobody_seeds_is_classified_stalled(qbt_pair: QbtPair) -> None:
    orphan = qbt_pair.make_torrent("orphan.bin", 1 << 20, seed=False)
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        torrent_bytes=orphan.torrent_bytes, save_path=str(qbt_pair.client.save_path), tag="o"
    )
    stalled = wait_until_classified(qbt, info_hash, "stalled", timeout=10)
    assert (stalled.state, stalled.progress) == ("stalledDL", 0.0)
    qbt.remove(info_hash)


def test_a_magnet_nobody_has_is_classified_stalled(qbt_pair: QbtPair) -> None:
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        magnet="magnet:?xt=urn:btih:" + "0123456789" * 4,
        save_path=str(qbt_pair.client.save_path),
        tag="lost",
    )
    stalled = wait_until_classified(qbt, info_hash, "stalled", timeout=10)
    assert stalled.state == "metaDL"
    qbt.remove(info_hash)


def test_a_paused_download_is_classified_paused(qbt_pair: QbtPair) -> None:
    orphan = qbt_pair.make_torrent("paused.bin", 1 << 20, seed=False)
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        torrent_bytes=orphan.torrent_bytes, save_path=str(qbt_pair.client.save_path), tag="p"
    )
    # qbittorrent-api sends torrents/pause to 4.x and torrents/stop to 5.x.
    qbt_pair.client.api.torrents_stop(torrent_hashes=info_hash)
    paused = wait_until_classified(qbt, info_hash, "paused", timeout=10)
    major = int(qbt_pair.client.api.app_version().lstrip("v").split(".")[0])
    assert paused.state == ("stoppedDL" if major >= 5 else "pausedDL")  # 5.0 renamed it
    qbt.remove(info_hash)


def test_a_stopped_qbittorrent_is_a_temporary_error_and_a_restarted_one_works_again(
    tmp_path: Path,
) -> None:
    instance = start_instance(tmp_path, "short-lived")
    qbt = QBittorrent(
        url=instance.url,
        username=instance.username,
        password=instance.password,
        category=CATEGORY,
        timeout=(1.0, 2.0),
    )
    assert qbt.list_torrents() == []
    instance.stop()
    with pytest.raises(QBittorrentTemporaryError) as raised:
        qbt.list_torrents()
    assert raised.value.temporary
    # Back up, qBittorrent has forgotten our session and answers 403: the client logs in
    # again by itself.
    instance.start()
    try:
        assert qbt.list_torrents() == []
    finally:
        instance.stop()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Listen on a port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_a_qbittorrent_that_never_answers_is_a_temporary_timeout(silent_server: int) -> None:
    qbt = QBittorrent(
        url=f"http://127.0.0.1:{silent_server}",
        username="admin",
        password="secret",
        category=CATEGORY,
        timeout=(0.5, 0.5),
    )
    started = time.monotonic()
    with pytest.raises(QBittorrentTemporaryError):
        qbt.list_torrents()
    assert time.monotonic() - started < 5


class _StubHandler(BaseHTTPRequestHandler):
    """Answer like a qBittorrent: `routes` first, else logins succeed and the rest get `status`."""

    status = 500
    calls: list[str]
    routes: dict[str, tuple[int, str]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.calls.append(self.path)
        path, _, query = self.path.partition("?")
        if "urlencoded" in self.headers.get("Content-Type", ""):
            query = query or body.decode()
        for key in (f"{path}?{query}", path):
            if key in self.routes:
                status, body = self.routes[key]
                break
        else:
            status, body = (200, "Ok.") if path.endswith("/auth/login") else (self.status, "")
        self.send_response(status)
        if path.endswith("/auth/login"):
            self.send_header("Set-Cookie", "SID=abc; path=/")
        content_type = "application/json" if body[:1] in {"[", "{"} else "text/plain"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def stub_server() -> Iterator[type[_StubHandler]]:
    """Run a tiny HTTP server standing in for a misbehaving qBittorrent."""
    handler = type("Handler", (_StubHandler,), {"calls": [], "routes": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield handler
    server.shutdown()
    server.server_close()


def stub_client(handler: type[_StubHandler], confirm_timeout: float = 5.0) -> QBittorrent:
    """Return the app's client pointed at the stub."""
    return QBittorrent(
        url=f"http://127.0.0.1:{handler.port}",
        username="admin",
        password="secret",
        category=CATEGORY,
        timeout=(1.0, 2.0),
        confirm_timeout=confirm_timeout,
    )


def test_a_server_error_is_temporary(stub_server: type[_StubHandler]) -> None:
    stub_server.status = 503
    with pytest.raises(QBittorrentTemporaryError, match="HTTP 503"):
        stub_client(stub_server).list_torrents()


def test_a_403_that_survives_a_new_login_is_temporary(stub_server: type[_StubHandler]) -> None:
    stub_server.status = 403
    with pytest.raises(QBittorrentTemporaryError, match="403"):
        stub_client(stub_server).list_torrents()
    assert any(call.endswith("/auth/login") for call in stub_server.calls)


@pytest.mark.parametrize(("mode", "action"), [("hardlink", "linked"), ("copy", "copied")])
def test_a_completed_download_is_filed_into_plex_and_survives_its_removal(
    qbt_pair: QbtPair, tmp_path: Path, mode: str, action: str
) -> None:
    seeded = qbt_pair.make_torrent(f"Heat.1995.1080p.BluRay.x264-{mode}.mkv", 2 << 20)
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        torrent_bytes=seeded.torrent_bytes,
        save_path=str(qbt_pair.client.save_path / f"heat-{mode}"),
        tag="heat",
    )
    done = wait_until_classified(qbt, info_hash, "completed")
    movies = tmp_path / "Movies"
    movies.mkdir()
    result = file_into_library(
        content_path=done.content_path,
        target=MediaTarget(kind="movie", title="Heat", year=1995),
        mode=mode,
        downloads_dir=qbt_pair.client.save_path,
        movies_dir=movies,
    )
    filed = movies / "Heat (1995)" / "Heat (1995).mkv"
    assert [f.action for f in result.files] == [action]
    assert filed.samefile(done.content_path) is (mode == "hardlink")
    qbt.remove(info_hash, delete_files=True)
    wait_for(lambda: not Path(done.content_path).exists(), timeout=5, what="data deleted")
    assert filed.read_bytes() == seeded.path.read_bytes()


def test_qbittorrent_5_answers_are_understood(stub_server: type[_StubHandler]) -> None:
    ours = {"hash": "aa" * 20, "category": CATEGORY, "state": "stoppedUP", "progress": 1}
    theirs = {"hash": "bb" * 20, "category": "movies", "state": "stoppedUP", "progress": 1}
    # 5.2 answers torrents/add with counts in JSON instead of "Ok."/"Fails.".
    refused = {"success_count": 0, "failure_count": 1, "pending_count": 0}
    stub_server.routes = {
        "/api/v2/app/version": (200, "v5.1.2"),
        "/api/v2/app/webapiVersion": (200, "2.11.4"),
        f"/api/v2/torrents/info?category={CATEGORY}": (200, json.dumps([ours, theirs])),
        "/api/v2/torrents/info": (200, "[]"),
        "/api/v2/torrents/createCategory": (409, ""),
        "/api/v2/torrents/add": (200, json.dumps(refused)),
    }
    qbt = stub_client(stub_server)
    [listed] = qbt.list_torrents()
    assert (listed.hash, classify(listed)) == ("aa" * 20, "completed")
    # Logged in, one monitor pass is one HTTP request whatever the number of torrents.
    before = len(stub_server.calls)
    qbt.list_torrents()
    assert stub_server.calls[before:] == ["/api/v2/torrents/info"]
    with pytest.raises(BadTorrentError):
        qbt.add_torrent(magnet="magnet:?xt=urn:btih:" + "cc" * 20, save_path="/d", tag="t")
    assert "/api/v2/torrents/add" in stub_server.calls


def test_a_401_login_refusal_of_qbittorrent_5_2_is_an_authentication_error(
    stub_server: type[_StubHandler],
) -> None:
    stub_server.routes = {"/api/v2/auth/login": (401, "")}
    with pytest.raises(AuthenticationError):
        stub_client(stub_server).login()


def test_a_downloaded_season_pack_is_filed_episode_by_episode(
    qbt_pair: QbtPair, tmp_path: Path
) -> None:
    pack = "The.Office.US.S02.720p.WEB-DL-GRP"
    seeded = qbt_pair.make_torrent(
        pack,
        0,
        files={
            "The.Office.US.S02E01.720p.WEB-DL-GRP.mkv": 600_000,
            "The.Office.US.S02E02.720p.WEB-DL-GRP.mkv": 500_000,
            "The.Office.US.S02E02.720p.WEB-DL-GRP.en.srt": 2_000,
            "Sample/the.office.us.s02e01.sample.mkv": 100_000,
            "GRP.nfo": 300,
        },
    )
    qbt = app_client(qbt_pair)
    info_hash = qbt.add_torrent(
        torrent_bytes=seeded.torrent_bytes, save_path=str(qbt_pair.client.save_path), tag="pack"
    )
    done = wait_until_classified(qbt, info_hash, "completed")
    # A multi-file torrent's content_path is its top folder.
    assert Path(done.content_path) == qbt_pair.client.save_path / pack
    tv = tmp_path / "TV"
    tv.mkdir()
    file_into_library(
        content_path=done.content_path,
        target=MediaTarget(kind="tv", title="The Office", year=2005, season=2),
        mode="hardlink",
        downloads_dir=qbt_pair.client.save_path,
        tv_dir=tv,
    )
    season = tv / "The Office (2005)" / "Season 02"
    assert sorted(p.name for p in season.iterdir()) == [
        "The Office (2005) - S02E01.mkv",
        "The Office (2005) - S02E02.en.srt",
        "The Office (2005) - S02E02.mkv",
    ]


@pytest.mark.parametrize("ci", [None, "true"])
def test_a_missing_qbittorrent_fails_the_test_with_the_command_that_installs_it(
    monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    # `make test` installs the tools before any test; a skip would hide 30-odd tests.
    monkeypatch.setattr(qbt_harness, "QBITTORRENT_NOX", None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        qbt_harness.require_qbittorrent()
    assert str(failed.value) == (
        "qbittorrent-nox not installed: run `make test` as root (it installs what the suite "
        "needs) or `sudo apt-get install -y qbittorrent-nox`"
    )


def test_an_added_torrent_qbittorrent_never_lists_is_a_temporary_error(
    stub_server: type[_StubHandler],
) -> None:
    # 4.x answers "Ok." before libtorrent has really taken the torrent.
    stub_server.routes = {
        "/api/v2/app/version": (200, "v4.5.2"),
        "/api/v2/app/webapiVersion": (200, "2.8.19"),
        "/api/v2/torrents/info": (200, "[]"),
        "/api/v2/torrents/createCategory": (200, ""),
        "/api/v2/torrents/add": (200, "Ok."),
    }
    qbt = stub_client(stub_server, confirm_timeout=0.3)
    with pytest.raises(QBittorrentTemporaryError, match="does not list"):
        qbt.add_torrent(magnet="magnet:?xt=urn:btih:" + "dd" * 20, save_path="/d", tag="t")
