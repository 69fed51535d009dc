"""The background steps of a request: search and download, failover, completion.

Each step is a plain function the task in `requests_app.tasks` calls with an id. Each one
claims its request by moving its state (see `transitions.transition`), so a step that runs
twice — a redelivered message, a retry after a crash — finds the work already claimed or
done and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from downloads import lifecycle, search
from downloads.models import Download, ReleaseSearch
from library.models import Episode, LibraryItem
from requests_app import episodes, queueing, seasons
from requests_app.availability import in_plex
from requests_app.models import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    MediaRequest,
    MediaType,
    Status,
    owner_ref,
)
from requests_app.steps import (
    TryLater,
    complete,
    give_up,
    media_query,
    next_search_delay,
    nothing_found_reason,
    search_indexers,
)
from requests_app.transitions import transition

logger = logging.getLogger(__name__)


def queue_search(request_id: int, *, claim: Callable[[str], object]) -> bool:
    """Claim the request for a new search task id and queue that search; say if claimed.

    `claim(task_id)` stores the id on the request (moving its state, or only if nothing
    moved since it was read) and is truthy when it did. A search message that was lost, or
    superseded, finds another task's id on the request and changes nothing.
    """
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        if not claim(task_id):
            return False
        queueing.search(request_id, task_id)
    return True


def _claim_search(request_id: int, task_id: str | None, reason: str) -> MediaRequest | None:
    request = transition(
        request_id,
        to=Status.SEARCHING,
        reason=reason,
        only_from={Status.APPROVED, Status.NOT_FOUND, Status.FOLLOWING},
        for_task=task_id,
        search_attempts=F("search_attempts") + 1,
    )
    if request is not None:
        return request
    # A redelivered or retried run of the same task finds its own claim still in place
    # (and a message superseded by the recovery sweep finds another task's id: skipped).
    current = MediaRequest.objects.filter(pk=request_id).first()
    if _claimed_by(current, task_id):
        return current
    # A season searched for newly aired episodes while others download keeps its state:
    # the claim is the task id, and each episode is claimed again when its release starts.
    if _claimed_for_episodes(current, task_id):
        MediaRequest.objects.filter(pk=request_id).update(search_attempts=F("search_attempts") + 1)
        return current
    return None


def _claimed_for_episodes(request: MediaRequest | None, task_id: str | None) -> bool:
    return (
        request is not None
        and request.media_type == MediaType.TV
        and request.status in (Status.DOWNLOADING, Status.PROCESSING)
        and bool(task_id)
        and request.celery_task_id == task_id
    )


def _claimed_by(request: MediaRequest | None, task_id: str | None) -> bool:
    """Say whether this task holds the request's search claim."""
    return (
        request is not None
        and request.status == Status.SEARCHING
        and bool(task_id)
        and request.celery_task_id == task_id
    )


def search_and_download(
    request_id: int, *, task_id: str | None = None, now: datetime | None = None
) -> str:
    """Search the indexers, pick the best release, hand it to qBittorrent; say what happened.

    `now` is the clock a season's search reads air dates against (tests move it).
    """
    request = _claim_search(request_id, task_id, _("Searching the indexers."))
    if request is None:
        return "skipped: not waiting for a search"
    if request.media_type == MediaType.TV:
        outcome = seasons.search_season(request, now=now)
        if outcome is not None:
            return outcome
        # No episode list (TMDB not set up): the season is searched as one pack.
    return _search_claimed(request)


def _search_claimed(request: MediaRequest, *, candidate: object = None) -> str:
    """Search (unless a candidate is given), then start the download of the best release."""
    if candidate is None:
        outcome = search_indexers(request)
        if outcome is None:
            return "failed"
        if outcome.chosen is None:
            delay = next_search_delay(request.search_attempts)
            transition(
                request.pk,
                to=Status.NOT_FOUND,
                reason=nothing_found_reason(outcome.ranking),
                next_search_at=timezone.now() + delay,
            )
            return "not found"
        candidate = outcome.chosen
    return _start(request, candidate)


