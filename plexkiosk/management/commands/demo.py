"""Run the whole flow with simulated services: see plexkiosk/demo.py."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run Plex Kiosk with simulated Plex, indexer, TMDB and qBittorrent (web, worker, "
        "beat), with demo accounts, data under data/demo/. Ctrl-C stops everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="web port (default 8000)")

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        # The demo needs its own settings (SQLite, simulators), which must be in the
        # environment before Django starts: run it as a fresh Python process.
        os.environ["DEMO_PORT"] = str(port)
        os.execv(sys.executable, [sys.executable, "-m", "plexkiosk.demo"])  # noqa: S606
