"""Episode plans: which releases to take so a season's wanted episodes are all covered.

Plain functions on ranked releases (issue 15). The ranking judges each release as it
judges a movie's — title, resolution, junk, seeders, language, blocklist — and orders them;
for a TV query it also rejects anything that is not one season's pack, and judges sizes
as a season's. The planner takes those two verdicts back for the shapes it can use
(episodes, multi-season packs) and judges their sizes itself, per episode or per season,
by the profile's episode sizes; the profile also says whether a finished season is
fetched as its pack or episode by episode. A TV request's search
(`requests_app.seasons`) downloads the plan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from downloads.parsing import (
    ABSOLUTE,
    COMPLETE_SERIES,
    DAILY,
    EPISODES,
    EXTRAS,
    PARTIAL_PACK,
    SEASON_PACK,
    EpisodeCoverage,
    parse_release,
)
from downloads.ranking import (
    GB,
    PREFER_PACK,
    ProfileRules,
    RankedRelease,
    Ranking,
    rank_releases,
)
from downloads.releases import MediaQuery, Release

# The episode sizes for a name without a resolution (or one the rules give none for).
UNKNOWN_RESOLUTION_EPISODE_GB = (0.08, 8.0)

# The ranking's reasons (downloads/ranking.py, _check_season and _check_size) that are about
# a TV release's shape or a season's sizes; the planner judges those itself for the shapes
# it can use. tests/downloads/test_episode_plan.py fails if these messages drift.
_SHAPE_REASON_PREFIXES = (
    "episode S",
    "absolute episode ",
    "multi-season pack (",
    "complete series, not season",
)
_NO_SEASON_REASON = "no season in name"
_SIZE_REASON_PREFIX = "size "
_SIZE_UNKNOWN_REASON = "size unknown"
# The ranking's fallback rule compares against season packs only; the planner keeps
# below-profile releases last instead, per episode.
_FALLBACK_REASON_PART = " only when nothing at "

# How the planner uses an option.
_EPISODE = "episode"
_PACK = "season pack"
_MULTI = "multi-season pack"


@dataclass(frozen=True)
class SeasonEpisodes:
    """What one season asks for: wanted and aired episode numbers, and what TMDB knows."""

    wanted: frozenset[int]
    aired: frozenset[int]
    episode_count: int | None = None
    air_dates: Mapping[int, date] = field(default_factory=dict)
    # Episodes of the show before this season, for names numbered from its first (anime).
    absolute_offset: int | None = None


@dataclass(frozen=True)
class PlanEntry:
    """One release to take, the wanted episodes it brings, and why."""

    candidate: RankedRelease
    season: int
    episodes: tuple[int, ...]
    # True when only some of its files are wanted (qBittorrent priority 0 for the rest).
    some_files_only: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of `rank_releases`'s plan for this entry."""
        return {
            "title": self.candidate.release.title,
            "episodes": list(self.episodes),
            "files_to_fetch": (
                [f"S{self.season:02d}E{e:02d}" for e in self.episodes]
                if self.some_files_only
                else "all"
            ),
            "reason": self.reason,
        }


@dataclass
class EpisodePlan:
    """The releases chosen for one season, and each wanted episode left out with why."""

    season: int
    entries: list[PlanEntry]
    uncovered: dict[int, str]
    # The show's episodes before the season, when known (for names numbered from the first).
    absolute_offset: int | None = None

    @property
    def covered(self) -> set[int]:
        """Return the wanted episode numbers some entry brings."""
        return {e for entry in self.entries for e in entry.episodes}

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of `rank_releases`'s plan."""
        return {
            "season": self.season,
            "releases": [entry.as_dict() for entry in self.entries],
            "uncovered": {str(e): why for e, why in sorted(self.uncovered.items())},
        }


@dataclass(frozen=True)
class _Option:
    candidate: RankedRelease
    use: str
    episodes: frozenset[int]
    # Whole-season options hold every episode, including ones the planner does not know of.
    whole_season: bool


