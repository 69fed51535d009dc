"""The TMDB client: title search, details (IMDb/TVDB ids, seasons), a show's episodes; cached.

The only module that talks to TMDB (API v3, https://developer.themoviedb.org/reference).
Every failure becomes a `TMDBError` saying whether retrying could help; the API key never
appears in a log line, an exception message or a returned value. Pages pass the reader's
language (`page_language()`); requests keep TMDB's English, which releases are named by.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from core.errors import ServiceError

log = logging.getLogger(__name__)

MEDIA_TYPES = ("movie", "tv")
DEFAULT_IMAGE_BASE = "https://image.tmdb.org/t/p/"
POSTER_SIZE = "w342"
SEARCH_CACHE_SECONDS = 10 * 60
DETAILS_CACHE_SECONDS = 24 * 60 * 60
# Air dates move while a season is on the air; an hour keeps a day's refreshes current.
EPISODES_CACHE_SECONDS = 60 * 60
CONFIGURATION_CACHE_SECONDS = 24 * 60 * 60
# TMDB matches on title words; past a hundred characters a query is a paste, not a title.
MAX_QUERY_LENGTH = 100
MAX_PAGE = 500  # TMDB refuses later pages
DETAILS_WORKERS = 6  # TMDB allows ~50 requests/s; a page has at most 20 shows
CACHE_VERSION = 3  # bump when TitleResult changes shape, so old pickles are not read back
# Other names a release may carry (original title, titles abroad); beyond this, noise.
MAX_ALIASES = 20
# TMDB's own default, and what requests and release searches are made with.
DEFAULT_LANGUAGE = "en-US"
# The site's languages (settings.LANGUAGES) as TMDB names them; any other reads in English.
TMDB_LANGUAGES = {"en": "en-US", "fr": "fr-FR"}
LANGUAGE_PATTERN = re.compile(r"[a-z]{2}-[A-Z]{2}")

_session = requests.Session()
_session.headers.update({"Accept": "application/json", "User-Agent": "PlexKiosk"})


class TMDBError(ServiceError):
    """TMDB could not answer; `temporary` tells whether trying again later could help."""

    service = "TMDB"

    def __init__(
        self,
        message: str,
        *,
        temporary: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.status = status
        self.retry_after = retry_after


class TMDBNotConfigured(TMDBError):
    """No TMDB API key is set, so title search is unavailable."""

    def __init__(self) -> None:
        super().__init__(
            "Title search is not set up: the administrator needs to set TMDB_API_KEY "
            "(a free key from themoviedb.org).",
            temporary=False,
        )


class SeasonWithoutEpisodes(TMDBError):
    """TMDB knows the season but lists no episode of it yet (announced, not scheduled)."""


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


def language_for(code: str | None) -> str:
    """Return TMDB's language for a Django language code ("fr", "fr-ca" -> "fr-FR")."""
    base = re.split(r"[-_]", str(code or "").strip().lower(), maxsplit=1)[0]
    return TMDB_LANGUAGES.get(base, DEFAULT_LANGUAGE)


def page_language() -> str:
    """Return TMDB's language for the page being drawn: the person's active language."""
    return language_for(translation.get_language())


def household_language() -> str:
    """Return TMDB's language for text stored for pages outside a page (LANGUAGE_CODE)."""
    return language_for(settings.LANGUAGE_CODE)


def _language_params(language: str) -> dict[str, str]:
    """Return the query parameters that ask TMDB for titles, overviews and images in `language`."""
    if not isinstance(language, str) or not LANGUAGE_PATTERN.fullmatch(language):
        raise ValueError(f"language must look like 'fr-FR', not {language!r}.")
    # Images in that language first, then those without text ("null"), as TMDB's docs suggest.
    return {"language": language, "include_image_language": f"{language[:2]},null"}


def is_configured() -> bool:
    """Tell whether an API key and a base URL are set."""
    return bool(_api_key() and _base_url())


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


