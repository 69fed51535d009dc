"""The episodes of a requested season: what TMDB says aired, and what the Plex mirror holds.

A TV request is for a season; its episode rows show the household which episodes Plex
already has, which are on their way and which have not aired yet ("6 of 10 in Plex · next
episode Friday"). The rows are written from TMDB's season (when a request is made, and
daily while the season is on the air) and from the mirror (whenever the library
announces new episodes), never from a page view.
"""

from __future__ import annotations

import logging
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

logger = logging.getLogger(__name__)

# The request's download is the season's today (a season pack): while it runs, every
# episode Plex lacks is on its way.
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


def _state(number: int, *, aired: set[int], in_plex: set[int], downloading: bool) -> str:
    if number in in_plex:
        return EpisodeState.IN_PLEX
    if number not in aired:
        return EpisodeState.NOT_AIRED
    return EpisodeState.DOWNLOADING if downloading else EpisodeState.WANTED


def refresh_episodes(
    request_id: int, *, now: datetime | None = None, refresh: bool = False
) -> EpisodeSummary | None:
    """Write the season's episodes from TMDB and the mirror; None for a movie or no request.

    Raises `tmdb.TMDBError` when TMDB cannot answer (`temporary` says whether to retry).
    """
    request = MediaRequest.objects.filter(pk=request_id, media_type=MediaType.TV).first()
    if request is None or request.season is None:
        return None
    season = tmdb.season(request.tmdb_id, request.season, refresh=refresh)
    aired = {e.episode_number for e in tmdb.aired_episodes(season, now=now or timezone.now())}
    in_plex = plex_episode_numbers(request, request.season)
    downloading = request.status in DOWNLOADING_STATUSES
    numbers = [e.episode_number for e in season.episodes]
    with transaction.atomic():
        for episode in season.episodes:
            RequestEpisode.objects.update_or_create(
                request=request,
                number=episode.episode_number,
                defaults={
                    "title": episode.name[:300],
                    "air_date": episode.air_date,
                    "state": _state(
                        episode.episode_number,
                        aired=aired,
                        in_plex=in_plex,
                        downloading=downloading,
                    ),
                },
            )
        # TMDB renumbered or dropped an episode: the row of one that no longer exists goes.
        RequestEpisode.objects.filter(request=request).exclude(number__in=numbers).delete()
    return summary(request)


def mark_from_mirror(request: MediaRequest) -> int:
    """Move the request's episodes Plex now holds to *in Plex*; return how many moved."""
    if request.season is None:
        return 0
    in_plex = plex_episode_numbers(request, request.season)
    if not in_plex:
        return 0
    return (
        RequestEpisode.objects.filter(request=request, number__in=in_plex)
        .exclude(state=EpisodeState.IN_PLEX)
        .update(state=EpisodeState.IN_PLEX, updated_at=timezone.now())
    )


def summary(request: MediaRequest) -> EpisodeSummary | None:
    """Count the season's episodes by state, or None when none are known yet."""
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
    """Return the season's episodes as a person sees them now (wanted ones of a running
    download read *downloading*, whatever the last refresh wrote)."""
    rows = list(request.episodes.all())
    if request.status in DOWNLOADING_STATUSES:
        for row in rows:
            if row.state == EpisodeState.WANTED:
                row.state = EpisodeState.DOWNLOADING
    return rows


def airing_requests() -> list[int]:
    """Active TV requests with an episode still to air, or none known yet: refreshed daily."""
    tv = MediaRequest.objects.filter(media_type=MediaType.TV, status__in=ACTIVE_STATUSES)
    waiting = tv.filter(episodes__state=EpisodeState.NOT_AIRED).values_list("pk", flat=True)
    unknown = tv.filter(episodes__isnull=True).values_list("pk", flat=True)
    return sorted({*waiting, *unknown})
