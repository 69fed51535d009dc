"""Who is told what about a request; the sending itself is Apprise, in `apprise_client`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from requests_app import apprise_client
from requests_app.episodes import episode_label
from requests_app.models import (
    EpisodeState,
    MediaRequest,
    MediaType,
    Profile,
    Status,
    WatchlistItem,
    WatchlistOutcome,
)

logger = logging.getLogger(__name__)


def people_urls(request: MediaRequest) -> list[str]:
    """Notification URLs of the requester and every watcher."""
    user_ids = [request.requested_by_id, *request.watchers.values_list("pk", flat=True)]
    urls: list[str] = []
    for profile in Profile.objects.filter(user_id__in=user_ids):
        urls.extend(profile.notify_url_list)
    return urls


def _message(request: MediaRequest) -> tuple[str, str]:
    if request.status == Status.COMPLETED and request.media_type == MediaType.TV:
        title = _("Season %(season)s of %(show)s is complete") % {
            "season": request.season,
            "show": request.title,
        }
        return title, request.status_reason
    if request.status == Status.COMPLETED:
        return _("%(title)s is in Plex") % {"title": request.display_title}, request.status_reason
    if request.status == Status.DECLINED:
        title = _("%(title)s was declined") % {"title": request.display_title}
        return title, request.status_reason
    title = _("%(title)s could not be fetched") % {"title": request.display_title}
    return title, request.status_reason


# The statuses whose news is sent, and the event that sends it (requests_app.tasks).
FINISHED_NEWS = (Status.COMPLETED, Status.FAILED, Status.DECLINED)
ANNOUNCED = {Status.PENDING: "pending", **dict.fromkeys(FINISHED_NEWS, "finished")}


def _claim(request: MediaRequest) -> bool:
    """Record that the people are told of the request's status, unless someone did already."""
    # Before the send, so a message delivered again (its worker killed after the send)
    # finds it claimed; a change of status clears the claim (requests_app.transitions).
    return (
        MediaRequest.objects.filter(pk=request.pk, status=request.status)
        .exclude(told_status=request.status)
        .update(told_status=request.status, told_at=timezone.now())
        == 1
    )


def request_finished(request_id: int) -> bool:
    """Tell the people concerned, once, that a request completed, failed or was declined.

    Returns whether this call told them (False: told already, or nothing to tell).
    """
    request = MediaRequest.objects.filter(pk=request_id).first()
    if request is None or request.status not in FINISHED_NEWS:
        return False
    # Everything read before the claim: a database lost after it cannot lose the notice.
    title, body = _message(request)
    urls = people_urls(request)
    if request.status == Status.FAILED:
        urls += apprise_client.admin_urls()
    if not _claim(request):
        logger.info("request %s: the people were told it is %s already", request_id, request.status)
        return False
    if urls:
        apprise_client.send(urls, title=title, body=body or title)
    return bool(urls)


def episodes_arrived(request_id: int, numbers: list[int]) -> None:
    """Tell the people of a season's request that these episodes are in Plex."""
    request = MediaRequest.objects.filter(pk=request_id).first()
    urls = people_urls(request) if request is not None else []
    if not urls or not numbers:
        return
    title = ngettext("%(what)s is in Plex", "%(what)s are in Plex", len(numbers)) % {
        "what": f"{request.title} {episode_label(request.season, numbers)}"
    }
    counts = request.episodes.aggregate(
        total=Count("pk"), in_plex=Count("pk", filter=Q(state=EpisodeState.IN_PLEX))
    )
    body = ngettext(
        "%(in_plex)s of %(total)s episodes of season %(season)s is in Plex.",
        "%(in_plex)s of %(total)s episodes of season %(season)s are in Plex.",
        counts["in_plex"],
    ) % {**counts, "season": request.season}
    apprise_client.send(urls, title=title, body=body)


def request_pending(request_id: int) -> bool:
    """Tell the admins, once, that a request waits for their approval; say whether it did."""
    request = MediaRequest.objects.filter(pk=request_id).select_related("requested_by").first()
    if request is None or request.status != Status.PENDING:
        return False
    urls = apprise_client.admin_urls()
    title = _("%(who)s asks for %(title)s") % {
        "who": request.requested_by.get_username(),
        "title": request.display_title,
    }
    if not _claim(request):
        logger.info("request %s: the admins were told it is pending already", request_id)
        return False
    if urls:
        apprise_client.send(urls, title=title, body=_("Approve or decline it in Plex Kiosk."))
    return bool(urls)


def _own_urls(user: AbstractBaseUser) -> list[str]:
    profile = Profile.objects.filter(user=user).first()
    return profile.notify_url_list if profile is not None else []


def watchlist_news(user: AbstractBaseUser, items: Sequence[WatchlistItem]) -> None:
    """Tell a member, in one message, what became of each title new on their Plex watchlist."""
    urls = _own_urls(user)
    if not urls or not items:
        return
    requested = sum(item.outcome == WatchlistOutcome.REQUESTED for item in items)
    title = ngettext(
        "From your Plex watchlist: %(count)s title requested",
        "From your Plex watchlist: %(count)s titles requested",
        requested,
    ) % {"count": requested}
    body = "\n".join(f"• {item.message or item.title}" for item in items)
    apprise_client.send(urls, title=title, body=body)


def watchlist_stopped(user: AbstractBaseUser, message: str) -> None:
    """Tell a member their watchlist is no longer read, and why."""
    urls = _own_urls(user)
    if urls:
        apprise_client.send(urls, title=_("Your Plex watchlist is no longer read"), body=message)
