"""Requests from a member's Plex watchlist: each title they add there is asked for here.

A title is looked at once (one WatchlistItem per account and Plex rating key), whatever
became of it: requested, already in Plex, no TMDB id… — except one the quota stopped,
asked for again once the quota has room. The member is told once per sync what was
asked for and why the rest was not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import flow, notifications, plextv, queueing, quotas, tmdb
from requests_app.availability import in_plex
from requests_app.models import (
    MediaRequest,
    MediaType,
    PlexAccount,
    Status,
    TokenState,
    WatchlistItem,
    WatchlistShows,
)
from requests_app.models import WatchlistOutcome as Outcome

logger = logging.getLogger(__name__)

# What became of a title: the outcome, the member's sentence, the request (if any).
Taken = tuple[str, str, MediaRequest | None]


@dataclass(frozen=True)
class WatchlistOutcome:
    """What one sync of one member's watchlist did."""

    account_id: int
    state: str  # "synced", "not_modified", "token_expired", "failed" or "skipped"
    # The titles dealt with this time: new ones, and those the quota no longer stops.
    new_items: list[WatchlistItem] = field(default_factory=list)
    message: str = ""

    @property
    def summary(self) -> str:
        if self.state == "synced":
            return f"{len(self.new_items)} new"
        return self.state


