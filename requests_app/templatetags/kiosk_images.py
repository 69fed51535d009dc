"""Template filters that point a TMDB poster or backdrop at the app's image cache."""

from __future__ import annotations

from django import template

from requests_app import images

register = template.Library()


def _through_cache(kind: str, source: object, size: str) -> str:
    """Return the app's address for a TMDB image; an address of this app is kept as it is."""
    text = str(source or "")
    if text.startswith("/") and text.count("/") > 1:
        return text  # already one of ours, such as a Plex poster from the library app
    return images.image_url(kind, size, text)


@register.filter
def tmdb_poster(source: object, size: str = "w342") -> str:
    """Turn a stored TMDB poster URL (or path) into the app's cached poster address."""
    return _through_cache("poster", source, size)


@register.filter
def tmdb_backdrop(source: object, size: str = "w1280") -> str:
    """Turn a stored TMDB backdrop URL (or path) into the app's cached backdrop address."""
    return _through_cache("backdrop", source, size)


@register.simple_tag
def poster_srcset(source: object) -> str:
    """List a TMDB poster's cached sizes for `srcset`, so a phone fetches the small one."""
    small, large = tmdb_poster(source, "w185"), tmdb_poster(source, "w342")
    return f"{small} 185w, {large} 342w" if small and small != large else ""
