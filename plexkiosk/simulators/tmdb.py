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
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

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
EPISODES_PER_SEASON = 8  # every catalogue season; an AiringSeason says its own count
EPISODE_RUNTIME = 45  # minutes

# Error bodies as TMDB sends them (https://developer.themoviedb.org/docs/errors).
INVALID_KEY = {
    "success": False,
    "status_code": 7,
    "status_message": "Invalid API key: You must be granted a valid key.",
}
NOT_FOUND = {
    "success": False,
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
}
RATE_LIMITED = {
    "success": False,
    "status_code": 25,
    "status_message": "Your request count (#) is over the allowed limit of (40).",
}
INTERNAL_ERROR = {
    "success": False,
    "status_code": 11,
    "status_message": "Internal error: Something went wrong, contact TMDB.",
}
INVALID_PAGE = {
    "success": False,
    "status_code": 22,
    "status_message": "Invalid page: Pages start at 1 and max at 500. "
    "They are expected to be an integer.",
}


def _movie(
    tmdb_id: int,
    title: str,
    release_date: str,
    imdb_id: str | None,
    overview: str,
    *,
    popularity: float,
    original_title: str = "",
    original_language: str = "en",
    poster: bool = True,
    alternative_titles: tuple[tuple[str, str], ...] = (),
    countries: tuple[str, ...] = ("US",),
) -> dict[str, Any]:
    return {
        "alternative_titles": alternative_titles,
        "countries": countries,
        "id": tmdb_id,
        "title": title,
        "original_title": original_title or title,
        "original_language": original_language,
        "release_date": release_date,
        "imdb_id": imdb_id,
        "overview": overview,
        "popularity": popularity,
        "poster_path": f"/sim{tmdb_id}m.jpg" if poster else None,
        "backdrop_path": f"/sim{tmdb_id}mb.jpg" if poster else None,
    }


def _show(
    tmdb_id: int,
    name: str,
    first_air_date: str,
    imdb_id: str | None,
    tvdb_id: int | None,
    seasons: int,
    overview: str,
    *,
    popularity: float,
    origin_country: str = "US",
    specials: bool = True,
    original_name: str = "",
    original_language: str = "en",
    alternative_titles: tuple[tuple[str, str], ...] = (),
    ended: bool = False,
) -> dict[str, Any]:
    return {
        "alternative_titles": alternative_titles,
        "ended": ended,
        "id": tmdb_id,
        "name": name,
        "original_name": original_name or name,
        "original_language": original_language,
        "first_air_date": first_air_date,
        "imdb_id": imdb_id,
        "tvdb_id": tvdb_id,
        "number_of_seasons": seasons,
        "specials": specials,
        "overview": overview,
        "popularity": popularity,
        "origin_country": [origin_country],
        "poster_path": f"/sim{tmdb_id}t.jpg",
        "backdrop_path": f"/sim{tmdb_id}tb.jpg",
    }