def details(
    media_type: str, tmdb_id: int, *, refresh: bool = False, language: str = DEFAULT_LANGUAGE
) -> TitleResult:
    """Fetch one movie or show with its IMDb/TVDB ids and, for TV, its season numbers.

    A request keeps what the default (English) answer says: its title and aliases are
    what releases are searched by, whatever language the page was read in.
    """
    if media_type not in MEDIA_TYPES:
        raise ValueError(f"media_type must be 'movie' or 'tv', not {media_type!r}.")
    if isinstance(tmdb_id, bool) or not isinstance(tmdb_id, int) or tmdb_id <= 0:
        raise ValueError(f"tmdb_id must be a positive whole number, not {tmdb_id!r}.")
    languages = _language_params(language)
    if not is_configured():
        raise TMDBNotConfigured()
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


@dataclass(frozen=True)
class SeasonSummary:
    """One season as a show's details list it."""

    season_number: int  # 0 is "Specials"
    episode_count: int
    air_date: date | None


@dataclass(frozen=True)
class AiringEpisode:
    """The last or next episode of a show to air, as a show's details name it."""

    season_number: int
    episode_number: int
    name: str
    air_date: date | None


@dataclass(frozen=True)
class ShowStatus:
    """Where a TV show stands: its seasons, what aired last and what airs next."""

    tmdb_id: int
    number_of_seasons: int
    seasons: tuple[SeasonSummary, ...]
    last_episode_to_air: AiringEpisode | None
    next_episode_to_air: AiringEpisode | None  # None when TMDB announces none
    in_production: bool
    status: str  # TMDB's words: "Returning Series", "Ended", "Canceled", …
    origin_country: tuple[str, ...]
    original_language: str


@dataclass(frozen=True)
class Episode:
    """One episode of a season."""

    episode_number: int
    name: str
    air_date: date | None  # None: TMDB has no date yet, so it has not aired
    runtime: int | None  # minutes


@dataclass(frozen=True)
class Season:
    """A season with its episodes, in episode order, and why any of TMDB's were left out."""

    tmdb_id: int
    season_number: int
    name: str
    episodes: tuple[Episode, ...]
    dropped: tuple[str, ...] = ()


def show_status(tv_id: int, *, refresh: bool = False) -> ShowStatus:
    """Fetch a show's seasons, last and next episodes and production status from TMDB."""
    _check_tv_id(tv_id)
    key = _cache_key("show-status", tv_id)
    cached = None if refresh else _cache_get(key)
    if cached is not None:
        return cached
    data = _get_tv(f"/tv/{tv_id}", f"TMDB has no TV show with id {tv_id}.")
    if _int(data.get("id")) != tv_id:
        raise TMDBError(f"TMDB answered TV show {tv_id} without its id.", temporary=False)
    raw_seasons = data.get("seasons")
    if not isinstance(raw_seasons, list):
        raise TMDBError(f"TMDB answered TV show {tv_id} without its seasons.", temporary=False)
    seasons: dict[int, SeasonSummary] = {}
    for raw in raw_seasons:
        number = _int(raw.get("season_number")) if isinstance(raw, dict) else None
        if number is None or number in seasons:
            log.warning("TMDB show %s lists an unreadable or repeated season: %r", tv_id, raw)
            continue
        seasons[number] = SeasonSummary(
            season_number=number,
            episode_count=max(_int(raw.get("episode_count")) or 0, 0),
            air_date=_date(raw.get("air_date")),
        )
    countries = data.get("origin_country")
    listed = countries if isinstance(countries, list) else []
    origin_country = tuple(c for c in listed if isinstance(c, str) and re.fullmatch("[A-Z]{2}", c))
    status = ShowStatus(
        tmdb_id=tv_id,
        number_of_seasons=_int(data.get("number_of_seasons"))
        or max((n for n in seasons if n > 0), default=0),
        seasons=tuple(seasons[n] for n in sorted(seasons)),
        last_episode_to_air=_airing_episode(data.get("last_episode_to_air")),
        next_episode_to_air=_airing_episode(data.get("next_episode_to_air")),
        in_production=data.get("in_production") is True,
        status=str(data.get("status") or "").strip(),
        origin_country=origin_country,
        original_language=str(data.get("original_language") or "").strip(),
    )
    _cache_set(key, status, EPISODES_CACHE_SECONDS)
    return status


