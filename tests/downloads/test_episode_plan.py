"""Episode plans: the releases taken to cover a season's wanted episodes (issue 15)."""

from __future__ import annotations

from datetime import date, timedelta

from downloads.episode_plan import EpisodePlan, SeasonEpisodes, plan_episodes, plan_seasons
from downloads.ranking import ProfileRules, rank_releases
from downloads.releases import MediaQuery, Release

GB = 1_000_000_000
TEN = set(range(1, 11))
WEB = "1080p.WEB-DL.x264-GRP"


def releases(*rows: tuple[str, float, int]) -> list[Release]:
    return [Release(title=t, size=int(gb * GB), seeders=s) for t, gb, s in rows]


def plan(
    rows: list[tuple[str, float, int]],
    *,
    wanted: set[int],
    aired: set[int],
    count: int | None = 10,
    season: int = 2,
    title: str = "Show Name",
    blocked: dict[str, str] | None = None,
    **kwargs: object,
) -> EpisodePlan:
    query = MediaQuery(media_type="tv", title=title, season=season)
    profile = kwargs.get("rules")
    ranking = rank_releases(query=query, releases=releases(*rows), profile=profile, blocked=blocked)
    return plan_episodes(
        candidates=ranking,
        season=season,
        wanted=wanted,
        aired=aired,
        season_episode_count=count,
        **kwargs,  # type: ignore[arg-type]
    )


def taken(result: EpisodePlan) -> dict[str, tuple[int, ...]]:
    return {entry.candidate.release.title: entry.episodes for entry in result.entries}


def episode_rows(episodes: range | set[int], quality: str = WEB) -> list[tuple[str, float, int]]:
    return [(f"Show.Name.S02E{e:02d}.{quality}", 1.5, 40) for e in sorted(episodes)]


def test_a_finished_season_is_taken_as_one_acceptable_season_pack() -> None:
    result = plan([(f"Show.Name.S02.{WEB}", 15, 80), *episode_rows(TEN)], wanted=TEN, aired=TEN)
    assert taken(result) == {f"Show.Name.S02.{WEB}": tuple(range(1, 11))}
    assert result.entries[0].some_files_only is False
    assert result.entries[0].as_dict()["files_to_fetch"] == "all"
    assert result.uncovered == {}


def test_without_a_season_pack_the_best_release_of_each_episode_is_taken() -> None:
    rows = [
        *episode_rows(TEN, "720p.WEB-DL.x264-GRP"),
        *episode_rows(TEN),
        ("Show.Name.S02.Part.1.1080p.WEB-DL.x264-GRP", 8, 90),
    ]
    result = plan(rows, wanted=TEN, aired=TEN)
    assert taken(result) == {f"Show.Name.S02E{e:02d}.{WEB}": (e,) for e in TEN}
    assert result.uncovered == {}


def test_a_multi_episode_release_brings_both_its_episodes_in_one_entry() -> None:
    rows = [*episode_rows({1, 2}), (f"Show.Name.S02E03E04.{WEB}", 3, 40)]
    result = plan(rows, wanted={1, 2, 3, 4}, aired=TEN)
    assert taken(result)[f"Show.Name.S02E03E04.{WEB}"] == (3, 4)
    assert len(result.entries) == 3


def test_a_multi_episode_release_holding_an_episode_plex_has_says_so() -> None:
    result = plan([(f"Show.Name.S02E05-E06.{WEB}", 3, 40)], wanted={5}, aired=TEN)
    assert taken(result) == {f"Show.Name.S02E05-E06.{WEB}": (5,)}
    assert "also holds E06, not wanted" in result.entries[0].reason


def test_a_multi_season_pack_as_the_only_way_fetches_only_the_seasons_files() -> None:
    rows = [("Show.Name.S01-S05.1080p.BluRay.x264-GRP", 90, 30)]
    result = plan(rows, wanted=TEN, aired=TEN)
    entry = result.entries[0]
    assert entry.episodes == tuple(range(1, 11))
    assert entry.some_files_only is True
    assert entry.as_dict()["files_to_fetch"] == [f"S02E{e:02d}" for e in range(1, 11)]
    assert "only season 2's files" in entry.reason


