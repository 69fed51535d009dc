"""Helpers shared by the download life-cycle tests (start, monitor, import)."""

from __future__ import annotations

from typing import Any

from downloads import lifecycle, monitor
from downloads.models import Download, ReleaseCandidate, ReleaseSearch
from downloads.qbittorrent import QBittorrent, TorrentSnapshot
from downloads.releases import MediaQuery
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from tests.processes import wait_for

S = Download.State
DUNE = MediaQuery(media_type="movie", title="Dune", year=2021)
OWNER = "test:1"  # not a request: the request flow's receivers leave it alone


def make_candidate(title: str, size: int, *, magnet: str = "", link: str = "") -> ReleaseCandidate:
    """Store a search with one accepted candidate, as the release search leaves it."""
    search = ReleaseSearch.objects.create(
        media_type="movie", title="Dune", year=2021, status=ReleaseSearch.Status.FOUND
    )
    return ReleaseCandidate.objects.create(
        search=search,
        rank=1,
        title=title,
        indexer="Simulated",
        size=size,
        seeders=10,
        magnet_url=magnet,
        download_url=link,
        score=100,
        accepted=True,
        chosen=True,
    )


def fake_hash(n: int) -> str:
    """Return a made-up info hash whose first 16 digits (its folder's name) are its own."""
    return f"{n:02x}" * 20


def magnet_for(n: int, name: str = "Dune.2021.1080p.BluRay.x264-SIM", size: int = 2 << 20) -> str:
    """Return a magnet with a made-up hash, a name and a size."""
    return f"magnet:?xt=urn:btih:{fake_hash(n)}&dn={name}&xl={size}"


def client_for(sim: QBittorrentSimulator) -> QBittorrent:
    """Return a logged-in client for the simulator."""
    qbt = QBittorrent(url=sim.url, username=sim.username, password=sim.password)
    qbt.login()
    return qbt


def start(sim: QBittorrentSimulator, n: int = 1, **kwargs: Any) -> Download:
    """Start a download of a made-up magnet in the simulator."""
    candidate = make_candidate(f"Dune.2021.1080p.BluRay.x264-SIM{n}", 2 << 20, magnet=magnet_for(n))
    return lifecycle.start_download(candidate=candidate, owner_ref=OWNER, media=DUNE, **kwargs)


def under_way(sim: QBittorrentSimulator, download: Download) -> TorrentSnapshot:
    """Wait until the simulator has some of the download (its metadata phase is over)."""
    qbt = client_for(sim)

    def moving() -> TorrentSnapshot | None:
        snapshot = qbt.get(download.info_hash)
        return snapshot if snapshot is not None and snapshot.progress > 0 else None

    return wait_for(moving, 5, what=f"{download.release_title} under way")


def completed_download(sim: QBittorrentSimulator, queued: list[int]) -> Download:
    """Start a download, let it finish and have the monitor see it complete."""
    download = start(sim)
    sim.finish(download.info_hash)
    monitor.monitor_once()
    download.refresh_from_db()
    assert download.state == S.COMPLETED
    return download
