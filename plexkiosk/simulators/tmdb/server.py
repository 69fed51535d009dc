"""A TMDB (API v3) simulator: TMDB's JSON over real HTTP, for tests and the demo.

The server, its request handler and the command line; the catalogue, the seasons and the
JSON they are served as live beside it (see the package's docstring for what it answers).
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from plexkiosk.simulators.http import SimulatorHandler, SimulatorServer
from plexkiosk.simulators.tmdb.catalogue import MOVIES, PEOPLE, SHOWS
from plexkiosk.simulators.tmdb.responses import (
    INTERNAL_ERROR,
    INVALID_KEY,
    INVALID_PAGE,
    NOT_FOUND,
    RATE_LIMITED,
    _details_in_language,
    _french_title,
    _in_language,
    _matches,
    _movie_details,
    _movie_result,
    _person_result,
    _poster_svg,
    _season_in_language,
    _tv_details,
    _tv_result,
)
from plexkiosk.simulators.tmdb.seasons import (
    AiringSeason,
    _catalogue_season,
    _episode,
    _season_details,
)

DEFAULT_API_KEY = "sim-tmdb-key"  # the simulator's own key, accepted nowhere else
# Shaped like a v4 read-access token (a JWT), which TMDB accepts as a Bearer token; made up,
# the simulator alone accepts it.
DEFAULT_READ_TOKEN = ".".join(
    ("eyJhbGciOiJIUzI1NiJ9", "eyJhdWQiOiJzaW0tdG1kYi1rZXkifQ", "c2ltdWxhdG9yLXNpZ25hdHVyZQ")
)
PAGE_SIZE = 20  # TMDB's page size for search results
MAX_PAGE = 500  # TMDB refuses pages past 500
FAILURE_MODES = ("slow", "500", "429", "bad-json")
# TMDB's lists (https://developer.themoviedb.org/reference/trending-all), served from the
# catalogue by popularity; "upcoming" is its films from this day on and the undated ones.
LISTS = ("/trending/all/week", "/movie/popular", "/tv/popular", "/movie/upcoming")
UPCOMING_FROM = "2019-01-01"


class TMDBSimulatorServer(SimulatorServer):
    """Serve a fixed TMDB catalogue on a loopback port, with failures on demand."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        api_key: str = DEFAULT_API_KEY,
        read_token: str = DEFAULT_READ_TOKEN,
        clock: Callable[[], datetime] | None = None,
        airing: Iterable[AiringSeason] = (),
    ) -> None:
        super().__init__(address, _Handler)
        self.api_key = api_key
        self.read_token = read_token
        self.page_size = PAGE_SIZE
        self.slow_seconds = 2.0
        self.movies = {m["id"]: m for m in MOVIES}
        self.shows = {s["id"]: s for s in SHOWS}
        # Tests pass their own clock to move time without sleeping; it must be aware.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.airing: dict[tuple[int, int], AiringSeason] = {}
        # (show id, season number) -> the episodes to serve exactly as given, bad data
        # included; the season is listed in the show's details with that many episodes.
        self.season_episodes: dict[tuple[int, int], list[Any]] = {}
        self._failures: list[tuple[str, str]] = []  # (mode, path prefix), in order
        self._lock = threading.Lock()
        # Paths with their query strings minus credentials, in arrival order.
        self.requests: list[str] = []
        self._thread: threading.Thread | None = None
        for season in airing:
            self.air(season)

    @property
    def base_url(self) -> str:
        """Return the URL to use as TMDB_URL (TMDB's own ends in /3 too)."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/3"

    def air(self, season: AiringSeason) -> None:
        """Put a season of a catalogue show on the air (replacing the catalogue season)."""
        if season.tv_id not in self.shows:
            raise ValueError(f"the simulator has no show {season.tv_id}")
        with self._lock:
            self.airing[(season.tv_id, season.season_number)] = season

    def seasons_of(self, show: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
        """Return a show's seasons (number -> episodes) as the simulator serves them now."""
        first = 0 if show["specials"] else 1
        seasons = {
            n: _catalogue_season(show, n) for n in range(first, show["number_of_seasons"] + 1)
        }
        now = self.clock()
        with self._lock:
            airing = [a for (tv_id, _), a in self.airing.items() if tv_id == show["id"]]
            given = {n: e for (tv_id, n), e in self.season_episodes.items() if tv_id == show["id"]}
        for season in airing:
            seasons[season.season_number] = [
                _episode(show["id"], season.season_number, k, season.air_date(k, now))
                for k in range(1, season.episodes + 1)
            ]
        seasons.update({n: list(episodes) for n, episodes in given.items()})
        return seasons

    def is_on_air(self, show: dict[str, Any]) -> bool:
        """Tell whether one of the show's airing seasons still has an episode to come."""
        now = self.clock()
        with self._lock:
            airing = [a for (tv_id, _), a in self.airing.items() if tv_id == show["id"]]
        return any(a.airs_at(a.episodes) > now for a in airing)

    def fail(self, mode: str, times: int = 1, *, path: str = "/3/") -> None:
        """Fail the next `times` requests under `path`: slow, 500, 429 or bad-json."""
        if mode not in FAILURE_MODES:
            raise ValueError(f"unknown failure mode {mode!r}; use one of {FAILURE_MODES}")
        with self._lock:
            self._failures.extend([(mode, path)] * times)

    def next_failure(self, path: str) -> str | None:
        """Take the first failure planned for a request to this path, if any."""
        with self._lock:
            for n, (mode, prefix) in enumerate(self._failures):
                if path.startswith(prefix):
                    del self._failures[n]
                    return mode
        return None

    def record(self, path: str) -> None:
        """Remember one request (tests count them to prove caching)."""
        with self._lock:
            self.requests.append(path)

    def count(self, prefix: str) -> int:
        """Count the recorded requests whose path starts with `prefix` (e.g. "/3/search")."""
        with self._lock:
            return sum(1 for path in self.requests if path.startswith(prefix))

    def start(self) -> str:
        """Serve in a background thread and return the base URL."""
        self.serve_in_background("tmdb-sim")
        return self.base_url


