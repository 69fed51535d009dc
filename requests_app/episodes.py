"""The episodes of a requested season: what TMDB says aired, and what the Plex mirror holds.

A TV request is for a season; its episode rows show the household which episodes Plex
already has, which are on their way and which have not aired yet ("6 of 10 in Plex · next
episode Friday"). The rows are written from TMDB's season (when a request is made, and
daily while the season is on the air) and from the mirror (whenever the library
announces new episodes), never from a page view.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from requests_app import tmdb
from requests_app.availability import plex_episode_numbers
from requests_app.models import (
    ACTIVE_STATUSES,
    EpisodeState,
    MediaRequest,
    MediaType,
    RequestEpisode,
    Status,
)
from requests_app.progress import progress_by_download

logger = logging.getLogger(__name__)

# A request with one download for the whole season (made when TMDB could not list its
# episodes): while it runs, every episode Plex lacks is on its way.
DOWNLOADING_STATUSES = (Status.DOWNLOADING, Status.PROCESSING)


@dataclass(frozen=True)
class EpisodeSummary:
    """What a person reads about a season: how much is in Plex and what airs next."""

    in_plex: int
    total: int
    aired: int
    next_air_date: date | None

    @property
    def airing(self) -> bool:
        return self.aired < self.total


def episode_label(season: int | None, numbers: Iterable[int]) -> str:
    """Name episodes the way people read them: S02E01, S02E03+E04, S02E01…E10."""
    numbers = sorted(set(numbers))
    if not numbers:
        return ""
    prefix = f"S{season or 0:02d}"
    if len(numbers) > 3 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{prefix}E{numbers[0]:02d}…E{numbers[-1]:02d}"
    return prefix + "+".join(f"E{n:02d}" for n in numbers)


def _state(number: int, *, aired: set[int], in_plex: set[int], row: RequestEpisode | None) -> str:
    if number in in_plex:
        return EpisodeState.IN_PLEX
    if row is not None and row.state == EpisodeState.DOWNLOADING:
        return EpisodeState.DOWNLOADING  # its download (or the step starting it) decides
    if number not in aired:
        return EpisodeState.NOT_AIRED
    return EpisodeState.WANTED


def refresh_episodes(
    request_id: int, *, now: datetime | None = None, refresh: bool = False
) -> EpisodeSummary | None:
    """Write the season's episodes from TMDB and the mirror; None for a movie or no request.

    Raises `tmdb.TMDBError` when TMDB cannot answer (`temporary` says whether to retry).
    """
    request = MediaRequest.objects.filter(pk=request_id, media_type=MediaType.TV).first()
    if request is None or request.season is None:
        return None
    season = tmdb.season(
        request.tmdb_id, request.season, refresh=refresh, language=tmdb.household_language()
    )
    write_season(request, season, now=now or timezone.now())
    return summary(request)


def write_season(request: MediaRequest, season: tmdb.Season, *, now: datetime) -> None:
    """Write one row per episode of TMDB's season, its state from air dates and the mirror."""
    aired = {e.episode_number for e in tmdb.aired_episodes(season, now=now)}
    _write(request, [(e.episode_number, e.name, e.air_date) for e in season.episodes], aired)


def write_states(request: MediaRequest, *, now: datetime) -> None:
    """Update the rows' states from their stored air dates and the mirror (TMDB away)."""
    rows = list(request.episodes.values_list("number", "title", "air_date"))
    aired = {n for n, _t, day in rows if day is not None and tmdb.aired_at(day) <= now}
    _write(request, rows, aired)


def _write(
    request: MediaRequest, entries: list[tuple[int, str, date | None]], aired: set[int]
) -> None:
    in_plex = plex_episode_numbers(request, request.season)
    numbers = [number for number, _title, _day in entries]
    with transaction.atomic():
        rows = {
            row.number: row
            for row in RequestEpisode.objects.select_for_update().filter(request=request)
        }
        for number, title, air_date in entries:
            RequestEpisode.objects.update_or_create(
                request=request,
                number=number,
                defaults={
                    "title": title[:300],
                    "air_date": air_date,
                    "state": _state(number, aired=aired, in_plex=in_plex, row=rows.get(number)),
                },
            )
        # TMDB renumbered or dropped an episode: the row of one that no longer exists goes.
        RequestEpisode.objects.filter(request=request).exclude(number__in=numbers).delete()


def mark_from_mirror(request: MediaRequest) -> list[int]:
    """Move the request's episodes Plex now holds to *in Plex*; return the numbers moved."""
    if request.season is None:
        return []
    in_plex = plex_episode_numbers(request, request.season)
    if not in_plex:
        return []
    arriving = RequestEpisode.objects.filter(request=request, number__in=in_plex).exclude(
        state=EpisodeState.IN_PLEX
    )
    numbers = sorted(arriving.values_list("number", flat=True))
    arriving.filter(number__in=numbers).update(
        state=EpisodeState.IN_PLEX, download_hash="", updated_at=timezone.now()
    )
    return numbers


def summary(request: MediaRequest) -> EpisodeSummary | None:
    """Count the season's episodes by state, or None when none are known yet."""
    if request.media_type != MediaType.TV:
        return None  # a movie has no episodes: its page, polled every 3 s, asks nothing
    rows = list(request.episodes.only("state", "air_date"))
    if not rows:
        return None
    upcoming = [r.air_date for r in rows if r.state == EpisodeState.NOT_AIRED and r.air_date]
    return EpisodeSummary(
        in_plex=sum(r.state == EpisodeState.IN_PLEX for r in rows),
        total=len(rows),
        aired=sum(r.state != EpisodeState.NOT_AIRED for r in rows),
        next_air_date=min(upcoming, default=None),
    )


def shown(request: MediaRequest) -> list[RequestEpisode]:
    """Return the season's episodes as a person sees them now, each downloading one with
    its download's `progress` (the wanted ones of a whole season's download, made before
    episodes had their own, read *downloading*)."""
    if request.media_type != MediaType.TV:
        return []  # a movie has no episodes (nor their downloads' progress to read)
    rows = list(request.episodes.all())
    whole_season = request.status in DOWNLOADING_STATUSES and bool(request.download_hash)
    progress = progress_by_download(
        [request.download_hash] if whole_season else [r.download_hash for r in rows]
    )
    for row in rows:
        if whole_season and row.state == EpisodeState.WANTED:
            row.state = EpisodeState.DOWNLOADING
        downloading = row.state == EpisodeState.DOWNLOADING
        key = request.download_hash if whole_season else row.download_hash
        row.progress = progress.get(key) if downloading else None
    return rows


def airing_requests() -> list[int]:
    """Active TV requests with an episode still to air, or none known yet: refreshed daily."""
    tv = MediaRequest.objects.filter(media_type=MediaType.TV, status__in=ACTIVE_STATUSES)
    waiting = tv.filter(episodes__state=EpisodeState.NOT_AIRED).values_list("pk", flat=True)
    unknown = tv.filter(episodes__isnull=True).values_list("pk", flat=True)
    return sorted({*waiting, *unknown})
