"""Titles on TMDB: search, a movie's or show's details, the home page's lists, title pages."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from requests_app.tmdb.client import (
    DEFAULT_LANGUAGE,
    TMDBError,
    TMDBNotConfigured,
    _cache_get,
    _cache_key,
    _cache_set,
    _date,
    _failed,
    _float,
    _get,
    _get_tv,
    _int,
    _language_params,
    is_configured,
)
from requests_app.tmdb.images import BACKDROP_SIZE, _image_base, _poster_url
from requests_app.tmdb.seasons import AiringEpisode, SeasonSummary, _airing_episode

MEDIA_TYPES = ("movie", "tv")
SEARCH_CACHE_SECONDS = 10 * 60
DETAILS_CACHE_SECONDS = 24 * 60 * 60
# TMDB matches on title words; past a hundred characters a query is a paste, not a title.
MAX_QUERY_LENGTH = 100
MAX_PAGE = 500  # TMDB refuses later pages
DETAILS_WORKERS = 6  # TMDB allows ~50 requests/s; a page has at most 20 shows
# Other names a release may carry (original title, titles abroad); beyond this, noise.
MAX_ALIASES = 20


@dataclass(frozen=True)
class TitleResult:
    """One movie or TV show as TMDB describes it."""

    media_type: str  # "movie" or "tv"
    tmdb_id: int
    title: str
    year: int | None
    overview: str
    poster_url: str  # "" when none
    imdb_id: str = ""
    tvdb_id: int | None = None
    seasons: tuple[int, ...] = ()  # TV only: season numbers, "Specials" (season 0) excluded
    aliases: tuple[str, ...] = ()  # details only: original and alternative titles
    # ISO 3166-1 codes: a show's origin, a movie's origin (or production) countries.
    origin_country: tuple[str, ...] = ()
    original_language: str = ""  # ISO 639-1, "" when TMDB gives none


@dataclass(frozen=True)
class SearchPage:
    """One page of search results, with TMDB's paging numbers."""

    results: list[TitleResult]
    page: int
    total_pages: int
    total_results: int


def search(
    query: str,
    *,
    media_type: str | None = None,
    page: int = 1,
    language: str = DEFAULT_LANGUAGE,
) -> list[TitleResult]:
    """Search movies, TV shows or both (media_type None) by title; people are left out.

    TV results carry their seasons and external ids (from `details`, cached a day), so a
    page can offer the seasons to request; movie results get their ids from `details`.
    Titles and overviews come in `language` where TMDB has them, else in English.
    """
    return search_page(query, media_type=media_type, page=page, language=language).results


def search_page(
    query: str,
    *,
    media_type: str | None = None,
    page: int = 1,
    language: str = DEFAULT_LANGUAGE,
) -> SearchPage:
    """Search like `search`, returning TMDB's paging numbers too."""
    cleaned = clean_query(query)
    if media_type is not None and media_type not in MEDIA_TYPES:
        raise ValueError(f"media_type must be 'movie', 'tv' or None, not {media_type!r}.")
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise ValueError(f"page must be a whole number from 1 to {MAX_PAGE}.")
    languages = _language_params(language)
    if not is_configured():
        raise TMDBNotConfigured()
    endpoint = media_type or "multi"
    digest = hashlib.sha256(cleaned.casefold().encode()).hexdigest()[:32]
    key = _cache_key("search", language, endpoint, page, digest)
    cached = _cache_get(key)
    if cached is not None:
        return cached
    data = _get(
        f"/search/{endpoint}",
        {"query": cleaned, "page": page, "include_adult": "false", **languages},
    )
    raw_results = data.get("results")
    if not isinstance(raw_results, list):
        raise TMDBError("TMDB answered a search without a result list.", temporary=False)
    kind = None if endpoint == "multi" else endpoint
    results, complete = _with_seasons(_results(raw_results, kind), language)
    found = SearchPage(
        results=results,
        page=_int(data.get("page")) or page,
        total_pages=_int(data.get("total_pages")) or 1,
        total_results=_int(data.get("total_results")) or len(results),
    )
    if complete:
        # A page missing some seasons is not kept: the next search tries those shows again.
        _cache_set(key, found, SEARCH_CACHE_SECONDS)
    return found