def season(
    tv_id: int, season_number: int, *, refresh: bool = False, language: str = DEFAULT_LANGUAGE
) -> Season:
    """Fetch one season's episodes (named in `language`); unusable ones are left out, logged."""
    _check_tv_id(tv_id)
    if isinstance(season_number, bool) or not isinstance(season_number, int) or season_number < 0:
        raise ValueError(f"season_number must be a whole number from 0, not {season_number!r}.")
    languages = _language_params(language)
    key = _cache_key("season", language, tv_id, season_number)
    cached = None if refresh else _cache_get(key)
    if cached is not None:
        return cached
    label = f"season {season_number} of TV show {tv_id}"
    data = _get_tv(f"/tv/{tv_id}/season/{season_number}", f"TMDB has no {label}.", languages)
    answered = _int(data.get("season_number"))
    if answered is not None and answered != season_number:
        raise TMDBError(f"TMDB answered season {answered} when asked for {label}.", temporary=False)
    raw_episodes = data.get("episodes")
    if not isinstance(raw_episodes, list):
        raise TMDBError(f"TMDB answered {label} without an episode list.", temporary=False)
    if not raw_episodes:
        raise SeasonWithoutEpisodes(f"TMDB lists {label} with no episodes yet.", temporary=False)
    episodes: dict[int, Episode] = {}
    dropped: list[str] = []
    for position, raw in enumerate(raw_episodes, start=1):
        episode, reason = _episode(raw, position, episodes)
        if episode is None:
            dropped.append(reason)
            log.warning("TMDB %s: %s", label, reason)
        else:
            episodes[episode.episode_number] = episode
    if not episodes:
        raise TMDBError(
            f"TMDB lists {label} with no usable episodes ({'; '.join(dropped[:3])}).",
            temporary=False,
        )
    found = Season(
        tmdb_id=tv_id,
        season_number=season_number,
        name=str(data.get("name") or "").strip() or f"Season {season_number}",
        episodes=tuple(episodes[n] for n in sorted(episodes)),
        dropped=tuple(dropped),
    )
    _cache_set(key, found, EPISODES_CACHE_SECONDS)
    return found


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
BACKDROP_SIZE = "w1280"


def title_page_details(
    media_type: str, tmdb_id: int, *, language: str = DEFAULT_LANGUAGE
) -> TitlePageDetails:
    """Fetch a movie or show with its credits, genres and backdrop for its page (cached a day)."""
    if media_type not in MEDIA_TYPES:
        raise ValueError(f"media_type must be 'movie' or 'tv', not {media_type!r}.")
    if isinstance(tmdb_id, bool) or not isinstance(tmdb_id, int) or tmdb_id <= 0:
        raise ValueError(f"tmdb_id must be a positive whole number, not {tmdb_id!r}.")
    languages = _language_params(language)
    if not is_configured():
        raise TMDBNotConfigured()
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


# --- Air dates -----------------------------------------------------------------------

AIRED_MARGIN = timedelta(days=1)
FINISHED, AIRING, NOT_AIRED = "finished", "airing", "not aired"


@dataclass(frozen=True)
class SeasonState:
    """Whether a season has finished, is on the air or has not started, and what airs next."""

    state: str  # FINISHED, AIRING or NOT_AIRED
    aired: int
    total: int
    next_air_date: date | None  # the earliest day among unaired episodes; None when undated
    next_aired_at: datetime | None  # when that episode counts as aired: when to search for it


