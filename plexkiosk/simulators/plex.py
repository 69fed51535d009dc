"""A Plex Media Server simulator: Plex's real XML over HTTP, for tests, benchmarks and the demo.

It answers the endpoints the library sync and `plexapi` use (identity, sections, paged
`all` with filters and `<Meta>`, collections, metadata with GUIDs and Media/Part,
children/allLeaves, refresh, thumbnails), holds a library that tests change (add, remove,
update items), fails on request (HTTP errors, slow answers, short or cut pages) and counts
every request. Run it alone with `python -m plexkiosk.simulators.plex --port 32400 --movies 1000`.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import quoteattr

from plexkiosk.simulators.http import SimulatorHandler

TYPE_NUMBERS = {"movie": 1, "show": 2, "season": 3, "episode": 4}
TYPE_NAMES = {number: name for name, number in TYPE_NUMBERS.items()}
# One-pixel PNG, served for every poster: enough for a browser and a proxy to be tested.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
BASE_TIME = 1_700_000_000


def _attr(value: object) -> str:
    return quoteattr(str(value))


@dataclass
class SimSection:
    """A library section: movies or shows, with the folders Plex watches."""

    key: int
    type: str
    title: str
    locations: list[str]

    @property
    def agent(self) -> str:
        return "tv.plex.agents.movie" if self.type == "movie" else "tv.plex.agents.series"


@dataclass
class SimItem:
    """One metadata item: a movie, a show, a season or an episode."""

    rating_key: int
    type: str
    section_key: int
    title: str
    added_at: int
    updated_at: int
    year: int | None = None
    guid: str = ""
    guids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    parent_key: int | None = None
    index: int | None = None
    thumb: bool = True


class PlexSimulator:
    """Hold a fake Plex library and serve it over HTTP on 127.0.0.1."""

    def __init__(
        self,
        *,
        token: str = "sim-token",  # noqa: S107 - a fake server's fake token
        friendly_name: str = "Plex Simulator",
        movie_root: str = "/data/movies",
        tv_root: str = "/data/tv",
    ) -> None:
        self.token = token
        self.friendly_name = friendly_name
        self.machine_identifier = "plexkiosk-simulator-0001"
        self.sections: dict[int, SimSection] = {
            1: SimSection(1, "movie", "Movies", [movie_root]),
            2: SimSection(2, "show", "TV Shows", [tv_root]),
        }
        self.items: dict[int, SimItem] = {}
        self.children: dict[int, list[int]] = {}
        self.refreshes: list[tuple[int, str | None]] = []
        self.requests: Counter[str] = Counter()
        self.request_log: list[str] = []
        # The library was "scanned" a day ago; `tick()` brings the clock to the present.
        self.now = int(time.time()) - 86400
        self._next_key = 1000
        self._fragments: dict[tuple[int, bool], str] = {}
        self._failures: list[dict[str, Any]] = []
        self.delay_seconds = 0.0
        self.hang_seconds = 5.0
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the library ---------------------------------------------------------------
    def _new_key(self) -> int:
        self._next_key += 1
        return self._next_key

    def tick(self, seconds: int | None = None) -> int:
        """Move the clock `seconds` forward, or to the present; later changes get later times."""
        self.now = (
            self.now + seconds if seconds is not None else max(self.now + 1, int(time.time()))
        )
        return self.now

    def add_movie(
        self,
        title: str,
        year: int,
        *,
        imdb: str | None = None,
        tmdb: int | None = None,
        files: list[str] | None = None,
        section_key: int = 1,
        matched: bool = True,
    ) -> SimItem:
        """Add a movie (its file under the section's folder) and return it."""
        with self._lock:
            key = self._new_key()
            root = self.sections[section_key].locations[0]
            guids = []
            if matched:
                guids = [f"imdb://{imdb or f'tt{key:07d}'}", f"tmdb://{tmdb or key}"]
            item = SimItem(
                rating_key=key,
                type="movie",
                section_key=section_key,
                title=title,
                year=year,
                added_at=self.now,
                updated_at=self.now,
                guid=f"plex://movie/{key:024x}" if matched else f"local://{key}",
                guids=guids,
                files=files or [f"{root}/{title} ({year})/{title} ({year}).mkv"],
            )
            self.items[key] = item
            return item

    def add_show(
        self,
        title: str,
        year: int,
        *,
        seasons: int = 1,
        episodes: int = 3,
        tvdb: int | None = None,
        section_key: int = 2,
    ) -> SimItem:
        """Add a show with `seasons` seasons of `episodes` episodes each and return it."""
        with self._lock:
            key = self._new_key()
            root = self.sections[section_key].locations[0]
            show = SimItem(
                rating_key=key,
                type="show",
                section_key=section_key,
                title=title,
                year=year,
                added_at=self.now,
                updated_at=self.now,
                guid=f"plex://show/{key:024x}",
                guids=[f"imdb://tt{key:07d}", f"tmdb://{key}", f"tvdb://{tvdb or key}"],
                files=[f"{root}/{title} ({year})"],
            )
            self.items[key] = show
            self.children[key] = []
            for number in range(1, seasons + 1):
                self.add_season(show, number, episodes=episodes)
            return show

    def add_season(self, show: SimItem, number: int, *, episodes: int = 0) -> SimItem:
        """Add season `number` to a show, with `episodes` episodes."""
        with self._lock:
            key = self._new_key()
            season = SimItem(
                rating_key=key,
                type="season",
                section_key=show.section_key,
                title=f"Season {number}",
                added_at=self.now,
                updated_at=self.now,
                guid=f"plex://season/{key:024x}",
                parent_key=show.rating_key,
                index=number,
            )
            self.items[key] = season
            self.children[key] = []
            self.children.setdefault(show.rating_key, []).append(key)
            self._forget(show.rating_key)
            for episode in range(1, episodes + 1):
                self.add_episode(season, episode)
            return season

    def add_episode(self, season: SimItem, number: int, *, title: str | None = None) -> SimItem:
        """Add episode `number` to a season (the show's own addedAt does not change, as in Plex)."""
        with self._lock:
            show = self.items[season.parent_key or 0]
            key = self._new_key()
            name = f"{show.title} ({show.year})"
            episode = SimItem(
                rating_key=key,
                type="episode",
                section_key=season.section_key,
                title=title or f"Episode {number}",
                added_at=self.now,
                updated_at=self.now,
                guid=f"plex://episode/{key:024x}",
                guids=[f"tvdb://{key}"],
                files=[
                    f"{show.files[0]}/Season {season.index:02d}/"
                    f"{name} - s{season.index:02d}e{number:02d}.mkv"
                ],
                parent_key=season.rating_key,
                index=number,
            )
            self.items[key] = episode
            self.children.setdefault(season.rating_key, []).append(key)
            self._forget(season.rating_key)
            return episode

    def update_item(self, rating_key: int, **changes: Any) -> SimItem:
        """Change fields of an item (title, year, files, guids…); its updatedAt moves to now."""
        with self._lock:
            item = self.items[rating_key]
            for name, value in changes.items():
                setattr(item, name, value)
            item.updated_at = self.now
            self._forget(rating_key)
            return item

    def remove_item(self, rating_key: int) -> None:
        """Delete an item and everything under it, as emptying the trash in Plex does."""
        with self._lock:
            for child in list(self.children.get(rating_key, [])):
                self.remove_item(child)
            item = self.items.pop(rating_key)
            self.children.pop(rating_key, None)
            if item.parent_key in self.children:
                self.children[item.parent_key].remove(rating_key)
            self._forget(rating_key)
            self._forget(item.parent_key)

    def seed(
        self,
        *,
        movies: int = 0,
        shows: int = 0,
        seasons: int = 2,
        episodes: int = 4,
        unmatched_every: int = 0,
    ) -> None:
        """Generate `movies` movies and `shows` shows with distinct titles, years and ids."""
        for n in range(movies):
            matched = not (unmatched_every and n % unmatched_every == unmatched_every - 1)
            self.add_movie(f"Generated Movie {n:06d}", 1950 + n % 75, matched=matched)
        for n in range(shows):
            self.add_show(
                f"Generated Show {n:05d}", 1980 + n % 45, seasons=seasons, episodes=episodes
            )

    def _forget(self, rating_key: int | None) -> None:
        # A parent's XML carries its children's counts, so it is rendered again too.
        while rating_key is not None:
            self._fragments.pop((rating_key, True), None)
            self._fragments.pop((rating_key, False), None)
            parent = self.items.get(rating_key)
            rating_key = parent.parent_key if parent else None

    # --- failures ------------------------------------------------------------------
    def fail(
        self,
        *,
        path: str = "",
        page: int | None = None,
        status: int = 500,
        mode: str = "status",
        times: int | None = None,
    ) -> None:
        """Make matching requests fail: `mode`: status, short (fewer items), cut (broken XML), hang.

        `path` matches as a substring of the request path; `page` is the page number
        (start // size) of a paged read; `times` limits how often (None: until cleared).
        """
        with self._lock:
            self._failures.append(
                {"path": path, "page": page, "status": status, "mode": mode, "times": times}
            )

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()
            self.delay_seconds = 0.0

    def _failure_for(self, path: str, page: int | None) -> dict[str, Any] | None:
        with self._lock:
            for failure in self._failures:
                if failure["path"] not in path:
                    continue
                if failure["page"] is not None and failure["page"] != page:
                    continue
                if failure["times"] is not None:
                    if failure["times"] <= 0:
                        continue
                    failure["times"] -= 1
                return failure
        return None

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.request_log.clear()
            self.refreshes.clear()

    @property
    def request_count(self) -> int:
        return sum(self.requests.values())

    # --- XML -----------------------------------------------------------------------
    def _fragment(self, item: SimItem, include_guids: bool) -> str:
        cached = self._fragments.get((item.rating_key, include_guids))
        if cached is None:
            cached = self._render(item, include_guids)
            self._fragments[(item.rating_key, include_guids)] = cached
        return cached

    def _render(self, item: SimItem, include_guids: bool) -> str:
        rk = item.rating_key
        attrs = {
            "ratingKey": rk,
            "key": f"/library/metadata/{rk}",
            "guid": item.guid,
            "type": item.type,
            "title": item.title,
            "librarySectionID": item.section_key,
            "addedAt": item.added_at,
            "updatedAt": item.updated_at,
        }
        if item.year is not None:
            attrs["year"] = item.year
        if item.thumb:
            attrs["thumb"] = f"/library/metadata/{rk}/thumb/{item.updated_at}"
        tag = "Video"
        inner: list[str] = []
        if item.type in ("show", "season"):
            tag = "Directory"
            attrs["key"] = f"/library/metadata/{rk}/children"
            kids = self.children.get(rk, [])
            if item.type == "show":
                attrs["childCount"] = len(kids)
                attrs["leafCount"] = sum(len(self.children.get(k, [])) for k in kids)
                inner.extend(f"<Location path={_attr(path)}/>" for path in item.files)
            else:
                show = self.items[item.parent_key or 0]
                attrs.update(
                    parentRatingKey=show.rating_key,
                    parentKey=f"/library/metadata/{show.rating_key}",
                    parentTitle=show.title,
                    index=item.index,
                    leafCount=len(kids),
                )
        elif item.type == "episode":
            season = self.items[item.parent_key or 0]
            show = self.items[season.parent_key or 0]
            attrs.update(
                parentRatingKey=season.rating_key,
                parentKey=f"/library/metadata/{season.rating_key}",
                parentIndex=season.index,
                parentTitle=season.title,
                grandparentRatingKey=show.rating_key,
                grandparentKey=f"/library/metadata/{show.rating_key}",
                grandparentTitle=show.title,
                index=item.index,
            )
        if tag == "Video":
            for n, path in enumerate(item.files):
                inner.append(
                    f'<Media id="{rk}{n}" videoResolution="1080" container="mkv">'
                    f'<Part id="{rk}{n}" key="/library/parts/{rk}{n}/file.mkv" '
                    f'file={_attr(path)} size="{1_000_000_000 + rk}" container="mkv"/></Media>'
                )
        if include_guids:
            inner.extend(f"<Guid id={_attr(g)}/>" for g in item.guids)
        head = " ".join(f"{name}={_attr(value)}" for name, value in attrs.items())
        return f"<{tag} {head}>{''.join(inner)}</{tag}>"

    def _meta(self, section: SimSection) -> str:
        types = ["movie"] if section.type == "movie" else ["show", "season", "episode"]
        parts = ["<Meta>"]
        for libtype in types:
            # Plex names the fields of a section's secondary types with a prefix.
            prefix = "" if libtype == section.type else f"{libtype}."
            number = TYPE_NUMBERS[libtype]
            parts.append(
                f'<Type key="/library/sections/{section.key}/all?type={number}" '
                f'type="{libtype}" title="{libtype.title()}s" active="0">'
                f'<Filter filter="title" filterType="string" key="/library/sections/'
                f'{section.key}/title" title="Title" type="filter"/>'
                f'<Sort default="asc" defaultDirection="asc" descKey="{prefix}addedAt:desc" '
                f'key="{prefix}addedAt" title="Date Added"/>'
                f'<Sort defaultDirection="asc" descKey="titleSort:desc" key="titleSort" '
                f'title="Title"/>'
                f'<Field key="{prefix}title" title="Title" type="string"/>'
                f'<Field key="{prefix}addedAt" title="Date Added" type="date"/>'
                f'<Field key="{prefix}updatedAt" title="Date Updated" type="date"/>'
                f'<Field key="{prefix}year" title="Year" type="integer"/>'
                f"</Type>"
            )
        parts.append(
            '<FieldType type="date"><Operator key="=" title="is"/>'
            '<Operator key="!=" title="is not"/><Operator key="&lt;&lt;=" title="is before"/>'
            '<Operator key="&gt;&gt;=" title="is after"/></FieldType>'
            '<FieldType type="string"><Operator key="=" title="contains"/>'
            '<Operator key="!=" title="does not contain"/><Operator key="==" title="is"/>'
            '<Operator key="!==" title="is not"/></FieldType>'
            '<FieldType type="integer"><Operator key="=" title="is"/>'
            '<Operator key="!=" title="is not"/><Operator key="&gt;&gt;=" title="is greater than"/>'
            '<Operator key="&lt;&lt;=" title="is less than"/></FieldType>'
        )
        parts.append("</Meta>")
        return "".join(parts)

    # --- request handling ----------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, str, Any]:
        """Answer one request: return (status, content type, body as str or bytes)."""
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if path.startswith("/_sim/"):
            # Control calls are not Plex traffic: they are left out of the counts.
            return self._control(path)
        with self._lock:
            self.requests[path] += 1
            self.request_log.append(raw_path)
        token = headers.get("x-plex-token") or query.get("X-Plex-Token")
        if token != self.token:
            return 401, "text/html", "<html><body><h1>401 Unauthorized</h1></body></html>"
        start = int(headers.get("x-plex-container-start") or query.get("X-Plex-Container-Start", 0))
        size_text = headers.get("x-plex-container-size") or query.get("X-Plex-Container-Size")
        size = int(size_text) if size_text is not None else None
        page = start // size if size else None
        failure = self._failure_for(path, page)
        if failure and failure["mode"] == "status":
            return failure["status"], "text/html", f"<html><h1>{failure['status']}</h1></html>"
        if failure and failure["mode"] == "hang":
            time.sleep(self.hang_seconds)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self._lock:
            status, ctype, body = self._route(method, path, query, start, size)
        if failure and failure["mode"] == "cut" and isinstance(body, str):
            body = body[: len(body) // 2]
        if failure and failure["mode"] == "short" and isinstance(body, str):
            # A page with fewer items than asked while totalSize still counts them all.
            body = re.sub(r"(<(Video|Directory) [^>]*>.*?</\2>)", "", body, count=1)
        return status, ctype, body

    def _control(self, path: str) -> tuple[int, str, Any]:
        if path == "/_sim/stats":
            body = {"requests": dict(self.requests), "total": self.request_count}
            body["refreshes"] = [[key, p] for key, p in self.refreshes]
            return 200, "application/json", json.dumps(body)
        if path == "/_sim/reset":
            self.reset_counts()
            return 200, "application/json", "{}"
        return 404, "text/plain", "unknown control path"

    def _container(self, inner: str, **attrs: object) -> str:
        head = " ".join(f"{name}={_attr(value)}" for name, value in attrs.items())
        prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'
        return f"{prolog}<MediaContainer {head}>{inner}</MediaContainer>"

    def _route(
        self, method: str, path: str, query: dict[str, str], start: int, size: int | None
    ) -> tuple[int, str, Any]:
        xml = "text/xml;charset=utf-8"
        if path in ("/", "/identity"):
            return (
                200,
                xml,
                self._container(
                    "",
                    size=0,
                    friendlyName=self.friendly_name,
                    machineIdentifier=self.machine_identifier,
                    version="1.41.0.8992",
                    myPlex="0",
                    platform="Linux",
                ),
            )
        if path == "/library":
            inner = '<Directory key="sections" title="Library Sections"/>'
            return 200, xml, self._container(inner, size=1, title1="Plex Library")
        if path == "/library/sections":
            inner = "".join(
                f'<Directory key="{s.key}" type="{s.type}" title={_attr(s.title)} '
                f'agent="{s.agent}" scanner="Plex Movie" language="en-US" '
                f'uuid="sim-section-{s.key}" updatedAt="{self.now}" createdAt="{BASE_TIME}">'
                + "".join(
                    f'<Location id="{s.key}{n}" path={_attr(p)}/>'
                    for n, p in enumerate(s.locations)
                )
                + "</Directory>"
                for s in self.sections.values()
            )
            return 200, xml, self._container(inner, size=len(self.sections), title1="Plex Library")
        match = re.fullmatch(r"/library/sections/(\d+)/(all|collections|refresh)", path)
        if match:
            section = self.sections.get(int(match.group(1)))
            if section is None:
                return 404, "text/html", "<html><h1>404 Not Found</h1></html>"
            what = match.group(2)
            if what == "refresh":
                self.refreshes.append((section.key, query.get("path")))
                return 200, xml, ""
            meta = self._meta(section) if query.get("includeMeta") == "1" else ""
            if what == "collections":
                return 200, xml, self._container(meta, size=0, totalSize=0, offset=start)
            return 200, xml, self._section_all(section, query, start, size, meta)
        match = re.fullmatch(r"/library/metadata/(\d+)(/children|/allLeaves|/thumb/\d+)?", path)
        if match:
            item = self.items.get(int(match.group(1)))
            if item is None:
                return 404, "text/html", "<html><h1>404 Not Found</h1></html>"
            sub = match.group(2) or ""
            if sub.startswith("/thumb"):
                return 200, "image/png", PIXEL_PNG
            if sub == "/children":
                found = [self.items[k] for k in self.children.get(item.rating_key, [])]
            elif sub == "/allLeaves":
                found = [
                    self.items[e]
                    for s in self.children.get(item.rating_key, [])
                    for e in self.children.get(s, [])
                ]
            else:
                found = [item]
            return 200, xml, self._page(found, start, size, True, "", item.section_key)
        return 404, "text/html", "<html><h1>404 Not Found</h1></html>"

    def _section_all(
        self, section: SimSection, query: dict[str, str], start: int, size: int | None, meta: str
    ) -> str:
        number = int(query.get("type") or TYPE_NUMBERS[section.type])
        libtype = TYPE_NAMES.get(number, section.type)
        found = [
            i for i in self.items.values() if i.section_key == section.key and i.type == libtype
        ]
        for raw_key, value in query.items():
            # Filters arrive as `addedAt>>=` (after) or `addedAt<<=` (before), maybe prefixed.
            filt = re.fullmatch(r"(?:\w+\.)?(addedAt|updatedAt)(>>|<<)?", raw_key.rstrip("="))
            if not filt or not value:
                continue
            attr = "added_at" if filt.group(1) == "addedAt" else "updated_at"
            bound = int(value)
            if filt.group(2) == ">>":
                found = [i for i in found if getattr(i, attr) >= bound]
            elif filt.group(2) == "<<":
                found = [i for i in found if getattr(i, attr) <= bound]
            else:
                found = [i for i in found if getattr(i, attr) == bound]
        title = query.get("title")
        if title:
            found = [i for i in found if title.lower() in i.title.lower()]
        sort = query.get("sort", "")
        if sort.split(":")[0].split(".")[-1] == "addedAt":
            found.sort(key=lambda i: (i.added_at, i.rating_key), reverse=sort.endswith(":desc"))
        include_guids = query.get("includeGuids") == "1"
        return self._page(found, start, size, include_guids, meta, section.key)

    def _page(
        self,
        found: list[SimItem],
        start: int,
        size: int | None,
        include_guids: bool,
        meta: str,
        section_key: int,
    ) -> str:
        # Never cap a page below the size asked: plexapi advances by the size it asked for.
        chosen = found[start:] if size is None else found[start : start + size]
        inner = meta + "".join(self._fragment(i, include_guids) for i in chosen)
        return self._container(
            inner,
            size=len(chosen),
            totalSize=len(found),
            offset=start,
            librarySectionID=section_key,
            allowSync="1",
        )

    # --- the HTTP server -----------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve in a daemon thread; return the base URL."""
        simulator = self

        class Handler(SimulatorHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_PUT(self) -> None:
                self._answer("PUT")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, ctype, body = simulator.handle(method, self.path, headers)
                data = body if isinstance(body, bytes) else body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground with a generated library."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32400)
    parser.add_argument("--token", default="sim-token")
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--shows", type=int, default=10)
    parser.add_argument("--movie-root", default="/data/movies")
    parser.add_argument("--tv-root", default="/data/tv")
    args = parser.parse_args(argv)
    simulator = PlexSimulator(token=args.token, movie_root=args.movie_root, tv_root=args.tv_root)
    simulator.seed(movies=args.movies, shows=args.shows)
    url = simulator.start(port=args.port, host=args.host)
    print(f"Plex simulator on {url} (token {args.token}): {len(simulator.items)} items", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