def _title_call(media_type: str, tmdb_id: int, language: str) -> dict[str, str]:
    """Check the arguments of a call about one title; return its language parameters."""
    if media_type not in MEDIA_TYPES:
        raise ValueError(f"media_type must be 'movie' or 'tv', not {media_type!r}.")
    if isinstance(tmdb_id, bool) or not isinstance(tmdb_id, int) or tmdb_id <= 0:
        raise ValueError(f"tmdb_id must be a positive whole number, not {tmdb_id!r}.")
    languages = _language_params(language)
    if not is_configured():
        raise TMDBNotConfigured()
    return languages


def details(
    media_type: str, tmdb_id: int, *, refresh: bool = False, language: str = DEFAULT_LANGUAGE
) -> TitleResult:
    """Fetch one movie or show with its IMDb/TVDB ids and, for TV, its season numbers.

    A request keeps what the default (English) answer says: its title and aliases are
    what releases are searched by, whatever language the page was read in.
    """
    languages = _title_call(media_type, tmdb_id, language)
    key = _cache_key("details", language, media_type, tmdb_id)
    cached = None if refresh else _cache_get(key)
    if cached is not None:
        return cached
    try:
        data = _get(
            f"/{media_type}/{tmdb_id}",
            {"append_to_response": "external_ids,alternative_titles", **languages},
        )
    except TMDBError as exc:
        if exc.status == 404:
            kind = "movie" if media_type == "movie" else "TV show"
            raise TMDBError(
                f"TMDB has no {kind} with id {tmdb_id}.", temporary=False, status=404
            ) from None
        raise
    result = _title_result(media_type, data, _image_base(), with_details=True)
    if result is None or result.tmdb_id != tmdb_id:
        raise TMDBError(f"TMDB answered {media_type} {tmdb_id} without its id.", temporary=False)
    _cache_set(key, result, DETAILS_CACHE_SECONDS)
    return result


# The home page's rows: TMDB is asked at most once an hour per row, a failure remembered
# for a few minutes so a page load does not wait on a TMDB that is away.
LIST_CACHE_SECONDS = 60 * 60
LIST_FAILURE_SECONDS = 5 * 60


def trending_this_week(*, language: str = DEFAULT_LANGUAGE) -> list[TitleResult]:
    """List this week's trending movies and shows (people left out)."""
    return _list("/trending/all/week", None, language)


def popular_movies(*, language: str = DEFAULT_LANGUAGE) -> list[TitleResult]:
    """List TMDB's popular movies."""
    return _list("/movie/popular", "movie", language)


def popular_shows(*, language: str = DEFAULT_LANGUAGE) -> list[TitleResult]:
    """List TMDB's popular TV shows."""
    return _list("/tv/popular", "tv", language)


def upcoming_movies(*, language: str = DEFAULT_LANGUAGE) -> list[TitleResult]:
    """List the movies coming soon to cinemas."""
    return _list("/movie/upcoming", "movie", language)


def _list(path: str, media_type: str | None, language: str) -> list[TitleResult]:
    """Fetch the first page of one of TMDB's lists, cached an hour; failures raise TMDBError."""
    languages = _language_params(language)
    if not is_configured():
        raise TMDBNotConfigured()
    key = _cache_key("list", language, path)
    cached = _cache_get(key)
    if isinstance(cached, tuple):  # (message, temporary): TMDB failed minutes ago
        raise TMDBError(cached[0], temporary=cached[1])
    if cached is not None:
        return cached
    try:
        raw_results = _get(path, {"page": 1, **languages}).get("results")
        if not isinstance(raw_results, list):
            raise _failed(path, "TMDB answered a list without results.", temporary=False)
        results = _results(raw_results, media_type)
    except TMDBError as exc:
        _cache_set(key, (str(exc), exc.temporary), LIST_FAILURE_SECONDS)
        raise
    _cache_set(key, results, LIST_CACHE_SECONDS)
    return results


def _results(raw_results: list[Any], media_type: str | None) -> list[TitleResult]:
    """Parse a page of TMDB titles; media_type None reads each item's own (people dropped)."""
    image_base = _image_base()
    results = []
    for item in raw_results:
        if not isinstance(item, dict):
            continue
        kind = media_type or item.get("media_type")
        if kind not in MEDIA_TYPES:
            continue  # people in a multi search or trending: nothing to request
        result = _title_result(kind, item, image_base)
        if result is not None:
            results.append(result)
    return results


