"""Real qbittorrent-nox instances on loopback: a seeder and the app's client, owned by a test."""

# Use from a test module (the fixture is module-scoped: one pair per module, ~0.4 s to
# start both and ~0.3 s to stop them):
#
#     from tests.downloads.qbt_harness import QbtPair, qbt_pair_fixture  # (noqa F401)
#
#     def test_something(qbt_pair: QbtPair) -> None:
#         seeded = qbt_pair.make_torrent("Film.2020.mkv", 4 << 20)      # seeded, with tracker
#         qbt_pair.client.url, qbt_pair.client.username, qbt_pair.client.password
#
# `make_torrent(..., tracker=False)` leaves peer discovery to
# `qbt_pair.client.api.torrents_add_peers(peers=qbt_pair.seeder_peer, torrent_hashes=h)`;
# `seed=False` makes a torrent nobody serves (a stall); `files={...}` a multi-file torrent.
# `start_instance(tmp_path, "name")` starts a lone instance a test may stop itself.

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import qbittorrentapi
import requests

from tests.processes import wait_for

QBITTORRENT_NOX = shutil.which("qbittorrent-nox")
MKTORRENT = shutil.which("mktorrent")


def require_qbittorrent() -> None:
    """Fail the calling test, naming the command to run, if qbittorrent-nox or mktorrent is gone."""
    missing = [
        name
        for name, path in (("qbittorrent-nox", QBITTORRENT_NOX), ("mktorrent", MKTORRENT))
        if not path
    ]
    if missing:
        # `make test` installs them first (scripts/test_prerequisites.sh): missing here means
        # pytest was run some other way, and a skip would hide the real-qBittorrent tests.
        pytest.fail(
            f"{' and '.join(missing)} not installed: run `make test` as root (it installs what "
            f"the suite needs) or `sudo apt-get install -y {' '.join(missing)}`",
            pytrace=False,
        )


