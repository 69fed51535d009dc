"""Signals the library sends to other apps.

`media_changed` is sent after a sync (or a refresh after a scan) has committed movies,
shows or episodes that are new in the mirror or changed there, with `item_ids`
(LibraryItem pks) and `episode_ids` (Episode pks). Changed counts as much as new: Plex
reuses an id for a replaced file, and "Fix Match" gives an item other ids. A receiver
should be one line that queues a task.
"""

from __future__ import annotations

from django.dispatch import Signal

media_changed = Signal()