def _with_seasons(results: list[TitleResult], language: str) -> tuple[list[TitleResult], bool]:
    """Replace TV results with their details; tell whether every lookup worked."""
    shows = [r for r in results if r.media_type == "tv"]
    if not shows:
        return results, True

    def lookup(show: TitleResult) -> TitleResult | None:
        try:
            return details("tv", show.tmdb_id, language=language)
        except TMDBError:
            return None  # the search still answers; only this show's seasons are missing

    # Side by side: a page of shows costs about one round trip, not twenty.
    with ThreadPoolExecutor(max_workers=min(DETAILS_WORKERS, len(shows))) as pool:
        found = dict(zip([s.tmdb_id for s in shows], pool.map(lookup, shows), strict=True))
    enriched = [(found.get(r.tmdb_id) or r) if r.media_type == "tv" else r for r in results]
    return enriched, all(found.values())


def clean_query(query: str) -> str:
    """Collapse whitespace and shorten an over-long query at a word boundary."""
    cleaned = " ".join(str(query or "").split())
    if not cleaned:
        raise ValueError("Type a title to search for.")
    if len(cleaned) > MAX_QUERY_LENGTH:
        cut = cleaned[:MAX_QUERY_LENGTH]
        space = cut.rfind(" ")
        cleaned = cut[:space] if space > MAX_QUERY_LENGTH // 2 else cut
    return cleaned


@dataclass(frozen=True)
class CastMember:
    """One actor of a title and the part they play."""

    name: str
    character: str


@dataclass(frozen=True)
class TitlePageDetails:
    """What a title's page shows beyond `details`: backdrop, runtime, genres, rating, cast."""

    title: TitleResult
    backdrop_url: str  # "" when none
    runtime: int | None  # minutes (movies; a show's episodes vary)
    genres: tuple[str, ...]
    vote_average: float | None  # TMDB's 0-10; None when nobody has voted
    cast: tuple[CastMember, ...]  # in billing order, at most MAX_CAST
    seasons: tuple[SeasonSummary, ...] = ()  # TV: every season, Specials (0) included
    next_episode_to_air: AiringEpisode | None = None


MAX_CAST = 8


def title_page_details(
    media_type: str, tmdb_id: int, *, language: str = DEFAULT_LANGUAGE
) -> TitlePageDetails:
    """Fetch a movie or show with its credits, genres and backdrop for its page (cached a day)."""
    languages = _title_call(media_type, tmdb_id, language)
    key = _cache_key("title-page", language, media_type, tmdb_id)
    cached = _cache_get(key)
    if cached is not None:
        return cached
    kind = "movie" if media_type == "movie" else "TV show"
    data = _get_tv(
        f"/{media_type}/{tmdb_id}",
        f"TMDB has no {kind} with id {tmdb_id}.",
        {"append_to_response": "credits,external_ids,alternative_titles", **languages},
    )
    image_base = _image_base()
    title = _title_result(media_type, data, image_base, with_details=True)
    if title is None or title.tmdb_id != tmdb_id:
        raise TMDBError(f"TMDB answered {media_type} {tmdb_id} without its id.", temporary=False)
    credits = data.get("credits") if isinstance(data.get("credits"), dict) else {}
    raw_cast = credits.get("cast") if isinstance(credits.get("cast"), list) else []
    raw_cast = sorted(
        (c for c in raw_cast if isinstance(c, dict) and str(c.get("name") or "").strip()),
        key=lambda c: _int(c.get("order")) or 0,
    )
    genres = data.get("genres") if isinstance(data.get("genres"), list) else []
    seasons = data.get("seasons") if isinstance(data.get("seasons"), list) else []
    vote = _float(data.get("vote_average"))
    found = TitlePageDetails(
        title=title,
        backdrop_url=_poster_url(image_base, data.get("backdrop_path"), BACKDROP_SIZE),
        runtime=_int(data.get("runtime")) or None,
        genres=tuple(str(g["name"]) for g in genres if isinstance(g, dict) and g.get("name")),
        vote_average=vote if vote and _int(data.get("vote_count")) != 0 else None,
        cast=tuple(
            CastMember(name=str(c["name"]).strip(), character=str(c.get("character") or ""))
            for c in raw_cast[:MAX_CAST]
        ),
        seasons=tuple(
            SeasonSummary(
                season_number=n,
                episode_count=max(_int(s.get("episode_count")) or 0, 0),
                air_date=_date(s.get("air_date")),
            )
            for s in seasons
            if isinstance(s, dict) and (n := _int(s.get("season_number"))) is not None
        ),
        next_episode_to_air=_airing_episode(data.get("next_episode_to_air")),
    )
    _cache_set(key, found, DETAILS_CACHE_SECONDS)
    return found


