"""What other apps ask the library: is this already in Plex, and please scan this folder."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from django.conf import settings
from django.db.models import Q

from library import queueing
from library.models import Episode, LibraryItem, PlexSection
from library.plex import PlexClient, PlexPermanentError

# Seconds between looks at Plex after asking it to scan a folder: 2, 4, 8, 16, then every
# 30 s, about 5 min in all; Plex usually lists a scanned film within seconds.
REFRESH_DELAYS = [2, 4, 8, 16] + [30] * 9


def find_in_plex(
    *,
    tmdb_id: int | None = None,
    imdb_id: str | None = None,
    tvdb_id: int | None = None,
    title: str | None = None,
    year: int | None = None,
    media_type: str | None = None,
) -> LibraryItem | None:
    """Return the mirrored movie or show matching any given id, or else title and year."""
    ids = Q()
    if tmdb_id:
        ids |= Q(tmdb_id=tmdb_id)
    if imdb_id:
        ids |= Q(imdb_id=imdb_id)
    if tvdb_id:
        ids |= Q(tvdb_id=tvdb_id)
    items = LibraryItem.objects.all()
    if media_type:
        items = items.filter(type=media_type)
    if ids:
        found = items.filter(ids).order_by("pk").first()
        if found is not None:
            return found
    if title:
        by_title = items.filter(title__iexact=title.strip())
        if year:
            by_title = by_title.filter(year=year)
        return by_title.order_by("pk").first()
    return None


def is_in_plex(
    *,
    tmdb_id: int | None = None,
    imdb_id: str | None = None,
    tvdb_id: int | None = None,
    title: str | None = None,
    year: int | None = None,
    season: int | None = None,
    media_type: str | None = None,
) -> bool:
    """Say whether Plex has the movie or show (and, with `season`, at least one of its episodes)."""
    if season is not None:
        media_type = LibraryItem.Type.SHOW
    item = find_in_plex(
        tmdb_id=tmdb_id,
        imdb_id=imdb_id,
        tvdb_id=tvdb_id,
        title=title,
        year=year,
        media_type=media_type,
    )
    if item is None:
        return False
    if season is None:
        return True
    return Episode.objects.filter(show=item, season_number=season).exists()


def season_episodes(*, show: LibraryItem, season: int) -> list[int]:
    """Return the episode numbers Plex has for one season of a show, in order."""
    numbers = Episode.objects.filter(show=show, season_number=season).values_list(
        "index", flat=True
    )
    return sorted(n for n in numbers if n is not None)


def has_media_under(folder: str) -> bool:
    """Say whether the mirror lists a movie or episode file inside `folder` (an app path).

    This finds what Plex filed there whatever it matched it to: an item Plex has not
    matched yet (no ids), or one "Fix Match" gave another title.
    """
    plex_folder = PurePosixPath(to_plex_path(folder))
    fragment = _plain_fragment(plex_folder.name)
    for model in (LibraryItem, Episode):
        candidates = model.objects.all()
        if fragment:
            candidates = candidates.filter(file_locations__icontains=fragment)
        for locations in candidates.values_list("file_locations", flat=True).iterator():
            if any(plex_folder in PurePosixPath(str(path)).parents for path in locations or ()):
                return True
    return False


def _plain_fragment(name: str) -> str:
    """Return the longest piece of a folder name that reads the same in any JSON text.

    The JSON text of the stored paths is searched first (cheap); SQLite keeps non-ASCII
    letters escaped (\\u00e9) where PostgreSQL keeps them, and both escape quotes.
    """
    pieces = re.split(r'[^\x20-\x7e]|["\\]', name)
    longest = max(pieces, key=len, default="")
    return longest if len(longest) >= 3 else ""


def to_plex_path(path: str) -> str:
    """Translate a path as this app sees it into the path Plex sees (PLEX_PATH_MAP)."""
    clean = PurePosixPath(path)
    for app_prefix, plex_prefix in settings.PLEX_PATH_MAP:
        try:
            rest = clean.relative_to(app_prefix)
        except ValueError:
            continue
        return str(PurePosixPath(plex_prefix) / rest) if str(rest) != "." else plex_prefix
    return str(clean)


def section_for(plex_path: str, sections: list[tuple[str, list[str]]]) -> str | None:
    """Return the key of the section whose folder holds `plex_path` most closely."""
    best: tuple[int, str] | None = None
    target = PurePosixPath(plex_path)
    for key, locations in sections:
        for location in locations:
            root = PurePosixPath(location)
            if (target == root or root in target.parents) and (
                best is None or len(str(root)) > best[0]
            ):
                best = (len(str(root)), key)
    return best[1] if best else None


def request_partial_scan(path: str, *, client: PlexClient | None = None) -> str:
    """Ask Plex to scan one folder (an app path, mapped to Plex's); return the section key.

    Raises PlexPermanentError when no Plex section holds the folder, and the client's
    PlexError when Plex cannot be reached.
    """
    plex_path = to_plex_path(path)
    known = [(s.key, s.locations) for s in PlexSection.objects.all()]
    key = section_for(plex_path, known)
    client = client or PlexClient()
    if key is None:
        # The mirror may not know a section added since the last sync: ask Plex itself.
        key = section_for(plex_path, [(s.key, s.locations) for s in client.sections()])
    if key is None:
        raise PlexPermanentError(f"no Plex section holds {plex_path}")
    client.refresh(key, plex_path)
    # The library watches for what the scan finds and announces it (`media_changed`).
    queueing.refresh_after_scan(path, countdown=REFRESH_DELAYS[0])
    return key
