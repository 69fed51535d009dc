"""Restore the default rows of the database schedule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.scheduling import default_jobs, ensure_jobs


class Command(BaseCommand):
    help = (
        "Create missing default periodic tasks. Rows edited in admin are kept (and listed) "
        "unless --force resets them to their defaults."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="also reset rows edited in admin")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        jobs = default_jobs()
        report = ensure_jobs(jobs, force=force)
        for line in report:
            self.stdout.write(line)
        kept = sum(line.startswith("kept") for line in report)
        changed = len(report) - kept
        summary = f"{len(jobs)} default rows: {changed} changed, {kept} kept as edited"
        if kept and not force:
            summary += " (use --force to reset them)"
        self.stdout.write(self.style.SUCCESS(summary))
