"""What the background steps of a request share: retrying, the query, back-off, the endings.

`requests_app.pipeline` runs a request's steps and `requests_app.seasons` a season's,
episode by episode; both end a request, back off between searches and search with the
same query, from here.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from downloads import search
from downloads.models import QualityProfile
from downloads.releases import MediaQuery
from downloads.search import SearchOutcome
from downloads.torznab import TorznabPermanentError, TorznabTemporaryError
from requests_app import queueing
from requests_app.models import MediaRequest, MediaType, Profile, Status, owner_ref
from requests_app.transitions import transition

# TMDB's codes are checked when read; a row edited by hand must not break every search.
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class TryLater(Exception):
    """A service the step needs is away for now; the task retries."""


def media_query(request: MediaRequest) -> MediaQuery:
    """Return what the indexers are searched for, from the request."""
    return MediaQuery(
        media_type=request.media_type,
        title=request.title,
        year=request.year,
        season=request.season if request.media_type == MediaType.TV else None,
        imdb_id=request.imdb_id or None,
        tmdb_id=request.tmdb_id,
        tvdb_id=request.tvdb_id,
        aliases=tuple(a for a in request.aliases if isinstance(a, str)),
        original_language=request.original_language
        if _LANGUAGE.match(request.original_language)
        else None,
        countries=tuple(
            c for c in request.origin_countries if isinstance(c, str) and _COUNTRY.match(c)
        ),
    )


def quality_profile(request: MediaRequest) -> QualityProfile | None:
    """Return the profile the requester chose for their requests, or None for the default."""
    mine = (
        Profile.objects.filter(user_id=request.requested_by_id)
        .select_related("quality_profile")
        .first()
    )
    return mine.quality_profile if mine else None


def search_indexers(request: MediaRequest) -> SearchOutcome | None:
    """Search the indexers for the request with its requester's profile.

    Returns None when the indexers cannot be searched for good (the request is failed with
    why); raises `TryLater` when they are away for now.
    """
    try:
        return search.find_best_release(
            media_query(request),
            profile=quality_profile(request),
            request_ref=owner_ref(request.pk),
        )
    except TorznabTemporaryError as exc:
        raise TryLater(str(exc)) from exc
    except TorznabPermanentError as exc:
        give_up(request.pk, _("The indexers cannot be searched: %(why)s") % {"why": exc})
        return None


def next_search_delay(attempts: int) -> timedelta:
    """Back off between searches for something not out yet: 6 h, 12 h, 24 h, then 3 days."""
    hours = min(6 * 2 ** max(attempts - 1, 0), 72)
    return timedelta(hours=hours)


def nothing_found_reason(ranking: object) -> str:
    """Say why nothing was picked, with the most common rejection reasons."""
    ranked = getattr(ranking, "ranked", [])
    if not ranked:
        return _("No release found yet; searching again later.")
    counts: dict[str, int] = {}
    for release in ranked:
        for reason in release.reasons[:1]:
            counts[reason] = counts.get(reason, 0) + 1
    common = sorted(counts, key=counts.get, reverse=True)[:3]
    return _("None of %(n)s releases was acceptable (%(why)s); searching again later.") % {
        "n": len(ranked),
        "why": "; ".join(common),
    }


def give_up(request_id: int, reason: str) -> None:
    """End a request that could not be processed, with a reason a person can read."""
    with transaction.atomic():
        done = transition(request_id, to=Status.FAILED, reason=reason)
        if done is not None:
            queueing.notify(request_id, "finished")


def complete(request_id: int, reason: str = "") -> bool:
    """Mark a request completed because Plex has it, and tell the people concerned."""
    with transaction.atomic():
        done = transition(
            request_id, to=Status.COMPLETED, reason=reason or _("Ready to watch in Plex.")
        )
        if done is not None:
            queueing.notify(request_id, "finished")
    return done is not None
