"""What the demo's simulated world holds: films already in Plex, releases, a season on the air."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from plexkiosk.simulators.tmdb import AiringSeason
from plexkiosk.simulators.torznab import GB, SimRelease, default_releases

# On the air while the demo runs: Severance season 3 (a season the catalogue does not have
# yet), an episode every two minutes. It starts three minutes before the demo, so episodes 1
# and 2 have aired when the page opens and episode 3 airs a minute later.
AIRING_SHOW = "Severance"
AIRING_TV_ID = 95396
AIRING_TVDB_ID = 371980
AIRING_SEASON = 3
AIRING_EPISODES = 8
AIRING_EVERY = timedelta(minutes=2)
AIRED_BEFORE_START = timedelta(minutes=3)

# Already in the household's Plex: requesting one of these completes at once.
IN_PLEX = [
    ("The Matrix", 1999, "tt0133093", 603),
    ("Inception", 2010, "tt1375666", 27205),
    ("Toy Story", 1995, "tt0114709", 862),
]


def fill_plex(plex: Any) -> None:
    """Put the films of IN_PLEX into the simulated Plex."""
    for title, year, imdb, tmdb in IN_PLEX:
        plex.add_movie(title, year, imdb=imdb, tmdb=tmdb)


def releases() -> list[SimRelease]:
    """The indexer's answers: the simulator's defaults plus Dune (2021) and a few others."""
    dune = {"imdb_id": "tt1160419", "tmdb_id": 438631}
    blade_runner = {"imdb_id": "tt1856101", "tmdb_id": 335984}
    breaking_bad = {"tvdb_id": 81189, "category": 5000}
    extra = [
        ("Dune.2021.1080p.BluRay.x264-DEMO", 10.4, 640, dune),
        ("Dune.2021.2160p.WEB-DL.DDP5.1.HDR.H.265-DEMO", 17.8, 310, dune),
        ("Dune.2021.HDCAM.x264-JUNK", 1.6, 2900, dune),
        ("Dune.1984.1080p.BluRay.x264-OLDIE", 9.1, 120, {"imdb_id": "tt0087182", "tmdb_id": 841}),
        ("Blade.Runner.2049.2017.1080p.BluRay.x264-DEMO", 12.1, 420, blade_runner),
        ("Breaking.Bad.S01.1080p.BluRay.x264-DEMO", 14.2, 260, {**breaking_bad, "season": 1}),
        ("Breaking.Bad.S01E03.1080p.BluRay.x264-DEMO", 1.2, 90, {**breaking_bad, "season": 1}),
    ]
    return default_releases() + [
        SimRelease(title=t, size=int(gb * GB), seeders=s, peers=s + s // 4, **ids)
        for t, gb, s, ids in extra
    ]


def airing_season(started: datetime) -> AiringSeason:
    """Return the season on the air for a demo started at `started` (an aware datetime)."""
    return AiringSeason(
        AIRING_TV_ID,
        AIRING_SEASON,
        started - AIRED_BEFORE_START,
        AIRING_EVERY,
        AIRING_EPISODES,
    )


def airing_releases() -> dict[int, SimRelease]:
    """Return each episode's release of the season on the air, by episode number."""
    ids = {"tvdb_id": AIRING_TVDB_ID, "season": AIRING_SEASON, "category": 5000}
    return {
        number: SimRelease(
            title=f"{AIRING_SHOW}.S{AIRING_SEASON:02d}E{number:02d}.1080p.WEB-DL.DDP5.1.H.264-DEMO",
            size=int(2.4 * GB),
            seeders=400 - 20 * number,
            peers=500 - 20 * number,
            **ids,
        )
        for number in range(1, AIRING_EPISODES + 1)
    }