def _die_with_parent() -> None:
    """Have the kernel TERM the daemon if pytest itself is killed, so none outlives a run."""
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pbkdf2_password(password: str, salt: bytes | None = None) -> str:
    """Encode a password the way qBittorrent 4.2+ stores `WebUI\\Password_PBKDF2`."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, 64)
    return f'"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(digest).decode()})"'


def _config(
    *,
    web_port: int,
    bt_port: int,
    save_path: Path,
    username: str,
    password: str,
    tracker_port: int | None,
) -> str:
    """Build a qBittorrent.conf that keeps the instance on loopback and quick to react."""
    # 4.5 reads the embedded tracker's switch from [Preferences], not [BitTorrent].
    tracker = "Advanced\\trackerEnabled=true\n" if tracker_port else ""
    return (
        "[LegalNotice]\nAccepted=true\n\n"
        "[BitTorrent]\n"
        f"Session\\Port={bt_port}\n"
        "Session\\Interface=lo\n"
        "Session\\InterfaceName=lo\n"
        "Session\\InterfaceAddress=127.0.0.1\n"
        # Both peers share 127.0.0.1: without this libtorrent drops the second connection
        # and the client stays stalledDL forever.
        "Session\\MultiConnectionsPerIp=true\n"
        "Session\\DHTEnabled=false\n"
        "Session\\LSDEnabled=false\n"
        "Session\\PeXEnabled=false\n"
        "Session\\QueueingSystemEnabled=false\n"
        f"Session\\DefaultSavePath={save_path}\n"
        "Session\\TempPathEnabled=false\n"
        # The default 1,500 ms refresh makes every state change visible late.
        "Session\\RefreshInterval=100\n"
        "Session\\BTProtocol=TCP\n"
        # Otherwise shutdown waits 5 s for trackers that will never answer.
        "Session\\StopTrackerTimeout=0\n"
        "\n"
        "[Network]\nPortForwardingEnabled=false\n\n"
        "[Preferences]\n"
        "Connection\\UPnP=false\n"
        f"{tracker}"
        f"Advanced\\trackerPort={tracker_port or free_port()}\n"
        "WebUI\\Address=127.0.0.1\n"
        f"WebUI\\Port={web_port}\n"
        "WebUI\\LocalHostAuth=true\n"
        f"WebUI\\Username={username}\n"
        f"WebUI\\Password_PBKDF2={pbkdf2_password(password)}\n"
        "WebUI\\UseUPnP=false\n"
    )


@dataclass
class QbtInstance:
    """One qbittorrent-nox child process with its own profile folder and ports."""

    name: str
    profile: Path
    save_path: Path
    web_port: int
    bt_port: int
    username: str
    password: str
    tracker_port: int | None
    proc: subprocess.Popen | None = None
    _api: qbittorrentapi.Client | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Return the Web UI address."""
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def log(self) -> Path:
        """Return the file that holds the process's stdout and stderr."""
        return self.profile / "stdout.log"

    def start(self, timeout: float = 20) -> None:
        """Write the config before the first start, start the daemon and wait for its Web UI."""
        config = self.profile / "qBittorrent" / "config" / "qBittorrent.conf"
        config.parent.mkdir(parents=True, exist_ok=True)
        self.save_path.mkdir(parents=True, exist_ok=True)
        config.write_text(
            _config(
                web_port=self.web_port,
                bt_port=self.bt_port,
                save_path=self.save_path,
                username=self.username,
                password=self.password,
                tracker_port=self.tracker_port,
            )
        )
        with self.log.open("ab") as log:
            # Not `-d`: a direct child keeps its PID ours to wait for and to signal.
            self.proc = subprocess.Popen(
                [QBITTORRENT_NOX, f"--profile={self.profile}", f"--webui-port={self.web_port}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

        def web_ui_answers() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log.read_text()}")
            try:
                requests.get(f"{self.url}/api/v2/app/webapiVersion", timeout=1)
            except requests.ConnectionError:
                return False
            return True

        try:
            wait_for(
                web_ui_answers,
                timeout,
                what=f"{self.name}'s Web UI answering",
                logs=[self.log.read_text],
                every=0.05,
            )
        except AssertionError:
            self.stop()
            raise

    @property
    def api(self) -> qbittorrentapi.Client:
        """Return a logged-in qbittorrent-api client for the test's own calls."""
        if self._api is None:
            self._api = qbittorrentapi.Client(
                host=self.url,
                username=self.username,
                password=self.password,
                FORCE_SCHEME_FROM_HOST=True,
                REQUESTS_ARGS={"timeout": (2, 10)},
            )
            self._api.auth_log_in()
        return self._api

    def stop(self, timeout: float = 10) -> None:
        """Ask the daemon to shut down, then TERM and KILL only our own PID if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(Exception):  # already going away: the signals below finish it
            self.api.app_shutdown()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._api = None


def start_instance(
    root: Path,
    name: str,
    *,
    username: str = "admin",
    password: str | None = None,
    tracker: bool = False,
) -> QbtInstance:
    """Start a qbittorrent-nox under `root/name` with PBKDF2 credentials and free ports."""
    require_qbittorrent()
    instance = QbtInstance(
        name=name,
        profile=root / name / "profile",
        save_path=root / name / "downloads",
        web_port=free_port(),
        bt_port=free_port(),
        username=username,
        password=password or secrets.token_urlsafe(12),
        tracker_port=free_port() if tracker else None,
    )
    instance.start()
    return instance


@dataclass(frozen=True)
class SeededTorrent:
    """A torrent the test made and the seeder serves."""

    name: str
    path: Path
    size: int
    torrent_bytes: bytes
    info_hash: str

    @property
    def magnet(self) -> str:
        """Return a magnet link with the hex info hash and no tracker."""
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={self.name}"


@dataclass
class QbtPair:
    """A seeder and the app's client on loopback, sharing one temporary folder."""

    root: Path
    seeder: QbtInstance
    client: QbtInstance

    @property
    def seeder_peer(self) -> str:
        """Return the seeder's `host:port` for `torrents_add_peers`."""
        return f"127.0.0.1:{self.seeder.bt_port}"

    def make_torrent(
        self,
        name: str,
        size: int,
        *,
        tracker: bool = True,
        seed: bool = True,
        files: dict[str, int] | None = None,
    ) -> SeededTorrent:
        """Make random content (one file, or a folder of `files`) and its .torrent, and seed it."""
        from downloads.torrentfile import info_hash_from_torrent

        folder = self.seeder.save_path
        data = folder / name
        files = files or {"": size}
        for path, length in files.items():
            _random_file(data / path if path else data, length)
        size = sum(files.values())
        torrent_file = self.root / f"{name}.torrent"
        command = [MKTORRENT, "-l", "18", "-o", str(torrent_file)]
        if tracker:
            # libtorrent refuses localhost trackers whose path is not exactly /announce.
            command += ["-a", f"http://127.0.0.1:{self.seeder.tracker_port}/announce"]
        subprocess.run([*command, str(data)], check=True, capture_output=True)
        torrent_bytes = torrent_file.read_bytes()
        info_hash = info_hash_from_torrent(torrent_bytes)
        if not seed:
            return SeededTorrent(name, data, size, torrent_bytes, info_hash)
        self.seeder.api.torrents_add(
            torrent_files=torrent_bytes, save_path=str(folder), is_skip_checking=True
        )
        wait_for(
            lambda: any(
                t.state in {"stalledUP", "uploading", "stoppedUP", "queuedUP"}
                for t in self.seeder.api.torrents_info(torrent_hashes=info_hash)
            ),
            timeout=10,
            what=f"seeder to seed {name}",
        )
        return SeededTorrent(name, data, size, torrent_bytes, info_hash)

    def stop(self) -> None:
        """Stop both instances."""
        self.client.stop()
        self.seeder.stop()


def _random_file(path: Path, size: int) -> None:
    """Write `size` random bytes to `path`, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            handle.write(os.urandom(chunk))
            remaining -= chunk


@pytest.fixture(scope="module", name="qbt_pair")
def qbt_pair_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QbtPair]:
    """Start a seeder (with its tracker) and the app's client for one test module."""
    require_qbittorrent()
    root = tmp_path_factory.mktemp("qbt")
    seeder = start_instance(root, "seeder", tracker=True)
    try:
        client = start_instance(root, "client", username="kiosk")
    except BaseException:
        seeder.stop()
        raise
    pair = QbtPair(root=root, seeder=seeder, client=client)
    yield pair
    pair.stop()
