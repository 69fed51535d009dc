"""`manage.py sync_plex [--full]`: mirror the Plex library now, with progress output."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from library.models import SyncRun
from library.plex import PlexError
from library.sync import sync_library


class Command(BaseCommand):
    help = (
        "Mirror the Plex library now (incremental; --full reads everything and removes deletions)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="read every item and remove what Plex deleted"
        )

    def handle(self, *args: Any, full: bool = False, **options: Any) -> None:
        # The command prints its own progress and outcome; the sync's log lines would
        # repeat them on stderr (shown again with -v 2).
        sync_logger = logging.getLogger("library.sync")
        level = sync_logger.level
        if options.get("verbosity", 1) < 2:
            sync_logger.setLevel(logging.ERROR)
        try:
            self._sync(full=full)
        finally:
            sync_logger.setLevel(level)

    def _sync(self, *, full: bool) -> None:
        last_print = 0.0
        last_done = 0

        def progress(run: SyncRun) -> None:
            nonlocal last_print, last_done
            now = time.monotonic()
            finished = run.items_total and run.items_done >= run.items_total
            # A line when items were read: at most one a second, and the last one.
            if run.items_done == last_done or (now - last_print < 1 and not finished):
                return
            last_print, last_done = now, run.items_done
            total = f"/{run.items_total}" if run.items_total else ""
            self.stdout.write(
                f"  {run.items_done}{total} items read, {run.added} added, {run.updated} updated"
            )

        self.stdout.write(f"Syncing the Plex library{' (full)' if full else ''}…")
        try:
            run = sync_library(full=full, progress=progress)
        except PlexError as exc:
            raise CommandError(f"Plex sync failed: {exc}") from None
        if run.status == SyncRun.Status.SKIPPED:
            raise CommandError("another Plex library sync is running; try again when it ends")
        self.stdout.write(self.style.SUCCESS(run.summary()))
