"""Check every service Plex Kiosk needs and print a table."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plexkiosk.service_checks import run_service_checks


class Command(BaseCommand):
    help = (
        "Check the database, broker, a worker, beat, Plex, qBittorrent, disk space, TMDB and "
        "each indexer. Exits non-zero when a required part fails."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checks = run_service_checks()
        width = max(len(c.name) for c in checks)
        for check in checks:
            mark = (
                self.style.SUCCESS("ok  ")
                if check.ok
                else (self.style.ERROR("FAIL") if check.required else self.style.WARNING("warn"))
            )
            self.stdout.write(
                f"{mark}  {check.name.ljust(width)}  {check.seconds:5.2f}s  {check.detail}"
            )
        failed = [c.name for c in checks if c.required and not c.ok]
        if failed:
            raise CommandError(f"required parts failing: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("all required parts answer"))
