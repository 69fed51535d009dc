"""What happens to a request: creation, approval, cancellation and the people's side of it.

The background steps (search, download, import, completion) are in `requests_app.pipeline`.
Every function here takes ids or users, changes state only through `transitions.transition`,
and queues background work with `transaction.on_commit`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from requests_app import queueing, quotas, tmdb
from requests_app.availability import in_plex
from requests_app.models import (
    ACTIVE_STATUSES,
    MediaRequest,
    MediaType,
    Profile,
    RequestEpisode,
    Status,
)
from requests_app.pipeline import queue_search
from requests_app.transitions import record_creation, transition

logger = logging.getLogger(__name__)


class RequestRefused(Exception):
    """The request cannot be made; the message says why, in the person's words."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CreateOutcome:
    request: MediaRequest
    created: bool
    message: str


def needs_approval(user: AbstractBaseUser) -> bool:
    """Say whether a request by this person waits for a staff approval."""
    if user.is_staff or not settings.REQUESTS_NEED_APPROVAL:
        return False
    return not Profile.objects.filter(user=user, auto_approve=True).exists()


def find_active(media_type: str, tmdb_id: int, season: int | None) -> MediaRequest | None:
    return MediaRequest.objects.filter(
        media_type=media_type, tmdb_id=tmdb_id, season=season, status__in=ACTIVE_STATUSES
    ).first()


def _title_details(media_type: str, tmdb_id: int) -> tmdb.TitleResult:
    try:
        return tmdb.details(media_type, tmdb_id)
    except tmdb.TMDBNotConfigured as exc:
        raise RequestRefused(_("Title search is not configured (TMDB_API_KEY).")) from exc
    except tmdb.TMDBError as exc:
        if exc.temporary:
            raise RequestRefused(_("The title database is not answering; try again soon.")) from exc
        raise RequestRefused(_("No such title."), field="tmdb_id") from exc


def _validate_kind(media_type: str, season: int | None) -> None:
    if media_type not in MediaType.values:
        raise RequestRefused(_("Choose a movie or a TV season."), field="media_type")
    if media_type == MediaType.TV and season is None:
        raise RequestRefused(_("Choose a season."), field="season")
    if media_type == MediaType.MOVIE and season is not None:
        raise RequestRefused(_("A movie has no season."), field="season")


def _join(existing: MediaRequest, user: AbstractBaseUser) -> CreateOutcome:
    if existing.requested_by_id != user.pk:
        existing.watchers.add(user)
    if existing.status == Status.PENDING and not needs_approval(user):
        # The same request from this person would not have waited, so it waits no more.
        reason = _("Approved: %(who)s asked for it too.") % {"who": user.get_username()}
        approved = _start_again(existing.pk, by=user, reason=reason, only_from={Status.PENDING})
        if approved is not None:
            return CreateOutcome(approved, False, _("Already requested; now approved."))
    return CreateOutcome(
        existing, False, _("Already requested: you will be told when it is ready.")
    )