def eligible_accounts() -> list[int]:
    """Return the ids of the accounts whose watchlist is to be read."""
    return list(
        PlexAccount.objects.filter(watchlist_enabled=True, token_state=TokenState.VALID)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sync_watchlists() -> int:
    """Queue one watchlist sync per account that asked for it; say how many."""
    ids = eligible_accounts()
    for account_id in ids:
        queueing.sync_watchlist(account_id)
    return len(ids)


def recent_items(account: PlexAccount, limit: int = 10) -> list[WatchlistItem]:
    """Return the titles last seen on a member's watchlist, newest first, with their outcome."""
    return list(
        account.watchlist_items.select_related("request").order_by("-first_seen_at", "-pk")[:limit]
    )


def set_watchlist(account: PlexAccount, *, enabled: bool, shows: str) -> None:
    """Save a member's watchlist choice; turned on, the first read starts at once."""
    turned_on = enabled and not account.watchlist_enabled
    account.watchlist_enabled, account.watchlist_shows = enabled, shows
    account.save(update_fields=["watchlist_enabled", "watchlist_shows", "updated_at"])
    if turned_on and account.token_state == TokenState.VALID:
        queueing.sync_watchlist(account.pk)


def sync_watchlist(account_id: int) -> WatchlistOutcome:
    """Read one member's watchlist and request each title new on it (or the quota stopped).

    A temporary plex.tv failure is raised (the task tries again; nothing was recorded);
    a refused token stops the watchlist with a notice to the member, once.
    """
    account = PlexAccount.objects.select_related("user").filter(pk=account_id).first()
    if account is None or not account.watchlist_enabled or account.token_state != TokenState.VALID:
        return WatchlistOutcome(account_id, "skipped")
    token = account.token()
    if token is None:
        return _stop(
            account, _("Sign in with Plex again: your Plex sign-in can no longer be read.")
        )
    # Titles left over the quota are asked for again once it has room, which needs the
    # whole list (are they still on it?), not "unchanged since".
    waiting = _waiting_for_quota(account)
    try:
        found = plextv.watchlist(token, etag=None if waiting else account.watchlist_etag or None)
    except plextv.PlexTVUnauthorized:
        return _stop(
            account,
            _(
                "Plex no longer accepts your sign-in, so your watchlist is not read; "
                "sign in with Plex again to start it again."
            ),
        )
    except plextv.PlexTVError as exc:
        if exc.temporary:
            raise
        message = _("Your Plex watchlist could not be read: %(why)s") % {"why": exc}
        PlexAccount.objects.filter(pk=account.pk).update(
            watchlist_error=message[:500], watchlist_synced_at=timezone.now()
        )
        logger.warning("account %s: watchlist not read: %s", account.pk, exc)
        return WatchlistOutcome(account.pk, "failed", message=message)
    now = timezone.now()
    if found.not_modified:
        PlexAccount.objects.filter(pk=account.pk).update(
            watchlist_synced_at=now, watchlist_error=""
        )
        return WatchlistOutcome(account.pk, "not_modified")

    known = set(account.watchlist_items.values_list("rating_key", flat=True))
    new_items = []
    complete = True
    for entry in found.entries:
        if entry.rating_key in known and entry.rating_key not in waiting:
            continue
        known.add(entry.rating_key)  # a list naming one title twice asks once
        try:
            if entry.rating_key in waiting:
                item = _take_again(waiting.pop(entry.rating_key), entry)
            else:
                item = _take(account, entry)
        except tmdb.TMDBError as exc:
            # TMDB away: the title stays new, and the next sync asks for it again.
            logger.warning("account %s: %r not looked up: %s", account.pk, entry.title, exc)
            complete = False
            continue
        if item is not None:
            new_items.append(item)
    listed = {entry.rating_key for entry in found.entries}
    gone = [item.pk for key, item in waiting.items() if key not in listed]
    # Taken off the watchlist while over the quota: no longer wanted (and no longer a
    # reason to read the whole list); put back later, it is a new title again.
    WatchlistItem.objects.filter(pk__in=gone, outcome=Outcome.OVER_QUOTA).delete()
    # The ETag says "nothing changed since"; kept only when every title was dealt with,
    # or the ones TMDB could not look up would never be asked for again.
    fields = {"watchlist_synced_at": now, "watchlist_error": ""}
    if complete:
        fields["watchlist_etag"] = found.etag
    PlexAccount.objects.filter(pk=account.pk).update(**fields)
    if new_items:
        notifications.watchlist_news(account.user, new_items)
    return WatchlistOutcome(account.pk, "synced", new_items)


def _waiting_for_quota(account: PlexAccount) -> dict[str, WatchlistItem]:
    """Return the titles left over the quota whose kind of request has room again, by key."""
    waiting = list(account.watchlist_items.filter(outcome=Outcome.OVER_QUOTA))
    room = {
        kind: quotas.quota_for(account.user, _media_type(kind)).remaining != 0
        for kind in {item.media_type for item in waiting}
    }
    return {item.rating_key: item for item in waiting if room[item.media_type]}


def _stop(account: PlexAccount, message: str) -> WatchlistOutcome:
    """Mark the token expired and tell the member, the first time only."""
    stopped = (
        PlexAccount.objects.filter(pk=account.pk)
        .exclude(token_state=TokenState.EXPIRED, watchlist_error=message)
        .update(
            token_state=TokenState.EXPIRED, token_checked_at=timezone.now(), watchlist_error=message
        )
    )
    if stopped:
        logger.info("account %s: Plex token refused; watchlist stopped", account.pk)
        notifications.watchlist_stopped(account.user, message)
    return WatchlistOutcome(account.pk, "token_expired", message=message)


def _take(account: PlexAccount, entry: plextv.WatchlistEntry) -> WatchlistItem | None:
    """Record one new watchlist title and request it; None when another sync took it first."""
    try:
        with transaction.atomic():
            # The row first: the unique (account, rating key) is what makes a title asked
            # for once, even by two syncs at the same moment. TMDB failing rolls it back.
            item = WatchlistItem.objects.create(
                account=account,
                rating_key=entry.rating_key,
                title=entry.title[:300],
                media_type=entry.media_type,
                tmdb_id=entry.tmdb_id,
            )
            outcome, message, request = _request(account.user, account.watchlist_shows, entry)
            item.outcome, item.message, item.request = outcome, message[:500], request
            item.save(update_fields=["outcome", "message", "request"])
    except IntegrityError:
        if WatchlistItem.objects.filter(account=account, rating_key=entry.rating_key).exists():
            return None
        raise
    return item


def _take_again(item: WatchlistItem, entry: plextv.WatchlistEntry) -> WatchlistItem | None:
    """Ask again for a title left over the quota; None while the quota still stops it."""
    account = item.account
    with transaction.atomic():
        # Claimed by its outcome: a sync running at the same moment leaves it alone.
        claimed = (
            WatchlistItem.objects.select_for_update(skip_locked=True)
            .filter(pk=item.pk, outcome=Outcome.OVER_QUOTA)
            .first()
        )
        if claimed is None:
            return None
        outcome, message, request = _request(account.user, account.watchlist_shows, entry)
        if outcome == Outcome.OVER_QUOTA:
            return None  # said already; the member is not told it again
        claimed.outcome, claimed.message, claimed.request = outcome, message[:500], request
        claimed.save(update_fields=["outcome", "message", "request"])
    return claimed


def _media_type(watchlist_type: str) -> str:
    return MediaType.MOVIE if watchlist_type == "movie" else MediaType.TV


def _request(user: AbstractBaseUser, shows: str, entry: plextv.WatchlistEntry) -> Taken:
    """Ask for a watchlist title; return its outcome, the member's sentence and the request."""
    if entry.tmdb_id is None:
        return (
            Outcome.NO_TMDB_ID,
            _("%(title)s: Plex gives no TMDB id for it, so it cannot be requested.")
            % {"title": _label(entry)},
            None,
        )
    media_type = _media_type(entry.media_type)
    info = _details(media_type, entry.tmdb_id)
    if info is None:
        return (
            Outcome.REFUSED,
            _("%(title)s: TMDB does not know it.") % {"title": _label(entry)},
            None,
        )
    try:
        if media_type == MediaType.MOVIE:
            return _movie(user, info)
        return _show(user, info, shows)
    except flow.RequestRefused as exc:
        kind = (
            Outcome.OVER_QUOTA
            if quotas.quota_for(user, media_type).remaining == 0
            else Outcome.REFUSED
        )
        return kind, f"{info.title}: {exc.message}", None


def _details(media_type: str, tmdb_id: int) -> tmdb.TitleResult | None:
    """Return TMDB's details, None when TMDB has no such title; raise when TMDB is away."""
    try:
        return tmdb.details(media_type, tmdb_id)
    except tmdb.TMDBError as exc:
        if exc.temporary or isinstance(exc, tmdb.TMDBNotConfigured):
            raise
        return None


def _movie(user: AbstractBaseUser, info: tmdb.TitleResult) -> Taken:
    if not _wanted(info, None):
        return (
            Outcome.ALREADY_IN_PLEX,
            _("%(title)s is already in Plex.") % {"title": info.title},
            None,
        )
    made = flow.create_request(user=user, media_type=MediaType.MOVIE, tmdb_id=info.tmdb_id)
    return _from_outcome(info.title, made)


def _show(user: AbstractBaseUser, info: tmdb.TitleResult, shows: str) -> Taken:
    seasons = sorted(s for s in info.seasons if s > 0)
    if not seasons:
        return (
            Outcome.REFUSED,
            _("%(title)s: TMDB lists no season yet.") % {"title": info.title},
            None,
        )
    if shows == WatchlistShows.ALL_MISSING:
        if not any(_wanted(info, s) for s in seasons):
            return (
                Outcome.ALREADY_IN_PLEX,
                _("%(title)s is already in Plex.") % {"title": info.title},
                None,
            )
        made = flow.request_missing_seasons(user=user, tmdb_id=info.tmdb_id)
        created = [o for o in made if o.created]
        if not created:
            return _from_outcome(info.title, made[0])
        numbers = ", ".join(str(o.request.season) for o in created)
        message = _("%(title)s: seasons %(seasons)s requested.") % {
            "title": info.title,
            "seasons": numbers,
        }
        return Outcome.REQUESTED, message, created[0].request
    season = seasons[0] if shows == WatchlistShows.FIRST_SEASON else seasons[-1]
    if not _wanted(info, season):
        message = _("%(title)s season %(season)s is already in Plex.") % {
            "title": info.title,
            "season": season,
        }
        return Outcome.ALREADY_IN_PLEX, message, None
    made = flow.create_request(
        user=user, media_type=MediaType.TV, tmdb_id=info.tmdb_id, season=season
    )
    return _from_outcome(f"{info.title} – {_('Season')} {season}", made)


def _wanted(info: tmdb.TitleResult, season: int | None) -> bool:
    """Say whether the title (season) is to be asked for: not in Plex, or already asked for."""
    # Not a request when Plex has it: a watchlist is also a list of things to watch, and a
    # request completed at once would spend the quota and send a second notice.
    if flow.find_active(info.media_type, info.tmdb_id, season) is not None:
        return True  # joining it makes the member one of the people told
    return not in_plex(info, season=season, whole_season=True)


def _from_outcome(what: str, made: flow.CreateOutcome) -> Taken:
    if not made.created:
        return Outcome.ALREADY_REQUESTED, f"{what}: {made.message}", made.request
    if made.request.status == Status.COMPLETED:
        return Outcome.ALREADY_IN_PLEX, f"{what}: {made.message}", made.request
    return Outcome.REQUESTED, f"{what}: {made.message}", made.request


def _label(entry: plextv.WatchlistEntry) -> str:
    return f"{entry.title} ({entry.year})" if entry.year else entry.title
