"""Run the qBittorrent simulator alone: `python -m plexkiosk.simulators.qbittorrent`."""

from __future__ import annotations

import argparse
import time

from plexkiosk.simulators.qbittorrent.simulator import QBittorrentSimulator


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground."""
    parser = argparse.ArgumentParser(
        description="A qBittorrent simulator (Web API v2) over real HTTP."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="adminadmin")
    parser.add_argument("--speed", type=int, default=4 << 20, help="bytes per second")
    parser.add_argument(
        "--seconds", type=float, default=None, help="download each torrent in this time instead"
    )
    parser.add_argument("--torrents-url", default=None, help="indexer serving /download/H.torrent")
    parser.add_argument("--save-path", default=None)
    args = parser.parse_args(argv)
    simulator = QBittorrentSimulator(
        username=args.username,
        password=args.password,
        torrents_url=args.torrents_url,
        speed=args.speed,
        download_seconds=args.seconds,
        save_path=args.save_path,
    )
    url = simulator.start(port=args.port, host=args.host)
    print(f"qBittorrent simulator on {url} (user {args.username})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
