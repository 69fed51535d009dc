"""Whether Plex already has what a request (or a title about to be requested) asks for."""

from __future__ import annotations

from typing import Protocol

from library.lookups import has_media_under, is_in_plex
from requests_app.models import MediaType


class Work(Protocol):
    """What a TMDB title and a request share: enough to find the work in the mirror."""

    media_type: str
    tmdb_id: int
    imdb_id: str
    tvdb_id: int | None
    title: str
    year: int | None


def in_plex(work: Work, *, season: int | None, library_folder: str = "") -> bool:
    """Say whether the mirror holds the movie (or the season), by id, title, or its folder.

    `library_folder` is where the request's download was filed: Plex may list an item it
    has not matched to TMDB yet (no ids) or with another title, but its files are there.
    """
    if library_folder and has_media_under(library_folder):
        return True
    return is_in_plex(
        media_type="movie" if work.media_type == MediaType.MOVIE else "show",
        tmdb_id=work.tmdb_id,
        imdb_id=work.imdb_id or None,
        tvdb_id=work.tvdb_id,
        title=work.title,
        year=work.year,
        season=season if work.media_type == MediaType.TV else None,
    )
