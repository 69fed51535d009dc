"""A season's request, episode by episode: cover what is wanted, start it, say where it stands.

The episode rows (`requests_app.episodes`) say what is wanted: aired, not in Plex, not on
its way. One search covers the wanted episodes with a season pack, single or multi-episode
releases, or only the needed files of a bigger pack (`downloads.episode_plan`); each
release becomes a download of its own, and each episode row names the download bringing
it, so a stalled episode fails over alone. The request's state follows from its rows
(`settle`): *downloading* while an episode downloads, *following* while the rest has not
aired (its next search set for just after the next episode airs), *completed* when every
episode is in Plex.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from downloads import lifecycle, search
from downloads.episode_plan import EpisodePlan, plan_episodes
from downloads.models import Download, ReleaseCandidate, ReleaseSearch
from downloads.parsing import ABSOLUTE
from downloads.search import SearchOutcome
from requests_app import episodes, queueing, tmdb
from requests_app.models import EpisodeState, MediaRequest, RequestEpisode, Status, owner_ref
from requests_app.steps import (
    TryLater,
    complete,
    give_up,
    media_query,
    next_search_delay,
    search_indexers,
)
from requests_app.transitions import transition

logger = logging.getLogger(__name__)

E = EpisodeState
# After an episode counts as aired (`tmdb.aired_at`), search for it at these moments; past
# the last, the usual back-off between searches (`steps.next_search_delay`).
AIRED_SEARCH_DELAYS = (
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=24),
)
# A download whose rows say "downloading" but name no download: the step that claimed them
# died before qBittorrent took the release (see `release_stale_claims`).
STALE_CLAIM_AFTER = timedelta(minutes=15)
# While episodes arrive one by one, the people hear of the first at once, then at most once
# a day (a digest), then "season N is complete".
DIGEST_EVERY = timedelta(hours=24)
# Downloads still at work for their episodes (not yet filed into the library).
_WORKING = (*lifecycle.ACTIVE, Download.State.COMPLETED, Download.State.IMPORTING)


def has_episode_rows(request: MediaRequest) -> bool:
    """Say whether the request's season is followed episode by episode."""
    return request.season is not None and request.episodes.exists()


def has_downloading_episodes(request: MediaRequest) -> bool:
    """Say whether some of the season's episodes are on their way."""
    return request.episodes.filter(state=E.DOWNLOADING).exists()


# --- searching ----------------------------------------------------------------------------
def search_season(request: MediaRequest, *, now: datetime | None = None) -> str | None:
    """Cover the season's wanted episodes with releases and start them; say what happened.

    The request is already claimed for this search. Returns None when TMDB cannot list
    the season's episodes at all (not configured): the caller then searches the season as
    one pack. Raises `TryLater` when TMDB, the indexers or qBittorrent are away for now.
    """
    now = now or timezone.now()
    listed = _read_season(request, now)
    if listed is None:
        return None
    wanted = _wanted_numbers(request)
    if not wanted:
        return settle(request.pk, now=now, by_search=True)
    outcome = search_indexers(request)
    if outcome is None:
        return "failed"
    plan = _plan(request, outcome, wanted)
    try:
        _start_plan(request, plan, outcome)
    except _GaveUp:
        return "failed"
    return settle(request.pk, now=now, by_search=True, uncovered=plan.uncovered)


def _read_season(request: MediaRequest, now: datetime) -> bool | None:
    """Write the rows from TMDB's season (fresh); say if any are known, None without TMDB."""
    try:
        # The rows' episode names are shown on pages: in the household's language.
        season = tmdb.season(
            request.tmdb_id, request.season, refresh=True, language=tmdb.household_language()
        )
    except tmdb.TMDBNotConfigured:
        if not has_episode_rows(request):
            return None
        episodes.write_states(request, now=now)
        return True
    except tmdb.SeasonWithoutEpisodes:
        return False  # announced, not scheduled: followed until TMDB lists its episodes
    except tmdb.TMDBError as exc:
        if has_episode_rows(request):
            # The rows of the last reading still say what aired; air dates rarely move.
            logger.warning("request %s: TMDB not read, last episode list used: %s", request.pk, exc)
            episodes.write_states(request, now=now)
            return True
        if exc.temporary:
            raise TryLater(str(exc)) from exc
        return None
    episodes.write_season(request, season, now=now)
    return True


def _wanted_numbers(request: MediaRequest) -> set[int]:
    """Return the episodes to search for: aired, not in Plex, not on their way, not given up."""
    return set(
        request.episodes.filter(
            state=E.WANTED, failovers__lte=settings.REQUEST_MAX_FAILOVERS
        ).values_list("number", flat=True)
    )


