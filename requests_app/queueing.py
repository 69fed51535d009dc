"""Queue the request steps (and the downloads they ask for) by their documented task names.

The only door from request code to Celery: domain modules never import `tasks`, so the
tasks can import them without a cycle. Every send waits for the current transaction to
commit, and a broker that is down is logged, not raised: the change is saved either way,
and the recover-requests row sends a lost step again later (see `requests_app.recovery`).
"""

from __future__ import annotations

from core.queueing import send_after_commit
from downloads import queueing as downloads_queueing

SEARCH = "requests_app.tasks.process_request_task"
COMPLETE = "requests_app.tasks.complete_request_task"
FAILOVER = "requests_app.tasks.failover_request_task"
IMPORT_DELAYED = "requests_app.tasks.import_delayed_task"
MATCH_LIBRARY = "requests_app.tasks.match_library_changes_task"
NOTIFY = "requests_app.tasks.notify_request_task"
NOTIFY_EPISODES = "requests_app.tasks.notify_episodes_task"
REFRESH_EPISODES = "requests_app.tasks.refresh_episodes_task"
SYNC_WATCHLIST = "requests_app.tasks.sync_watchlist_task"


def search(request_id: int, task_id: str) -> None:
    """Queue the search-and-download step under the task id the request was claimed for."""
    send_after_commit(SEARCH, request_id, task_id=task_id, what=f"request {request_id}: search")


def complete(request_id: int, info_hash: str) -> None:
    """Queue the step that follows a download filed into the library."""
    send_after_commit(COMPLETE, request_id, info_hash, what=f"request {request_id}: completion")


def fail_over(request_id: int, info_hash: str, reason: str) -> None:
    """Queue the step that tries the next release after a download failed."""
    send_after_commit(
        FAILOVER, request_id, info_hash, reason, what=f"request {request_id}: failover"
    )


def import_delayed(request_id: int, info_hash: str, reason: str) -> None:
    """Queue the step that tells a request why its files are not in the library yet."""
    send_after_commit(
        IMPORT_DELAYED, request_id, info_hash, reason, what=f"request {request_id}: import delay"
    )


def match_library(item_ids: list[int], episode_ids: list[int]) -> None:
    """Queue the completion of requests whose titles the library just added or changed."""
    send_after_commit(MATCH_LIBRARY, item_ids, episode_ids, what="library changes")


def notify(request_id: int, event: str) -> None:
    """Queue the notification of `event` ("pending" or "finished")."""
    send_after_commit(NOTIFY, request_id, event, what=f"request {request_id}: {event} notice")


def notify_episodes(request_id: int, numbers: list[int]) -> None:
    """Queue the message saying which episodes of a season reached Plex."""
    send_after_commit(
        NOTIFY_EPISODES, request_id, list(numbers), what=f"request {request_id}: episodes notice"
    )


def refresh_episodes(request_id: int) -> None:
    """Queue the reading of a TV request's episodes from TMDB and the mirror."""
    send_after_commit(REFRESH_EPISODES, request_id, what=f"request {request_id}: episodes")


def sync_watchlist(account_id: int) -> None:
    """Queue the reading of one member's Plex watchlist (by account id: never the token)."""
    send_after_commit(SYNC_WATCHLIST, account_id, what=f"Plex account {account_id}: watchlist")


def stop_download(info_hash: str) -> None:
    """Queue the removal of a download (and its data) from qBittorrent."""
    downloads_queueing.queue_stop(info_hash)