# Real TMDB/IMDb/TVDB ids where they are well known; the overviews are short paraphrases.
# fmt: off
MOVIES: list[dict[str, Any]] = [
    _movie(438631, "Dune", "2021-09-15", "tt1160419",
           "Paul Atreides, a brilliant young man, travels to Arrakis, the most dangerous "
           "planet in the universe, to secure his family's future.", popularity=98.1),
    _movie(841, "Dune", "1984-12-14", "tt0087182",
           "In the year 10,191 the spice melange is the most precious substance in the "
           "universe, and it is found only on the desert planet Arrakis.", popularity=31.4),
    _movie(693134, "Dune: Part Two", "2024-02-27", "tt15239678",
           "Paul Atreides unites with Chani and the Fremen while on a path of revenge "
           "against those who destroyed his family.", popularity=120.5),
    # Announced, not yet dated: no release date, no poster and no IMDb id yet, as TMDB
    # shows such titles (the id is illustrative).
    _movie(1170608, "Dune: Part Three", "", None,
           "The third chapter of the Dune saga.", popularity=40.2, poster=False),
    _movie(78, "Blade Runner", "1982-06-25", "tt0083658",
           "In 2019 Los Angeles, a blade runner must pursue and terminate four replicants "
           "who stole a ship in space and returned to Earth.", popularity=45.0),
    _movie(335984, "Blade Runner 2049", "2017-10-04", "tt1856101",
           "Thirty years after the first film, a new blade runner unearths a secret that "
           "could plunge what is left of society into chaos.", popularity=60.3),
    _movie(346364, "It", "2017-09-06", "tt1396484",
           "In a small town in Maine, seven children known as The Losers Club come face to "
           "face with a shape-shifting evil.", popularity=70.8),
    _movie(474350, "It Chapter Two", "2019-09-04", "tt7349950",
           "Twenty-seven years after the Losers Club defeated Pennywise, he returns to "
           "Derry and they must keep their promise.", popularity=50.2),
    _movie(14161, "2012", "2009-10-10", "tt1190080",
           "Dr. Adrian Helmsley discovers that the Earth's core is heating up and warns "
           "that the world is coming to an end.", popularity=40.6),
    _movie(603, "The Matrix", "1999-03-31", "tt0133093",
           "A computer hacker learns that the world he lives in is a simulation and joins "
           "the rebellion against its controllers.", popularity=80.0),
    _movie(27205, "Inception", "2010-07-15", "tt1375666",
           "A thief who steals secrets through dream-sharing is offered a chance to have "
           "his past erased: plant an idea instead.", popularity=85.4),
    _movie(157336, "Interstellar", "2014-11-05", "tt0816692",
           "A team of explorers travels through a wormhole in search of a new home for "
           "humanity.", popularity=90.7),
    _movie(329865, "Arrival", "2016-11-10", "tt2543164",
           "A linguist is recruited to communicate with the extraterrestrials whose ships "
           "have landed around the world.", popularity=35.9),
    _movie(194, "Amélie", "2001-04-25", "tt0211915",
           "A shy waitress in Montmartre decides to change the lives of the people around "
           "her, and struggles with her own isolation.", popularity=30.1,
           original_title="Le Fabuleux Destin d'Amélie Poulain", original_language="fr",
           countries=("FR", "DE"),
           alternative_titles=(("US", "Amelie"), ("FR", "Amélie Poulain"))),
    _movie(129, "Spirited Away", "2001-07-20", "tt0245429",
           "A young girl wanders into a world ruled by gods, witches and spirits, where "
           "humans are changed into beasts.", popularity=65.2,
           original_title="千と千尋の神隠し", original_language="ja", countries=("JP",),
           alternative_titles=(("JP", "Sen to Chihiro no Kamikakushi"),
                               ("DE", "Chihiros Reise ins Zauberland"))),
    _movie(120, "The Lord of the Rings: The Fellowship of the Ring", "2001-12-18", "tt0120737",
           "A young hobbit and eight companions set out to destroy the One Ring.",
           popularity=88.8),
    _movie(496243, "Parasite", "2019-05-30", "tt6751668",
           "All unemployed, Ki-taek's family takes a peculiar interest in the wealthy "
           "Park family.", popularity=55.5, original_title="기생충", original_language="ko",
           countries=("KR",),
           alternative_titles=(("KR", "Gisaengchung"),)),
    _movie(348, "Alien", "1979-05-25", "tt0078748",
           "The crew of the commercial spacecraft Nostromo answers a distress call and "
           "meets a deadly life form.", popularity=42.3),
    _movie(872585, "Oppenheimer", "2023-07-19", "tt15398776",
           "The story of J. Robert Oppenheimer and the making of the atomic bomb.",
           popularity=75.6),
    _movie(346648, "Paddington 2", "2017-11-09", "tt4468740",
           "Paddington takes odd jobs to buy the perfect present for Aunt Lucy, until it "
           "is stolen.", popularity=25.4, countries=("GB", "FR", "US")),
    _movie(862, "Toy Story", "1995-11-22", "tt0114709",
           "Woody, a cowboy doll, feels threatened when Buzz Lightyear becomes the "
           "favourite toy.", popularity=70.1),
    _movie(278, "The Shawshank Redemption", "1994-09-23", "tt0111161",
           "Imprisoned for a double murder he did not commit, a banker finds hope and "
           "friendship in Shawshank prison.", popularity=95.0),
]