def _plan(request: MediaRequest, outcome: SearchOutcome, wanted: set[int]) -> EpisodePlan:
    rows = list(request.episodes.only("number", "state", "air_date"))
    profile = outcome.search.profile
    return plan_episodes(
        absolute_offset=_episodes_before(request),
        candidates=outcome.ranking,
        season=request.season,
        wanted=wanted,
        aired={r.number for r in rows if r.state != E.NOT_AIRED},
        season_episode_count=max((r.number for r in rows), default=None),
        air_dates={r.number: r.air_date for r in rows if r.air_date},
        rules=profile.rules() if profile is not None else None,
    )


def _episodes_before(request: MediaRequest) -> int | None:
    """Count the show's episodes before the season (for anime numbered from the first)."""
    try:
        show = tmdb.show_status(request.tmdb_id)
    except tmdb.TMDBError:
        return None  # such names are then not placed in the season, nothing else changes
    return sum(s.episode_count for s in show.seasons if 0 < s.season_number < request.season)


def _start_plan(request: MediaRequest, plan: EpisodePlan, outcome: SearchOutcome) -> None:
    """Start one download per planned release, each for the episodes it brings."""
    rank_of = {id(ranked): rank for rank, ranked in enumerate(outcome.ranking.ranked, start=1)}
    ranks = [rank_of[id(entry.candidate)] for entry in plan.entries]
    stored = {c.rank: c for c in outcome.search.candidates.filter(rank__in=ranks)}
    # The planned releases are the chosen ones: the admin's search page shows what was taken
    # (the ranking alone judged episodes "not a season pack", and may have chosen a pack the
    # plan leaves, e.g. while the season airs).
    if ranks:
        outcome.search.candidates.exclude(rank__in=ranks).update(chosen=False)
        outcome.search.candidates.filter(rank__in=ranks).update(chosen=True)
        ReleaseSearch.objects.filter(pk=outcome.search.pk).update(status=ReleaseSearch.Status.FOUND)
    offset = plan.absolute_offset
    for entry, rank in zip(plan.entries, ranks, strict=True):
        absolute = entry.candidate.parsed.coverage.kind == ABSOLUTE
        _start_entry(
            request,
            stored[rank],
            entry.episodes,
            select_files=entry.some_files_only,
            absolute_offset=offset if absolute else None,
        )


def _start_entry(
    request: MediaRequest,
    candidate: ReleaseCandidate,
    numbers: tuple[int, ...],
    *,
    select_files: bool,
    absolute_offset: int | None,
) -> None:
    if not _claim(request, numbers):
        return  # another step took some of them meanwhile; the next search sees the rest
    try:
        download = lifecycle.start_download(
            candidate=candidate,
            owner_ref=owner_ref(request.pk),
            media=media_query(request),
            episodes=numbers,
            select_files=select_files,
            absolute_offset=absolute_offset,
        )
    except lifecycle.ReleaseUnusable as exc:
        search.blocklist_release(
            info_hash=candidate.info_hash,
            title=candidate.title,
            request_ref=owner_ref(request.pk),
            reason=str(exc),
        )
        _unclaim(request, numbers)
        return  # wanted again: the next search plans around the broken release
    except ServiceError as exc:
        # Only a service's refusal is handled; a bug of ours propagates to the task.
        _unclaim(request, numbers)
        if exc.temporary:
            raise TryLater(str(exc)) from exc
        give_up(request.pk, _("Could not start the download: %(why)s") % {"why": exc})
        raise _GaveUp() from exc
    if download.owner_ref != owner_ref(request.pk):
        # Another season's request already downloads this pack (a multi-season one) for its
        # own files: wait for it to end rather than take its download over.
        logger.info("request %s: %s is another request's download", request.pk, download)
        _unclaim(request, numbers)
        return
    RequestEpisode.objects.filter(
        request=request, number__in=numbers, state=E.DOWNLOADING, download_hash=""
    ).update(download_hash=download.info_hash, updated_at=timezone.now())
    logger.info(
        "request %s: %s from %s",
        request.pk,
        episodes.episode_label(request.season, numbers),
        download.release_title,
    )


class _GaveUp(Exception):
    """The request was failed for a reason nobody can fix by retrying."""


def _claim(request: MediaRequest, numbers: tuple[int, ...]) -> bool:
    """Move these wanted episodes to *downloading* all at once, or none of them."""
    with transaction.atomic():
        claimed = RequestEpisode.objects.filter(
            request=request, number__in=numbers, state=E.WANTED
        ).update(state=E.DOWNLOADING, download_hash="", updated_at=timezone.now())
        if claimed != len(set(numbers)):
            transaction.set_rollback(True)
            return False
    return True