# --- Parsing --------------------------------------------------------------------------


def _title_result(
    media_type: str, item: dict[str, Any], image_base: str, *, with_details: bool = False
) -> TitleResult | None:
    """Build a TitleResult from TMDB's JSON for one title, or None without an id."""
    tmdb_id = _int(item.get("id"))
    if tmdb_id is None or tmdb_id <= 0:
        return None
    if media_type == "movie":
        title = item.get("title") or item.get("original_title")
        date = item.get("release_date")
    else:
        title = item.get("name") or item.get("original_name")
        date = item.get("first_air_date")
    extra: dict[str, Any] = {}
    if with_details:
        external = item.get("external_ids")
        external = external if isinstance(external, dict) else {}
        imdb_id = external.get("imdb_id") or item.get("imdb_id") or ""
        extra["imdb_id"] = imdb_id if re.fullmatch(r"tt\d+", str(imdb_id)) else ""
        if media_type == "tv":
            extra["tvdb_id"] = _int(external.get("tvdb_id"))
            extra["seasons"] = _season_numbers(item.get("seasons"))
        extra["aliases"] = _aliases(media_type, item, str(title or "").strip())
    return TitleResult(
        origin_country=_countries(item),
        original_language=_language(item.get("original_language")),
        media_type=media_type,
        tmdb_id=tmdb_id,
        title=str(title or "").strip(),
        year=_year(date),
        overview=str(item.get("overview") or "").strip(),
        poster_url=_poster_url(image_base, item.get("poster_path")),
        **extra,
    )


def _aliases(media_type: str, item: dict[str, Any], title: str) -> tuple[str, ...]:
    """The original title and TMDB's alternative titles, so releases named abroad match."""
    original = item.get("original_title" if media_type == "movie" else "original_name")
    others = item.get("alternative_titles")
    # Movies list them under "titles", shows under "results".
    listed = (
        others.get("titles" if media_type == "movie" else "results")
        if isinstance(others, dict)
        else None
    )
    names = [original] + [t.get("title") for t in listed or [] if isinstance(t, dict)]
    seen = {title.casefold()}
    aliases = []
    for name in names:
        if not isinstance(name, str):
            continue
        name = " ".join(name.split())[:200]
        if name and name.isprintable() and name.casefold() not in seen:
            seen.add(name.casefold())
            aliases.append(name)
    return tuple(aliases[:MAX_ALIASES])


def _countries(item: dict[str, Any]) -> tuple[str, ...]:
    """Return the work's ISO 3166-1 countries: `origin_country`, else a movie's producers."""
    listed = item.get("origin_country")
    if not isinstance(listed, list) or not listed:
        produced = item.get("production_countries")
        listed = (
            [c.get("iso_3166_1") for c in produced if isinstance(c, dict)]
            if isinstance(produced, list)
            else []
        )
    codes = (c for c in listed if isinstance(c, str) and re.fullmatch("[A-Z]{2}", c))
    return tuple(dict.fromkeys(codes))


def _language(value: object) -> str:
    """Return an ISO 639-1 code, or "" for anything else (TMDB's "xx": no language)."""
    text = str(value or "").strip()
    return text if re.fullmatch("[a-z]{2}", text) and text != "xx" else ""


def _season_numbers(seasons: object) -> tuple[int, ...]:
    """Return the real season numbers, leaving out season 0 (Specials)."""
    if not isinstance(seasons, list):
        return ()
    numbers = {_int(season.get("season_number")) for season in seasons if isinstance(season, dict)}
    return tuple(sorted(n for n in numbers if n is not None and n > 0))


def _year(value: object) -> int | None:
    """Read the year of a TMDB date ("2021-09-15"); TMDB sends "" or null when unknown."""
    match = re.match(r"(\d{4})", str(value or ""))
    if match is None:
        return None
    year = int(match.group(1))
    return year if 1870 <= year <= 2200 else None
