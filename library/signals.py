"""Signals the library sends to other apps.

`new_media` is sent after a sync has committed items or episodes Plex did not have
before, with `item_ids` (LibraryItem pks) and `episode_ids` (Episode pks). A receiver
should be one line that queues a task.
"""

from __future__ import annotations

from django.dispatch import Signal

new_media = Signal()
