"""The kiosk's home page: your requests, what Plex just got, and TMDB's rows to browse."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from library.models import LibraryItem
from requests_app import flow, search, tmdb
from requests_app.models import ACTIVE_STATUSES, MediaRequest
from requests_app.progress import Progress, progress_of_many
from requests_app.progress import poll_seconds as poll_every

log = logging.getLogger(__name__)

MINE_LIMIT = 12
RECENT_LIMIT = 12
ROW_LIMIT = 20  # TMDB's first page

# (key, heading, the TMDB list): in the order the page shows them.
ROWS: tuple[tuple[str, Promise, Callable[..., list[tmdb.TitleResult]]], ...] = (
    ("trending", _("Trending this week"), tmdb.trending_this_week),
    ("popular-movies", _("Popular movies"), tmdb.popular_movies),
    ("popular-shows", _("Popular shows"), tmdb.popular_shows),
    ("upcoming", _("Coming soon"), tmdb.upcoming_movies),
)


@dataclass(frozen=True)
class RequestCard:
    """One of the person's requests, with its download's progress while it runs."""

    request: MediaRequest
    progress: Progress | None


@dataclass(frozen=True)
class DiscoveryRow:
    """One of TMDB's lists, each title marked in Plex or requested."""

    key: str
    heading: str
    hits: list[search.SearchHit]


@dataclass(frozen=True)
class HomePage:
    """Everything the home page shows."""

    mine: list[RequestCard]
    recent: list[LibraryItem]
    rows: list[DiscoveryRow]  # only the rows TMDB could give

    @property
    def poll_seconds(self) -> int | None:
        return poll_seconds(self.mine)


def home_page(*, user: AbstractBaseUser) -> HomePage:
    """Gather the home page: the person's active requests, Plex's newest, TMDB's rows."""
    return HomePage(
        mine=your_requests(user=user),
        recent=list(
            LibraryItem.objects.exclude(added_at=None).order_by("-added_at")[:RECENT_LIMIT]
        ),
        rows=discovery_rows(),
    )


def your_requests(*, user: AbstractBaseUser) -> list[RequestCard]:
    """Return the person's active requests, newest first, with their progress bars."""
    mine = list(
        flow.visible_requests(user)
        .filter(requested_by=user, status__in=ACTIVE_STATUSES)
        .order_by("-created_at", "-pk")[:MINE_LIMIT]
    )
    progress = progress_of_many(mine)
    return [RequestCard(request=r, progress=progress.get(r.pk)) for r in mine]


def poll_seconds(mine: list[RequestCard]) -> int | None:
    """Say how often the page re-reads *Your requests*: often while one moves, else rarely."""
    if not mine:
        return None
    return poll_every(c.request.status for c in mine)


def discovery_rows() -> list[DiscoveryRow]:
    """Return TMDB's rows that could be had, marked all together in two queries."""
    if not tmdb.is_configured():
        return []
    # Read here: the pool's threads do not see this thread's active language.
    language = tmdb.page_language()
    # Side by side: with a cold cache the page waits for one TMDB round trip, not four.
    with ThreadPoolExecutor(max_workers=len(ROWS)) as pool:
        lists = list(pool.map(_fetch, ROWS, [language] * len(ROWS)))
    fetched = [
        (key, heading, found)
        for (key, heading, _fetch_list), found in zip(ROWS, lists, strict=True)
        if found
    ]
    hits = iter(search.mark_titles([t for _key, _heading, found in fetched for t in found]))
    return [
        DiscoveryRow(key=key, heading=str(heading), hits=[next(hits) for _title in found])
        for key, heading, found in fetched
    ]


def _fetch(
    row: tuple[str, Promise, Callable[..., list[tmdb.TitleResult]]], language: str
) -> list[tmdb.TitleResult]:
    """Fetch one row's titles, or none when TMDB cannot give them (the page goes on)."""
    key, _heading, fetch = row
    try:
        return fetch(language=language)[:ROW_LIMIT]
    except tmdb.TMDBError as exc:
        # The client logged the failure as a warning once; this says what it cost, at each load.
        log.debug("Home row %s hidden: %s", key, exc)
        return []
