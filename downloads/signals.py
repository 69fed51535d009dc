"""Signals downloads sends to whoever asked for a download (it never imports them).

- `download_completed(sender=Download, download=<Download>, owner_ref=<str>)`: the media is
  filed into the library folder and Plex was asked to scan it.
- `download_failed(sender=Download, download=<Download>, owner_ref=<str>, reason=<str>)`:
  the download was given up (stalled, errored, lost, or its files could not be imported);
  its release is blocklisted, so the owner can ask for the next one.
- `import_delayed(sender=Download, download=<Download>, owner_ref=<str>, reason=<str>)`: the
  files are downloaded but could not be filed yet for a reason that may pass (a full disk,
  an unmounted library); the import is retried, and `reason` says what a person can fix.

All are sent after the transaction that changed the download commits. A receiver should
be one line that queues a task.
"""

from __future__ import annotations

from django.dispatch import Signal

download_completed = Signal()
download_failed = Signal()
import_delayed = Signal()
