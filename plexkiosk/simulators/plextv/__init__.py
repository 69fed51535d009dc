"""A plex.tv simulator: plex.tv, its watchlist service (discover) and its auth app, over HTTP.

One port serves what `requests_app/plextv.py` and plexapi's `MyPlexAccount` /
`MyPlexPinLogin` use: sign-in PINs (`/api/v2/pins`, strong for the auth app and short
4-character codes for `/link`, both expiring), the account (`/api/v2/user`,
`/users/account.json`), resources (`/api/v2/resources`), shared users (`/api/users`, XML),
Plex Home users and switching to them (`/api/home/users`, `…/{id}/switch`), and the
watchlist (`/library/sections/watchlist/all` paged with `X-Plex-Container-Start/Size`,
ETag / `If-None-Match`, `/library/metadata/{ratingKey}`). The v2 endpoints answer JSON
when asked (`Accept: application/json`) and XML otherwise, as plex.tv does. The auth app
(`/auth#?clientID=…&code=…&forwardUrl=…`) is a page where a person (or a browser test)
picks an account and presses *Approve*; `/link` takes a short code.

Tests change the world (accounts, shares, Home users, watchlists), approve, expire and
revoke, and make it fail (`down`, `delay`, `override` for hostile answers); every request
is recorded. Run it alone with `python -m plexkiosk.simulators.plextv --port 8766`, then set
PLEX_TV_URL, PLEX_DISCOVER_URL to its URL and PLEX_AUTH_APP_URL to its URL + `/auth`; the
owner's token is `sim-owner-token`.

The package: `world` (the accounts, Home, PINs and watchlists, and the controls tests
use), `responses` (plex.tv's and discover's JSON and XML), `pages` (the auth app,
plex.tv/link, the QR image) and `server` (HTTP).
"""

from __future__ import annotations

from plexkiosk.simulators.plextv.responses import DEFAULT_PAGE_SIZE
from plexkiosk.simulators.plextv.server import PlexTVSimulator, main, start_plextv_simulator
from plexkiosk.simulators.plextv.world import (
    MAX_PAGE_SIZE,
    OWNER_TOKEN,
    PLEX_SIM_MACHINE_ID,
    SHORT_CODE_ALPHABET,
    SHORT_PIN_SECONDS,
    STRONG_PIN_SECONDS,
    PlexTVState,
    PlexTVWorld,
    SimAccount,
    SimHomeUser,
    SimPin,
    SimWatchItem,
    watch_item,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "OWNER_TOKEN",
    "PLEX_SIM_MACHINE_ID",
    "SHORT_CODE_ALPHABET",
    "SHORT_PIN_SECONDS",
    "STRONG_PIN_SECONDS",
    "PlexTVSimulator",
    "PlexTVState",
    "PlexTVWorld",
    "SimAccount",
    "SimHomeUser",
    "SimPin",
    "SimWatchItem",
    "main",
    "start_plextv_simulator",
    "watch_item",
]