SHOWS: list[dict[str, Any]] = [
    _show(2316, "The Office", "2005-03-24", "tt0386676", 73244, 9,
          "The everyday lives of office employees at the Scranton branch of Dunder Mifflin.",
          popularity=150.2, ended=True),
    _show(2996, "The Office", "2001-07-09", "tt0290978", 78107, 2,
          "The employees of Wernham Hogg in Slough, and their manager David Brent.",
          popularity=30.5, origin_country="GB", ended=True),
    _show(1396, "Breaking Bad", "2008-01-20", "tt0903747", 81189, 5,
          "A chemistry teacher diagnosed with cancer turns to making methamphetamine to "
          "secure his family's future.", popularity=200.3, ended=True),
    _show(95396, "Severance", "2022-02-17", "tt11280740", 371980, 2,
          "Mark leads a team of office workers whose memories are surgically divided "
          "between their work and personal lives.", popularity=110.9, specials=False),
    # TMDB lists the 1990 adaptation of It as a two-part miniseries.
    _show(19614, "It", "1990-11-18", "tt0099864", 78893, 1,
          "In 1960, seven outcast kids fight an evil demon who poses as a clown; thirty "
          "years later they return to finish it.", popularity=20.4, specials=False, ended=True),
    _show(90228, "Dune: Prophecy", "2024-11-17", "tt10466872", 367935, 1,
          "Ten thousand years before Paul Atreides, two Harkonnen sisters found the "
          "Bene Gesserit.", popularity=80.5, specials=False),
    _show(1399, "Game of Thrones", "2011-04-17", "tt0944947", 121361, 8,
          "Nine noble families fight for control of the lands of Westeros.",
          popularity=300.1, ended=True),
    _show(66732, "Stranger Things", "2016-07-15", "tt4574334", 305288, 5,
          "When a young boy vanishes, a small town uncovers secret experiments and "
          "supernatural forces.", popularity=250.7),
    _show(100088, "The Last of Us", "2023-01-15", "tt3581920", 392256, 2,
          "Joel and Ellie cross a post-apocalyptic United States.", popularity=190.4),
    _show(87108, "Chernobyl", "2019-05-06", "tt7366338", 360893, 1,
          "The true story of the 1986 nuclear disaster and the people who saved Europe.",
          popularity=60.8, specials=False, ended=True),
    _show(82728, "Bluey", "2018-10-01", "tt7678620", 353546, 3,
          "Bluey, a six-year-old Blue Heeler dog, turns everyday family life into "
          "adventures.", popularity=130.0, origin_country="AU"),
]

# What TMDB answers some titles with under `language=fr-FR`; the others keep their
# English title and overview, as TMDB falls back when a translation is missing.
FRENCH: dict[tuple[str, int], tuple[str, str]] = {
    ("movie", 438631): ("Dune",
        "Paul Atreides, jeune homme brillant, doit se rendre sur Arrakis, la planète la "
        "plus dangereuse de l'univers, pour assurer l'avenir de sa famille."),
    ("movie", 693134): ("Dune : Deuxième partie",
        "Paul Atreides s'unit à Chani et aux Fremen pour venger la destruction de sa "
        "famille."),
    ("movie", 603): ("Matrix",
        "Un pirate informatique découvre que le monde où il vit est une simulation et "
        "rejoint la rébellion contre ceux qui la contrôlent."),
    ("movie", 129): ("Le Voyage de Chihiro",
        "Une fillette s'égare dans un monde de dieux, de sorcières et d'esprits, où les "
        "humains sont changés en bêtes."),
    ("movie", 278): ("Les Évadés",
        "Condamné pour un double meurtre qu'il n'a pas commis, un banquier trouve "
        "l'espoir et l'amitié dans la prison de Shawshank."),
    ("movie", 120): ("Le Seigneur des anneaux : La Communauté de l'anneau",
        "Un jeune hobbit et huit compagnons partent détruire l'Anneau unique."),
    ("movie", 194): ("Le Fabuleux Destin d'Amélie Poulain",
        "Une serveuse timide de Montmartre décide de changer la vie de ceux qui "
        "l'entourent, et se bat contre sa propre solitude."),
    ("tv", 1396): ("Breaking Bad",
        "Un professeur de chimie atteint d'un cancer se met à fabriquer de la "
        "méthamphétamine pour assurer l'avenir de sa famille."),
    ("tv", 1399): ("Le Trône de fer",
        "Neuf familles nobles se disputent le contrôle des terres de Westeros."),
}
GENRES_FR = {878: "Science-Fiction", 12: "Aventure", 18: "Drame"}

PEOPLE: list[dict[str, Any]] = [
    {"id": 137427, "name": "Denis Villeneuve", "popularity": 12.0,
     "known_for_department": "Directing", "profile_path": None},
    {"id": 578, "name": "Ridley Scott", "popularity": 10.5,
     "known_for_department": "Directing", "profile_path": None},
]
# fmt: on


