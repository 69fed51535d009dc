"""Check every service Plex Kiosk needs and print a table."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.checks import Check
from plexkiosk.service_checks import run_service_checks


class Command(BaseCommand):
    help = (
        "Check the database, broker, a worker, beat, Plex, qBittorrent, disk space, TMDB and "
        "each indexer. Exits non-zero when a required part fails; a part still starting "
        "(beat before its first heartbeat) is not a failure, and its line says what to wait for."
    )

    def _mark(self, check: Check) -> str:
        if check.ok:
            return self.style.SUCCESS("ok  ")
        if check.starting:
            return self.style.WARNING("wait")
        return self.style.ERROR("FAIL") if check.required else self.style.WARNING("warn")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = run_service_checks()
        width = max(len(c.name) for c in checks)
        for check in checks:
            self.stdout.write(
                f"{self._mark(check)}  {check.name.ljust(width)}  {check.seconds:5.2f}s  "
                f"{check.detail}"
            )
        failed = [c.name for c in checks if c.failing]
        if failed:
            raise CommandError(f"required parts failing: {', '.join(failed)}")
        starting = [c.name for c in checks if c.starting]
        if starting:
            self.stdout.write(
                self.style.WARNING(
                    f"every other required part answers; still starting: {', '.join(starting)} "
                    "(its line says when to check again)"
                )
            )
            return
        self.stdout.write(self.style.SUCCESS("all required parts answer"))