def _start(request: MediaRequest, candidate: object) -> str:
    """Hand the candidate to qBittorrent; a broken torrent makes way for the next one."""
    while candidate is not None:
        try:
            download = lifecycle.start_download(
                candidate=candidate, owner_ref=owner_ref(request.pk), media=media_query(request)
            )
            break
        except lifecycle.ReleaseUnusable as exc:
            search.blocklist_release(
                info_hash=candidate.info_hash,
                title=candidate.title,
                request_ref=owner_ref(request.pk),
                reason=str(exc),
            )
            candidate = _next_stored_candidate(request.pk)
        except ServiceError as exc:
            # Only a service's refusal becomes the request's reason; a bug in our own
            # code propagates, so the task fails where an admin sees it.
            if exc.temporary:
                raise TryLater(str(exc)) from exc
            give_up(request.pk, _("Could not start the download: %(why)s") % {"why": exc})
            return "failed"
    else:
        transition(
            request.pk,
            to=Status.NOT_FOUND,
            reason=_("Every acceptable release was broken; searching again later."),
            next_search_at=timezone.now() + next_search_delay(request.search_attempts),
        )
        return "not found"
    transition(
        request.pk,
        to=Status.DOWNLOADING,
        reason=_("Downloading %(release)s.") % {"release": download.release_title},
        only_from={Status.SEARCHING},
        release_title=download.release_title[:500],
        download_hash=download.info_hash,
        next_search_at=None,
    )
    return "downloading"


def out_of_retries(request_id: int, reason: str) -> str:
    """End a step a service kept refusing: fail the request, unless it is a season with
    episodes on their way, which keeps them and searches for the rest later."""
    request = MediaRequest.objects.filter(pk=request_id).first()
    if request is not None and seasons.has_downloading_episodes(request):
        return seasons.settle(request_id, by_search=True)
    give_up(request_id, reason)
    return "failed"


def fail_over(request_id: int, *, info_hash: str, reason: str, task_id: str | None = None) -> str:
    """After a download failed, try the next acceptable release, or fail past the limit."""
    current = MediaRequest.objects.filter(pk=request_id).first()
    if current is not None and seasons.has_episode_rows(current):
        return seasons.fail_over(current, info_hash=info_hash, task_id=task_id)
    if _claimed_by(current, task_id):
        # This failover's retry (qBittorrent or the indexers were away): the request left
        # `downloading` on the first try, so resume that claim instead of skipping it.
        return _search_claimed(current, candidate=_next_stored_candidate(request_id))
    if (
        current is None
        or current.status != Status.DOWNLOADING
        or current.download_hash != info_hash
    ):
        return "skipped: not this download"
    if current.failovers >= settings.REQUEST_MAX_FAILOVERS:
        give_up(
            request_id,
            _("Download failed (%(reason)s); no more releases to try.") % {"reason": reason},
        )
        return "failed"
    request = transition(
        request_id,
        to=Status.SEARCHING,
        reason=_("Download failed (%(reason)s); trying the next release.") % {"reason": reason},
        only_from={Status.DOWNLOADING},
        failovers=F("failovers") + 1,
        search_attempts=F("search_attempts") + 1,
        download_hash="",
        **({"celery_task_id": task_id} if task_id else {}),
    )
    if request is None:
        return "skipped: state moved"
    # The next acceptable release of the last search; with none left, search afresh.
    return _search_claimed(request, candidate=_next_stored_candidate(request_id))


def _next_stored_candidate(request_id: int) -> object:
    """The next acceptable release of the latest search, skipping what is blocklisted now."""
    found = ReleaseSearch.objects.filter(request_ref=owner_ref(request_id)).order_by("-pk").first()
    return None if found is None else search.next_best_candidate(found)


def download_done(request_id: int, *, info_hash: str) -> str:
    """The files are in the library folder and Plex was asked to scan: wait for Plex.

    The library watches the folder and announces what Plex lists (`media_changed`); if
    it was faster than this step, the request completes here.
    """
    current = MediaRequest.objects.filter(pk=request_id).first()
    if current is not None and seasons.has_episode_rows(current):
        return seasons.download_filed(current, info_hash=info_hash)
    request = transition(
        request_id,
        to=Status.PROCESSING,
        reason=_("Filed into the library; waiting for Plex to show it."),
        only_from={Status.DOWNLOADING},
    )
    if request is None:
        return "skipped"
    return "completed" if complete_if_in_plex(request) else "processing"


