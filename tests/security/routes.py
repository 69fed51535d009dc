"""The URL conf walked once: every route, found from the URL conf itself, for the security tests.

Each route's parameters are filled with sample values (`/requests/1/`); the tests swap
them for real rows' ids where a refusal must not be just "no such row".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

# The only routes an anonymous visitor may use: liveness, logging in and out (with a
# password or with Plex), and the web app manifest (browsers fetch it without the session
# cookie; it names no one's data).
PLEX_SIGN_IN = {
    "/login/plex/",
    "/login/plex/callback/",
    "/login/plex/tablet/",
    "/login/plex/tablet/status/",
    "/login/plex/home/",
}
PUBLIC = {
    "/healthz",
    "/login/",
    "/logout/",
    *PLEX_SIGN_IN,
    "/admin/login/",
    "/admin/logout/",
    "/manifest.webmanifest",
}
SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


@dataclass(frozen=True)
class Route:
    """One route of the URL conf: its URL with sample values, and the view behind it."""

    url: str
    view: Callable


def _sample_group(match: re.Match[str]) -> str:
    words = match[1].split("|")
    return words[0] if all(re.fullmatch(r"\w+", w) and not w.isdigit() for w in words) else "1"


def _fill(entry: URLPattern | URLResolver) -> str:
    """One route's text with its parameters filled with sample values."""
    text = str(entry.pattern)
    if isinstance(entry.pattern, RegexPattern):
        # Named groups: the first of a choice of words (`(?P<kind>movie|tv)` → movie), or an id.
        text = re.sub(r"\(\?P<\w+>([^)]*)\)", _sample_group, text)
        text = re.sub(r"\\\.|[\^$?]|\(\?:[^)]*\)", "", text)  # anchors, format suffixes
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m[1] or "str", "x"), text)


def walk(patterns: list, prefix: str = "") -> list[Route]:
    """Every route under `patterns`, with its parameters filled with sample values."""
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes += walk(entry.url_patterns, prefix + _fill(entry))
        else:
            routes.append(Route("/" + prefix + _fill(entry), entry.callback))
    return routes


ROUTES = walk(get_resolver().url_patterns)
URLS = sorted({route.url for route in ROUTES})
