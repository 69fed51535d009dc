"""Listeners for the other apps' signals: each one only queues a task."""

from __future__ import annotations

from typing import Any

from requests_app import queueing
from requests_app.models import MediaRequest


def on_download_completed(sender: Any, download: Any, owner_ref: str, **kwargs: Any) -> None:
    if (request_id := MediaRequest.id_from_owner_ref(owner_ref)) is not None:
        queueing.complete(request_id, download.info_hash)


def on_download_failed(
    sender: Any, download: Any, owner_ref: str, reason: str, **kwargs: Any
) -> None:
    if (request_id := MediaRequest.id_from_owner_ref(owner_ref)) is not None:
        queueing.fail_over(request_id, download.info_hash, reason)


def on_import_delayed(
    sender: Any, download: Any, owner_ref: str, reason: str, **kwargs: Any
) -> None:
    if (request_id := MediaRequest.id_from_owner_ref(owner_ref)) is not None:
        queueing.import_delayed(request_id, download.info_hash, reason)


def on_media_changed(
    sender: Any, item_ids: list[int] = (), episode_ids: list[int] = (), **kwargs: Any
) -> None:
    if item_ids or episode_ids:
        queueing.match_library(list(item_ids), list(episode_ids))
