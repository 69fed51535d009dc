"""Plan a 20-season, 400-episode "all missing seasons" request over 2,000 releases (< 1 s).

Parsing the 2,000 names is timed apart: a search pays it once whatever is planned.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from downloads.episode_plan import SeasonEpisodes, plan_episodes, plan_seasons
from downloads.parsing import parse_release
from downloads.ranking import ProfileRules, rank_releases
from downloads.releases import MediaQuery, Release
from tests.benchmarks import print_table

GB = 1_000_000_000
SEASONS = 20
EPISODES = 20
ROUNDS = 5
QUERY = MediaQuery(media_type="tv", title="Long Running Show", season=1)
EPISODE_QUALITIES = (
    ("1080p.WEB-DL.DDP5.1.H.264", 1.6),
    ("720p.HDTV.x264", 0.7),
    ("2160p.WEB.H.265", 5.0),
    ("1080p.BluRay.x265", 1.2),
)
PACK_QUALITIES = ("1080p.WEB-DL.DDP5.1.H.264", "720p.HDTV.x264", "2160p.BluRay.x265")


def show_releases(run: int) -> list[Release]:
    """Return 2,000 releases of one show: episodes, packs, multi-season packs and junk."""
    rng = random.Random(15)
    rows: list[tuple[str, float]] = []
    for season in range(1, SEASONS + 1):
        for episode in range(1, EPISODES + 1):
            for quality, gb in EPISODE_QUALITIES:
                rows.append((f"Long.Running.Show.S{season:02d}E{episode:02d}.{quality}", gb))
        # Every third season has no pack, so its episodes must be taken one by one.
        if season % 3:
            for quality in PACK_QUALITIES:
                rows.append((f"Long.Running.Show.S{season:02d}.{quality}", 30.0))
        rows.append((f"Long.Running.Show.S{season:02d}.Part.1.1080p.WEB-DL.x264", 15.0))
        rows.append((f"Long.Running.Show.S{season:02d}.EXTRAS.1080p.BluRay.x264", 4.0))
        rows.append((f"Long.Running.Show.S{season:02d}E01-E99.1080p.WEB-DL.x264", 40.0))
        rows.append((f"Long.Running.Show.S{season:02d}E05E06.1080p.WEB-DL.x264", 3.0))
    for first in range(1, SEASONS, 5):
        rows.append((f"Long.Running.Show.S{first:02d}-S{first + 4:02d}.1080p.BluRay.x264", 140.0))
    rows.append(("Long.Running.Show.Complete.Series.1080p.BluRay.x264", 600.0))
    while len(rows) < 2000:
        n = len(rows)
        rows.append((f"Other.Show.S01E{n % 99 + 1:02d}.1080p.WEB-DL.x264", 1.5))
    # A distinct name each run, so the parser cache cannot make the cold numbers look good.
    return [
        Release(title=f"{title}-G{run}", size=int(gb * GB * rng.uniform(0.9, 1.1)),
                seeders=rng.randint(0, 3000))
        for title, gb in rows[:2000]
    ]  # fmt: skip


def wanted_seasons() -> dict[int, SeasonEpisodes]:
    """Return the "all missing seasons" shape: finished, partly held, and one still airing."""
    every = frozenset(range(1, EPISODES + 1))
    seasons = {s: SeasonEpisodes(wanted=every, aired=every, episode_count=EPISODES)
               for s in range(1, SEASONS - 1)}  # fmt: skip
    seasons[SEASONS - 1] = SeasonEpisodes(
        wanted=frozenset({3, 7, 8, 15, 20}), aired=every, episode_count=EPISODES
    )
    seasons[SEASONS] = SeasonEpisodes(
        wanted=every, aired=frozenset(range(1, 13)), episode_count=EPISODES
    )
    return seasons


def _time(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> None:
    """Print parse, rank and plan timings for the 20-season request."""
    seasons = wanted_seasons()
    rules = ProfileRules()
    warm = show_releases(0)
    plans = plan_seasons(query=QUERY, releases=warm, seasons=seasons, profile=rules)
    rankings = {
        s: rank_releases(query=MediaQuery(media_type="tv", title=QUERY.title, season=s),
                         releases=[r for r in warm if s in parse_release(r.title).seasons])
        for s in seasons
    }  # fmt: skip

    def plan_only() -> None:
        for s, want in seasons.items():
            plan_episodes(candidates=rankings[s], season=s, wanted=want.wanted, aired=want.aired,
                          season_episode_count=want.episode_count, rules=rules)  # fmt: skip

    steps: list[tuple[str, Callable[[int], Callable[[], object]]]] = [
        ("parse only (parsett), cold",
         lambda n: lambda: [parse_release(r.title) for r in show_releases(100 + n)]),
        ("plan_seasons cold: parse + rank + plan",
         lambda n: lambda: plan_seasons(query=QUERY, releases=show_releases(n), seasons=seasons,
                                        profile=rules)),
        ("plan_seasons warm: rank + plan, names parsed",
         lambda n: lambda: plan_seasons(query=QUERY, releases=warm, seasons=seasons,
                                        profile=rules)),
        ("plan_episodes only, 20 rankings given", lambda n: plan_only),
    ]  # fmt: skip
    rows = []
    for label, make in steps:
        samples = []
        for n in range(1, ROUNDS + 1):
            step = make(n)
            samples.append(_time(step))
        best, median = min(samples), statistics.median(samples)
        rows.append([label, len(warm), f"{best * 1000:.0f}", f"{median * 1000:.0f}",
                     f"{len(warm) / median:,.0f}", "yes" if median < 1 else "NO"])  # fmt: skip
    print_table(["step", "releases", "best ms", "median ms", "releases/s", "< 1 s"], rows)
    entries = sum(len(p.entries) for p in plans.values())
    covered = sum(len(p.covered) for p in plans.values())
    wanted = sum(len(w.wanted) for w in seasons.values())
    packs = sum(1 for p in plans.values() for e in p.entries if len(e.episodes) == EPISODES)
    print(f"\n{wanted} wanted episodes over {len(seasons)} seasons: {covered} covered by "
          f"{entries} releases ({packs} whole-season packs), "
          f"{wanted - covered} left out (not aired yet)")  # fmt: skip
