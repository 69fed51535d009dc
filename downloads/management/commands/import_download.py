"""`manage.py import_download HASH`: retry filing a finished download into the library."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from downloads import lifecycle
from downloads.importer import ImportFailed
from downloads.models import Download
from library.plex import PlexError

S = Download.State
# An import that failed leaves the torrent and its files in qBittorrent; other failures
# (stalled, errored, lost) removed them, so there is nothing left to import.
IMPORT_FAILURE_PREFIX = "import failed"


def find_download(info_hash: str) -> Download:
    """Return the download with this info hash, or with this unique hash prefix (6+ digits)."""
    wanted = info_hash.strip().lower()
    if len(wanted) < 6:
        raise CommandError(f"{info_hash!r} is too short: give the info hash (40 digits)")
    found = list(Download.objects.filter(info_hash__startswith=wanted)[:2])
    if not found:
        raise CommandError(f"no download with info hash {wanted}")
    if len(found) > 1:
        raise CommandError(f"{wanted} matches more than one download: give the whole hash")
    return found[0]


class Command(BaseCommand):
    help = (
        "Import a completed download into MOVIES_DIR/TV_DIR again (after fixing a full disk, "
        "an unmounted library or a permission), and ask Plex to scan its folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare HASH."""
        parser.add_argument("hash", help="the download's info hash (or its first 6+ digits)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Make the download importable again if it failed importing, import it, say how."""
        download = find_download(options["hash"])
        if download.state == S.IMPORTED:
            self.stdout.write(f"{download.release_title} is already in {download.library_folder}")
            return
        if download.is_active:
            raise CommandError(
                f"{download.release_title} is still downloading ({download.progress:.0%})"
            )
        if download.state == S.FAILED:
            if not download.error.startswith(IMPORT_FAILURE_PREFIX):
                raise CommandError(
                    f"{download.release_title} failed before completing ({download.error}); "
                    "nothing to import"
                )
            # Claimed like the monitor does, so a concurrent retry cannot run it twice.
            Download.objects.filter(pk=download.pk, state=S.FAILED).update(
                state=S.COMPLETED, error=""
            )
        elif download.state not in (S.COMPLETED, S.IMPORTING):
            raise CommandError(
                f"{download.release_title} is {download.get_state_display().lower()}; "
                "nothing to import"
            )
        try:
            result = lifecycle.import_download(download.pk)
        except ImportFailed as exc:
            raise CommandError(f"import failed, try again later: {exc}") from exc
        except PlexError as exc:
            raise CommandError(
                f"files are in place but Plex was not asked to scan them: {exc}; run again"
            ) from exc
        download.refresh_from_db()
        if result is None or download.state != S.IMPORTED:
            raise CommandError(download.error or f"not imported: {download.get_state_display()}")
        actions = ", ".join(f"{f.destination.name} ({f.action})" for f in result.files)
        self.stdout.write(f"imported {download.release_title} into {result.folder}: {actions}")