def aired_at(air_date: date, *, margin: timedelta = AIRED_MARGIN) -> datetime:
    """Return the moment an episode dated `air_date` counts as aired (UTC)."""
    # TMDB's air date is a day in the show's country, with no time. The end of that day in
    # UTC still comes before an evening broadcast in the Americas (9 pm in Los Angeles is
    # 5 am UTC the next day), so the margin goes on top: with a day, the evening has passed
    # in every time zone and releases have had hours to appear, so no search is spent on
    # an episode that cannot be out yet.
    if margin < timedelta(0):
        raise ValueError("margin cannot be negative.")
    return datetime.combine(air_date + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + margin


def aired_episodes(
    season: Season, *, now: datetime, margin: timedelta = AIRED_MARGIN
) -> tuple[Episode, ...]:
    """Return the episodes of a season that count as aired at `now` (undated ones never do)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (timezone.now(), not datetime.now()).")
    return tuple(
        e
        for e in season.episodes
        if e.air_date is not None and aired_at(e.air_date, margin=margin) <= now
    )


def season_state(season: Season, now: datetime, *, margin: timedelta = AIRED_MARGIN) -> SeasonState:
    """Tell whether a season has finished airing, is airing or has not aired, at `now`."""
    aired = aired_episodes(season, now=now, margin=margin)
    aired_numbers = {e.episode_number for e in aired}
    waiting = [e for e in season.episodes if e.episode_number not in aired_numbers]
    dated = sorted(e.air_date for e in waiting if e.air_date is not None)
    next_date = dated[0] if dated else None
    state = FINISHED if not waiting else AIRING if aired else NOT_AIRED
    return SeasonState(
        state=state,
        aired=len(aired),
        total=len(season.episodes),
        next_air_date=next_date,
        next_aired_at=aired_at(next_date, margin=margin) if next_date else None,
    )


def _check_tv_id(tv_id: object) -> None:
    if isinstance(tv_id, bool) or not isinstance(tv_id, int) or tv_id <= 0:
        raise ValueError(f"tv_id must be a positive whole number, not {tv_id!r}.")
    if not is_configured():
        raise TMDBNotConfigured()


def _get_tv(path: str, not_found: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET a TV (or movie) endpoint, saying plainly what is missing on a 404."""
    try:
        return _get(path, params or {})
    except TMDBError as exc:
        if exc.status == 404:
            raise TMDBError(not_found, temporary=False, status=404) from None
        raise


def _episode(raw: object, position: int, kept: dict[int, Episode]) -> tuple[Episode | None, str]:
    """Read one episode entry, or return None with the reason it cannot be used."""
    if not isinstance(raw, dict):
        return None, f"entry {position} is not an episode"
    number = raw.get("episode_number")
    # Floats and numeric strings are not episode numbers TMDB sends; guessing could
    # fetch the wrong episode.
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        return None, f"entry {position} has no usable episode number ({number!r})"
    if number in kept:
        return None, f"episode {number} is listed twice; the first is kept"
    air_date = _date(raw.get("air_date"))
    if air_date is None and raw.get("air_date"):
        log.warning("TMDB episode %s has an unreadable air date %r", number, raw.get("air_date"))
    runtime = raw.get("runtime")
    return (
        Episode(
            episode_number=number,
            name=" ".join(str(raw.get("name") or "").split())[:200],
            air_date=air_date,
            runtime=runtime
            if isinstance(runtime, int) and not isinstance(runtime, bool) and runtime > 0
            else None,
        ),
        "",
    )


def _airing_episode(raw: object) -> AiringEpisode | None:
    if not isinstance(raw, dict):
        return None
    season_number = _int(raw.get("season_number"))
    episode_number = _int(raw.get("episode_number"))
    if season_number is None or episode_number is None:
        return None
    return AiringEpisode(
        season_number=season_number,
        episode_number=episode_number,
        name=" ".join(str(raw.get("name") or "").split())[:200],
        air_date=_date(raw.get("air_date")),
    )


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


# --- HTTP -----------------------------------------------------------------------------


def _api_key() -> str:
    return str(getattr(settings, "TMDB_API_KEY", "") or "").strip()


def _base_url() -> str:
    return str(getattr(settings, "TMDB_URL", "") or "").strip().rstrip("/")


def _timeout() -> float:
    # requests refuses zero or negative timeouts; a typo in TMDB_TIMEOUT must not break search.
    return max(0.1, float(getattr(settings, "TMDB_TIMEOUT", 8.0)))


def _is_read_token(key: str) -> bool:
    """Tell a v4 read-access token (a JWT: three dot-separated parts) from a v3 API key."""
    return key.startswith("eyJ") and key.count(".") == 2


def _scrub(text: str) -> str:
    """Remove the API key from text that came from elsewhere (a URL in an error, say)."""
    key = _api_key()
    if key:
        text = text.replace(key, "***")
    text = re.sub(r"(api_key=)[^&\s'\"]+", r"\1***", text)
    return re.sub(r"(Bearer\s+)\S+", r"\1***", text)


def _get(path: str, params: dict[str, Any]) -> dict[str, Any]:
    """GET one TMDB endpoint and return its JSON object, or raise TMDBError."""
    key = _api_key()
    if not key:
        raise TMDBNotConfigured()
    headers = {}
    params = dict(params)
    if _is_read_token(key):
        headers["Authorization"] = f"Bearer {key}"
    else:
        params["api_key"] = key
    timeout = _timeout()
    started = time.monotonic()
    try:
        response = _session.get(
            f"{_base_url()}{path}",
            params=params,
            headers=headers,
            # Connecting should be quick even when TMDB is busy; the read gets the rest.
            timeout=(min(timeout, 3.05), timeout),
        )
    except requests.Timeout:
        raise _failed(path, f"TMDB did not answer within {timeout:g} s.", temporary=True) from None
    except requests.ConnectionError as exc:
        # urllib3 nests the useful part ("Connection refused") deep inside a URL dump.
        errno = re.search(r"\[Errno -?\d+\] ([^\"')]+)", str(exc))
        reason = errno.group(1).strip() if errno else _scrub(str(exc))[:200]
        raise _failed(path, f"Could not reach TMDB: {reason}", temporary=True) from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        reason = _scrub(str(exc))
        raise _failed(path, f"TMDB_URL is not a usable URL: {reason}", temporary=False) from None
    except requests.RequestException as exc:
        reason = f"{type(exc).__name__}: {_scrub(str(exc))}"
        raise _failed(path, f"TMDB request failed: {reason}", temporary=False) from None
    elapsed_ms = (time.monotonic() - started) * 1000
    log.debug("TMDB %s answered %s in %.0f ms", path, response.status_code, elapsed_ms)
    if response.status_code != 200:
        raise _http_error(path, response)
    try:
        data = response.json()
    except ValueError:
        raise _failed(path, "TMDB answered with something that is not JSON.", False) from None
    if not isinstance(data, dict):
        raise _failed(path, "TMDB answered with JSON that is not an object.", temporary=False)
    return data


def _failed(path: str, message: str, temporary: bool, **extra: Any) -> TMDBError:
    """Log a failed call (without the key) and build the error to raise."""
    log.warning("TMDB %s failed: %s", path, message)
    return TMDBError(message, temporary=temporary, **extra)


def _http_error(path: str, response: requests.Response) -> TMDBError:
    """Turn a non-200 answer into a TMDBError, keeping TMDB's own message."""
    status = response.status_code
    try:
        body = response.json()
        detail = str(body.get("status_message") or "") if isinstance(body, dict) else ""
    except ValueError:
        detail = ""
    detail = _scrub(detail)[:200]
    suffix = f" ({detail})" if detail else ""
    if status == 401:
        return _failed(
            path, f"TMDB refused the API key; check TMDB_API_KEY{suffix}.", False, status=status
        )
    if status == 429:
        retry_after = _float(response.headers.get("Retry-After"))
        return _failed(
            path,
            f"TMDB asks us to slow down (HTTP 429){suffix}.",
            True,
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        return _failed(
            path, f"TMDB is having trouble (HTTP {status}){suffix}.", True, status=status
        )
    return _failed(path, f"TMDB answered HTTP {status}{suffix}.", False, status=status)


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


def _date(value: object) -> date | None:
    """Read a TMDB day ("2024-05-03"); TMDB sends "" or null when it has none."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _poster_url(image_base: str, poster_path: object, size: str = POSTER_SIZE) -> str:
    # A poster path is a bare file name ("/abc.jpg"); anything else is not put in a page.
    if not isinstance(poster_path, str) or not re.fullmatch(r"/[\w.-]+", poster_path):
        return ""
    return f"{image_base}{size}{poster_path}"


def _image_base() -> str:
    """Return the image base URL from TMDB's /configuration, as TMDB asks clients to."""
    key = _cache_key("configuration")
    cached = _cache_get(key)
    if cached is not None:
        return cached
    try:
        images = _get("/configuration", {}).get("images")
    except TMDBNotConfigured:
        raise
    except TMDBError:
        images = None
    base = images.get("secure_base_url") if isinstance(images, dict) else None
    if isinstance(base, str) and re.fullmatch(r"https?://[^\s?#]+/", base):
        _cache_set(key, base, CONFIGURATION_CACHE_SECONDS)
        return base
    # TMDB's documented base still works when /configuration did not answer; ask again later.
    _cache_set(key, DEFAULT_IMAGE_BASE, SEARCH_CACHE_SECONDS)
    return DEFAULT_IMAGE_BASE


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _float(value: object) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# --- Cache ----------------------------------------------------------------------------


def _cache_key(*parts: object) -> str:
    """Build a cache key per TMDB base URL (never the API key)."""
    base = hashlib.sha256(_base_url().encode()).hexdigest()[:12]
    return ":".join(["tmdb", f"v{CACHE_VERSION}", base, *map(str, parts)])


def _cache_get(key: str) -> Any:
    # The cache only saves TMDB calls: when it is down, search still works.
    try:
        return cache.get(key)
    except Exception:
        log.warning("Cache unavailable; asking TMDB directly", exc_info=True)
        return None


def _cache_set(key: str, value: object, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        log.warning("Cache unavailable; TMDB answer not cached", exc_info=True)


# --- Images ---------------------------------------------------------------------------

# The sizes TMDB's /configuration lists for posters and backdrops that the pages use.
IMAGE_SIZES = ("w185", "w342", "w500", "w780", "w1280")
# A w1280 backdrop is ~300 KB; past this it is not an image a page should carry.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_PATH = re.compile(r"/[A-Za-z0-9_-]+\.(?:jpg|png)")


def fetch_image(size: str, path: str) -> bytes:
    """Download one poster or backdrop (`size` like "w342", `path` like "/abc.jpg")."""
    if size not in IMAGE_SIZES:
        raise ValueError(f"size must be one of {', '.join(IMAGE_SIZES)}, not {size!r}.")
    if not isinstance(path, str) or not IMAGE_PATH.fullmatch(path):
        raise ValueError(f"path must look like '/abc.jpg', not {path!r}.")
    url = f"{_image_base()}{size}{path}"
    timeout = _timeout()
    try:
        # The image host needs no API key: none is sent, so none can leak from here.
        with _session.get(
            url,
            headers={"Accept": "image/*"},
            timeout=(min(timeout, 3.05), timeout),
            stream=True,
        ) as response:
            if response.status_code != 200:
                raise _failed(
                    path,
                    f"TMDB's image host answered HTTP {response.status_code}.",
                    response.status_code >= 500 or response.status_code == 429,
                    status=response.status_code,
                )
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > IMAGE_MAX_BYTES:
                    raise _failed(path, "TMDB sent an image over 5 MB; not kept.", False)
    except requests.Timeout:
        raise _failed(path, f"TMDB did not answer within {timeout:g} s.", temporary=True) from None
    except requests.RequestException as exc:
        reason = f"{type(exc).__name__}: {_scrub(str(exc))[:200]}"
        raise _failed(path, f"Could not fetch the image: {reason}", temporary=True) from None
    if not body:
        raise _failed(path, "TMDB sent an empty image.", temporary=True)
    return bytes(body)