def plan_episodes(
    *,
    candidates: Ranking | Iterable[RankedRelease],
    season: int,
    wanted: set[int] | frozenset[int],
    aired: set[int] | frozenset[int],
    season_episode_count: int | None,
    air_dates: Mapping[int, date] | None = None,
    rules: ProfileRules | None = None,
    absolute_offset: int | None = None,
) -> EpisodePlan:
    """Choose the releases that cover a season's wanted, aired episodes, best first.

    `candidates` is the ranking of the season's query (its order is kept: the best of each
    kind is taken); `wanted` the episodes Plex lacks, `aired` those already out;
    `air_dates` maps episode numbers to air dates, for daily shows named by date;
    `absolute_offset` counts the show's episodes before this season, for names numbered
    from the show's first episode (without it, such names are not placed in any season).
    """
    ranked = candidates.ranked if isinstance(candidates, Ranking) else list(candidates)
    rules = rules or ProfileRules()
    count = season_episode_count if season_episode_count and season_episode_count > 0 else None
    uncovered: dict[int, str] = {}
    targets: set[int] = set()
    for episode in wanted:
        if episode < 1:
            uncovered[episode] = "not an episode number"
        elif count and episode > count:
            uncovered[episode] = f"season {season} has {count} episodes"
        elif episode not in aired:
            uncovered[episode] = "not aired yet"
        else:
            targets.add(episode)
    whole = frozenset(range(1, count + 1)) if count else frozenset(aired | wanted)
    finished = whole <= aired if count else not (set(wanted) - set(aired))
    # Whole numbers, so exactly 50 % missing meets a 50 % threshold.
    pack_first = rules.season_pack_preference == PREFER_PACK and (
        not whole or len(wanted) * 100 >= rules.pack_min_missing_percent * len(whole)
    )

    options, refused = _options(
        ranked, season, count, whole, air_dates or {}, rules, absolute_offset
    )
    # Below-profile resolutions only where nothing at the profile's is acceptable (stable).
    options.sort(key=lambda o: o.candidate.fallback)
    entries: list[PlanEntry] = []
    left = set(targets)

    packs = [o for o in options if o.use == _PACK]
    if finished and packs and left and pack_first:
        left = _take_pack(packs[0], left, whole, entries, season, "")
    episodes = [o for o in options if o.use == _EPISODE]
    for episode in sorted(left):
        if episode not in left:
            continue  # brought by a multi-episode release taken for an earlier one
        best = next((o for o in episodes if episode in o.episodes), None)
        if best is None:
            continue
        brings = sorted(best.episodes & left)
        extra = sorted(best.episodes - set(wanted))
        reason = _episode_reason(best, brings, extra, finished)
        entries.append(PlanEntry(best.candidate, season, tuple(brings), False, reason))
        left -= best.episodes
    if finished and left:
        # The only acceptable way left: a pack, fetching only the files still needed.
        multis = [o for o in options if o.use == _MULTI]
        for pack in (packs[:1] if packs else []) + multis[:1]:
            if left:
                left = _take_pack(pack, left, whole, entries, season, "no episode release")
    for episode in left:
        uncovered[episode] = _why_uncovered(episode, finished, options, refused)
    return EpisodePlan(
        season=season, entries=entries, uncovered=uncovered, absolute_offset=absolute_offset
    )


def plan_seasons(
    *,
    query: MediaQuery,
    releases: Iterable[Release],
    seasons: Mapping[int, SeasonEpisodes],
    profile: ProfileRules | Any | None = None,
    blocked: Mapping[str, str] | None = None,
) -> dict[int, EpisodePlan]:
    """Plan every requested season of a show from one search's releases.

    Each release is ranked only for the seasons its name touches (all of them for a
    multi-season or complete pack, and daily shows' for every season), so 2,000 releases
    over 20 seasons cost about 2,000 judgements, not 40,000.
    """
    by_season: dict[int, list[Release]] = {s: [] for s in seasons}
    for release in releases:
        coverage = parse_release(release.title).coverage
        for season in _seasons_touched(coverage, seasons):
            by_season[season].append(release)
    plans = {}
    for season, want in seasons.items():
        season_query = MediaQuery(
            media_type=query.media_type,
            title=query.title,
            year=query.year,
            season=season,
            imdb_id=query.imdb_id,
            tmdb_id=query.tmdb_id,
            tvdb_id=query.tvdb_id,
            aliases=query.aliases,
        )
        ranking = rank_releases(
            query=season_query, releases=by_season[season], profile=profile, blocked=blocked
        )
        plans[season] = plan_episodes(
            candidates=ranking,
            season=season,
            wanted=want.wanted,
            aired=want.aired,
            season_episode_count=want.episode_count,
            air_dates=want.air_dates,
            rules=profile if isinstance(profile, ProfileRules) else _rules(profile),
            absolute_offset=want.absolute_offset,
        )
    return plans


def _rules(profile: Any | None) -> ProfileRules | None:
    return profile.rules() if profile is not None and hasattr(profile, "rules") else None


