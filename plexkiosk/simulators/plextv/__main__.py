"""Run the plex.tv simulator: `python -m plexkiosk.simulators.plextv --port 8766`."""

from __future__ import annotations

from plexkiosk.simulators.plextv.server import main

main()