def test_a_multi_season_pack_is_not_taken_when_a_season_pack_is_acceptable() -> None:
    rows = [("Show.Name.S01-S05.1080p.BluRay.x264-GRP", 90, 900), (f"Show.Name.S02.{WEB}", 15, 5)]
    assert list(taken(plan(rows, wanted=TEN, aired=TEN))) == [f"Show.Name.S02.{WEB}"]


def test_a_complete_series_pack_is_taken_for_the_season_when_nothing_else_is() -> None:
    rows = [("Show.Name.Complete.Series.1080p.BluRay.x264-GRP", 120, 30)]
    result = plan(rows, wanted=TEN, aired=TEN)
    assert result.entries[0].some_files_only is True
    assert "complete-series pack" in result.entries[0].reason


def test_a_multi_season_pack_too_small_for_its_seasons_is_refused() -> None:
    result = plan([("Show.Name.S01-S05.1080p.BluRay.x264-GRP", 4, 30)], wanted=TEN, aired=TEN)
    assert result.entries == []
    assert "0.8 GB a season < 1.5 GB: fake?" in result.uncovered[1]


def test_an_airing_season_takes_each_aired_episode_and_never_a_season_pack() -> None:
    rows = [(f"Show.Name.S02.{WEB}", 6, 500), *episode_rows({1, 2, 3})]
    result = plan(rows, wanted=TEN, aired={1, 2, 3})
    assert taken(result) == {f"Show.Name.S02E{e:02d}.{WEB}": (e,) for e in (1, 2, 3)}
    assert all("season still airing" in entry.reason for entry in result.entries)
    assert {e: result.uncovered[e] for e in (4, 10)} == {4: "not aired yet", 10: "not aired yet"}


def test_an_aired_episode_without_a_release_says_packs_wait_for_the_season_to_end() -> None:
    rows = [(f"Show.Name.S02.{WEB}", 6, 500), *episode_rows({1})]
    result = plan(rows, wanted={1, 2}, aired={1, 2})
    assert result.uncovered == {
        2: "no release found; packs are not taken while the season is airing"
    }


def test_a_mostly_missing_season_takes_the_pack_with_only_the_missing_files() -> None:
    rows = [(f"Show.Name.S02.{WEB}", 15, 80), *episode_rows(TEN)]
    result = plan(rows, wanted={4, 5, 6, 7, 8, 9}, aired=TEN)
    entry = result.entries[0]
    assert taken(result) == {f"Show.Name.S02.{WEB}": (4, 5, 6, 7, 8, 9)}
    assert entry.some_files_only is True
    assert "only the 6 missing of 10 files" in entry.reason


def test_a_season_missing_less_than_half_takes_episodes_not_the_pack() -> None:
    rows = [(f"Show.Name.S02.{WEB}", 15, 80), *episode_rows(TEN)]
    result = plan(rows, wanted={3, 7}, aired=TEN)
    assert taken(result) == {f"Show.Name.S02E03.{WEB}": (3,), f"Show.Name.S02E07.{WEB}": (7,)}


def test_a_season_missing_less_than_half_falls_back_to_the_pack_for_episodes_nobody_released() -> (
    None
):
    rows = [(f"Show.Name.S02.{WEB}", 15, 80), *episode_rows({3})]
    result = plan(rows, wanted={3, 7}, aired=TEN)
    assert taken(result) == {f"Show.Name.S02E03.{WEB}": (3,), f"Show.Name.S02.{WEB}": (7,)}
    assert result.entries[1].as_dict()["files_to_fetch"] == ["S02E07"]