def _seasons_touched(coverage: EpisodeCoverage, seasons: Mapping[int, SeasonEpisodes]) -> list[int]:
    if coverage.kind in (COMPLETE_SERIES, DAILY, ABSOLUTE) and not coverage.seasons:
        return list(seasons)
    return [s for s in coverage.seasons if s in seasons]


def _options(
    ranked: list[RankedRelease],
    season: int,
    count: int | None,
    whole: frozenset[int],
    air_dates: Mapping[int, date],
    rules: ProfileRules,
    absolute_offset: int | None,
) -> tuple[list[_Option], list[tuple[RankedRelease, frozenset[int], str]]]:
    """Sort candidates into usable options and refused ones (with the episodes they claimed)."""
    options: list[_Option] = []
    refused: list[tuple[RankedRelease, frozenset[int], str]] = []
    for candidate in ranked:
        coverage = candidate.parsed.coverage
        use, episodes = _use_of(coverage, season, count, whole, air_dates, absolute_offset)
        if use is None or (coverage.kind == ABSOLUTE and not episodes):
            # Another season's release, a name that says nothing of episodes, or one
            # numbered from the show's first episode while the season lengths are unknown.
            continue
        problem = coverage.problem_for(season, count)
        if coverage.kind == EXTRAS:
            problem = "extras or subtitles, not episodes"
        elif coverage.kind == PARTIAL_PACK:
            problem = f"part {coverage.part} of season {season}: which episodes it holds is unknown"
        reasons = [problem] if problem else _remaining_reasons(candidate, use, coverage)
        if use != _PACK and not reasons:
            reasons = _size_reasons(candidate, use, coverage, episodes, rules)
        if reasons:
            refused.append((candidate, episodes, "; ".join(reasons)))
            continue
        options.append(_Option(candidate, use, episodes, use != _EPISODE))
    return options, refused


def _use_of(
    coverage: EpisodeCoverage,
    season: int,
    count: int | None,
    whole: frozenset[int],
    air_dates: Mapping[int, date],
    absolute_offset: int | None,
) -> tuple[str | None, frozenset[int]]:
    kind = coverage.kind
    if kind == ABSOLUTE:
        return _EPISODE, _absolute_in_season(coverage.absolute, count, absolute_offset)
    if kind == EPISODES:
        episodes = frozenset(e for s, e in coverage.pairs if s == season)
        return (_EPISODE if episodes else None), episodes
    if kind == DAILY:
        episodes = frozenset(e for e, day in air_dates.items() if day == coverage.air_date)
        return (_EPISODE if episodes else None), episodes
    if kind in (SEASON_PACK, PARTIAL_PACK, EXTRAS) and season in coverage.seasons:
        return _PACK, (whole if kind == SEASON_PACK else frozenset())
    if coverage.holds_season(season):
        return _MULTI, whole
    return None, frozenset()


def _absolute_in_season(
    numbers: tuple[int, ...], count: int | None, offset: int | None
) -> frozenset[int]:
    """Place episodes numbered from the show's first in this season, or none of them."""
    if offset is None:
        return frozenset()
    placed = {n - offset for n in numbers}
    if min(placed, default=0) < 1 or (count and max(placed) > count):
        return frozenset()  # (some of) another season's episodes
    return frozenset(placed)


def _remaining_reasons(candidate: RankedRelease, use: str, coverage: EpisodeCoverage) -> list[str]:
    """Return the ranking's reasons that still hold once this shape is allowed."""
    kept = []
    for reason in candidate.reasons:
        if _FALLBACK_REASON_PART in reason:
            continue
        if use == _PACK:
            kept.append(reason)
            continue
        if reason.startswith(_SHAPE_REASON_PREFIXES):
            continue
        if reason == _NO_SEASON_REASON and coverage.kind in (DAILY, ABSOLUTE):
            continue
        if reason.startswith(_SIZE_REASON_PREFIX) and reason != _SIZE_UNKNOWN_REASON:
            continue  # judged per episode or per season below
        kept.append(reason)
    return kept


