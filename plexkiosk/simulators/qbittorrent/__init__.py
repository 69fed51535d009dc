"""A qBittorrent simulator: the Web API v2 subset the app uses, over real HTTP.

It logs in with a SID cookie, adds magnets and .torrent files, "downloads" them at a set
speed (or each in a set time) of their advertised size while writing a real (scaled-down)
video file under the save path — or, for a multi-file .torrent, every file whose priority
is not 0 (`torrents/files`, `torrents/filePrio`; a magnet has no file list until its
metadata "arrives", and `stopCondition=MetadataReceived` stops it then), lists, deletes
(with the files), and fails on request:
down (connection refused or 503), an expired session (403 until the client logs in
again), slow answers, and a torrent that stalls, errors or disappears. It answers as
qBittorrent 4.6.7 (Web API 2.9.3).
Run it alone with `python -m plexkiosk.simulators.qbittorrent --port 8080`.
"""

from __future__ import annotations

from plexkiosk.simulators.qbittorrent.simulator import QBittorrentSimulator
from plexkiosk.simulators.qbittorrent.torrents import (
    METADATA_SECONDS,
    VERSION,
    WEBAPI_VERSION,
    SimTorrent,
    parse_torrent,
    torrent_files,
)

__all__ = [
    "METADATA_SECONDS",
    "VERSION",
    "WEBAPI_VERSION",
    "QBittorrentSimulator",
    "SimTorrent",
    "parse_torrent",
    "torrent_files",
]
