"""The request state machine: which changes are allowed, and recording each one."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from requests_app.models import MediaRequest, RequestEvent, Status

logger = logging.getLogger(__name__)

S = Status
# From each state, where a request may go. Anything else is refused (and changes nothing).
# A season's request moves between downloading, processing, not found and following as its
# episodes air, download and reach Plex (see requests_app.seasons).
ALLOWED: dict[str, set[str]] = {
    S.PENDING: {S.APPROVED, S.DECLINED, S.CANCELLED, S.COMPLETED},
    S.APPROVED: {S.SEARCHING, S.CANCELLED, S.COMPLETED, S.FAILED},
    S.SEARCHING: {
        S.DOWNLOADING,
        S.PROCESSING,
        S.NOT_FOUND,
        S.FOLLOWING,
        S.FAILED,
        S.APPROVED,
        S.CANCELLED,
        S.COMPLETED,
    },
    S.NOT_FOUND: {
        S.SEARCHING,
        S.APPROVED,
        S.CANCELLED,
        S.COMPLETED,
        S.FAILED,
        S.FOLLOWING,
        S.DOWNLOADING,
        S.PROCESSING,
    },
    S.DOWNLOADING: {
        S.PROCESSING,
        S.SEARCHING,
        S.NOT_FOUND,
        S.FOLLOWING,
        S.FAILED,
        S.CANCELLED,
        S.COMPLETED,
    },
    S.PROCESSING: {
        S.COMPLETED,
        S.FAILED,
        S.CANCELLED,
        S.DOWNLOADING,
        S.NOT_FOUND,
        S.FOLLOWING,
    },
    S.FOLLOWING: {
        S.SEARCHING,
        S.DOWNLOADING,
        S.NOT_FOUND,
        S.COMPLETED,
        S.FAILED,
        S.CANCELLED,
    },
    S.FAILED: {S.APPROVED},
    S.DECLINED: set(),
    S.CANCELLED: set(),
    S.COMPLETED: set(),
}

SYSTEM = "system"


class TransitionRefused(Exception):
    """The request is not in a state that allows this change."""


def transition(
    request_id: int,
    *,
    to: str,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
    actor_label: str = SYSTEM,
    only_from: set[str] | None = None,
    for_task: str | None = None,
    **fields: Any,
) -> MediaRequest | None:
    """Move a request to `to` if allowed (and if in `only_from`, when given); record it.

    With `for_task`, only if the request is not assigned to another Celery task.

    Returns the updated request, or None when the change was not allowed — which is what
    makes a redelivered task harmless: the second run finds the state already moved.
    """
    with transaction.atomic():
        request = MediaRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            return None
        source = request.status
        if to not in ALLOWED[source] or (only_from is not None and source not in only_from):
            return None
        if for_task and request.celery_task_id not in ("", for_task):
            return None  # the request was handed to a newer task (see requests_app.recovery)
        now = timezone.now()
        updates: dict[str, Any] = {"status": to, "status_reason": reason[:500], "updated_at": now}
        if to == S.COMPLETED:
            updates["completed_at"] = now
        # What the people were told was about the state left; the new one is news again
        # (a failed request retried and failed again is announced again).
        updates.update(told_status="", told_at=None)
        updates.update(fields)
        MediaRequest.objects.filter(pk=request_id).update(**updates)
        RequestEvent.objects.create(
            request_id=request_id,
            from_status=source,
            to_status=to,
            reason=reason[:500],
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=(actor.get_username() if actor is not None else actor_label)[:150],
        )
    request.refresh_from_db()
    logger.info(
        "request %s: %s -> %s (%s)",
        request_id,
        source,
        to,
        reason,
        extra={"request_id": request_id, "from_status": source, "to_status": to},
    )
    return request


def record_creation(request: MediaRequest, *, actor: AbstractBaseUser, reason: str) -> None:
    """Record the first state of a new request in its history."""
    RequestEvent.objects.create(
        request=request,
        from_status="",
        to_status=request.status,
        reason=reason[:500],
        actor=actor,
        actor_label=actor.get_username()[:150],
    )
