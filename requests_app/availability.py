"""Whether Plex already has what a request (or a title about to be requested) asks for."""

from __future__ import annotations

import logging
from typing import Protocol

from django.utils import timezone

from library.lookups import find_in_plex, has_media_under, is_in_plex, season_episodes
from requests_app import tmdb
from requests_app.models import MediaType

logger = logging.getLogger(__name__)


class Work(Protocol):
    """What a TMDB title and a request share: enough to find the work in the mirror."""

    media_type: str
    tmdb_id: int
    imdb_id: str
    tvdb_id: int | None
    title: str
    year: int | None


def in_plex(
    work: Work, *, season: int | None, library_folder: str = "", whole_season: bool = False
) -> bool:
    """Say whether the mirror holds the movie, or every aired episode of the season.

    A movie is found by id, title and year, or by `library_folder` — where the request's
    download was filed: Plex may list an item it has not matched to TMDB yet (no ids) or
    matched to another title, but its files are there. A season counts only when Plex has
    each episode TMDB says has aired: three episodes of ten are not "already in Plex".
    With `whole_season`, episodes still to air count too: a season on the air is not
    "already in your library" for someone asking for it, who wants the rest as it airs.
    """
    if work.media_type == MediaType.TV:
        return season is not None and _season_in_plex(work, season, whole=whole_season)
    if library_folder and has_media_under(library_folder):
        return True
    return is_in_plex(
        media_type="movie",
        tmdb_id=work.tmdb_id,
        imdb_id=work.imdb_id or None,
        tvdb_id=work.tvdb_id,
        title=work.title,
        year=work.year,
    )


def plex_episode_numbers(work: Work, season: int) -> set[int]:
    """Return the episode numbers of one season of the show that the Plex mirror holds."""
    show = find_in_plex(
        tmdb_id=work.tmdb_id,
        imdb_id=work.imdb_id or None,
        tvdb_id=work.tvdb_id,
        title=work.title,
        year=work.year,
        media_type="show",
    )
    return set() if show is None else set(season_episodes(show=show, season=season))


def _season_in_plex(work: Work, season: int, *, whole: bool) -> bool:
    held = plex_episode_numbers(work, season)
    if not held:
        return False
    try:
        listed = tmdb.season(work.tmdb_id, season)
    except tmdb.TMDBError as exc:
        # Without TMDB the mirror alone decides, as before episodes were known.
        logger.info(
            "TMDB cannot list season %s of %s (%s): Plex's episodes count", season, work.title, exc
        )
        return True
    if whole:
        return {e.episode_number for e in listed.episodes} <= held
    aired = {e.episode_number for e in tmdb.aired_episodes(listed, now=timezone.now())}
    return aired <= held