def test_a_part_of_a_season_is_not_taken_as_the_season() -> None:
    result = plan([("Show.Name.S02.Part.1.1080p.WEB-DL.x264-GRP", 8, 90)], wanted=TEN, aired=TEN)
    assert result.entries == []
    assert set(result.uncovered) == TEN


def test_extras_and_subtitle_packs_are_never_taken_for_episodes() -> None:
    rows = [("Show.Name.S02.EXTRAS.1080p.BluRay.x264-GRP", 3, 90), ("Show.Name.S02.SUBPACK", 2, 9)]
    result = plan(rows, wanted=TEN, aired=TEN)
    assert result.entries == []


def test_a_daily_show_episode_is_found_by_its_air_date() -> None:
    first = date(2024, 5, 1)
    air_dates = {n: first + timedelta(days=n - 1) for n in range(1, 6)}
    rows = [("Show.Name.2024.05.03.1080p.WEB.h264-GRP", 1.2, 30)]
    result = plan(rows, wanted={3}, aired={1, 2, 3, 4, 5}, count=5, air_dates=air_dates)
    assert taken(result) == {"Show.Name.2024.05.03.1080p.WEB.h264-GRP": (3,)}


def test_a_release_claiming_99_episodes_is_refused_and_blocks_nothing_else() -> None:
    rows = [("Show.Name.S02E01-E99.1080p.WEB-DL.x264-GRP", 40, 900), *episode_rows({1})]
    result = plan(rows, wanted={1, 2}, aired=TEN)
    assert taken(result) == {f"Show.Name.S02E01.{WEB}": (1,)}
    assert result.uncovered == {
        2: "no acceptable release; best was 'Show.Name.S02E01-E99.1080p.WEB-DL.x264-GRP': "
        "claims 99 episodes (S02E01-E99) in one release"
    }


def test_a_release_claiming_episodes_past_the_seasons_end_is_refused() -> None:
    result = plan([(f"Show.Name.S02E10E11.{WEB}", 3, 40)], wanted={10}, aired=TEN)
    assert result.entries == []
    assert "claims S02E10-E11 but season 2 has 10 episodes" in result.uncovered[10]


def test_episode_sizes_that_cannot_be_real_are_refused_with_the_size() -> None:
    rows = [(f"Show.Name.S02E01.{WEB}", 0.1, 900), (f"Show.Name.S02E02.{WEB}", 9, 900)]
    result = plan(rows, wanted={1, 2}, aired=TEN)
    assert result.entries == []
    assert result.uncovered[1].endswith("0.1 GB for an episode < 0.3 GB at 1080p: fake?")
    assert result.uncovered[2].endswith("9 GB for an episode > 8 GB at 1080p")


def test_a_profile_with_smaller_1080p_episodes_refuses_a_5_gb_episode_with_the_reason() -> None:
    rows = [(f"Show.Name.S02E01.{WEB}", 5, 900), (f"Show.Name.S02E02.{WEB}", 2, 900)]
    small = ProfileRules(episode_gb_by_resolution={"1080p": (0.3, 3.0)})
    assert taken(plan(rows, wanted={1, 2}, aired=TEN)) == {  # the default accepts both
        f"Show.Name.S02E01.{WEB}": (1,),
        f"Show.Name.S02E02.{WEB}": (2,),
    }
    result = plan(rows, wanted={1, 2}, aired=TEN, rules=small)
    assert taken(result) == {f"Show.Name.S02E02.{WEB}": (2,)}
    assert result.uncovered[1] == (
        f"no acceptable release; best was 'Show.Name.S02E01.{WEB}': "
        "5 GB for an episode > 3 GB at 1080p"
    )


def test_a_profile_with_a_higher_minimum_takes_a_small_1080p_episode_for_a_fake() -> None:
    rows = [(f"Show.Name.S02E01E02.{WEB}", 1.2, 900)]
    strict = ProfileRules(episode_gb_by_resolution={"1080p": (0.8, 8.0)})
    result = plan(rows, wanted={1, 2}, aired=TEN, rules=strict)
    assert result.entries == []
    assert result.uncovered[1].endswith("0.6 GB for each of 2 episodes < 0.8 GB at 1080p: fake?")