def _fold(text: str) -> str:
    """Lower-case text and drop accents and punctuation, as TMDB's search tolerates them."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", " ", plain.casefold()).strip()


def _matches(query: str, *names: str) -> bool:
    """Tell whether every word of the query starts a word of one of the names."""
    words = _fold(query).split()
    if not words:
        return False
    for name in names:
        name_words = _fold(name).split()
        if all(any(w.startswith(q) for w in name_words) for q in words):
            return True
    return False


def _french(language: str) -> bool:
    return language.split("-")[0] == "fr"


def _in_language(body: dict[str, Any], kind: str, language: str) -> dict[str, Any]:
    """Return a title's JSON with its French title and overview when asked for and known."""
    found = FRENCH.get((kind, body["id"])) if _french(language) else None
    if found is None:
        return body
    title, overview = found
    return {**body, "title" if kind == "movie" else "name": title, "overview": overview}


def _details_in_language(body: dict[str, Any], kind: str, language: str) -> dict[str, Any]:
    """Return a movie's or show's details in French when asked: title, genres, season names."""
    body = _in_language(body, kind, language)
    if not _french(language):
        return body
    body["genres"] = [{**g, "name": GENRES_FR.get(g["id"], g["name"])} for g in body["genres"]]
    if "seasons" in body:
        body["seasons"] = [_season_name_fr(s) for s in body["seasons"]]
    return body


def _season_name_fr(season: dict[str, Any]) -> dict[str, Any]:
    number = season["season_number"]
    return {**season, "name": f"Saison {number}" if number else "Épisodes spéciaux"}


def _season_in_language(body: dict[str, Any], language: str) -> dict[str, Any]:
    """Return a season in French when asked: its name and its episodes' generated names."""
    if not _french(language):
        return body
    episodes = [
        {**e, "name": re.sub(r"^Episode (\d+)$", r"Épisode \1", e["name"])}
        if isinstance(e, dict) and isinstance(e.get("name"), str)
        else e
        for e in body["episodes"]
    ]
    return {**_season_name_fr(body), "episodes": episodes}


def _french_title(kind: str, title: dict[str, Any]) -> tuple[str, ...]:
    found = FRENCH.get((kind, title["id"]))
    return (found[0],) if found else ()


def _movie_result(movie: dict[str, Any]) -> dict[str, Any]:
    return {
        "adult": False,
        "backdrop_path": movie["backdrop_path"],
        "genre_ids": [878, 12],
        "id": movie["id"],
        "original_language": movie["original_language"],
        "original_title": movie["original_title"],
        "overview": movie["overview"],
        "popularity": movie["popularity"],
        "poster_path": movie["poster_path"],
        "release_date": movie["release_date"],
        "title": movie["title"],
        "video": False,
        "vote_average": 7.5,
        "vote_count": 1234,
    }


def _tv_result(show: dict[str, Any]) -> dict[str, Any]:
    return {
        "adult": False,
        "backdrop_path": show["backdrop_path"],
        "genre_ids": [18],
        "id": show["id"],
        "origin_country": show["origin_country"],
        "original_language": show["original_language"],
        "original_name": show["original_name"],
        "overview": show["overview"],
        "popularity": show["popularity"],
        "poster_path": show["poster_path"],
        "first_air_date": show["first_air_date"],
        "name": show["name"],
        "vote_average": 8.1,
        "vote_count": 4321,
    }


def _person_result(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "adult": False,
        "gender": 2,
        "id": person["id"],
        "known_for_department": person["known_for_department"],
        "name": person["name"],
        "original_name": person["name"],
        "popularity": person["popularity"],
        "profile_path": person["profile_path"],
        "known_for": [],
        "media_type": "person",
    }


def _alternative_titles(title: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"iso_3166_1": country, "title": name, "type": ""}
        for country, name in title["alternative_titles"]
    ]


