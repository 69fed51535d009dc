"""Put back in motion the requests whose next step was lost.

Every step of a request travels as a Celery message. Acks-late and Redis's append-only
file keep those messages through a dead worker or a Redis restart, but a few can still
go: the broker was unreachable at the moment a request was created, Redis lost its data,
or a process died between a download's end and the message that tells its request.
This sweep (the `recover-requests` row, every 10 minutes) finds requests that have waited
far longer than their step ever takes and sends that step again (and removes the download
of a request cancelled while the broker was away, and sends the notice of a request whose
people were never told of its state). Each step is safe to send twice: a search is claimed
by its task id, a notice by the status it tells of, and the others move the request only
from the state they expect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from downloads.lifecycle import ACTIVE
from downloads.models import Download
from requests_app import notifications, pipeline, queueing
from requests_app.models import EpisodeState, MediaRequest, RequestEpisode, Status, owner_ref

logger = logging.getLogger(__name__)

# An approved request is claimed for its search within seconds (its retries then run in
# "searching"); half an hour means its message never reached a worker.
APPROVED_LOST_AFTER = timedelta(minutes=30)
# A download that ended (imported or failed) tells its request at once.
DOWNLOAD_NEWS_LOST_AFTER = timedelta(minutes=15)
# A notice goes out within seconds of the change it tells of.
NOTICE_LOST_AFTER = timedelta(minutes=15)
# A broker down for a day leaves many untold; the rest wait for the next sweeps, oldest first.
NOTICES_PER_SWEEP = 50


def search_lost_after() -> timedelta:
    """A search whose worker died comes back after Redis's visibility timeout: wait that
    out, and a whole run (Celery's hard time limit), before deciding its message is gone.
    The search's own retries (about 2 h in all, see requests_app.tasks) end before it."""
    redelivery = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get(
        "visibility_timeout", 7200
    )
    return timedelta(seconds=redelivery + current_app.conf.task_time_limit)


@dataclass
class Recovered:
    searches: list[int] = field(default_factory=list)
    completions: list[int] = field(default_factory=list)
    failovers: list[int] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)
    in_plex: list[int] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {
            "searches": self.searches,
            "completions": self.completions,
            "failovers": self.failovers,
            "removals": self.removals,
            "in_plex": self.in_plex,
            "notices": self.notices,
        }


def recover_requests(now: datetime | None = None) -> Recovered:
    """Send again the lost step of every request that has waited too long; say which."""
    now = now or timezone.now()
    recovered = Recovered()
    for request in _waited(Status.APPROVED, now - APPROVED_LOST_AFTER):
        if _search_again(request):
            recovered.searches.append(request.pk)
    for request in _waited(Status.SEARCHING, now - search_lost_after()):
        if _search_again(request):
            recovered.searches.append(request.pk)
    _recover_download_news(now - DOWNLOAD_NEWS_LOST_AFTER, recovered)
    _recover_episode_download_news(now - DOWNLOAD_NEWS_LOST_AFTER, recovered)
    _recover_removals(now - DOWNLOAD_NEWS_LOST_AFTER, recovered)
    _recover_library_news(now - DOWNLOAD_NEWS_LOST_AFTER, recovered)
    _recover_notices(now - NOTICE_LOST_AFTER, recovered)
    if any(recovered.as_dict().values()):
        logger.warning("requests whose next step was lost, sent again: %s", recovered.as_dict())
    return recovered


def _waited(status: str, since: datetime) -> QuerySet[MediaRequest]:
    return MediaRequest.objects.filter(status=status, updated_at__lt=since).only(
        "pk", "status", "updated_at", "celery_task_id"
    )


def _search_again(request: MediaRequest) -> bool:
    """Queue the search under a new task id; the lost message, if it ever runs, is skipped."""
    # Only if nothing moved since we read it: a step that just ran keeps its own message.
    unmoved = MediaRequest.objects.filter(
        pk=request.pk, status=request.status, updated_at=request.updated_at
    )
    return pipeline.queue_search(
        request.pk,
        claim=lambda task_id: unmoved.update(celery_task_id=task_id, updated_at=timezone.now()),
    )