def test_an_episodes_first_profile_takes_episodes_when_the_whole_season_is_missing() -> None:
    rows = [(f"Show.Name.S02.{WEB}", 15, 900), *episode_rows(TEN)]
    episodes_first = ProfileRules(season_pack_preference="episodes")
    assert list(taken(plan(rows, wanted=TEN, aired=TEN))) == [f"Show.Name.S02.{WEB}"]
    result = plan(rows, wanted=TEN, aired=TEN, rules=episodes_first)
    assert taken(result) == {f"Show.Name.S02E{e:02d}.{WEB}": (e,) for e in TEN}
    assert result.uncovered == {}


def test_an_episodes_first_profile_takes_the_pack_only_for_episodes_nobody_released() -> None:
    rows = [(f"Show.Name.S02.{WEB}", 15, 900), *episode_rows(set(range(1, 9)))]
    episodes_first = ProfileRules(season_pack_preference="episodes")
    result = plan(rows, wanted=TEN, aired=TEN, rules=episodes_first)
    assert taken(result)[f"Show.Name.S02.{WEB}"] == (9, 10)
    pack = result.entries[-1]
    assert pack.as_dict()["files_to_fetch"] == ["S02E09", "S02E10"]
    assert pack.reason == (
        "no episode release; season pack, finished season; only the 2 missing of 10 files"
    )
    assert len(result.entries) == 9


def test_a_profile_asking_80_percent_missing_takes_episodes_for_a_season_60_percent_missing() -> (
    None
):
    rows = [(f"Show.Name.S02.{WEB}", 15, 900), *episode_rows(TEN)]
    eighty = ProfileRules(pack_min_missing_percent=80)
    six = {1, 2, 3, 4, 5, 6}
    assert list(taken(plan(rows, wanted=six, aired=TEN))) == [f"Show.Name.S02.{WEB}"]
    result = plan(rows, wanted=six, aired=TEN, rules=eighty)
    assert taken(result) == {f"Show.Name.S02E{e:02d}.{WEB}": (e,) for e in six}
    eight = set(range(1, 9))
    assert list(taken(plan(rows, wanted=eight, aired=TEN, rules=eighty))) == [
        f"Show.Name.S02.{WEB}"
    ]


def test_a_below_profile_episode_is_taken_only_when_nothing_at_the_profile_is() -> None:
    rows = [
        ("Show.Name.S02E01.480p.HDTV.x264-GRP", 0.4, 900),
        ("Show.Name.S02E02.480p.HDTV.x264-GRP", 0.4, 900),
        *episode_rows({1}),
    ]
    result = plan(rows, wanted={1, 2}, aired=TEN)
    assert taken(result) == {
        f"Show.Name.S02E01.{WEB}": (1,),
        "Show.Name.S02E02.480p.HDTV.x264-GRP": (2,),
    }


def test_the_rankings_other_reasons_still_refuse_an_episode() -> None:
    rows = [
        ("Other.Show.S02E01.1080p.WEB-DL.x264-GRP", 1.5, 40),
        ("Show.Name.S02E02.HDCAM.x264-GRP", 1.5, 40),
        (f"Show.Name.S02E03.{WEB}", 1.5, 40),
    ]
    result = plan(rows, wanted={1, 2, 3}, aired=TEN, blocked={"title:" + rows[2][0].lower(): ""})
    assert result.entries == []
    assert result.uncovered[1].endswith(": title 'Other Show' ≠ 'Show Name'")
    assert result.uncovered[2].endswith(": CAM")
    assert result.uncovered[3].endswith(": blocklisted")


