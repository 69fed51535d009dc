"""A TV show's seasons on TMDB: where the show stands, a season's episodes, air dates."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from requests_app.tmdb.client import (
    DEFAULT_LANGUAGE,
    TMDBError,
    TMDBNotConfigured,
    _cache_get,
    _cache_key,
    _cache_set,
    _date,
    _get_tv,
    _int,
    _language_params,
    is_configured,
)

log = logging.getLogger(__name__)


# Air dates move while a season is on the air; an hour keeps a day's refreshes current.
EPISODES_CACHE_SECONDS = 60 * 60


class SeasonWithoutEpisodes(TMDBError):
    """TMDB knows the season but lists no episode of it yet (announced, not scheduled)."""


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
