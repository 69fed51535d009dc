"""Listeners for the other apps' signals: each one only queues a task."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from requests_app.pipeline import request_id_of


def on_download_completed(sender: Any, download: Any, owner_ref: str, **kwargs: Any) -> None:
    from requests_app.tasks import complete_request_task

    request_id = request_id_of(owner_ref)
    if request_id is not None:
        transaction.on_commit(lambda: complete_request_task.delay(request_id, download.info_hash))


def on_download_failed(
    sender: Any, download: Any, owner_ref: str, reason: str, **kwargs: Any
) -> None:
    from requests_app.tasks import failover_request_task

    request_id = request_id_of(owner_ref)
    if request_id is not None:
        transaction.on_commit(
            lambda: failover_request_task.delay(request_id, download.info_hash, reason)
        )


def on_import_delayed(
    sender: Any, download: Any, owner_ref: str, reason: str, **kwargs: Any
) -> None:
    from requests_app.tasks import import_delayed_task

    request_id = request_id_of(owner_ref)
    if request_id is not None:
        transaction.on_commit(
            lambda: import_delayed_task.delay(request_id, download.info_hash, reason)
        )


def on_new_media(
    sender: Any, item_ids: list[int] = (), episode_ids: list[int] = (), **kwargs: Any
) -> None:
    from library.models import Episode
    from requests_app.tasks import match_new_library_items_task

    shows = Episode.objects.filter(pk__in=list(episode_ids)).values_list("show_id", flat=True)
    ids = sorted({*item_ids, *shows})
    if ids:
        transaction.on_commit(lambda: match_new_library_items_task.delay(ids))