def create_request(
    *,
    user: AbstractBaseUser,
    media_type: str,
    tmdb_id: int,
    season: int | None = None,
    follow: bool = False,
) -> CreateOutcome:
    """Make a request, join an active one for the same title, or complete it if Plex has it.

    `follow` (a season) also asks for each new season of the show TMDB announces later.
    """
    _validate_kind(media_type, season)
    existing = find_active(media_type, tmdb_id, season)
    if existing is not None:
        return _join(existing, user)

    info = _title_details(media_type, tmdb_id)
    if media_type == MediaType.TV and info.seasons and season not in info.seasons:
        raise RequestRefused(
            _("%(title)s has no season %(season)s.") % {"title": info.title, "season": season},
            field="season",
        )
    quota = quotas.quota_for(user, media_type)
    if quota.remaining == 0:
        raise RequestRefused(quotas.quota_message(quota, media_type))

    already_there = in_plex(info, season=season, whole_season=True)
    if already_there:
        status, reason = Status.COMPLETED, _("Already in your library.")
    elif needs_approval(user):
        status, reason = Status.PENDING, _("Waiting for approval.")
    else:
        status, reason = Status.APPROVED, _("Approved automatically.")

    task_id = str(uuid.uuid4()) if status == Status.APPROVED else ""
    try:
        with transaction.atomic():
            request = MediaRequest.objects.create(
                requested_by=user,
                media_type=media_type,
                title=info.title,
                year=info.year,
                season=season,
                tmdb_id=info.tmdb_id,
                imdb_id=info.imdb_id or "",
                tvdb_id=info.tvdb_id,
                poster_url=info.poster_url,
                overview=info.overview[:5000],
                aliases=list(info.aliases),
                origin_countries=list(info.origin_country),
                original_language=info.original_language,
                follow_show=follow and media_type == MediaType.TV,
                status=status,
                status_reason=reason,
                celery_task_id=task_id,
            )
            record_creation(request, actor=user, reason=reason)
            if status == Status.APPROVED:
                queueing.search(request.pk, task_id)
            elif status == Status.PENDING:
                queueing.notify(request.pk, "pending")
            else:  # completed at once: the requester hears it like any other completion
                queueing.notify(request.pk, "finished")
            if media_type == MediaType.TV:
                queueing.refresh_episodes(request.pk)
    except IntegrityError:
        # Someone asked for the same title a moment ago: join their request.
        existing = find_active(media_type, tmdb_id, season)
        if existing is None:
            raise
        return _join(existing, user)
    if already_there:
        request.completed_at = request.created_at
        MediaRequest.objects.filter(pk=request.pk).update(completed_at=request.created_at)
    return CreateOutcome(request, True, reason)


def request_missing_seasons(
    *, user: AbstractBaseUser, tmdb_id: int, follow: bool = False
) -> list[CreateOutcome]:
    """Request each season of a show that Plex lacks; return what became of each.

    Seasons Plex holds are skipped; a season someone asked for already is joined. When the
    quota runs out part-way, the seasons asked for so far stand. `follow` goes on the
    newest season's request, which then asks for the next one when TMDB announces it.
    """
    info = _title_details(MediaType.TV, tmdb_id)
    seasons = sorted(s for s in info.seasons if s > 0)
    missing = [
        s
        for s in seasons
        if find_active(MediaType.TV, tmdb_id, s) or not in_plex(info, season=s, whole_season=True)
    ]
    if not missing:
        raise RequestRefused(
            _("Every season of %(title)s is already in Plex.") % {"title": info.title}
        )
    outcomes: list[CreateOutcome] = []
    for season in missing:
        try:
            outcomes.append(
                create_request(
                    user=user,
                    media_type=MediaType.TV,
                    tmdb_id=tmdb_id,
                    season=season,
                    follow=follow and season == missing[-1],
                )
            )
        except RequestRefused:
            if not outcomes:
                raise
            break
    return outcomes


def request_announced_seasons() -> list[CreateOutcome]:
    """Ask for the seasons TMDB announced since, of every show followed; return the outcomes.

    The newest season's request carries the following on; a refusal (the requester's
    quota is spent) is logged and tried again the next day.
    """
    outcomes: list[CreateOutcome] = []
    followed = MediaRequest.objects.filter(media_type=MediaType.TV, follow_show=True).exclude(
        status__in=(Status.DECLINED, Status.CANCELLED)
    )
    for request in followed.select_related("requested_by"):
        asked = MediaRequest.objects.filter(
            media_type=MediaType.TV, tmdb_id=request.tmdb_id
        ).aggregate(newest=Max("season"))["newest"]
        try:
            show = tmdb.show_status(request.tmdb_id, refresh=True)
            announced = sorted(s.season_number for s in show.seasons if s.season_number > asked)
            if announced:
                # The request checks the season against the show's details, cached a day.
                tmdb.details(MediaType.TV, request.tmdb_id, refresh=True)
        except tmdb.TMDBError as exc:
            logger.warning("request %s: show not read from TMDB: %s", request.pk, exc)
            continue
        for season in announced:
            try:
                outcome = create_request(
                    user=request.requested_by,
                    media_type=MediaType.TV,
                    tmdb_id=request.tmdb_id,
                    season=season,
                    follow=season == announced[-1],
                )
            except RequestRefused as exc:
                logger.warning("request %s: season %s not asked for: %s", request.pk, season, exc)
                break
            outcomes.append(outcome)
            MediaRequest.objects.filter(pk=request.pk).update(follow_show=False)
    return outcomes