def _unclaim(request: MediaRequest, numbers: Iterable[int]) -> None:
    RequestEpisode.objects.filter(
        request=request, number__in=list(numbers), state=E.DOWNLOADING, download_hash=""
    ).update(state=E.WANTED, updated_at=timezone.now())


# --- a download's end ---------------------------------------------------------------------
def download_filed(request: MediaRequest, *, info_hash: str, now: datetime | None = None) -> str:
    """One of the season's downloads is in the library folder: see what Plex has, settle."""
    if not request.episodes.filter(download_hash=info_hash).exists():
        return "skipped: not this request's download"
    arrived = episodes.mark_from_mirror(request)
    outcome = settle(request.pk, now=now)
    announce_arrivals(request.pk, arrived=arrived, now=now)
    return outcome


def fail_over(
    request: MediaRequest, *, info_hash: str, task_id: str | None, now: datetime | None = None
) -> str:
    """A download of the season failed: want its episodes again and search for them alone."""
    rows = request.episodes.filter(download_hash=info_hash, state=E.DOWNLOADING)
    if not rows.exists():
        if task_id and request.celery_task_id == task_id and request.status in _SEARCHABLE:
            # This failover's retry (a service was away): its episodes are wanted already.
            return _search_again(request, now)
        return "skipped: not this download"
    with transaction.atomic():
        rows.update(
            state=E.WANTED,
            download_hash="",
            failovers=F("failovers") + 1,
            updated_at=timezone.now(),
        )
        MediaRequest.objects.filter(pk=request.pk).update(
            failovers=F("failovers") + 1,
            search_attempts=F("search_attempts") + 1,
            **({"celery_task_id": task_id} if task_id else {}),
        )
    request.refresh_from_db()
    return _search_again(request, now)


def _search_again(request: MediaRequest, now: datetime | None) -> str:
    return search_season(request, now=now) or "skipped: no episode list"


# --- where the request stands -------------------------------------------------------------
# The states a season's request may be searched from, beside approved and not found.
_SEARCHABLE = (Status.SEARCHING, Status.DOWNLOADING, Status.PROCESSING, Status.FOLLOWING)