# Billing order as TMDB lists it; other titles get numbered stand-ins.
CAST: dict[int, tuple[tuple[str, str], ...]] = {
    438631: (("Timothée Chalamet", "Paul Atreides"), ("Rebecca Ferguson", "Lady Jessica"),
             ("Oscar Isaac", "Duke Leto Atreides"), ("Josh Brolin", "Gurney Halleck"),
             ("Stellan Skarsgård", "Baron Vladimir Harkonnen"), ("Dave Bautista", "Rabban"),
             ("Zendaya", "Chani"), ("Jason Momoa", "Duncan Idaho"),
             ("Javier Bardem", "Stilgar"), ("Charlotte Rampling", "Reverend Mother Mohiam")),
    1396: (("Bryan Cranston", "Walter White"), ("Aaron Paul", "Jesse Pinkman"),
           ("Anna Gunn", "Skyler White"), ("RJ Mitte", "Walter White Jr."),
           ("Dean Norris", "Hank Schrader"), ("Betsy Brandt", "Marie Schrader"),
           ("Bob Odenkirk", "Saul Goodman"), ("Jonathan Banks", "Mike Ehrmantraut"),
           ("Giancarlo Esposito", "Gus Fring")),
}  # fmt: skip


def _credits(tmdb_id: int) -> dict[str, Any]:
    """Return a title's credits as `append_to_response=credits` adds them (ten actors)."""
    cast = CAST.get(tmdb_id) or tuple((f"Actor {n}", f"Role {n}") for n in range(1, 11))
    return {
        "cast": [
            {"id": tmdb_id * 100 + n, "name": name, "character": part, "order": n,
             "known_for_department": "Acting", "profile_path": None}
            for n, (name, part) in enumerate(cast)
        ],
        "crew": [],
    }  # fmt: skip


