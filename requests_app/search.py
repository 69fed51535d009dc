"""Title search for the kiosk: TMDB results, each flagged "in Plex" or "requested"."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from library.models import LibraryItem
from requests_app import tmdb
from requests_app.models import ACTIVE_STATUSES, MediaRequest, MediaType, Status


class SearchUnavailable(Exception):
    """Title search cannot run now (not configured, or TMDB not answering)."""


@dataclass(frozen=True)
class SearchHit:
    media_type: str
    tmdb_id: int
    title: str
    year: int | None
    overview: str
    poster_url: str
    seasons: list[int]
    in_plex: bool
    request_id: int | None  # a show's: its newest active season request
    request_status: str | None
    requested_seasons: tuple[int, ...] = ()  # a show's seasons on their way

    @property
    def request_label(self) -> str:
        """Say what is asked for: "Requested", or a show's seasons ("Season 2 requested")."""
        seasons = self.requested_seasons
        if not seasons:
            return _("Requested")
        if len(seasons) == 1:
            return _("Season %(number)s requested") % {"number": seasons[0]}
        return _("Seasons %(numbers)s requested") % {"numbers": ", ".join(map(str, seasons))}


def search_titles(
    *, user: AbstractBaseUser, q: str, media_type: str | None = None, page: int = 1
) -> list[SearchHit]:
    """Search TMDB and mark what Plex has and what is already requested."""
    try:
        results = tmdb.search(q, media_type=media_type, page=page, language=tmdb.page_language())
    except tmdb.TMDBNotConfigured as exc:
        raise SearchUnavailable(
            _("Title search is not configured: the admin must set TMDB_API_KEY.")
        ) from exc
    except tmdb.TMDBError as exc:
        if exc.temporary:
            raise SearchUnavailable(
                _("The title database is not answering; try again soon.")
            ) from exc
        raise SearchUnavailable(str(exc)) from exc  # the client keeps the key out of it
    except ValueError as exc:
        raise SearchUnavailable(str(exc)) from exc
    return mark_titles(results)


def mark_titles(results: list[tmdb.TitleResult]) -> list[SearchHit]:
    """Mark which titles Plex has and which are requested, in two queries for them all.

    A movie is requested by its own request (active or completed); a show by any of its
    seasons' requests still on their way, which the card names.
    """
    in_plex = _in_plex([(r.media_type, r.tmdb_id) for r in results])
    requests: dict[tuple[str, int], MediaRequest] = {}
    seasons: dict[int, set[int]] = {}
    asked = (
        MediaRequest.objects.filter(tmdb_id__in=[r.tmdb_id for r in results])
        .filter(status__in=[*ACTIVE_STATUSES, Status.COMPLETED])
        .only("pk", "media_type", "tmdb_id", "season", "status")
        .order_by("created_at", "pk")
    )
    for request in asked:  # oldest first: the newest of a title's requests stays
        key = (request.media_type, request.tmdb_id)
        if request.media_type == MediaType.MOVIE:
            requests[key] = request
        elif request.status in ACTIVE_STATUSES:
            requests[key] = request
            seasons.setdefault(request.tmdb_id, set()).add(request.season)
    hits = []
    for r in results:
        request = requests.get((r.media_type, r.tmdb_id))
        on_their_way = seasons.get(r.tmdb_id, ()) if r.media_type == MediaType.TV else ()
        hits.append(
            SearchHit(
                media_type=r.media_type,
                tmdb_id=r.tmdb_id,
                title=r.title,
                year=r.year,
                overview=r.overview,
                poster_url=r.poster_url,
                seasons=list(r.seasons),
                in_plex=(r.media_type, r.tmdb_id) in in_plex,
                request_id=request.pk if request else None,
                request_status=request.status if request else None,
                requested_seasons=tuple(sorted(on_their_way)),
            )
        )
    return hits


def _in_plex(keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of these (media type, TMDB id) pairs the Plex mirror holds, in one query."""
    library_type = {"movie": LibraryItem.Type.MOVIE, "tv": LibraryItem.Type.SHOW}
    back = {v: k for k, v in library_type.items()}
    rows = LibraryItem.objects.filter(tmdb_id__in=[i for _, i in keys]).values_list(
        "type", "tmdb_id"
    )
    return {(back[kind], tmdb_id) for kind, tmdb_id in rows if kind in back}
