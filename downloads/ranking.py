"""Release ranking: accept or reject every release for a query, score the rest, say why.

Plain functions on plain values: the search, the `rank_releases` command, the tests and
the benchmark all call `rank_releases` the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from downloads.locales import ORIGINAL, country_code, language_name, scene_country
from downloads.parsing import (
    ABSOLUTE,
    EXTRAS,
    PARTIAL_PACK,
    ParsedRelease,
    normalize_title,
    parse_release,
    split_country,
    title_keys,
)
from downloads.releases import MOVIE, MediaQuery, Release

GB = 1_000_000_000

# Points are spaced so each criterion only breaks ties of the one before it: one step of
# audio-language preference (10,000) outweighs any resolution (at most 8 steps of 1000), one step of
# resolution preference (1000) outweighs the version's country (600) plus any source
# (≤ 500), one source step (100) outweighs any seeder count (≤ 60) plus PROPER/REPACK.
LANGUAGE_STEP = 10_000
RESOLUTION_STEP = 1000
# A release tagged with the work's country is surely that version ("The.Office.US"), which
# matters more than its source when several countries made a show of the same name.
COUNTRY_POINTS = 600
SOURCE_POINTS = {"BluRay": 500, "WEB-DL": 400, "WEBRip": 300, "HDTV": 200, "DVD": 100}
MAX_SEEDER_POINTS = 60
PROPER_REPACK_POINTS = 15
# A household hearing the original, or English when a film's dub is all there is.
DEFAULT_AUDIO_LANGUAGES = (ORIGINAL, "en")

DEFAULT_RESOLUTIONS = ("1080p", "2160p", "720p")
# Below these a release claiming the resolution is a fake (or so starved of bitrate that
# nobody would want it): a "1080p" film in 300 MB is the classic bait.
DEFAULT_MOVIE_MIN_GB_BY_RESOLUTION = {"2160p": 2.5, "1080p": 1.0, "720p": 0.7}
DEFAULT_SEASON_MIN_GB_BY_RESOLUTION = {"2160p": 4.0, "1080p": 1.5, "720p": 1.0}
# Sizes of one episode that are plausible at each resolution, in GB: below, a fake; above,
# a mislabelled pack or a remux nobody streams (issue 15: "1080p episode 0.3 to 8 GB").
DEFAULT_EPISODE_GB_BY_RESOLUTION: dict[str, tuple[float, float]] = {
    "2160p": (0.8, 20.0),
    "1440p": (0.5, 12.0),
    "1080p": (0.3, 8.0),
    "720p": (0.15, 4.0),
    "576p": (0.08, 2.5),
    "480p": (0.08, 2.0),
    "360p": (0.03, 1.0),
    "240p": (0.03, 1.0),
}
# How a finished season is fetched: its pack when enough of it is missing, or episode by
# episode with a pack only for the episodes nobody released on their own.
PREFER_PACK = "pack"
PREFER_EPISODES = "episodes"
DEFAULT_PACK_MIN_MISSING_PERCENT = 50


@dataclass(frozen=True)
class ProfileRules:
    """The rules of one quality profile, detached from the database."""

    name: str = "Default"
    resolutions: tuple[str, ...] = DEFAULT_RESOLUTIONS
    allow_lower_resolutions: bool = True
    movie_min_gb: float = 0.7
    movie_max_gb: float = 20.0
    season_min_gb: float = 1.0
    season_max_gb: float = 60.0
    movie_min_gb_by_resolution: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MOVIE_MIN_GB_BY_RESOLUTION)
    )
    season_min_gb_by_resolution: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SEASON_MIN_GB_BY_RESOLUTION)
    )
    required_words: tuple[str, ...] = ()
    forbidden_words: tuple[str, ...] = ()
    # Wanted audio languages, most wanted first ("original": the work's own, TMDB's
    # original_language); with `audio_language_required`, a release holding none is refused.
    audio_languages: tuple[str, ...] = DEFAULT_AUDIO_LANGUAGES
    audio_language_required: bool = True
    min_seeders: int = 1
    movie_year_tolerance: int = 1
    # [min, max] GB of one episode per resolution; the planner (downloads/episode_plan.py)
    # judges episode releases by these, and a name without a resolution by a wide default.
    episode_gb_by_resolution: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_EPISODE_GB_BY_RESOLUTION)
    )
    season_pack_preference: str = PREFER_PACK
    pack_min_missing_percent: int = DEFAULT_PACK_MIN_MISSING_PERCENT


@dataclass
class RankedRelease:
    """One release with its verdict: score, breakdown, accepted or not, and why."""

    release: Release
    parsed: ParsedRelease
    score: int
    breakdown: dict[str, int]
    accepted: bool
    reasons: list[str]
    # Accepted only because nothing at the profile's resolutions was: SD, unknown resolution.
    fallback: bool = False

    def as_dict(self, *, breakdown: bool = False) -> dict[str, Any]:
        """Return the JSON shape of `rank_releases` for this release."""
        out: dict[str, Any] = {
            "title": self.release.title,
            "score": self.score,
            "accepted": self.accepted,
            "reasons": list(self.reasons),
        }
        if breakdown:
            out["breakdown"] = dict(self.breakdown)
        return out


@dataclass
class Ranking:
    """Every release ranked best first, and the one to grab (None when nothing is acceptable)."""

    ranked: list[RankedRelease]

    @property
    def accepted(self) -> list[RankedRelease]:
        """Return the acceptable releases, best first."""
        return [r for r in self.ranked if r.accepted]

    @property
    def chosen(self) -> RankedRelease | None:
        """Return the best acceptable release, or None: nothing beats a bad grab."""
        accepted = self.accepted
        return accepted[0] if accepted else None


def rank_releases(
    *,
    query: MediaQuery,
    releases: Iterable[Release],
    profile: ProfileRules | Any | None = None,
    blocked: Mapping[str, str] | None = None,
) -> Ranking:
    """Judge every release for the query under the profile and order them best first.

    `profile` is a `ProfileRules`, anything with a `rules()` method returning one (the
    `QualityProfile` model), or None for the default rules. `blocked` maps info hashes (and
    `title:<lower-case name>` keys, for releases without one) to why they were blocklisted.
    """
    rules = _rules_of(profile)
    blocked = blocked or {}
    wanted_title, country_in_title = split_country(query.title)
    wanted_keys = title_keys(wanted_title)
    for alias in query.aliases:
        wanted_keys |= title_keys(split_country(alias)[0])
    countries = {country_code(c) for c in query.countries}
    if country_in_title:
        countries.add(country_code(country_in_title))
    context = _Context(query, rules, wanted_title, wanted_keys, frozenset(countries), blocked)

    judged = [_judge(release, context) for release in releases]
    _apply_fallback_rule(judged, rules)
    judged.sort(key=_order_key, reverse=True)
    return Ranking(ranked=judged)


@dataclass(frozen=True)
class _Context:
    query: MediaQuery
    rules: ProfileRules
    wanted_title: str
    wanted_keys: set[str]
    wanted_countries: frozenset[str]  # ISO 3166-1 codes (GB, not UK)
    blocked: Mapping[str, str]


def _rules_of(profile: ProfileRules | Any | None) -> ProfileRules:
    if profile is None:
        return ProfileRules()
    if isinstance(profile, ProfileRules):
        return profile
    return profile.rules()


def _judge(release: Release, ctx: _Context) -> RankedRelease:
    parsed = parse_release(release.title)
    reasons: list[str] = []
    breakdown: dict[str, int] = {}
    fallback = _check_resolution(parsed, ctx.rules, reasons, breakdown)
    _check_junk(parsed, reasons)
    _check_identity(parsed, ctx, reasons, breakdown)
    _check_size(release, parsed, ctx, reasons)
    _check_health(release, ctx.rules, reasons, breakdown)
    _check_words(parsed, ctx.rules, reasons)
    _check_language(parsed, ctx, reasons, breakdown)
    _check_blocklist(release, ctx.blocked, reasons)
    breakdown["source"] = SOURCE_POINTS.get(parsed.source or "", 0)
    if parsed.proper or parsed.repack:
        breakdown["proper_repack"] = PROPER_REPACK_POINTS
    return RankedRelease(
        release=release,
        parsed=parsed,
        score=sum(breakdown.values()),
        breakdown=breakdown,
        accepted=not reasons,
        reasons=reasons,
        fallback=fallback,
    )


def _check_resolution(
    parsed: ParsedRelease, rules: ProfileRules, reasons: list[str], breakdown: dict[str, int]
) -> bool:
    """Score the resolution by preference; return True when it is a below-profile fallback."""
    allowed = rules.resolutions
    if parsed.resolution in allowed:
        preference = len(allowed) - allowed.index(parsed.resolution)
        breakdown["resolution"] = preference * RESOLUTION_STEP
        return False
    breakdown["resolution"] = 0
    lowest = min((int(r[:-1]) for r in allowed), default=0)
    if parsed.height is not None and parsed.height > lowest:
        reasons.append(f"{parsed.resolution} not in profile ({', '.join(allowed)})")
        return False
    shown = parsed.resolution or "unknown resolution"
    if not rules.allow_lower_resolutions:
        reasons.append(f"{shown} below profile ({', '.join(allowed)})")
        return False
    return True


def _check_junk(parsed: ParsedRelease, reasons: list[str]) -> None:
    if parsed.theatre_rip:
        reasons.append(parsed.theatre_rip)
    elif parsed.trash:
        # parsett's trash flag also covers leaks, DVB/SAT captures and "HQ clean audio".
        reasons.append("low-quality rip (trash marker in name)")
    if parsed.sample:
        reasons.append("sample")
    if parsed.three_d:
        reasons.append("3D")
    if parsed.hardcoded_subs:
        reasons.append("hard-coded subtitles")
    if parsed.upscaled:
        reasons.append("AI upscale")
    if parsed.executable:
        reasons.append("executable file, not a video (malware?)")


def _check_identity(
    parsed: ParsedRelease, ctx: _Context, reasons: list[str], breakdown: dict[str, int]
) -> None:
    query = ctx.query
    title, year = parsed.title, parsed.year
    # A name may give two titles ("Hate AKA La Haine"): either may be the one TMDB gives.
    same_title = any(title_keys(t) & ctx.wanted_keys for t in parsed.titles or (title,))
    if not same_title and year is not None:
        # "2012.1080p" and "Blade.Runner.2049.1080p" give their number as the year.
        same_title = bool(title_keys(f"{title} {year}".strip()) & ctx.wanted_keys)
        year = None if same_title else year
    if not same_title:
        reasons.append(f"title {title or '(none)'!r} ≠ {ctx.wanted_title!r}")
    if ctx.wanted_countries and parsed.country:
        if country_code(parsed.country) in ctx.wanted_countries:
            breakdown["country"] = COUNTRY_POINTS
        else:
            wanted = " or ".join(sorted(scene_country(c) for c in ctx.wanted_countries))
            reasons.append(f"country {parsed.country}, not {wanted}")
    if query.media_type == MOVIE:
        _check_movie_year(year, query, ctx.rules, reasons)
        if parsed.seasons or parsed.episodes:
            reasons.append("a TV release, not a movie")
    else:
        _check_season(parsed, year, query, reasons)


def _check_movie_year(
    year: int | None, query: MediaQuery, rules: ProfileRules, reasons: list[str]
) -> None:
    if query.year is None:
        return
    if year is None:
        # Without a year a remake and its original look the same: refuse rather than guess.
        reasons.append("no year in name")
    elif abs(year - query.year) > rules.movie_year_tolerance:
        reasons.append(f"year {year} ≠ {query.year}")


def _check_season(
    parsed: ParsedRelease, year: int | None, query: MediaQuery, reasons: list[str]
) -> None:
    season = query.season
    kind = parsed.coverage.kind
    if kind == EXTRAS:
        reasons.append("bonus material or subtitles, not episodes")
    elif kind == PARTIAL_PACK:
        reasons.append(f"part {parsed.coverage.part} of a season, not the whole season")
    if kind == ABSOLUTE:
        # Counted from the show's first episode: only TMDB's season lengths place it.
        reasons.append(f"absolute episode {parsed.coverage.absolute[0]}, not a season pack")
    else:
        _check_season_shape(parsed, season, reasons)
    # A show's year is its first season's; a season can't be older than the show, and a
    # first season of a same-named show from another decade is another show.
    if (query.year and year) and (year < query.year - 1 or (season == 1 and year > query.year + 1)):
        reasons.append(f"year {year} ≠ {query.year}")


def _check_season_shape(parsed: ParsedRelease, season: int | None, reasons: list[str]) -> None:
    if parsed.episodes:
        first = parsed.seasons[0] if parsed.seasons else season
        reasons.append(f"episode S{first:02d}E{parsed.episodes[0]:02d}, not a season pack")
    if len(parsed.seasons) > 1:
        reasons.append(f"multi-season pack (S{parsed.seasons[0]:02d} to S{parsed.seasons[-1]:02d})")
    elif parsed.seasons and parsed.seasons[0] != season:
        reasons.append(f"season {parsed.seasons[0]} ≠ {season}")
    elif not parsed.seasons:
        reasons.append(
            f"complete series, not season {season}" if parsed.complete else "no season in name"
        )


def _check_size(release: Release, parsed: ParsedRelease, ctx: _Context, reasons: list[str]) -> None:
    rules = ctx.rules
    if ctx.query.media_type == MOVIE:
        low, high = rules.movie_min_gb, rules.movie_max_gb
        by_resolution = rules.movie_min_gb_by_resolution
    else:
        low, high, by_resolution = (
            rules.season_min_gb,
            rules.season_max_gb,
            rules.season_min_gb_by_resolution,
        )
    if release.size <= 0:
        reasons.append("size unknown")
        return
    size_gb = release.size / GB
    plausible = by_resolution.get(parsed.resolution or "", 0)
    if size_gb > high:
        reasons.append(f"size {_gb(size_gb)} GB > {_gb(high)} GB")
    elif size_gb < plausible:
        reasons.append(
            f"size {_gb(size_gb)} GB too small for {parsed.resolution} "
            f"(< {_gb(plausible)} GB): fake?"
        )
    elif size_gb < low:
        reasons.append(f"size {_gb(size_gb)} GB < {_gb(low)} GB")


def _gb(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"


def _check_health(
    release: Release, rules: ProfileRules, reasons: list[str], breakdown: dict[str, int]
) -> None:
    seeders = max(release.seeders, 0)
    if seeders == 0:
        reasons.append("no seeders")
    elif seeders < rules.min_seeders:
        reasons.append(f"{seeders} seeders < {rules.min_seeders}")
    # Logarithmic: 10 seeders are much better than 1, 1,010 hardly better than 1,000.
    breakdown["seeders"] = min(MAX_SEEDER_POINTS, round(20 * math.log10(1 + seeders)))


def _check_words(parsed: ParsedRelease, rules: ProfileRules, reasons: list[str]) -> None:
    if not (rules.required_words or rules.forbidden_words):
        return
    name = f" {normalize_title(parsed.raw)} "
    for word in rules.forbidden_words:
        if f" {normalize_title(word)} " in name:
            reasons.append(f"forbidden word {word!r}")
    for word in rules.required_words:
        if f" {normalize_title(word)} " not in name:
            reasons.append(f"missing required word {word!r}")


def _check_language(
    parsed: ParsedRelease, ctx: _Context, reasons: list[str], breakdown: dict[str, int]
) -> None:
    wanted = ctx.rules.audio_languages
    if not wanted:
        return
    original = ctx.query.original_language
    position = next(
        (n for n, language in enumerate(wanted) if parsed.audio.holds(language, original)), None
    )
    if position is not None:
        breakdown["language"] = (len(wanted) - position) * LANGUAGE_STEP
    elif ctx.rules.audio_language_required:
        names = " or ".join(_wanted_name(language, original) for language in wanted)
        reasons.append(f"audio {parsed.audio.describe(original)}, not {names}")


def _wanted_name(language: str, original: str | None) -> str:
    if language == ORIGINAL:
        return f"{language_name(original)} (original)" if original else "the original"
    return language_name(language)


def _check_blocklist(release: Release, blocked: Mapping[str, str], reasons: list[str]) -> None:
    if not blocked:
        return
    why = None
    if release.info_hash:
        why = blocked.get(release.info_hash)
    if why is None:
        why = blocked.get(f"title:{release.title.lower()}")
    if why is not None:
        reasons.append(f"blocklisted: {why}" if why else "blocklisted")


def _apply_fallback_rule(judged: list[RankedRelease], rules: ProfileRules) -> None:
    """Reject below-profile releases when one at the profile's resolutions is acceptable.

    Only one in an audio language at least as wanted counts: the language orders first.
    """
    regular = [r.breakdown.get("language", 0) for r in judged if r.accepted and not r.fallback]
    if not regular:
        return
    best_language = max(regular)
    for ranked in judged:
        if (
            ranked.accepted
            and ranked.fallback
            and ranked.breakdown.get("language", 0) <= best_language
        ):
            ranked.accepted = False
            shown = ranked.parsed.resolution or "unknown resolution"
            ranked.reasons.append(
                f"{shown} only when nothing at {', '.join(rules.resolutions)} is acceptable"
            )


def _order_key(ranked: RankedRelease) -> tuple[bool, int, bool, int, int, str]:
    return (
        ranked.accepted,
        # The audio language orders before everything else, the fallback rule included.
        ranked.breakdown.get("language", 0) if ranked.accepted else 0,
        ranked.accepted and not ranked.fallback,
        ranked.score,
        ranked.release.seeders,
        # Reverse-sorted, so negate nothing but keep the order of names stable and readable.
        "".join(chr(0x10FFFF - ord(c)) for c in ranked.release.title[:50]),
    )
