"""The TMDB simulator's JSON: results and details in TMDB's shapes, translations, matching."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from plexkiosk.simulators.tmdb.catalogue import CAST, FRENCH, GENRES_FR
from plexkiosk.simulators.tmdb.seasons import _next_and_last, _season_summary

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