def settle(
    request_id: int,
    *,
    now: datetime | None = None,
    by_search: bool = False,
    uncovered: dict[int, str] | None = None,
) -> str:
    """Set the request's state, reason and next search from its episode rows; say which.

    A search in progress settles the request itself when it ends (`by_search`); anything
    else that settles meanwhile leaves it alone.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = MediaRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.status in (Status.PENDING, Status.APPROVED):
            return "skipped"
        if not request.is_active or (request.status == Status.SEARCHING and not by_search):
            return "skipped"
        rows = list(request.episodes.all())
        to, reason = _standing(request, rows, uncovered or {})
        if to == Status.COMPLETED:
            complete(request.pk, reason)
            return to
        if to == Status.FAILED:
            give_up(request.pk, reason)
            return to
        next_at = next_search_at(rows, now=now, attempts=request.search_attempts)
        if to == request.status:
            MediaRequest.objects.filter(pk=request.pk).update(
                status_reason=reason[:500], next_search_at=next_at, updated_at=now
            )
        else:
            transition(request.pk, to=to, reason=reason, next_search_at=next_at)
    return to


def _standing(
    request: MediaRequest, rows: list[RequestEpisode], uncovered: dict[int, str]
) -> tuple[str, str]:
    """Return the state the rows put the request in, and the reason a person reads."""
    by_state: dict[str, list[int]] = {}
    for row in rows:
        by_state.setdefault(row.state, []).append(row.number)
    in_plex, downloading = by_state.get(E.IN_PLEX, []), by_state.get(E.DOWNLOADING, [])
    wanted, not_aired = by_state.get(E.WANTED, []), by_state.get(E.NOT_AIRED, [])
    season = request.season
    count = {"in_plex": len(in_plex), "total": len(rows)}
    if not rows:
        return Status.FOLLOWING, _(
            "TMDB lists no episode of season %(season)s yet; checking again later."
        ) % {"season": season}
    if len(in_plex) == len(rows):
        return Status.COMPLETED, _("Every episode of season %(season)s is in Plex.") % {
            "season": season
        }
    given_up = [r.number for r in rows if r.state == E.WANTED and _given_up(r)]
    if downloading:
        hashes = {r.download_hash for r in rows if r.state == E.DOWNLOADING}
        working = "" in hashes or (
            Download.objects.filter(info_hash__in=hashes - {""}, state__in=_WORKING).exists()
        )
        what = episodes.episode_label(season, downloading)
        if working:
            text = _("Downloading %(what)s (%(in_plex)s of %(total)s in Plex).")
            return Status.DOWNLOADING, text % {"what": what, **count}
        text = _("Filed %(what)s into the library; waiting for Plex to show it.")
        return Status.PROCESSING, text % {"what": what}
    if given_up and len(given_up) == len(wanted) and not not_aired:
        return Status.FAILED, _("%(what)s: every release failed; no more to try.") % {
            "what": episodes.episode_label(season, given_up)
        }
    searchable = sorted(set(wanted) - set(given_up))
    if searchable:
        why = "; ".join(f"E{n:02d}: {uncovered[n]}" for n in searchable[:3] if n in uncovered) or _(
            "no acceptable release yet"
        )
        text = _("%(what)s not found yet (%(why)s); searching again later.")
        return Status.NOT_FOUND, text % {
            "what": episodes.episode_label(season, searchable),
            "why": why,
        }
    next_date = min(
        (r.air_date for r in rows if r.state == E.NOT_AIRED and r.air_date), default=None
    )
    if next_date is None:
        text = _("%(in_plex)s of %(total)s in Plex; the next episode has no air date yet.")
        return Status.FOLLOWING, text % count
    text = _("%(in_plex)s of %(total)s in Plex; next episode %(day)s.")
    return Status.FOLLOWING, text % {**count, "day": formats.date_format(next_date, "D j M")}


def _given_up(row: RequestEpisode) -> bool:
    return row.failovers > settings.REQUEST_MAX_FAILOVERS


def next_search_at(
    rows: Iterable[RequestEpisode], *, now: datetime, attempts: int
) -> datetime | None:
    """Return when the season is next searched: just after an episode airs, or backing off.

    An aired episode not found yet is searched 1, 2, 6 and 24 hours after it counts as
    aired, then with the usual back-off; an episode still to air 1 hour after it counts as
    aired. A season on the air also reads TMDB again every TV_AIRING_CHECK_MINUTES (air
    dates move, and announced episodes get dates).
    """
    times: list[datetime] = []
    check_again = now + timedelta(minutes=settings.TV_AIRING_CHECK_MINUTES)
    for row in rows:
        if row.state == E.WANTED and not _given_up(row):
            aired = tmdb.aired_at(row.air_date) if row.air_date else now
            later = [aired + d for d in AIRED_SEARCH_DELAYS if aired + d > now]
            times.append(later[0] if later else now + next_search_delay(attempts))
        elif row.state == E.NOT_AIRED:
            times.append(check_again)
            if row.air_date:
                times.append(tmdb.aired_at(row.air_date) + AIRED_SEARCH_DELAYS[0])
    return min(times, default=None)


# --- keeping it moving --------------------------------------------------------------------
def release_stale_claims(*, now: datetime | None = None) -> list[int]:
    """Want again the episodes a dead step claimed but never started; return their requests."""
    now = now or timezone.now()
    stale = RequestEpisode.objects.filter(
        state=E.DOWNLOADING, download_hash="", updated_at__lt=now - STALE_CLAIM_AFTER
    )
    request_ids = sorted(set(stale.values_list("request_id", flat=True)))
    if request_ids:
        stale.update(state=E.WANTED, updated_at=now)
        # Searched at the next pass of the search-due-requests row.
        MediaRequest.objects.filter(pk__in=request_ids).update(next_search_at=now)
    return request_ids


def announce_arrivals(request_id: int, *, arrived: list[int], now: datetime | None = None) -> bool:
    """Tell the people which episodes reached Plex: the first at once, then a daily digest.

    The completion of the season is told by its own message, so episodes arriving with it
    are not told twice. Returns whether a message was queued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = MediaRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            return False
        waiting = request.episodes.filter(state=E.IN_PLEX, announced=False)
        if request.status == Status.COMPLETED or not request.is_active:
            waiting.update(announced=True)
            return False
        last = request.episodes_notified_at
        if not arrived and last is None:
            return False
        if last is not None and now - last < DIGEST_EVERY:
            return False  # held for the digest (`send_held_digests`)
        numbers = sorted(waiting.values_list("number", flat=True))
        if not numbers:
            return False
        waiting.update(announced=True)
        MediaRequest.objects.filter(pk=request_id).update(episodes_notified_at=now)
        queueing.notify_episodes(request_id, numbers)
    return True


def send_held_digests(*, now: datetime | None = None) -> int:
    """Send the digest of every season whose arrivals waited out the day; say how many."""
    now = now or timezone.now()
    due = (
        MediaRequest.objects.filter(
            episodes__state=E.IN_PLEX,
            episodes__announced=False,
            episodes_notified_at__lte=now - DIGEST_EVERY,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    return sum(announce_arrivals(pk, arrived=[], now=now) for pk in list(due))
