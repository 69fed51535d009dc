"""A TMDB (API v3) simulator: TMDB's JSON over real HTTP, for tests and the demo.

It answers `search/movie`, `search/tv`, `search/multi`, the home page's lists
(`trending/all/week`, `movie/popular`, `tv/popular`, `movie/upcoming`), `movie/{id}` and
`tv/{id}` (with
`append_to_response=external_ids,alternative_titles,credits`; genres, runtime, rating and
backdrop too), `tv/{id}/season/{n}` (episodes with air dates; a season
can be on the air, its dates following an injectable clock, see `AiringSeason`; bad episode
data can be served on demand through `season_episodes`), `configuration`, and the poster images that
configuration points at (a generated SVG per title, so the demo shows posters offline). It
checks the API key (the `api_key` parameter, or a v4 read-access token as
`Authorization: Bearer`), answers `language=fr-FR` in French for some titles (`FRENCH`;
the others in English, as TMDB falls back), pages the way TMDB does, fails on request
(slow answers, 500, 429, broken JSON) and records every request. Run it alone with
`python -m plexkiosk.simulators.tmdb --port 8765`, then set
`TMDB_URL=http://127.0.0.1:8765/3` and `TMDB_API_KEY=sim-tmdb-key`.

The package: `catalogue` (the titles), `seasons` (their seasons, on the air or not),
`responses` (TMDB's JSON shapes, French answers, search matching) and `server` (HTTP).
"""

from __future__ import annotations

from plexkiosk.simulators.tmdb.catalogue import CAST, FRENCH, MOVIES, PEOPLE, SHOWS
from plexkiosk.simulators.tmdb.seasons import EPISODE_RUNTIME, EPISODES_PER_SEASON, AiringSeason
from plexkiosk.simulators.tmdb.server import (
    DEFAULT_API_KEY,
    DEFAULT_READ_TOKEN,
    FAILURE_MODES,
    LISTS,
    MAX_PAGE,
    PAGE_SIZE,
    TMDBSimulatorServer,
    main,
    start_tmdb_simulator,
)

__all__ = [
    "CAST",
    "DEFAULT_API_KEY",
    "DEFAULT_READ_TOKEN",
    "EPISODES_PER_SEASON",
    "EPISODE_RUNTIME",
    "FAILURE_MODES",
    "FRENCH",
    "LISTS",
    "MAX_PAGE",
    "MOVIES",
    "PAGE_SIZE",
    "PEOPLE",
    "SHOWS",
    "AiringSeason",
    "TMDBSimulatorServer",
    "main",
    "start_tmdb_simulator",
]
