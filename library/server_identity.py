"""Who the Plex server is: its machine identifier and name, stored at each sync.

Plex's own links (app.plex.tv) and plex.tv sign-in name a server by its machine
identifier; the library sync stores it, so pages read one row instead of asking Plex.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from library.models import PlexServer
from library.plex import PlexClient, PlexError, PlexNotConfigured


def remember(identity: dict[str, str | None]) -> PlexServer | None:
    """Store what `PlexClient.identity()` returned as the one known server, and return it.

    An answer without a machine identifier stores nothing (None): the sync goes on, and
    links wait for a server that says who it is.
    """
    machine = str(identity.get("machine_identifier") or "").strip()
    if not machine:
        return None
    server = PlexServer(
        pk=PlexServer.SINGLETON_PK,
        name=(identity.get("name") or "")[:255],
        machine_identifier=machine[:100],
        version=(identity.get("version") or "")[:50],
        seen_at=timezone.now(),
    )
    # One upsert statement: a sync pays the same single query whether the row exists or not.
    PlexServer.objects.bulk_create(
        [server],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["name", "machine_identifier", "version", "seen_at"],
    )
    return server


def stored() -> PlexServer | None:
    """Return the stored server, without asking Plex."""
    return PlexServer.objects.filter(pk=PlexServer.SINGLETON_PK).first()


def _known(*, refresh: bool) -> PlexServer | None:
    if not refresh:
        server = stored()
        if server is not None:
            return server
    if not settings.PLEX_URL or not settings.PLEX_TOKEN:
        return None
    try:
        identity = PlexClient().identity()
    except PlexNotConfigured:
        return None
    except PlexError:
        # Only a caller that asked for fresh news hears of the outage; the others can
        # do without a server name until the next sync stores one.
        if refresh:
            raise
        return None
    return remember(identity)


def machine_identifier(*, refresh: bool = False) -> str | None:
    """Return the Plex server's machine identifier, asking Plex if none is stored or `refresh`.

    None when Plex is not configured (or, without `refresh`, unreachable); with `refresh`
    an outage raises the `PlexError` (`PlexTemporaryError` when retrying could help).
    """
    server = _known(refresh=refresh)
    return server.machine_identifier if server else None


def server_name() -> str:
    """Return the name the Plex server gives itself, or "Plex" when it is not known."""
    server = _known(refresh=False)
    return server.name if server and server.name else "Plex"


def play_url(rating_key: int) -> str | None:
    """Return the Plex web link that opens an item (Plex's own), or None if the server is unknown.

    Reads the stored identifier only: a page must not wait on Plex to draw a link.
    """
    server = stored()
    if server is None or not server.machine_identifier:
        return None
    key = quote(f"/library/metadata/{rating_key}", safe="")
    base = settings.PLEX_WEB_URL
    # The server's own web app is .../web/index.html#!/...; app.plex.tv's is .../desktop/#!/...
    base = base if base.endswith(".html") else f"{base}/"
    return f"{base}#!/server/{server.machine_identifier}/details?key={key}"
