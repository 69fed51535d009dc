"""Run the TMDB simulator: `python -m plexkiosk.simulators.tmdb --port 8765`."""

from __future__ import annotations

from plexkiosk.simulators.tmdb.server import main

main()
