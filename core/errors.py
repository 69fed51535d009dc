"""The one family of errors from the services the app talks to.

Each service module (Plex, qBittorrent, the indexers, TMDB, the library disk) raises a
subclass named for its service, so `autoretry_for=(PlexTemporaryError, …)` says which
service it waits for, and callers that must tell "try again later" from "give up" catch
`ServiceError` and read `temporary` — never a bare `Exception`, which would make a bug
in our own code look like a service's refusal.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A service could not do what was asked; `temporary` says if retrying later could help."""

    service = "a service"
    temporary = False
