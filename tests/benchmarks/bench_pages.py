"""The kiosk's pages under gunicorn with warm caches: server time, SQL queries, and bytes.

A household as a real server holds it: a Plex mirror of a few thousand movies and shows
(Breaking Bad with its episodes), a member with ~50 requests in every state (movies
downloading, a Breaking Bad season downloading episode by episode, pending, completed, …),
the TMDB simulator answering the home rows, search and title details, the Plex simulator
sending the posters of what was just added. gunicorn serves the app with production
settings (`tests.processes.Stack`, as the browser tests start it); a `requests` session
logs the member in and, after every cache is warm (TMDB answers, the image cache, both
workers), asks each page N times. The server time is the app's own `Server-Timing`
header (plexkiosk.middleware.ServerTimingMiddleware); the client's wall time is printed
beside it. SQL queries are counted in this process with Django's test client. The bytes
of the home page are counted on the wire (gzip asked for), first as a browser with an
empty cache fetches the page and everything it references, then as the same browser
loads it again, keeping what its cache may keep and revalidating the rest.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

LOADS = 200
WARM_LOADS = 12  # per page: enough for both gunicorn workers to fill their own caches
LIBRARY_MOVIES = 3000
LIBRARY_SHOWS = 300
PASSWORD = "pw-bench-pages"  # a throwaway database's throwaway member
DUNE, MATRIX, BREAKING_BAD = 438631, 603, 1396
SEARCH = "dune"
PAGES = (
    ("home /", "/", {}),
    ("search page /search/?q=", f"/search/?q={SEARCH}", {}),
    ("search as you type (htmx)", f"/search/?q={SEARCH}", {"HX-Request": "true"}),
    ("movie page /movie/603/", f"/movie/{MATRIX}/", {}),
    ("TV page /tv/1396/", f"/tv/{BREAKING_BAD}/", {}),
    ("requests list /requests/", "/requests/", {}),
    # Every open home page asks for this every 3 s while one of the requests moves.
    ("home's poll /home/requests/", "/home/requests/", {"HX-Request": "true"}),
)
SERVER_TIMING = re.compile(r"\bapp;dur=([0-9.]+), cpu;dur=([0-9.]+)")


def _seed(tmdb: object, plex: object) -> object:
    """Fill the throwaway database with the household; return the member."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from downloads.models import Download
    from library.models import Episode, LibraryItem, PlexSection, Season
    from requests_app.models import EpisodeState, MediaRequest, RequestEpisode, Status

    users = get_user_model()
    # gunicorn runs the production settings, which know only the PBKDF2 hasher.
    ana = users.objects.create(
        username="ana", first_name="Ana", password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    others = users.objects.bulk_create(
        users(username=f"member{n}", password=make_password(None)) for n in range(5)
    )
    now = timezone.now()
    movies = PlexSection.objects.create(key="1", type="movie", title="Movies")
    shows = PlexSection.objects.create(key="2", type="show", title="TV Shows")
    LibraryItem.objects.bulk_create(
        LibraryItem(
            section=movies, rating_key=100_000 + n, type="movie", title=f"Film {n}",
            year=1950 + n % 75, tmdb_id=5_000_000 + n, imdb_id=f"tt9{n:07d}",
            added_at=now - timedelta(days=30 + n),
        )
        for n in range(LIBRARY_MOVIES)
    )  # fmt: skip
    LibraryItem.objects.bulk_create(
        LibraryItem(
            section=shows, rating_key=200_000 + n, type="show", title=f"Show {n}",
            year=1990 + n % 35, tmdb_id=6_000_000 + n, added_at=now - timedelta(days=30 + n),
        )
        for n in range(LIBRARY_SHOWS)
    )  # fmt: skip
    # What Plex got last: the home page's "Recently added", posters from the Plex simulator.
    for n, (tmdb_id, title, year) in enumerate(
        [(DUNE, "Dune", 2021), (27205, "Inception", 2010), (157336, "Interstellar", 2014)]
        + [(None, f"New film {n}", 2024) for n in range(9)]
    ):
        sim = plex.add_movie(title, year, tmdb=tmdb_id)
        LibraryItem.objects.create(
            section=movies, rating_key=sim.rating_key, type="movie", title=title, year=year,
            tmdb_id=tmdb_id, thumb=f"/library/metadata/{sim.rating_key}/thumb/{sim.updated_at}",
            added_at=now - timedelta(hours=n),
        )  # fmt: skip
    # Breaking Bad: seasons 1 and 2 in Plex, episode by episode; season 3 is on its way.
    bb_seasons = tmdb.seasons_of(tmdb.shows[BREAKING_BAD])
    show = LibraryItem.objects.create(
        section=shows, rating_key=300_000, type="show", title="Breaking Bad", year=2008,
        tmdb_id=BREAKING_BAD, added_at=now - timedelta(days=400),
    )  # fmt: skip
    key = 300_001
    for number in (1, 2):
        season = Season.objects.create(show=show, rating_key=key, index=number)
        key += 1
        for episode in bb_seasons[number]:
            Episode.objects.create(
                show=show, season=season, rating_key=key, season_number=number,
                index=episode["episode_number"], title=episode.get("name", ""),
            )  # fmt: skip
            key += 1

    def poster(tmdb_id: int, kind: str = "movies") -> str:
        path = getattr(tmdb, kind)[tmdb_id]["poster_path"]
        return f"https://image.tmdb.org/t/p/w342{path}" if path else ""

    def download(n: int, title: str, progress: float, **fields: object) -> str:
        info_hash = f"{n:040x}"
        Download.objects.create(
            info_hash=info_hash, release_title=f"{title}.1080p.WEB", size=4 << 30,
            state="downloading", progress=progress, dlspeed=3 << 20, eta=600 + n,
            owner_ref="request:bench", title=title, **{"media_type": "movie", **fields},
        )  # fmt: skip
        return info_hash

    catalogue = sorted(tmdb.movies)
    mine = []
    # Movies downloading (The Matrix among them: its title page shows the bar).
    for n, tmdb_id in enumerate([MATRIX, 157336, 329865]):
        title = tmdb.movies[tmdb_id]["title"]
        mine.append(
            MediaRequest(
                requested_by=ana, media_type="movie", tmdb_id=tmdb_id, title=title,
                status=Status.DOWNLOADING, download_hash=download(n + 1, title, 0.2 + n / 5),
                poster_url=poster(tmdb_id),
            )
        )  # fmt: skip
    # One of every other active state, then a long tail of finished ones (the list's pages).
    states = [
        Status.PENDING, Status.PENDING, Status.APPROVED, Status.SEARCHING, Status.PROCESSING,
        Status.NOT_FOUND,
    ]  # fmt: skip
    finished = [Status.COMPLETED] * 5 + [Status.DECLINED, Status.FAILED, Status.CANCELLED]
    for n, status in enumerate(states + finished * 5):
        tmdb_id = catalogue[n % len(catalogue)] if n < len(catalogue) else 7_000_000 + n
        known = tmdb_id in tmdb.movies
        mine.append(
            MediaRequest(
                requested_by=ana, media_type="movie", tmdb_id=tmdb_id, status=status,
                title=tmdb.movies[tmdb_id]["title"] if known else f"Old film {n}",
                poster_url=poster(tmdb_id) if known else "",
            )
        )  # fmt: skip
    MediaRequest.objects.bulk_create(mine)
    # Breaking Bad season 3, downloading three episodes at once, the rest wanted.
    bb = MediaRequest.objects.create(
        requested_by=ana, media_type="tv", tmdb_id=BREAKING_BAD, season=3, tvdb_id=81189,
        title="Breaking Bad", year=2008, status=Status.DOWNLOADING,
        poster_url=poster(BREAKING_BAD, "shows"),
    )  # fmt: skip
    for episode in bb_seasons[3]:
        number = episode["episode_number"]
        downloading = number <= 3
        info_hash = (
            download(100 + number, f"Breaking.Bad.S03E{number:02d}", 0.5, media_type="tv")
            if downloading
            else ""
        )
        RequestEpisode.objects.create(
            request=bb, number=number, title=episode.get("name", ""),
            state=EpisodeState.DOWNLOADING if downloading else EpisodeState.WANTED,
            download_hash=info_hash,
        )  # fmt: skip
    # The rest of the household's asks, so search and the rows mark titles Requested.
    MediaRequest.objects.bulk_create(
        MediaRequest(
            requested_by=others[n % len(others)], media_type="movie", tmdb_id=tmdb_id,
            title=tmdb.movies[tmdb_id]["title"], status=Status.PENDING,
            poster_url=poster(tmdb_id),
        )
        for n, tmdb_id in enumerate([693134, 841, 335984])
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would within a minute of the load
    return ana


class _Assets(HTMLParser):
    """Collect what a browser fetches for a page: styles, scripts, icons, the manifest, images."""

    FETCHED_LINKS = {"stylesheet", "icon", "apple-touch-icon", "manifest"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and set((found.get("rel") or "").split()) & self.FETCHED_LINKS:
            self._add(found.get("href"))
        elif tag in ("script", "img"):
            # An <img srcset> on a phone or a tablet picks the 342 px poster, its `src`.
            self._add(found.get("src"))

    def _add(self, url: str | None) -> None:
        if url and url not in self.urls:
            self.urls.append(url)


@dataclass
class Fetched:
    """One response as a browser's cache would keep it, and what it cost on the wire."""

    url: str
    status: int
    wire_bytes: int
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def fresh_for_good(self) -> bool:
        """Tell whether a browser may reuse it without asking (max-age, no no-cache)."""
        control = self.headers.get("cache-control", "").lower()
        age = re.search(r"max-age=(\d+)", control)
        return bool(age) and int(age.group(1)) > 0 and "no-cache" not in control

    @property
    def validators(self) -> dict[str, str]:
        """The conditional headers a browser sends to revalidate it."""
        asked = {}
        if "etag" in self.headers:
            asked["If-None-Match"] = self.headers["etag"]
        if "last-modified" in self.headers:
            asked["If-Modified-Since"] = self.headers["last-modified"]
        return asked


def _fetch(session: requests.Session, url: str, **headers: str) -> Fetched:
    """GET a URL and count its bytes as they crossed the network (headers and encoded body)."""
    answer = session.get(url, headers=headers, stream=True, timeout=30)
    body = answer.raw.read(decode_content=False)
    head = len(f"HTTP/1.1 {answer.status_code} {answer.reason}\r\n") + sum(
        len(k) + len(v) + 4 for k, v in answer.raw.headers.items()
    )
    answer.close()
    return Fetched(
        url=url,
        status=answer.status_code,
        wire_bytes=head + 2 + len(body),
        headers={k.lower(): v for k, v in answer.headers.items()},
    )


def _home_bytes(session: requests.Session, base: str) -> tuple[list[list[object]], int, int]:
    """Load the home page as a browser with an empty cache, then again with that cache."""
    page = _fetch(session, f"{base}/")
    html = session.get(f"{base}/", timeout=30).text
    assets = _Assets()
    assets.feed(html)
    first = [page] + [_fetch(session, urljoin(f"{base}/", url)) for url in assets.urls]
    second: list[Fetched] = []
    for kept in first:
        if kept.url == page.url:
            second.append(_fetch(session, kept.url))  # the page itself is never kept
        elif kept.fresh_for_good:
            second.append(Fetched(kept.url, 0, 0))  # served from the browser's cache
        elif kept.validators:
            second.append(_fetch(session, kept.url, **kept.validators))
        else:
            second.append(_fetch(session, kept.url))
    kinds: dict[str, list[int]] = {}
    caching: dict[str, str] = {}
    for one, two in zip(first, second, strict=True):
        kind = _kind(one.url, base)
        caching.setdefault(
            kind,
            (one.headers.get("cache-control") or "-")
            + (", ETag" if "etag" in one.headers else "")
            + (f", {one.headers['content-encoding']}" if "content-encoding" in one.headers else ""),
        )
        totals = kinds.setdefault(kind, [0, 0, 0, 0])
        totals[0] += 1
        totals[1] += one.wire_bytes
        totals[2] += 1 if two.status else 0
        totals[3] += two.wire_bytes
    rows = [
        [kind, files, f"{b1:,}", asked, f"{b2:,}", caching[kind]]
        for kind, (files, b1, asked, b2) in kinds.items()
    ]
    total_first = sum(f.wire_bytes for f in first)
    total_second = sum(f.wire_bytes for f in second)
    rows.append(
        ["total", len(first), f"{total_first:,}", sum(1 for f in second if f.status),
         f"{total_second:,}", ""]
    )  # fmt: skip
    return rows, total_first, total_second


def _kind(url: str, base: str) -> str:
    path = url.removeprefix(base)
    if path == "/":
        return "HTML (the page)"
    if path.startswith("/img/"):
        return "TMDB posters (/img/)"
    if path.startswith("/library/"):
        return "Plex posters (/library/…/poster)"
    if path.endswith(".css"):
        return "CSS"
    if path.endswith(".js"):
        return "JavaScript"
    if "manifest" in path:
        return "manifest"
    return "icons"


def _log_in(base: str) -> requests.Session:
    session = requests.Session()
    session.headers["Accept-Encoding"] = "gzip"
    session.get(f"{base}/login/", timeout=30)
    answer = session.post(
        f"{base}/login/",
        data={
            "username": "ana",
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return session


def _warm(session: requests.Session, base: str) -> None:
    """Fill every cache: TMDB's answers in both workers, the images on disk."""
    for _ in range(WARM_LOADS):
        for _label, path, headers in PAGES:
            answer = session.get(f"{base}{path}", headers=headers, timeout=30)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:2000])
    for _label, path, headers in PAGES:
        assets = _Assets()
        assets.feed(session.get(f"{base}{path}", headers=headers, timeout=30).text)
        for url in assets.urls:
            session.get(urljoin(f"{base}/", url), timeout=30)


def _time_pages(session: requests.Session, base: str, tmdb: object) -> list[dict[str, object]]:
    """Ask each page LOADS times, the pages in turn, so a busy moment hits them all alike."""
    results = [
        {"label": label, "server": [], "cpu": [], "wall": [], "bytes": 0, "tmdb": []}
        for label, _path, _headers in PAGES
    ]
    for _ in range(LOADS):
        for result, (_label, path, headers) in zip(results, PAGES, strict=True):
            asked = len(tmdb.requests)
            started = time.perf_counter()
            answer = _fetch(session, f"{base}{path}", **headers)
            result["wall"].append((time.perf_counter() - started) * 1000)
            assert answer.status == 200, (path, answer.status)
            timing = SERVER_TIMING.search(answer.headers.get("server-timing", ""))
            assert timing, f"{path} sent no Server-Timing header"
            result["server"].append(float(timing.group(1)))
            result["cpu"].append(float(timing.group(2)))
            result["bytes"] = answer.wire_bytes
            result["tmdb"] += tmdb.requests[asked:]
    for result in results:
        result["server"].sort()
        result["cpu"].sort()
        result["wall"].sort()
    return results


def _queries(ana: object) -> dict[str, int]:
    """Count each page's SQL queries in this process (a warm load, as the timed ones)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # lets the in-process client use the "testserver" host
    client = Client()
    client.force_login(ana)
    counts = {}
    for label, path, headers in PAGES:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        assert client.get(path, **extra).status_code == 200, path  # warm this process's cache
        with CaptureQueriesContext(connection) as queries:
            client.get(path, **extra)
        counts[label] = len(queries)
    return counts


def _p(ordered: list[float], share: float) -> float:
    return ordered[max(int(len(ordered) * share) - 1, 0)]


def main() -> None:
    from django.conf import settings
    from django.db import connection

    from plexkiosk.simulators.plex import PlexSimulator
    from plexkiosk.simulators.tmdb import start_tmdb_simulator
    from tests.benchmarks import print_table, throwaway_database
    from tests.processes import Stack

    tmdb, tmdb_url = start_tmdb_simulator()
    plex = PlexSimulator()
    plex_url = plex.start()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        with throwaway_database():
            ana = _seed(tmdb, plex)
            db = connection.settings_dict
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "plexkiosk.settings",
                "SECRET_KEY": "bench-" + "k" * 50,
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@"
                f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
                "DATA_DIR": str(data_dir),
                "TMDB_URL": tmdb_url,
                "TMDB_API_KEY": tmdb.api_key,
                "PLEX_URL": plex_url,
                "PLEX_TOKEN": plex.token,
                "PLEXKIOSK_SKIP_DOTENV": "1",
                "LOG_LEVEL": "warning",
            }
            env.pop("CACHE_URL", None)  # the default cache, as a household runs it
            stack = Stack(env, data_dir)
            try:
                base = stack.web()
                session = _log_in(base)
                _warm(session, base)
                load = os.getloadavg()
                timed = _time_pages(session, base, tmdb)
                bytes_rows, first, second = _home_bytes(_log_in(base), base)
            finally:
                stack.stop()
            settings.TMDB_URL, settings.TMDB_API_KEY = tmdb_url, tmdb.api_key
            settings.PLEX_URL, settings.PLEX_TOKEN = plex_url, plex.token
            queries = _queries(ana)
    finally:
        tmdb.stop()
        plex.stop()
    print(
        f"gunicorn (2 sync workers, production settings, {settings.CACHES['default']['BACKEND']}"
        f" per worker), PostgreSQL, {LIBRARY_MOVIES + LIBRARY_SHOWS + 13:,} items in the Plex"
        f" mirror; {LOADS} loads a page after warming, the pages in turn. Server ms from the"
        f" Server-Timing header: app (wall time in the worker) and cpu (its thread's CPU time)."
        f" Load average {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()}"
        " CPUs): app times above cpu times are time spent waiting for the machine."
    )
    print_table(
        ["page", "app p50", "p95", "max", "cpu p50", "p95", "client p50", "p95", "wire bytes",
         "TMDB calls"],
        [
            [r["label"], f"{statistics.median(r['server']):.1f}", f"{_p(r['server'], 0.95):.1f}",
             f"{r['server'][-1]:.1f}", f"{statistics.median(r['cpu']):.1f}",
             f"{_p(r['cpu'], 0.95):.1f}", f"{statistics.median(r['wall']):.1f}",
             f"{_p(r['wall'], 0.95):.1f}", f"{r['bytes']:,}", len(r["tmdb"])]
            for r in timed
        ],
    )  # fmt: skip
    for r in timed:
        if r["tmdb"]:
            print(f"{r['label']} asked TMDB: {', '.join(sorted(set(r['tmdb'])))}")
    print("\nHome, first load (empty browser cache) and second load (the same browser again):")
    print_table(
        [
            "what",
            "files",
            "1st load bytes",
            "2nd load requests",
            "2nd load bytes",
            "Cache-Control (1st answer)",
        ],
        bytes_rows,
    )
    print()
    print_table(
        ["page", "p50", "p95", "max (server ms)", "queries", "bytes (gzip)"],
        [
            [r["label"], f"{statistics.median(r['server']):.1f}", f"{_p(r['server'], 0.95):.1f}",
             f"{r['server'][-1]:.1f}", queries[r["label"]],
             f"{first:,} / {second:,}" if r["label"] == "home /" else f"{r['bytes']:,}"]
            for r in timed
        ],
    )  # fmt: skip
    print(
        "(home's bytes: first load / second load, the page and all it references; the posters"
        " are loading=lazy, so a browser fetches only those on screen and the first load is"
        " smaller than counted here)"
    )