def _start_again(
    request_id: int, *, by: AbstractBaseUser, reason: str, only_from: set[str], **fields: object
) -> MediaRequest | None:
    """Move a request to `approved` and queue its search, once the change commits."""
    moved: list[MediaRequest] = []

    def claim(task_id: str) -> bool:
        request = transition(
            request_id,
            to=Status.APPROVED,
            reason=reason,
            actor=by,
            only_from=only_from,
            celery_task_id=task_id,
            **fields,
        )
        moved.extend([request] if request is not None else [])
        return request is not None

    queue_search(request_id, claim=claim)
    return moved[0] if moved else None


def approve(request_id: int, *, by: AbstractBaseUser) -> MediaRequest | None:
    """Approve a pending request (staff) and start it."""
    return _start_again(request_id, by=by, reason=_("Approved."), only_from={Status.PENDING})


def decline(request_id: int, *, by: AbstractBaseUser, reason: str) -> MediaRequest | None:
    """Decline a pending request (staff), with a reason the requester will read."""
    reason = reason.strip() or _("Declined.")
    with transaction.atomic():
        request = transition(
            request_id, to=Status.DECLINED, reason=reason, actor=by, only_from={Status.PENDING}
        )
        if request is not None:
            queueing.notify(request_id, "finished")
    return request


def retry(request_id: int, *, by: AbstractBaseUser) -> MediaRequest | None:
    """Start a failed or not-found request again from the search (staff)."""
    request = _start_again(
        request_id,
        by=by,
        reason=_("Retried."),
        only_from={Status.FAILED, Status.NOT_FOUND},
        failovers=0,
        next_search_at=None,
    )
    if request is not None:
        # A season's given-up episodes get their releases tried again too.
        RequestEpisode.objects.filter(request=request).update(failovers=0)
    return request


def cancel(request_id: int, *, by: AbstractBaseUser) -> MediaRequest | None:
    """Cancel an active request and stop its download; keeps nothing half-imported."""
    with transaction.atomic():
        request = transition(request_id, to=Status.CANCELLED, reason=_("Cancelled."), actor=by)
        if request is not None:
            # A movie's one download, or each of a season's episode downloads.
            hashes = {
                request.download_hash,
                *request.episodes.values_list("download_hash", flat=True),
            }
            for info_hash in sorted(hashes - {""}):
                queueing.stop_download(info_hash)
    return request


def can_view(user: AbstractBaseUser, request: MediaRequest) -> bool:
    """Staff see every request; a member sees those they made or joined."""
    if user.is_staff or request.requested_by_id == user.pk:
        return True
    return request.watchers.filter(pk=user.pk).exists()


def can_cancel(user: AbstractBaseUser, request: MediaRequest) -> bool:
    """Only the requester (or staff) may cancel; a watcher may not stop it for others."""
    return user.is_staff or request.requested_by_id == user.pk


def visible_requests(user: AbstractBaseUser) -> QuerySet[MediaRequest]:
    """Requests a person may see: their own and those they joined; staff see all."""
    qs = MediaRequest.objects.select_related("requested_by")
    if user.is_staff:
        return qs
    joined = MediaRequest.watchers.through.objects.filter(user_id=user.pk).values("mediarequest_id")
    return qs.filter(Q(requested_by=user) | Q(pk__in=joined))
