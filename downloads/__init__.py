"""Indexers, release ranking, qBittorrent, the download life cycle and import into Plex folders."""
