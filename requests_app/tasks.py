"""Request tasks: thin doors onto `requests_app.pipeline`, each taking ids only."""

from __future__ import annotations

import logging
import uuid

from celery import Task, shared_task

from requests_app import (
    episodes,
    flow,
    notifications,
    pipeline,
    plextv,
    recovery,
    seasons,
    tmdb,
    watchlist,
)

logger = logging.getLogger(__name__)

# Waits between tries while qBittorrent or every indexer is away: 1, 5, 15, 30, 40, 40 min,
# about 2 h, so a restart or a long update fails no request (15 min failed them before).
# Shorter than the 3 h after which the recover-requests row sends a silent search again.
SERVICE_RETRY_DELAYS = [60, 300, 900, 1800, 2400, 2400]


def _retry_delay(retries: int) -> int:
    """Seconds before the next try; jitter keeps a burst of requests from retrying at once."""
    return SERVICE_RETRY_DELAYS[retries] + uuid.uuid4().int % 30


@shared_task(bind=True, max_retries=len(SERVICE_RETRY_DELAYS))
def process_request_task(self: Task, request_id: int) -> str:
    """Search, choose and start the download of an approved request."""
    try:
        return pipeline.search_and_download(request_id, task_id=self.request.id)
    except pipeline.TryLater as exc:
        if self.request.retries >= self.max_retries:
            return pipeline.out_of_retries(
                request_id, f"Gave up after {self.max_retries + 1} tries: {exc}"
            )
        raise self.retry(exc=exc, countdown=_retry_delay(self.request.retries)) from exc


@shared_task(bind=True, max_retries=len(SERVICE_RETRY_DELAYS))
def failover_request_task(self: Task, request_id: int, info_hash: str, reason: str) -> str:
    """Try the next release after a download failed."""
    try:
        return pipeline.fail_over(
            request_id, info_hash=info_hash, reason=reason, task_id=self.request.id
        )
    except pipeline.TryLater as exc:
        if self.request.retries >= self.max_retries:
            return pipeline.out_of_retries(
                request_id, f"Download failed and no other release could be tried: {exc}"
            )
        raise self.retry(exc=exc, countdown=_retry_delay(self.request.retries)) from exc


@shared_task
def import_delayed_task(request_id: int, info_hash: str, reason: str) -> bool:
    """Tell the request why its downloaded files are not in the library yet."""
    return pipeline.import_delayed(request_id, info_hash=info_hash, reason=reason)


@shared_task
def complete_request_task(request_id: int, info_hash: str) -> str:
    """Move a request whose files are filed to `processing` (or completed, if Plex has them)."""
    return pipeline.download_done(request_id, info_hash=info_hash)


@shared_task
def match_library_changes_task(item_ids: list[int], episode_ids: list[int] = ()) -> int:
    """Complete requests whose titles the library just added or changed."""
    return pipeline.complete_matching(item_ids=item_ids, episode_ids=episode_ids)


@shared_task
def notify_request_task(request_id: int, event: str) -> None:
    """Send the notification of a request event; a failed send never fails the request."""
    if event == "pending":
        notifications.request_pending(request_id)
    else:
        notifications.request_finished(request_id)


@shared_task
def notify_episodes_task(request_id: int, numbers: list[int]) -> None:
    """Tell the people of a season's request which of its episodes reached Plex."""
    notifications.episodes_arrived(request_id, numbers)


@shared_task
def search_due_requests_task() -> dict[str, int]:
    """Search again each request whose next search is due; send the held episode digests."""
    return {"searches": pipeline.search_due_again(), "digests": seasons.send_held_digests()}


@shared_task
def follow_shows_task() -> int:
    """Request the newly announced seasons of the shows followed; say how many."""
    return len(flow.request_announced_seasons())


@shared_task
def cleanup_old_requests_task(days: int = 90) -> int:
    """Delete finished requests older than `days`."""
    return pipeline.delete_old_finished(days=days)


@shared_task
def recover_requests_task() -> dict[str, list[int]]:
    """Send again the lost next step of requests that have waited far too long."""
    return recovery.recover_requests().as_dict()


@shared_task(bind=True, max_retries=5)
def refresh_episodes_task(self: Task, request_id: int) -> str:
    """Read a TV request's episodes from TMDB (air dates) and the mirror (what Plex has)."""
    try:
        found = episodes.refresh_episodes(request_id)
    except tmdb.TMDBError as exc:
        if exc.temporary and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=_retry_delay(self.request.retries)) from exc
        logger.warning("request %s: episodes not read from TMDB: %s", request_id, exc)
        return "failed"
    return "skipped" if found is None else f"{found.in_plex}/{found.total} in Plex"


@shared_task
def refresh_airing_episodes_task() -> int:
    """Read again the episodes of every active season still on the air; say how many."""
    done = 0
    for request_id in episodes.airing_requests():
        try:
            # Air dates move while a season airs: ask TMDB, not the hour-old cache.
            episodes.refresh_episodes(request_id, refresh=True)
            done += 1
        except tmdb.TMDBError as exc:
            logger.warning("request %s: episodes not read from TMDB: %s", request_id, exc)
    return done


@shared_task
def sync_watchlists_task() -> int:
    """Queue the watchlist sync of every member who asked for it; say how many."""
    return watchlist.sync_watchlists()


@shared_task(
    # plex.tv away or slow: nothing was recorded, so the whole read is tried again.
    autoretry_for=(plextv.PlexTVTemporaryError,),
    retry_backoff=30,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=4,
)
def sync_watchlist_task(account_id: int) -> str:
    """Request what is new on one member's Plex watchlist."""
    return watchlist.sync_watchlist(account_id).summary
