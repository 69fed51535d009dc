"""Every page and API route needs a login, except liveness and the login page itself."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

PUBLIC = {"/healthz", "/login/", "/logout/", "/admin/login/", "/admin/logout/"}
SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _fill(entry: URLPattern | URLResolver) -> str:
    """One route's text with its parameters filled with sample values."""
    text = str(entry.pattern)
    if isinstance(entry.pattern, RegexPattern):
        text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)  # named groups → a sample id
        text = re.sub(r"\\\.|[\^$?]|\(\?:[^)]*\)", "", text)  # anchors, format suffixes
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m[1] or "str", "x"), text)


def concrete_urls(patterns: list, prefix: str = "") -> list[str]:
    """Every route of the URL conf, with its parameters filled in with sample values."""
    urls: list[str] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            urls += concrete_urls(entry.url_patterns, prefix + _fill(entry))
        else:
            urls.append("/" + prefix + _fill(entry))
    return sorted(set(urls))


URLS = concrete_urls(get_resolver().url_patterns)


def test_the_walk_finds_the_routes_that_matter() -> None:
    for expected in ("/", "/requests/1/", "/api/v1/requests/", "/library/", "/status/"):
        assert expected in URLS


@pytest.mark.django_db
@pytest.mark.parametrize("url", [u for u in URLS if u not in PUBLIC])
def test_an_anonymous_visitor_is_turned_away(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code == 404:
        return  # the sample id names nothing; what matters is no content for anonymous
    if response.status_code in (301, 302):
        assert "login" in response["Location"], (url, response["Location"])
        return
    assert response.status_code in (401, 403, 405), (url, response.status_code)


@pytest.mark.django_db
def test_liveness_answers_without_a_login(client: Client) -> None:
    assert client.get("/healthz").status_code in (200, 503)