def _movie_details(movie: dict[str, Any], append: set[str]) -> dict[str, Any]:
    body = _movie_result(movie)
    del body["genre_ids"]
    body.update(
        genres=[{"id": 878, "name": "Science Fiction"}],
        imdb_id=movie["imdb_id"],
        # TMDB's movie details name the origin and every producing country.
        origin_country=list(movie["countries"][:1]),
        production_countries=[{"iso_3166_1": c, "name": c} for c in movie["countries"]],
        runtime=120,
        status="Released" if movie["release_date"] else "In Production",
        tagline="",
        homepage="",
    )
    if "alternative_titles" in append:
        body["alternative_titles"] = {"titles": _alternative_titles(movie)}
    if "credits" in append:
        body["credits"] = _credits(movie["id"])
    if "external_ids" in append:
        body["external_ids"] = {
            "imdb_id": movie["imdb_id"],
            "wikidata_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }
    return body


@dataclass(frozen=True)
class AiringSeason:
    """A season on the air: episode k airs at `start + (k - 1) * every`, by the server's clock.

    TMDB's air dates are days. With `every` of a day or more the simulator serves each
    episode's own day, as TMDB does. With a shorter `every` (a season airing in minutes, for
    the demo and tests) a day cannot say when an episode airs, so an episode is served with
    its scheduled day until that moment and with the day two days before it from then on:
    two days back is the latest day that a client waiting for the end of the air day plus a
    one-day margin counts as aired, so such a client sees each episode air on schedule.
    """

    tv_id: int
    season_number: int
    start: datetime
    every: timedelta
    episodes: int = EPISODES_PER_SEASON

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("AiringSeason.start must be an aware datetime.")
        if self.every <= timedelta(0):
            raise ValueError("AiringSeason.every must be positive.")
        if self.season_number < 1 or self.episodes < 1:
            raise ValueError("An airing season needs a season number and episodes from 1.")

    def airs_at(self, episode_number: int) -> datetime:
        """Return the moment an episode airs."""
        return self.start + (episode_number - 1) * self.every

    def air_date(self, episode_number: int, now: datetime) -> date:
        """Return the day served for an episode at `now` (see the class docstring)."""
        moment = self.airs_at(episode_number).astimezone(UTC)
        if self.every >= timedelta(days=1) or moment > now:
            return moment.date()
        return moment.date() - timedelta(days=2)


def _episode(show_id: int, season: int, number: int, air_date: date | None) -> dict[str, Any]:
    return {
        "air_date": air_date.isoformat() if air_date else None,
        "episode_number": number,
        "episode_type": "standard",
        "id": show_id * 10000 + season * 100 + number,
        "name": f"Episode {number}",
        "overview": "",
        "production_code": "",
        "runtime": EPISODE_RUNTIME,
        "season_number": season,
        "show_id": show_id,
        "still_path": None,
        "vote_average": 0.0,
        "vote_count": 0,
    }


def _catalogue_season(show: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """Return a finished catalogue season: weekly episodes from January 1st of its year."""
    first = date(int(show["first_air_date"][:4]) + max(number - 1, 0), 1, 1)
    return [
        _episode(show["id"], number, k, first + timedelta(weeks=k - 1))
        for k in range(1, EPISODES_PER_SEASON + 1)
    ]


def _season_air_date(episodes: list[dict[str, Any]]) -> str | None:
    """Return the first air date among a season's episodes, as TMDB lists a season's."""
    dated = [e.get("air_date") for e in episodes if isinstance(e, dict)]
    found = sorted(d for d in dated if isinstance(d, str) and d)
    return found[0] if found else None


def _next_and_last(
    seasons: dict[int, list[dict[str, Any]]], today: date
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Return the last episode aired before today and the next one (None when none)."""
    dated = [
        (date.fromisoformat(e["air_date"]), n, e)
        for n, episodes in seasons.items()
        if n > 0
        for e in episodes
        if isinstance(e, dict) and _iso_date(e.get("air_date")) is not None
    ]
    # Bad data served on demand may carry any episode number: sort by the day and season.
    dated.sort(key=lambda row: (row[0], row[1]))
    last = [e for day, _, e in dated if day < today]
    coming = [e for day, _, e in dated if day >= today]
    return (last[-1] if last else None), (coming[0] if coming else None)


def _iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _tv_details(
    show: dict[str, Any],
    append: set[str],
    seasons: dict[int, list[dict[str, Any]]],
    today: date,
    on_air: bool,
) -> dict[str, Any]:
    body = _tv_result(show)
    del body["genre_ids"]
    last, coming = _next_and_last(seasons, today)
    ended = show["ended"] and not on_air
    body.update(
        genres=[{"id": 18, "name": "Drama"}],
        number_of_seasons=max([n for n in seasons if n > 0], default=0),
        number_of_episodes=sum(len(e) for n, e in seasons.items() if n > 0),
        status="Ended" if ended else "Returning Series",
        in_production=not ended,
        last_episode_to_air=last,
        next_episode_to_air=coming,
        seasons=[
            {**_season_summary(show, n, episodes), "episode_count": len(episodes)}
            for n, episodes in sorted(seasons.items())
        ],
    )
    if "alternative_titles" in append:
        body["alternative_titles"] = {"results": _alternative_titles(show)}
    if "credits" in append:
        body["credits"] = _credits(show["id"])
    if "external_ids" in append:
        body["external_ids"] = {
            "imdb_id": show["imdb_id"],
            "freebase_mid": None,
            "freebase_id": None,
            "tvdb_id": show["tvdb_id"],
            "tvrage_id": None,
            "wikidata_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }
    return body


def _season_summary(show: dict[str, Any], number: int, episodes: list[Any]) -> dict[str, Any]:
    """Describe a season as both the show's details and the season endpoint do."""
    return {
        "air_date": _season_air_date(episodes),
        "id": show["id"] * 100 + number,
        "name": f"Season {number}" if number else "Specials",
        "overview": "",
        "poster_path": f"/sim{show['id']}s{number}.jpg",
        "season_number": number,
        "vote_average": 0.0,
    }


def _season_details(show: dict[str, Any], number: int, episodes: list[Any]) -> dict[str, Any]:
    return {
        "_id": f"sim{show['id']}s{number}",
        **_season_summary(show, number, episodes),
        "episodes": episodes,
    }


def _poster_svg(label: str) -> bytes:
    """Draw a plain poster with the title on it, so the demo has images without internet."""
    lines = re.findall(r".{1,14}(?:\s+|$)", label) or [label]
    text = "".join(
        f'<text x="171" y="{220 + 34 * n}" text-anchor="middle">{escape(line.strip())}</text>'
        for n, line in enumerate(lines[:6])
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="342" height="513" viewBox="0 0 342 513">'
        '<rect width="342" height="513" fill="#1f2430"/>'
        '<rect x="12" y="12" width="318" height="489" fill="none" stroke="#e5a00d" '
        'stroke-width="3"/>'
        f'<g fill="#f2f2f2" font-family="sans-serif" font-size="28">{text}</g></svg>'
    ).encode()


class TMDBSimulatorServer(ThreadingHTTPServer):
    """Serve a fixed TMDB catalogue on a loopback port, with failures on demand."""

    daemon_threads = True

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
        # A short poll interval makes stop() quick, which adds up over a test run.
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="tmdb-sim", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up early (the client's timeout tests do that)."""


class _Handler(BaseHTTPRequestHandler):
    server: TMDBSimulatorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; the server records requests itself."""

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
