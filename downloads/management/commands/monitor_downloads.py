"""`manage.py monitor_downloads`: one monitor pass now, then a table of the downloads."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.formatting import size_text
from core.locks import LockHeld, single_flight
from downloads import lifecycle, monitor
from downloads.models import Download
from downloads.qbittorrent import QBittorrentError
from downloads.views import eta_text

S = Download.State
HEADERS = ["ID", "STATE", "PROGRESS", "SPEED", "ETA", "SEEDERS", "RELEASE"]


def table(rows: list[list[str]]) -> list[str]:
    """Lay rows out under HEADERS in aligned columns."""
    cells = [HEADERS, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]


class Command(BaseCommand):
    help = (
        "Run one download-monitor pass now (progress, completion, stalls, errors) and print "
        "the downloads in progress and those this pass finished or failed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Take the monitor's lock, run one pass, print the table and a summary."""
        # The table says what happened; the life cycle's log lines would repeat it on
        # stderr (shown again with -v 2).
        quiet = logging.getLogger("downloads")
        level = quiet.level
        if options.get("verbosity", 1) < 2:
            quiet.setLevel(logging.ERROR)
        try:
            with single_flight("download-monitor", ttl=300):
                report = monitor.monitor_once()
        except LockHeld as exc:
            raise CommandError("a monitor pass is already running; try again in a moment") from exc
        except QBittorrentError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            quiet.setLevel(level)

        failed_ids = [pk for pk, _ in report.failed]
        shown = Download.objects.filter(
            state__in=[*lifecycle.ACTIVE, S.COMPLETED, S.IMPORTING]
        ) | Download.objects.filter(pk__in=failed_ids)
        rows = [
            [
                str(d.pk),
                d.state,
                f"{d.progress * 100:.1f} %",
                f"{size_text(d.dlspeed)}/s" if d.is_active else "-",
                eta_text(d.eta) if d.is_active else "-",
                str(d.seeders) if d.is_active else "-",
                d.release_title[:70] + (f"  ({d.error})" if d.state == S.FAILED else ""),
            ]
            for d in shown.order_by("-added_at", "-pk")
        ]
        if rows:
            for line in table(rows):
                self.stdout.write(line)
        else:
            self.stdout.write("No downloads in progress.")
        self.stdout.write(
            f"{report.seen} torrent(s) in qBittorrent, {report.updated} updated, "
            f"{len(report.completed)} completed (import queued), {len(report.failed)} failed."
        )
