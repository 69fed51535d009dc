"""The TMDB client: title search, details (IMDb/TVDB ids, seasons), a show's episodes; cached.

The only code that talks to TMDB (API v3, https://developer.themoviedb.org/reference),
split by concept: `client` (HTTP, errors, languages, cache), `titles` (search, details,
lists, title pages), `seasons` (a show's status, a season's episodes, air dates) and
`images` (the image host, posters). Every failure becomes a `TMDBError` saying whether
retrying could help; the API key never appears in a log line, an exception message or a
returned value. Pages pass the reader's language (`page_language()`); requests keep
TMDB's English, which releases are named by.

Callers use this package's names (`tmdb.search`, `tmdb.TMDBError`); a test that replaces
a private helper patches it in the module that defines it (`requests_app.tmdb.client._get`).
"""

from __future__ import annotations

from requests_app.tmdb.client import (
    DEFAULT_LANGUAGE,
    TMDBError,
    TMDBNotConfigured,
    household_language,
    is_configured,
    language_for,
    page_language,
)
from requests_app.tmdb.images import IMAGE_SIZES, fetch_image
from requests_app.tmdb.seasons import (
    AIRED_MARGIN,
    AIRING,
    FINISHED,
    NOT_AIRED,
    AiringEpisode,
    Episode,
    Season,
    SeasonState,
    SeasonSummary,
    SeasonWithoutEpisodes,
    ShowStatus,
    aired_at,
    aired_episodes,
    season,
    season_state,
    show_status,
)
from requests_app.tmdb.titles import (
    MAX_ALIASES,
    MAX_CAST,
    MAX_QUERY_LENGTH,
    MEDIA_TYPES,
    CastMember,
    SearchPage,
    TitlePageDetails,
    TitleResult,
    clean_query,
    details,
    popular_movies,
    popular_shows,
    search,
    search_page,
    title_page_details,
    trending_this_week,
    upcoming_movies,
)

__all__ = [
    "AIRED_MARGIN",
    "AIRING",
    "DEFAULT_LANGUAGE",
    "FINISHED",
    "IMAGE_SIZES",
    "MAX_ALIASES",
    "MAX_CAST",
    "MAX_QUERY_LENGTH",
    "MEDIA_TYPES",
    "NOT_AIRED",
    "AiringEpisode",
    "CastMember",
    "Episode",
    "SearchPage",
    "Season",
    "SeasonState",
    "SeasonSummary",
    "SeasonWithoutEpisodes",
    "ShowStatus",
    "TMDBError",
    "TMDBNotConfigured",
    "TitlePageDetails",
    "TitleResult",
    "aired_at",
    "aired_episodes",
    "clean_query",
    "details",
    "fetch_image",
    "household_language",
    "is_configured",
    "language_for",
    "page_language",
    "popular_movies",
    "popular_shows",
    "search",
    "search_page",
    "season",
    "season_state",
    "show_status",
    "title_page_details",
    "trending_this_week",
    "upcoming_movies",
]