def complete_if_in_plex(request: MediaRequest) -> bool:
    """Complete the request if the mirror shows its media (by ids, title or its folder).

    A season followed episode by episode takes the episodes Plex now lists, and completes
    when it holds them all.
    """
    if seasons.has_episode_rows(request):
        arrived = episodes.mark_from_mirror(request)
        done = seasons.settle(request.pk) == Status.COMPLETED
        seasons.announce_arrivals(request.pk, arrived=arrived)
        return done
    return _is_in_plex(request) and complete(request.pk)


def _is_in_plex(request: MediaRequest) -> bool:
    folder = ""
    if request.download_hash:
        folder = (
            Download.objects.filter(info_hash=request.download_hash)
            .values_list("library_folder", flat=True)
            .first()
        ) or ""
    return in_plex(request, season=request.season, library_folder=folder)


def import_delayed(request_id: int, *, info_hash: str, reason: str) -> bool:
    """Show why the request's finished download is not filed yet; the import retries."""
    # Status stays "downloading" (its files are not in the library); only the reason the
    # requester and staff read changes, and only for this request's current download.
    why = _("Downloaded, but not in the library yet: %(why)s. Trying again by itself.") % {
        "why": reason
    }
    return bool(
        MediaRequest.objects.filter(
            pk=request_id, status=Status.DOWNLOADING, download_hash=info_hash
        ).update(status_reason=why[:500], updated_at=timezone.now())
    )


def complete_matching(*, item_ids: list[int], episode_ids: list[int] = ()) -> int:
    """Complete active requests whose title Plex just added or changed; return how many.

    `item_ids` are movies and shows, `episode_ids` episodes, new or changed in the mirror.
    A request matches by TMDB, IMDb or TVDB id, or because its download was filed in a
    folder that now holds the item's files.
    """
    show_ids = Episode.objects.filter(pk__in=list(episode_ids)).values_list("show_id", flat=True)
    items = LibraryItem.objects.filter(pk__in={*item_ids, *show_ids})
    tmdb_ids, imdb_ids, tvdb_ids = set(), set(), set()
    for tmdb_id, imdb_id, tvdb_id in items.values_list("tmdb_id", "imdb_id", "tvdb_id"):
        tmdb_ids.add(tmdb_id)
        imdb_ids.add(imdb_id)
        tvdb_ids.add(tvdb_id)
    by_id = Q(tmdb_id__in=tmdb_ids - {None}) | Q(imdb_id__in=imdb_ids - {""})
    by_id |= Q(tvdb_id__in=tvdb_ids - {None})
    # Filed but not matched (or matched to other ids) yet: known by the download's folder.
    filed = Q(status=Status.PROCESSING)
    count = 0
    for request in MediaRequest.objects.filter(by_id | filed, status__in=ACTIVE_STATUSES):
        count += complete_if_in_plex(request)
    return count


# Requests searched again when their `next_search_at` comes: not found yet, and seasons
# whose episodes air (while others download, are filed, or once all aired are in Plex).
DUE_STATUSES = (Status.NOT_FOUND, Status.FOLLOWING, Status.DOWNLOADING, Status.PROCESSING)
# Were the search message lost, the request is due again this long after it was sent.
LOST_SEARCH_DUE_AGAIN = timedelta(hours=3)


def search_due_again(*, now: datetime | None = None) -> int:
    """Queue a new search for each request whose next search is due; say how many."""
    now = now or timezone.now()
    seasons.release_stale_claims(now=now)
    due = MediaRequest.objects.filter(status__in=DUE_STATUSES, next_search_at__lte=now)
    queued = 0
    for request_id, status in due.values_list("pk", "status"):
        unclaimed = MediaRequest.objects.filter(
            pk=request_id, status=status, next_search_at__lte=now
        )
        if queue_search(
            request_id,
            claim=lambda task_id, rows=unclaimed: rows.update(
                celery_task_id=task_id, next_search_at=now + LOST_SEARCH_DUE_AGAIN
            ),
        ):
            queued += 1
    return queued


def delete_old_finished(*, days: int) -> int:
    """Delete completed, failed, declined and cancelled requests older than `days`."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _by_model = MediaRequest.objects.filter(
        status__in=FINISHED_STATUSES, updated_at__lt=cutoff
    ).delete()
    return deleted
