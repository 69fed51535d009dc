"""Release-name parsing: parsett (the parser of rank-torrent-name) plus the few markers it misses.

parsett was measured here at ~0.7 ms a name against ~7.6 ms for guessit 3.x on the same
1,000 names, and it already knows scene vocabulary (CAM/TS/SCR, 3D, upscales, HC, seasons,
packs), so ranking 1,000 releases stays well under a second; run through the leaner
runner below it takes ~0.4 ms a name.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import regex
from PTT import Parser, add_defaults
from PTT.adult import is_adult_content
from PTT.parse import BEFORE_TITLE_MATCH_REGEX, SUB_PATTERN, clean_title, extend_options, none

from downloads.locales import AudioLanguages, country_tag, read_audio
from downloads.scene_names import file_stem, reread

# parsett's `quality` values grouped into the sources a profile ranks.
SOURCE_OF_QUALITY = {
    "BluRay": "BluRay",
    "BluRay REMUX": "BluRay",
    "REMUX": "BluRay",
    "BDRip": "BluRay",
    "BRRip": "BluRay",
    "UHDRip": "BluRay",
    "WEB-DL": "WEB-DL",
    "WEB": "WEB-DL",
    "WEBMux": "WEB-DL",
    "WEBRip": "WEBRip",
    "WEB-DLRip": "WEBRip",
    "HDRip": "WEBRip",
    "HDTV": "HDTV",
    "HDTVRip": "HDTV",
    "PDTV": "HDTV",
    "TVRip": "HDTV",
    "SATRip": "HDTV",
    "DVD": "DVD",
    "DVDRip": "DVD",
}
# Camera and theatre recordings, screeners: never what a household wants.
THEATRE_QUALITIES = {
    "CAM": "CAM",
    "TeleSync": "TELESYNC",
    "TeleCine": "TELECINE",
    "SCR": "screener",
    "R5": "R5 (pre-release)",
}

# parsett flags HC/HARDCODED only; scene groups also mark burned-in subtitles with a
# language prefix (KORSUB, CHISUB) or spell it out (HardSubs).
_HARDSUB = re.compile(
    r"(?<![a-z0-9])(?:kor|chi|chn|hin|ara|rus|vie|tha|jap|eng)subs?(?![a-z0-9])"
    r"|(?<![a-z0-9])hard[\s._-]?(?:subs?|subbed|coded)(?![a-z0-9])",
    re.IGNORECASE,
)
# Executables and shortcuts posing as videos are malware, a trap parsett does not look for.
_EXECUTABLE = re.compile(r"\.(?:exe|scr|lnk|bat|cmd|msi|vbs|js)\s*$", re.IGNORECASE)
_COUNTRY_SUFFIX = re.compile(r"\s*\((US|UK|AU|NZ|CA|IE)\)\s*$", re.IGNORECASE)
# A bare suffix only in capitals: "Between Us" is a title, "The Office US" a version.
_BARE_COUNTRY_SUFFIX = re.compile(r"\s+(US|UK)$")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# A season split into parts or volumes: which episodes each part holds is not in the name.
_PART = re.compile(
    r"(?<![a-z0-9])(?:part|pt|vol|volume|disc|disk)[\s._-]*(\d{1,2})(?!\d)", re.IGNORECASE
)
# Bonus material and subtitle packs share a season's name but hold no episode.
_EXTRAS = re.compile(
    r"(?<![a-z0-9])(?:extras|bonus|featurettes?|special[\s._-]features"
    r"|subs?[\s._-]?packs?|subs[\s._-]only|subtitles[\s._-]only)(?![a-z0-9])",
    re.IGNORECASE,
)
# More episodes than this in one release, when the season's length is unknown, is a lie
# ("S02E01-E99"): the longest weekly seasons run 26, a year of weekly shows 52.
MAX_EPISODES_CLAIMED = 52

# What a release's name says it holds, from most to least specific.
EPISODES = "episodes"  # one file per named episode: S02E05, S02E05E06, 2x05
DAILY = "daily"  # a daily show's episode named by its air date: 2024.05.03
ABSOLUTE = "absolute"  # episodes counted across seasons, no season named (anime): Show - 13
SEASON_PACK = "season"  # one whole season: S02, Season 2, Stagione 3
PARTIAL_PACK = "partial"  # part of a season, episodes unknown: S02.Part.1, S02.Vol.1
MULTI_SEASON = "multi-season"  # several whole seasons: S01-S05
COMPLETE_SERIES = "complete-series"  # every season, not listed: Complete Series
EXTRAS = "extras"  # bonus material or subtitles: never an episode
UNKNOWN = "unknown"  # no season, episode or date in the name


@dataclass(frozen=True)
class EpisodeCoverage:
    """Which seasons and episodes a release name claims to hold."""

    kind: str = UNKNOWN
    seasons: tuple[int, ...] = ()
    # (season, episode) pairs the name lists; empty for packs, which list no episodes.
    pairs: tuple[tuple[int, int], ...] = ()
    air_date: date | None = None
    part: int | None = None
    # Episode numbers counted from the show's first episode, for ABSOLUTE.
    absolute: tuple[int, ...] = ()
    # Why the claim cannot be believed; set when the name alone proves it absurd.
    problem: str | None = None

    @property
    def is_pack(self) -> bool:
        """Return True for anything that holds more than the episodes it names."""
        return self.kind in (SEASON_PACK, PARTIAL_PACK, MULTI_SEASON, COMPLETE_SERIES)

    def holds_season(self, season: int) -> bool:
        """Return True when the release claims every episode of `season`."""
        if self.kind == COMPLETE_SERIES:
            return not self.seasons or season in self.seasons
        return self.kind in (SEASON_PACK, MULTI_SEASON) and season in self.seasons

    def episodes_of(self, season: int, episode_count: int | None = None) -> frozenset[int]:
        """Return the episode numbers of `season` held, all of them for a whole-season pack."""
        if self.problem:
            return frozenset()
        if self.holds_season(season):
            return frozenset(range(1, episode_count + 1)) if episode_count else frozenset()
        return frozenset(e for s, e in self.pairs if s == season)

    def problem_for(self, season: int, episode_count: int | None) -> str | None:
        """Say why the claim is absurd for a season of `episode_count` episodes, or None."""
        if self.problem or not episode_count:
            return self.problem
        named = sorted(e for s, e in self.pairs if s == season)
        if named and named[-1] > episode_count:
            shown = f"E{named[0]:02d}-E{named[-1]:02d}" if len(named) > 1 else f"E{named[0]:02d}"
            return f"claims S{season:02d}{shown} but season {season} has {episode_count} episodes"
        return None


RESOLUTIONS = ("2160p", "1440p", "1080p", "720p", "576p", "480p", "360p", "240p")
_RESOLUTION_HEIGHT = {r: int(r[:-1]) for r in RESOLUTIONS}


@dataclass(frozen=True)
class ParsedRelease:
    """What a release name says about itself."""

    raw: str
    title: str
    year: int | None
    resolution: str | None
    source: str | None
    quality: str | None
    seasons: tuple[int, ...]
    episodes: tuple[int, ...]
    complete: bool
    languages: tuple[str, ...]
    dubbed: bool
    country: str | None
    proper: bool
    repack: bool
    three_d: bool
    upscaled: bool
    hardcoded_subs: bool
    sample: bool
    trash: bool
    executable: bool
    group: str | None
    # Every title the name gives ("Hate AKA La Haine"), `title` first.
    titles: tuple[str, ...] = ()
    coverage: EpisodeCoverage = field(default_factory=EpisodeCoverage)
    # The audio the name claims (downloads/locales.py): `languages` above is parsett's,
    # which also counts subtitle tags.
    audio: AudioLanguages = field(default_factory=AudioLanguages)

    @property
    def theatre_rip(self) -> str | None:
        """Name the camera/theatre/screener kind of this release, or None."""
        return THEATRE_QUALITIES.get(self.quality or "")

    @property
    def height(self) -> int | None:
        """Return the vertical resolution in lines, or None when the name does not say."""
        return _RESOLUTION_HEIGHT.get(self.resolution or "")


# parsett's own runner costs as much as its regexes: cProfile of a cold 20-season plan
# (2,000 names, tests/benchmarks/bench_episode_plan.py) put ~97% of the time in parse_title,
# called once per distinct name already (the cache below), and of that about a fifth in the
# adult-keyword scan (a substring test of ~1,000 words per name; we never read "adult"), and
# most of the rest in each of its ~430 handlers re-checking a debug flag, building a context
# dict and calling inspect.signature on every match. This parser runs the same handlers in
# the same order with the same rules (tests/downloads/test_parsing.py compares it with
# parse_title over the test names), minus that scan, in ~55% of the time: 2,000 names ~0.8 s
# instead of ~1.4 s on the 2-core machine. Re-check it when parsett (pinned) is upgraded.
_NO_VALUE = object()
_Step = Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any] | None]


class _LeanParser(Parser):
    """parsett's Parser without its debug hooks and adult-keyword scan (see the comment above)."""

    def add_handler(
        self,
        handler_name: Any,
        handler: Any = None,
        transformer: Callable[..., Any] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        """Keep a handler as parsett would, a regex one as a step with its options read once."""
        if handler is is_adult_content:
            return
        if isinstance(handler_name, str) and isinstance(handler, regex.Pattern):
            rules = extend_options(options if isinstance(options, dict) else {})
            call = transformer if callable(transformer) else none
            step = _regex_step(handler_name, handler, call, rules)
            self.handlers.append((True, step))
            return
        super().add_handler(handler_name, handler, transformer, options)
        self.handlers[-1] = (False, self.handlers[-1])

    def parse(self, title: str, translate_languages: bool = False) -> dict[str, Any]:
        """Parse a release name into parsett's fields, as `PTT.parse_title` does."""
        title = SUB_PATTERN.sub(" ", title)
        result: dict[str, Any] = {}
        matched: dict[str, Any] = {}
        end_of_title = len(title)
        for is_regex, handler in self.handlers:
            if is_regex:
                found = handler(title, result, matched)
            else:
                found = handler({"title": title, "result": result, "matched": matched})
            if found is None:
                continue
            index = found.get("match_index")
            raw = found.get("raw_match", "")
            remove = found.get("remove", False)
            skip_from_title = found.get("skip_from_title", False)
            if remove:
                title = title[:index] + title[index + len(raw) :]
            if not skip_from_title and index and 1 < index < end_of_title:
                end_of_title = index
            if remove and skip_from_title and index < end_of_title:
                end_of_title -= len(raw)
        result.setdefault("episodes", [])
        result.setdefault("seasons", [])
        result.setdefault("languages", [])
        result["title"] = clean_title(title[:end_of_title])
        return result


def _regex_step(
    name: str, pattern: regex.Pattern, transformer: Callable[..., Any], options: dict[str, Any]
) -> _Step:
    """Return parsett's regex handler (PTT.parse.create_handler_from_regexp) as a step."""
    skip_if_found = options.get("skipIfAlreadyFound", False)
    skip_if_first = options.get("skipIfFirst", False)
    fixed = options.get("value", _NO_VALUE)
    remove = options.get("remove", False)
    skip_from_title = options.get("skipFromTitle", False)
    takes_existing = len(inspect.signature(transformer).parameters) > 1

    def step(title: str, result: dict[str, Any], matched: dict[str, Any]) -> dict[str, Any] | None:
        if skip_if_found and name in result:
            return None
        match = pattern.search(title)
        if not match:
            return None
        raw = match.group(0)
        text = (match.group(1) if pattern.groups >= 1 else raw) or raw
        value = transformer(text, result.get(name)) if takes_existing else transformer(text)
        if isinstance(value, str):
            value = value.strip()
        start = match.start()
        if skip_if_first:
            others = [m["match_index"] for key, m in matched.items() if key != name]
            if others and all(start < other for other in others):
                return None
        if value is None:
            return None
        before = BEFORE_TITLE_MATCH_REGEX.match(title)
        before_title = before is not None and raw in before.group(1)
        matched.setdefault(name, {"raw_match": raw, "match_index": start})
        result[name] = value if fixed is _NO_VALUE else fixed
        return {
            "raw_match": raw,
            "match_index": start,
            "remove": remove,
            "skip_from_title": before_title or skip_from_title,
        }

    return step


_PARSER = _LeanParser()
add_defaults(_PARSER)


def release_fields(name: str) -> dict[str, Any]:
    """Return parsett's fields for a release name as `PTT.parse_title` does, bar its "adult"."""
    return _PARSER.parse(name)


def _resolution_of(name: str) -> str | None:
    return release_fields(name).get("resolution")


@lru_cache(maxsize=4096)
def parse_release(name: str) -> ParsedRelease:
    """Parse one release name (cached: the same name often comes from several indexers)."""
    # What parsett misreads in names as the scene writes them is read again there.
    stem = file_stem(name)
    data = reread(stem, release_fields(stem), reparse=_resolution_of)
    resolution = data.get("resolution")
    quality = data.get("quality")
    extras = [e.lower() for e in data.get("extras") or []]
    title = data.get("title") or ""
    seasons = tuple(data.get("seasons") or ())
    episodes = tuple(data.get("episodes") or ())
    complete = bool(data.get("complete"))
    return ParsedRelease(
        raw=name,
        title=title,
        titles=tuple(data["titles"]),
        year=data.get("year"),
        resolution=resolution,
        source=SOURCE_OF_QUALITY.get(quality or ""),
        quality=quality,
        seasons=seasons,
        episodes=episodes,
        complete=complete,
        languages=tuple(data.get("languages") or ()),
        dubbed=bool(data.get("dubbed")),
        # parsett takes US/UK/AU/NZ/CA anywhere; only right after the title is it a version.
        country=country_tag(name, title),
        proper=bool(data.get("proper")),
        repack=bool(data.get("repack")),
        three_d=bool(data.get("3d")),
        upscaled=bool(data.get("upscaled")),
        hardcoded_subs=bool(data.get("hardcoded")) or bool(_HARDSUB.search(name)),
        sample="sample" in extras,
        trash=bool(data.get("trash")),
        executable=bool(_EXECUTABLE.search(name)),
        group=data.get("group"),
        coverage=_coverage(name, seasons, episodes, complete, data.get("date")),
        audio=read_audio(
            name,
            title,
            data.get("languages") or (),
            languages_without=lambda text: release_fields(text).get("languages") or (),
        ),
    )


def _coverage(
    name: str,
    seasons: tuple[int, ...],
    episodes: tuple[int, ...],
    complete: bool,
    air_date: str | None,
) -> EpisodeCoverage:
    """Read which seasons and episodes a name claims from what parsett found in it."""
    if _EXTRAS.search(name):
        return EpisodeCoverage(kind=EXTRAS, seasons=seasons)
    if episodes:
        # An episode without a season ("Show - 13") is numbered from the show's first
        # episode (anime does this); only the show's season lengths say which season it is.
        if not seasons:
            problem = None
            if len(episodes) > MAX_EPISODES_CLAIMED:
                problem = f"claims {len(episodes)} episodes in one release"
            return EpisodeCoverage(kind=ABSOLUTE, absolute=tuple(episodes), problem=problem)
        season = seasons[0] if len(seasons) == 1 else None
        if season is None:
            return EpisodeCoverage(kind=UNKNOWN, problem="episode numbers without one season")
        problem = None
        if len(episodes) > MAX_EPISODES_CLAIMED:
            problem = (
                f"claims {len(episodes)} episodes (S{season:02d}E{episodes[0]:02d}-"
                f"E{episodes[-1]:02d}) in one release"
            )
        return EpisodeCoverage(
            kind=EPISODES,
            seasons=(season,),
            pairs=tuple((season, e) for e in episodes),
            problem=problem,
        )
    if air_date and not seasons:
        with_date = _date_or_none(air_date)
        if with_date is not None:
            return EpisodeCoverage(kind=DAILY, air_date=with_date)
    if len(seasons) > 1:
        return EpisodeCoverage(kind=MULTI_SEASON, seasons=seasons)
    if seasons:
        part = _PART.search(name)
        if part:
            return EpisodeCoverage(kind=PARTIAL_PACK, seasons=seasons, part=int(part.group(1)))
        return EpisodeCoverage(kind=SEASON_PACK, seasons=seasons)
    if complete:
        return EpisodeCoverage(kind=COMPLETE_SERIES)
    return EpisodeCoverage()


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def normalize_title(title: str) -> str:
    """Fold a title to lower-case ASCII words so "Amélie", "amelie" and "AMELIE" compare equal."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("&", " and ")
    # "Spider-Man" and "Spider.Man" must compare equal, and "Marvel's" must equal "Marvels".
    folded = folded.replace("'", "")
    return _NON_ALNUM.sub(" ", folded).strip()


def title_keys(title: str) -> set[str]:
    """Return the forms of a title that count as the same title (with or without "the")."""
    words = normalize_title(title)
    keys = {words, words.replace(" ", "")}
    if words.startswith("the "):
        keys |= title_keys(words[4:])
    return {k for k in keys if k}


def split_country(title: str) -> tuple[str, str | None]:
    """Split "The Office (US)" into ("The Office", "US"), as TVDB names regional versions."""
    match = _COUNTRY_SUFFIX.search(title) or _BARE_COUNTRY_SUFFIX.search(title)
    if not match:
        return title, None
    country = match.group(1).upper()
    return title[: match.start()].strip(), country