def _recover_download_news(since: datetime, recovered: Recovered) -> None:
    """Tell downloading requests whose download ended long ago what became of it."""
    waiting = {
        r.download_hash: r
        for r in MediaRequest.objects.filter(
            status=Status.DOWNLOADING, updated_at__lt=since
        ).exclude(download_hash="")
    }
    if not waiting:
        return
    ended = Download.objects.filter(
        info_hash__in=list(waiting),
        updated_at__lt=since,
        state__in=[
            Download.State.IMPORTED,
            Download.State.REMOVED,
            Download.State.FAILED,
            Download.State.CANCELLED,
        ],
    )
    for download in ended:
        request = waiting[download.info_hash]
        if download.owner_ref != owner_ref(request.pk):
            continue  # another request's download of the same release
        if download.state in (Download.State.IMPORTED, Download.State.REMOVED):
            queueing.complete(request.pk, download.info_hash)
            recovered.completions.append(request.pk)
        else:
            reason = download.error or "the download ended"
            queueing.fail_over(request.pk, download.info_hash, reason)
            recovered.failovers.append(request.pk)


def _recover_episode_download_news(since: datetime, recovered: Recovered) -> None:
    """Tell seasons whose episodes' downloads ended long ago what became of them."""
    waiting = set(
        RequestEpisode.objects.filter(
            state=EpisodeState.DOWNLOADING,
            request__status__in=[Status.DOWNLOADING, Status.PROCESSING],
        )
        .exclude(download_hash="")
        .values_list("request_id", "request__status", "download_hash")
    )
    if not waiting:
        return
    downloads = {
        d.info_hash: d
        for d in Download.objects.filter(info_hash__in={h for _r, _s, h in waiting}).only(
            "info_hash", "owner_ref", "state", "error", "imported_at", "updated_at"
        )
    }
    unfiled = {request_id for request_id, _s, h in waiting if not _filed(downloads.get(h))}
    told: set[int] = set()
    for request_id, status, info_hash in sorted(waiting):
        download = downloads.get(info_hash)
        if download is None or download.updated_at >= since:
            continue
        if download.owner_ref != owner_ref(request_id):
            continue  # another request's download of the same release
        if download.state in LOST or (download.state == S.REMOVED and not download.imported_at):
            queueing.fail_over(request_id, info_hash, download.error or "the download ended")
            recovered.failovers.append(request_id)
        elif status == Status.DOWNLOADING and request_id not in unfiled | told:
            # Every episode's download is filed, yet the request still says downloading.
            queueing.complete(request_id, info_hash)
            recovered.completions.append(request_id)
            told.add(request_id)


S = Download.State
# Downloads that ended without their files in the library.
LOST = (S.FAILED, S.CANCELLED)


def _filed(download: Download | None) -> bool:
    return download is not None and (
        download.state == S.IMPORTED or (download.state == S.REMOVED and bool(download.imported_at))
    )


def _recover_removals(since: datetime, recovered: Recovered) -> None:
    """Remove the downloads of requests cancelled long ago that still run in qBittorrent."""
    # From the few running downloads to their requests: cancelled requests pile up for
    # 90 days, running downloads do not. A season's request may own several.
    running: dict[int, list[str]] = {}
    for info_hash, ref in Download.objects.filter(state__in=ACTIVE).values_list(
        "info_hash", "owner_ref"
    ):
        if (request_id := MediaRequest.id_from_owner_ref(ref)) is not None:
            running.setdefault(request_id, []).append(info_hash)
    cancelled = MediaRequest.objects.filter(
        pk__in=list(running), status=Status.CANCELLED, updated_at__lt=since
    ).values_list("pk", flat=True)
    for request_id in cancelled:
        for info_hash in sorted(running[request_id]):
            queueing.stop_download(info_hash)
        recovered.removals.append(request_id)


def _recover_library_news(since: datetime, recovered: Recovered) -> None:
    """Complete requests still processing long after Plex listed their media."""
    # The library announces what it finds; a lost announcement (or one that came before
    # the request was told its download was filed) would leave them processing for good.
    waiting = MediaRequest.objects.filter(status=Status.PROCESSING, updated_at__lt=since)
    for request in waiting:
        if pipeline.complete_if_in_plex(request):
            recovered.in_plex.append(request.pk)


def _recover_notices(since: datetime, recovered: Recovered) -> None:
    """Send the notice of each request whose people were never told of its state."""
    # Lost when the broker was down as the state changed (a request answered "already in
    # Plex" from the kiosk), or with a Redis that lost its data. told_status is cleared on
    # every change of status, so "differs" means "not told of this one".
    untold = (
        MediaRequest.objects.filter(status__in=list(notifications.ANNOUNCED), updated_at__lt=since)
        .exclude(told_status=F("status"))
        .order_by("updated_at", "pk")
        .values_list("pk", "status")[:NOTICES_PER_SWEEP]
    )
    for request_id, status in untold:
        queueing.notify(request_id, notifications.ANNOUNCED[status])
        recovered.notices.append(request_id)