def test_wanted_numbers_outside_the_season_are_reported_not_searched() -> None:
    result = plan(episode_rows({1}), wanted={0, 1, 12}, aired=TEN)
    assert taken(result) == {f"Show.Name.S02E01.{WEB}": (1,)}
    assert result.uncovered == {0: "not an episode number", 12: "season 2 has 10 episodes"}


def test_a_season_tmdb_lists_without_episodes_plans_nothing() -> None:
    result = plan([(f"Show.Name.S02.{WEB}", 15, 80)], wanted=set(), aired=set(), count=0)
    assert result.entries == [] and result.uncovered == {}


def test_episodes_without_air_dates_are_not_taken_as_aired() -> None:
    # TMDB gives no air date: the caller leaves the episode out of `aired`.
    result = plan(episode_rows({1, 2}), wanted={1, 2}, aired={1}, count=None)
    assert taken(result) == {f"Show.Name.S02E01.{WEB}": (1,)}
    assert result.uncovered == {2: "not aired yet"}


def test_a_season_of_unknown_length_still_takes_its_pack_once_every_wanted_episode_aired() -> None:
    result = plan([(f"Show.Name.S02.{WEB}", 15, 80)], wanted={1, 2, 3}, aired={1, 2, 3}, count=None)
    assert taken(result) == {f"Show.Name.S02.{WEB}": (1, 2, 3)}


def test_every_requested_season_of_a_show_is_planned_from_one_search() -> None:
    rows = [
        (f"Show.Name.S01.{WEB}", 15, 80),
        *[(f"Show.Name.S03E{e:02d}.{WEB}", 1.5, 40) for e in (1, 2)],
        ("Show.Name.S01-S02.1080p.BluRay.x264-GRP", 30, 20),
    ]
    seasons = {
        1: SeasonEpisodes(wanted=frozenset(TEN), aired=frozenset(TEN), episode_count=10),
        2: SeasonEpisodes(wanted=frozenset(TEN), aired=frozenset(TEN), episode_count=10),
        3: SeasonEpisodes(wanted=frozenset({1, 2, 3}), aired=frozenset({1, 2}), episode_count=8),
    }
    plans = plan_seasons(
        query=MediaQuery(media_type="tv", title="Show Name", season=1),
        releases=releases(*rows),
        seasons=seasons,
        profile=ProfileRules(),
    )
    assert list(taken(plans[1])) == [f"Show.Name.S01.{WEB}"]
    assert list(taken(plans[2])) == ["Show.Name.S01-S02.1080p.BluRay.x264-GRP"]
    assert plans[2].entries[0].some_files_only is True
    assert taken(plans[3]) == {f"Show.Name.S03E{e:02d}.{WEB}": (e,) for e in (1, 2)}
    assert plans[3].uncovered == {3: "not aired yet"}


def anime(n: int) -> str:
    return f"[SubsPlease] Show Name - {n:02d} (1080p) [ABCD1234].mkv"


def test_anime_episodes_numbered_from_the_first_are_placed_with_the_season_lengths() -> None:
    # Season 1 had 12 episodes: the show's episodes 13 and 14 are season 2's E01 and E02.
    rows = [(anime(n), 1.4, 90) for n in (5, 13, 14, 30)]
    result = plan(rows, wanted={1, 2, 3}, aired={1, 2, 3}, absolute_offset=12)
    assert taken(result) == {anime(13): (1,), anime(14): (2,)}
    assert result.uncovered == {3: "no release found"}  # 15 was not offered; 5 is season 1's


def test_anime_episodes_are_not_placed_when_the_season_lengths_are_unknown() -> None:
    result = plan([(anime(13), 1.4, 90)], wanted={1}, aired={1})
    assert taken(result) == {}


def test_an_absolute_episode_is_refused_for_a_season_pack_with_its_reason() -> None:
    query = MediaQuery(media_type="tv", title="Show Name", season=2)
    ranked = rank_releases(query=query, releases=releases((anime(13), 1.4, 90)))
    assert ranked.ranked[0].reasons[0] == "absolute episode 13, not a season pack"