class _Handler(SimulatorHandler):
    server: TMDBSimulatorServer

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_body(status, body, content_type, **headers)

    def _json(self, status: int, payload: object, **headers: str) -> None:
        self._send(
            status, json.dumps(payload).encode(), "application/json;charset=utf-8", **headers
        )

    def _authorised(self, params: dict[str, str]) -> bool:
        bearer = self.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            return bearer.removeprefix("Bearer ") == self.server.read_token
        return params.get("api_key") == self.server.api_key

    def do_GET(self) -> None:
        """Answer one GET as TMDB would."""
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query))
        if parts.path.startswith("/t/p/"):
            # The image host needs no key; recorded and failing on demand like the API.
            self.server.record(parts.path)
            if self.server.next_failure(parts.path) == "500":
                return self._send(500, b"Internal error", "text/plain")
            return self._poster(parts.path)
        safe_query = "&".join(f"{k}={v}" for k, v in parse_qsl(parts.query) if k != "api_key")
        self.server.record(f"{parts.path}?{safe_query}" if safe_query else parts.path)
        if not self._authorised(params):
            return self._json(401, INVALID_KEY)
        failure = self.server.next_failure(parts.path)
        if failure == "slow":
            time.sleep(self.server.slow_seconds)
        elif failure == "500":
            return self._json(500, INTERNAL_ERROR)
        elif failure == "429":
            return self._json(429, RATE_LIMITED, Retry_After="2")
        elif failure == "bad-json":
            return self._send(200, b"<html>Bad gateway</html>", "text/html")
        self._route(parts.path.removeprefix("/3").rstrip("/"), params)

    def _route(self, path: str, params: dict[str, str]) -> None:
        append = set(filter(None, params.get("append_to_response", "").split(",")))
        language = params.get("language", "en-US")
        if path == "/configuration":
            return self._json(200, self._configuration())
        if match := re.fullmatch(r"/search/(movie|tv|multi)", path):
            return self._search(match.group(1), params)
        if path in LISTS:
            return self._list(path, params)
        if match := re.fullmatch(r"/movie/(\d+)", path):
            movie = self.server.movies.get(int(match.group(1)))
            if movie is None:
                return self._json(404, NOT_FOUND)
            body = _movie_details(movie, append)
            return self._json(200, _details_in_language(body, "movie", language))
        if match := re.fullmatch(r"/tv/(\d+)", path):
            show = self.server.shows.get(int(match.group(1)))
            if show is None:
                return self._json(404, NOT_FOUND)
            seasons = self.server.seasons_of(show)
            today = self.server.clock().astimezone(UTC).date()
            on_air = self.server.is_on_air(show)
            body = _tv_details(show, append, seasons, today, on_air)
            return self._json(200, _details_in_language(body, "tv", language))
        if match := re.fullmatch(r"/tv/(\d+)/season/(\d+)", path):
            show = self.server.shows.get(int(match.group(1)))
            number = int(match.group(2))
            episodes = self.server.seasons_of(show).get(number) if show else None
            if show is None or episodes is None:
                return self._json(404, NOT_FOUND)
            body = _season_details(show, number, episodes)
            return self._json(200, _season_in_language(body, language))
        return self._json(404, NOT_FOUND)

    def _configuration(self) -> dict[str, Any]:
        # Posters point back at this server, so the demo shows images with no internet.
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        images = f"http://{host}/t/p/"
        return {
            "images": {
                "base_url": images,
                "secure_base_url": images,
                "backdrop_sizes": ["w300", "w780", "w1280", "original"],
                "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
                "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
                "profile_sizes": ["w45", "w185", "h632", "original"],
                "still_sizes": ["w92", "w185", "w300", "original"],
            },
            "change_keys": ["adult", "air_date", "also_known_as", "images", "imdb_id"],
        }

    def _search(self, kind: str, params: dict[str, str]) -> None:
        query = params.get("query", "")
        language = params.get("language", "en-US")
        hits: list[dict[str, Any]] = []
        # TMDB finds a title by any of its translations, whatever language is asked for.
        if kind in ("movie", "multi"):
            hits += [
                {
                    **_in_language(_movie_result(m), "movie", language),
                    **({"media_type": "movie"} if kind == "multi" else {}),
                }
                for m in self.server.movies.values()
                if _matches(query, m["title"], m["original_title"], *_french_title("movie", m))
            ]
        if kind in ("tv", "multi"):
            hits += [
                {
                    **_in_language(_tv_result(s), "tv", language),
                    **({"media_type": "tv"} if kind == "multi" else {}),
                }
                for s in self.server.shows.values()
                if _matches(query, s["name"], s["original_name"], *_french_title("tv", s))
            ]
        if kind == "multi":
            hits += [_person_result(p) for p in PEOPLE if _matches(query, p["name"])]
        hits.sort(key=lambda hit: hit["popularity"], reverse=True)
        self._paged(hits, params)

    def _paged(self, hits: list[dict[str, Any]], params: dict[str, str], **extra: Any) -> None:
        """Answer one page of these results, as TMDB pages searches and lists."""
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 0
        if not 1 <= page <= MAX_PAGE:
            return self._json(400, INVALID_PAGE)
        size = self.server.page_size
        total_pages = max(1, -(-len(hits) // size))
        self._json(
            200,
            {
                "page": page,
                "results": hits[(page - 1) * size : page * size],
                "total_pages": total_pages,
                "total_results": len(hits),
                **extra,
            },
        )

    def _list(self, path: str, params: dict[str, str]) -> None:
        language = params.get("language", "en-US")
        movies = [
            _in_language(_movie_result(m), "movie", language) for m in self.server.movies.values()
        ]
        shows = [_in_language(_tv_result(s), "tv", language) for s in self.server.shows.values()]
        extra: dict[str, Any] = {}
        if path == "/trending/all/week":
            hits = [{**m, "media_type": "movie"} for m in movies]
            hits += [{**s, "media_type": "tv"} for s in shows]
        elif path == "/tv/popular":
            hits = shows
        elif path == "/movie/upcoming":
            hits = [m for m in movies if (m["release_date"] or "9999") >= UPCOMING_FROM]
            extra["dates"] = {"minimum": UPCOMING_FROM, "maximum": "2099-12-31"}
        else:
            hits = movies
        hits.sort(key=lambda hit: hit["popularity"], reverse=True)
        self._paged(hits, params, **extra)

    def _poster(self, path: str) -> None:
        name = path.rsplit("/", 1)[-1]
        titles = {m["poster_path"]: m["title"] for m in self.server.movies.values()}
        titles.update({s["poster_path"]: s["name"] for s in self.server.shows.values()})
        titles.update({m["backdrop_path"]: m["title"] for m in self.server.movies.values()})
        titles.update({s["backdrop_path"]: s["name"] for s in self.server.shows.values()})
        label = titles.get(f"/{name}")
        if label is None:
            return self._send(404, b"Not found", "text/plain")
        self._send(200, _poster_svg(label), "image/svg+xml", Cache_Control="max-age=86400")


def start_tmdb_simulator(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    api_key: str = DEFAULT_API_KEY,
    clock: Callable[[], datetime] | None = None,
    airing: Iterable[AiringSeason] = (),
) -> tuple[TMDBSimulatorServer, str]:
    """Start a simulator in a background thread; return it and the URL to use as TMDB_URL."""
    server = TMDBSimulatorServer((host, port), api_key=api_key, clock=clock, airing=airing)
    return server, server.start()


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m plexkiosk.simulators.tmdb", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument(
        "--airing",
        metavar="TV_ID:SEASON:MINUTES",
        action="append",
        default=[],
        help="put a season on the air from now, an episode every MINUTES (repeatable)",
    )
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    airing = []
    for spec in args.airing:
        try:
            tv_id, season, minutes = spec.split(":")
            airing.append(
                AiringSeason(int(tv_id), int(season), started, timedelta(minutes=float(minutes)))
            )
        except ValueError as exc:
            parser.error(f"--airing {spec!r}: use TV_ID:SEASON:MINUTES ({exc})")
    server = TMDBSimulatorServer((args.host, args.port), api_key=args.api_key)
    try:
        for season in airing:
            server.air(season)
    except ValueError as exc:
        parser.error(str(exc))
    print(
        f"TMDB simulator on {server.base_url} (TMDB_API_KEY={args.api_key}); Ctrl-C stops it",
        flush=True,
    )
    server.serve_until_interrupted()
