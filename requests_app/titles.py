"""A title's page: what TMDB says of a movie or show, and where it stands here (Plex, requests)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.utils.translation import gettext as _

from library.lookups import find_in_plex
from library.models import Episode, LibraryItem
from library.server_identity import play_url
from requests_app import flow, tmdb
from requests_app.models import ACTIVE_STATUSES, MediaRequest, MediaType, Status

PLEX_TYPES = {MediaType.MOVIE: LibraryItem.Type.MOVIE, MediaType.TV: LibraryItem.Type.SHOW}


class TitleNotFound(Exception):
    """TMDB has no title with this id."""


class TitleUnavailable(Exception):
    """TMDB cannot describe the title now (not set up, or not answering); says why."""


@dataclass(frozen=True)
class Ask:
    """A request for the title (or one season) and whether this person may open its page."""

    request: MediaRequest
    can_view: bool

    @property
    def requested_by(self) -> str:
        """Return the requester's name as the household knows it."""
        user = self.request.requested_by
        return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class SeasonRow:
    """One season of a show: how much of it Plex has and whether someone asked for it."""

    number: int
    episode_count: int  # TMDB's, announced episodes included
    in_plex: int  # episodes the Plex mirror holds
    airing: bool  # TMDB's next episode is in this season
    ask: Ask | None

    @property
    def complete(self) -> bool:
        """Tell whether Plex holds every episode TMDB lists."""
        return self.episode_count > 0 and self.in_plex >= self.episode_count

    @property
    def requested(self) -> bool:
        """Tell whether a request for this season is still on its way."""
        return self.ask is not None and self.ask.request.status in ACTIVE_STATUSES

    @property
    def missing(self) -> bool:
        """Tell whether *Request all missing seasons* would ask for this one."""
        return not self.complete and not self.requested


@dataclass(frozen=True)
class TitlePage:
    """Everything a title's page shows."""

    details: tmdb.TitlePageDetails
    plex_item: LibraryItem | None  # the movie or show in the Plex mirror
    ask: Ask | None  # movies: the request for it, if any
    seasons: tuple[SeasonRow, ...] = ()  # TV, Specials left out (they are not requested)
    play_url: str | None = None  # "Play in Plex", when Plex has it and the server is known

    @property
    def title(self) -> tmdb.TitleResult:
        return self.details.title

    @property
    def in_plex(self) -> bool:
        """Tell whether Plex has the movie, or every episode of every season of the show."""
        if self.title.media_type == MediaType.TV:
            return bool(self.seasons) and all(s.complete for s in self.seasons)
        return self.plex_item is not None

    @property
    def missing_seasons(self) -> list[int]:
        return [s.number for s in self.seasons if s.missing]

    @property
    def number_of_seasons(self) -> int:
        return len(self.seasons)


def title_page(*, user: AbstractBaseUser, media_type: str, tmdb_id: int) -> TitlePage:
    """Describe a movie or show from TMDB, with what Plex holds and what is requested."""
    try:
        details = tmdb.title_page_details(media_type, tmdb_id, language=tmdb.page_language())
    except tmdb.TMDBNotConfigured as exc:
        raise TitleUnavailable(
            _("Title search is not configured: the admin must set TMDB_API_KEY.")
        ) from exc
    except tmdb.TMDBError as exc:
        if exc.status == 404:
            raise TitleNotFound(str(exc)) from exc
        if exc.temporary:
            raise TitleUnavailable(
                _("The title database is not answering; try again soon.")
            ) from exc
        raise TitleUnavailable(str(exc)) from exc  # the client keeps the key out of it
    title = details.title
    item = find_in_plex(
        tmdb_id=title.tmdb_id,
        imdb_id=title.imdb_id or None,
        tvdb_id=title.tvdb_id,
        title=title.title,
        year=title.year,
        media_type=LibraryItem.Type.MOVIE
        if media_type == MediaType.MOVIE
        else LibraryItem.Type.SHOW,
    )
    asks = _asks(user, media_type, tmdb_id)
    play = play_url(item.rating_key) if item is not None else None
    if media_type == MediaType.MOVIE:
        return TitlePage(details=details, plex_item=item, ask=asks.get(None), play_url=play)
    held = dict(
        Episode.objects.filter(show=item)
        .values_list("season_number")
        .annotate(n=Count("pk"))
        .values_list("season_number", "n")
        if item is not None
        else ()
    )
    airing = details.next_episode_to_air.season_number if details.next_episode_to_air else None
    rows = tuple(
        SeasonRow(
            number=s.season_number,
            episode_count=s.episode_count,
            in_plex=held.get(s.season_number, 0),
            airing=s.season_number == airing,
            ask=asks.get(s.season_number),
        )
        for s in details.seasons
        if s.season_number > 0
    )
    return TitlePage(details=details, plex_item=item, ask=None, seasons=rows, play_url=play)


def request_play_url(media_request: MediaRequest) -> str | None:
    """Return the "Play in Plex" link of a completed request's movie or show, if Plex has it."""
    if media_request.status != Status.COMPLETED:
        return None
    item = find_in_plex(
        tmdb_id=media_request.tmdb_id,
        imdb_id=media_request.imdb_id or None,
        tvdb_id=media_request.tvdb_id,
        title=media_request.title,
        year=media_request.year,
        media_type=PLEX_TYPES[media_request.media_type],
    )
    return play_url(item.rating_key) if item is not None else None


def _asks(user: AbstractBaseUser, media_type: str, tmdb_id: int) -> dict[int | None, Ask]:
    """Return the request that stands for the title and each season: active, else completed."""
    found: dict[int | None, Ask] = {}
    candidates = (
        MediaRequest.objects.filter(
            media_type=media_type,
            tmdb_id=tmdb_id,
            status__in=[*ACTIVE_STATUSES, Status.COMPLETED],
        )
        .select_related("requested_by")
        .order_by("-created_at", "-pk")
    )
    for request in candidates:
        kept = found.get(request.season)
        if kept is None or (request.is_active and not kept.request.is_active):
            found[request.season] = Ask(request=request, can_view=flow.can_view(user, request))
    return found
