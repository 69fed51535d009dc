"""What a search asks for and what an indexer answers, as plain values shared by the modules."""

from __future__ import annotations

import base64
import binascii
import re
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from downloads.torrentfile import InvalidTorrent, info_hash_from_magnet

MOVIE = "movie"
TV = "tv"
MEDIA_TYPES = (MOVIE, TV)

_HEX_HASH = re.compile(r"^[0-9a-fA-F]{40}$")
_BASE32_HASH = re.compile(r"^[A-Za-z2-7]{32}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class MediaQuery:
    """One movie, or one season of a show, as the request flow knows it."""

    media_type: str
    title: str
    year: int | None = None
    season: int | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    # Other names the same work is released under (original title, a TMDB alternative).
    aliases: tuple[str, ...] = ()
    # TV, for an episode plan: the episodes Plex lacks, those aired, the season's length.
    wanted_episodes: tuple[int, ...] | None = None
    aired_episodes: tuple[int, ...] | None = None
    episode_count: int | None = None
    # The work's original language (ISO 639-1, TMDB's) and its countries (ISO 3166-1
    # alpha-2: a show's origin, a movie's production), for the audio and version rules.
    original_language: str | None = None
    countries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.media_type not in MEDIA_TYPES:
            raise ValueError(f"media_type must be movie or tv, not {self.media_type!r}")
        if not self.title or not self.title.strip():
            raise ValueError("title is required")
        if self.media_type == TV and self.season is None:
            raise ValueError("a TV query needs a season")
        if self.season is not None and self.season < 0:
            raise ValueError("season must be 0 or more")
        episodes = (self.wanted_episodes, self.aired_episodes, self.episode_count)
        if self.media_type != TV and any(value is not None for value in episodes):
            raise ValueError("wanted_episodes, aired_episodes and episode_count are for TV")
        if self.aired_episodes is not None and self.wanted_episodes is None:
            raise ValueError("aired_episodes needs wanted_episodes")
        if self.episode_count is not None and self.episode_count < 0:
            raise ValueError("episode_count must be 0 or more")
        if self.original_language is not None and not _LANGUAGE.match(self.original_language):
            raise ValueError(
                "original_language must be an ISO 639-1 code such as 'en', "
                f"not {self.original_language!r}"
            )
        bad = [c for c in self.countries if not (isinstance(c, str) and _COUNTRY.match(c))]
        if bad:
            raise ValueError(
                f"countries must be ISO 3166-1 alpha-2 codes such as 'US', not {bad[0]!r}"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaQuery:
        """Build a query from the JSON shape of `rank_releases` (ValueError on bad input)."""
        if not isinstance(data, dict):
            raise ValueError("query must be an object")
        unknown = set(data) - {
            "media_type", "title", "year", "season", "imdb_id", "tmdb_id", "tvdb_id", "aliases",
            "wanted_episodes", "aired_episodes", "episode_count", "original_language", "countries",
        }  # fmt: skip
        if unknown:
            raise ValueError(f"query has unknown keys: {', '.join(sorted(unknown))}")
        return cls(
            media_type=str(data.get("media_type", "")),
            title=_expect(data, "title", str, required=True),
            year=_expect(data, "year", int),
            season=_expect(data, "season", int),
            imdb_id=_expect(data, "imdb_id", str),
            tmdb_id=_expect(data, "tmdb_id", int),
            tvdb_id=_expect(data, "tvdb_id", int),
            aliases=tuple(_expect(data, "aliases", list) or ()),
            wanted_episodes=_episode_numbers(data, "wanted_episodes"),
            aired_episodes=_episode_numbers(data, "aired_episodes"),
            episode_count=_expect(data, "episode_count", int),
            original_language=_expect(data, "original_language", str),
            countries=tuple(_expect(data, "countries", list) or ()),
        )

    def describe(self) -> str:
        """Say what is searched for, as a person would write it."""
        year = f" ({self.year})" if self.year else ""
        season = f" season {self.season}" if self.media_type == TV else ""
        return f"{self.title}{year}{season}"


@dataclass
class Release:
    """One result from one indexer (or from a saved JSON file)."""

    title: str
    size: int
    seeders: int
    peers: int | None = None
    info_hash: str | None = None
    download_url: str | None = None
    magnet_url: str | None = None
    indexer: str = ""
    indexer_id: int | None = None
    guid: str = ""
    pub_date: str = ""
    categories: tuple[int, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.info_hash and self.magnet_url:
            # A magnet without a usable v1 hash still ranks; starting it is refused later.
            with suppress(InvalidTorrent):
                self.info_hash = info_hash_from_magnet(self.magnet_url)
        self.info_hash = normalize_info_hash(self.info_hash)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Release:
        """Build a release from the JSON shape of `rank_releases` (ValueError on bad input)."""
        if not isinstance(data, dict):
            raise ValueError("each release must be an object")
        return cls(
            title=_expect(data, "title", str, required=True),
            size=_expect(data, "size", int, required=True),
            seeders=_expect(data, "seeders", int, required=True),
            peers=_expect(data, "peers", int),
            info_hash=_expect(data, "infohash", str),
            magnet_url=_expect(data, "magnet", str),
        )


def _expect(data: dict[str, Any], key: str, kind: type, *, required: bool = False) -> Any:
    value = data.get(key)
    if value is None:
        if required:
            raise ValueError(f"{key} is required")
        return None
    # bool is an int in Python, but `"seeders": true` is a mistake worth reporting.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{key} must be {kind.__name__}, not {type(value).__name__}")
    return value


def _episode_numbers(data: dict[str, Any], key: str) -> tuple[int, ...] | None:
    values = _expect(data, key, list)
    if values is None:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{key} must be a list of episode numbers")
    return tuple(values)


def normalize_info_hash(value: str | None) -> str | None:
    """Return a 40-character lower-case hex info hash, or None when the value is not one."""
    if not value:
        return None
    value = value.strip()
    if _HEX_HASH.match(value):
        return value.lower()
    if _BASE32_HASH.match(value):
        # Magnets may carry the hash base32-encoded (BEP 9); qBittorrent reports hex.
        return binascii.hexlify(base64.b32decode(value.upper())).decode()
    return None