def _size_reasons(
    candidate: RankedRelease,
    use: str,
    coverage: EpisodeCoverage,
    episodes: frozenset[int],
    rules: ProfileRules,
) -> list[str]:
    size_gb = candidate.release.size / GB
    resolution = candidate.parsed.resolution
    if use == _EPISODE:
        low, high = rules.episode_gb_by_resolution.get(
            resolution or "", UNKNOWN_RESOLUTION_EPISODE_GB
        )
        each = size_gb / max(len(episodes), 1)
        what = "an episode" if len(episodes) == 1 else f"each of {len(episodes)} episodes"
        if each < low:
            return [f"{_gb(each)} GB for {what} < {_gb(low)} GB at {resolution or 'any'}: fake?"]
        if each > high:
            return [f"{_gb(each)} GB for {what} > {_gb(high)} GB at {resolution or 'any'}"]
        return []
    # Several seasons: each season's share must look like a season of this resolution.
    low = rules.season_min_gb_by_resolution.get(resolution or "", rules.season_min_gb)
    low = max(low, rules.season_min_gb)
    if coverage.seasons:
        each = size_gb / len(coverage.seasons)
        if each < low:
            return [f"{_gb(each)} GB a season < {_gb(low)} GB: fake?"]
        if each > rules.season_max_gb:
            return [f"{_gb(each)} GB a season > {_gb(rules.season_max_gb)} GB"]
    elif size_gb < low:
        return [f"{_gb(size_gb)} GB for a complete series < {_gb(low)} GB: fake?"]
    return []


def size_reasons(
    candidate: RankedRelease,
    *,
    season: int | None,
    episodes: Collection[int] = (),
    rules: ProfileRules,
    absolute_offset: int | None = None,
) -> list[str]:
    """Return why a ranked release's size is refused, as the search that took it judged it.

    A movie and a season pack keep the ranking's size reasons; episodes and multi-season
    packs are judged by the planner's sizes, per episode or per season. `episodes` are the
    season's episodes it was taken for (a daily show's release is placed by them).
    """
    coverage = candidate.parsed.coverage
    use = _PACK
    held: frozenset[int] = frozenset()
    if season is not None:
        wanted = frozenset(episodes)
        air_dates = {n: coverage.air_date for n in wanted} if coverage.kind == DAILY else {}
        use, held = _use_of(coverage, season, None, wanted, air_dates, absolute_offset)
    if use in (None, _PACK):
        return [r for r in candidate.reasons if r.startswith(_SIZE_REASON_PREFIX)]
    return _size_reasons(candidate, use, coverage, held, rules)


def _gb(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"


def _take_pack(
    pack: _Option,
    left: set[int],
    whole: frozenset[int],
    entries: list[PlanEntry],
    season: int,
    why: str,
) -> set[int]:
    brings = sorted(left)
    some_only = pack.use == _MULTI or set(brings) != set(whole)
    name = pack.use if pack.use == _PACK else _pack_label(pack.candidate.parsed.coverage)
    parts = [why] if why else []
    if pack.use == _MULTI:
        parts.append(f"the only acceptable way: {name}, only season {season}'s files")
    else:
        parts.append(f"{name}, finished season")
    if some_only and pack.use == _PACK:
        parts.append(f"only the {len(brings)} missing of {len(whole)} files")
    elif some_only:
        parts.append(f"{len(brings)} episodes")
    entries.append(PlanEntry(pack.candidate, season, tuple(brings), some_only, "; ".join(parts)))
    return set()


def _pack_label(coverage: EpisodeCoverage) -> str:
    if coverage.kind == COMPLETE_SERIES and not coverage.seasons:
        return "complete-series pack"
    return f"multi-season pack S{coverage.seasons[0]:02d}-S{coverage.seasons[-1]:02d}"


def _episode_reason(option: _Option, brings: list[int], extra: list[int], finished: bool) -> str:
    shown = "+".join(f"E{e:02d}" for e in brings)
    parts = [f"best release for {shown}"]
    if len(option.episodes) > 1:
        parts.append(f"multi-episode ({len(option.episodes)} episodes in it)")
    if extra:
        parts.append(f"also holds {', '.join(f'E{e:02d}' for e in extra)}, not wanted")
    if not finished:
        parts.append("season still airing: episodes one by one")
    return "; ".join(parts)


def _why_uncovered(
    episode: int,
    finished: bool,
    options: list[_Option],
    refused: list[tuple[RankedRelease, frozenset[int], str]],
) -> str:
    if not finished and any(o.whole_season for o in options):
        pack_note = "; packs are not taken while the season is airing"
    else:
        pack_note = ""
    best_refused = next((r for r in refused if episode in r[1]), None)
    if best_refused is not None:
        candidate, _episodes, why = best_refused
        return f"no acceptable release; best was {candidate.release.title!r}: {why}{pack_note}"
    return f"no release found{pack_note}"
