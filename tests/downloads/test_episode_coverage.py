"""Which seasons and episodes a release name claims to hold (issue 15, selection)."""

from __future__ import annotations

from datetime import date

import pytest

from downloads.parsing import (
    ABSOLUTE,
    COMPLETE_SERIES,
    DAILY,
    EPISODES,
    EXTRAS,
    MULTI_SEASON,
    PARTIAL_PACK,
    SEASON_PACK,
    UNKNOWN,
    parse_release,
)


@pytest.mark.parametrize(
    ("name", "pairs"),
    [
        ("Show.Name.S02E05.1080p.WEB-DL.x264-GRP", ((2, 5),)),
        ("Show.Name.S02E05E06.1080p.WEB-DL.x264-GRP", ((2, 5), (2, 6))),
        ("Show.Name.S02E05-06.1080p.WEB-DL.x264-GRP", ((2, 5), (2, 6))),
        ("Show.Name.S02E05-E06.1080p.WEB-DL.x264-GRP", ((2, 5), (2, 6))),
        ("Show.Name.2x05.1080p.WEB-DL.x264-GRP", ((2, 5),)),
        ("Show.Name.S01E01E02E03.720p.HDTV.x264-GRP", ((1, 1), (1, 2), (1, 3))),
        ("Show.Name.S00E03.1080p.WEB-DL.x264-GRP", ((0, 3),)),
    ],
)
def test_episode_names_say_which_season_and_episodes_they_hold(
    name: str, pairs: tuple[tuple[int, int], ...]
) -> None:
    coverage = parse_release(name).coverage
    assert coverage.kind == EPISODES
    assert coverage.pairs == pairs
    assert coverage.problem is None
    assert not coverage.is_pack


@pytest.mark.parametrize(
    ("name", "season"),
    [
        ("Show.Name.S02.1080p.WEB-DL.x264-GRP", 2),
        ("Show Name Season 2 1080p WEB-DL", 2),
        ("Show.Name.Stagione.3.1080p.WEB-DL.ITA", 3),
        ("Show Name S 01 1080p WEB-DL", 1),
        ("Show.Name.S02.Complete.1080p.WEB-DL.x264-GRP", 2),
    ],
)
def test_season_packs_hold_every_episode_of_their_season(name: str, season: int) -> None:
    parsed = parse_release(name)
    assert parsed.coverage.kind == SEASON_PACK
    assert parsed.title == "Show Name"
    assert parsed.coverage.episodes_of(season, 10) == set(range(1, 11))
    assert parsed.coverage.episodes_of(season + 1, 10) == set()


def test_a_season_word_parsett_misses_no_longer_stays_in_the_title() -> None:
    # Before, "Stagione 3" was read as part of the title and the pack matched no show.
    assert parse_release("Show.Name.Stagione.3.1080p.WEB-DL.ITA").seasons == (3,)


def test_a_movie_title_ending_in_s_and_a_number_is_not_a_season() -> None:
    parsed = parse_release("Ocean's 11 2001 1080p BluRay x264-GRP")
    assert parsed.seasons == ()
    assert parsed.title == "Ocean's 11"


@pytest.mark.parametrize(
    "name",
    [
        "Show.Name.S01-S05.1080p.BluRay.x264-GRP",
        "Show.Name.S01-05.1080p.BluRay.x264-GRP",
        "Show.Name.Seasons.1-5.1080p.BluRay.x264-GRP",
    ],
)
def test_multi_season_packs_hold_each_listed_season(name: str) -> None:
    coverage = parse_release(name).coverage
    assert coverage.kind == MULTI_SEASON
    assert coverage.seasons == (1, 2, 3, 4, 5)
    assert coverage.episodes_of(3, 8) == set(range(1, 9))
    assert coverage.episodes_of(6, 8) == set()


def test_a_complete_series_pack_holds_every_season() -> None:
    coverage = parse_release("Show.Name.Complete.Series.1080p.BluRay.x264-GRP").coverage
    assert coverage.kind == COMPLETE_SERIES
    assert coverage.holds_season(7)


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("Show.Name.S02.Part.1.1080p.WEB-DL.x264-GRP", 1),
        ("Show.Name.S02.Vol.2.1080p.WEB-DL.x264-GRP", 2),
        ("Show.Name.S02.Disc.1.1080p.BluRay.x264-GRP", 1),
    ],
)
def test_a_part_of_a_season_is_never_taken_for_the_whole_season(name: str, part: int) -> None:
    coverage = parse_release(name).coverage
    assert coverage.kind == PARTIAL_PACK
    assert coverage.part == part
    assert not coverage.holds_season(2)
    assert coverage.episodes_of(2, 10) == set()


def test_a_daily_show_is_named_by_its_air_date() -> None:
    for name in ("Show.Name.2024.05.03.1080p.WEB.h264-GRP", "The.Daily.Show.2024-05-03.720p.WEB"):
        coverage = parse_release(name).coverage
        assert coverage.kind == DAILY
        assert coverage.air_date == date(2024, 5, 3)


@pytest.mark.parametrize(
    "name",
    [
        "Show.Name.S02.EXTRAS.1080p.BluRay.x264-GRP",
        "Show.Name.S02.SUBPACK",
        "Show.Name.S02.Subs.Pack",
        "Show.Name.S02.Bonus.1080p.BluRay.x264-GRP",
        "Show.Name.S02.Special.Features.1080p.BluRay.x264-GRP",
    ],
)
def test_extras_and_subtitle_packs_are_never_episodes(name: str) -> None:
    coverage = parse_release(name).coverage
    assert coverage.kind == EXTRAS
    assert not coverage.holds_season(2)
    assert coverage.episodes_of(2, 10) == set()


def test_a_claim_of_99_episodes_in_one_release_is_rejected_with_a_reason() -> None:
    coverage = parse_release("Show.Name.S02E01-E99.1080p.WEB-DL.x264-GRP").coverage
    assert coverage.problem == "claims 99 episodes (S02E01-E99) in one release"
    assert coverage.episodes_of(2) == set()


def test_an_episode_past_the_end_of_the_season_is_rejected_when_its_length_is_known() -> None:
    coverage = parse_release("Show.Name.S02E11-E12.1080p.WEB-DL.x264-GRP").coverage
    assert coverage.problem_for(2, 10) == "claims S02E11-E12 but season 2 has 10 episodes"
    assert coverage.problem_for(2, 12) is None
    assert coverage.problem_for(2, None) is None


def test_an_episode_without_a_season_is_not_guessed_into_one() -> None:
    coverage = parse_release("Show.Name.E05.1080p.WEB-DL.x264-GRP").coverage
    # Counted from the show's first episode: only the show's season lengths place it.
    assert coverage.kind == ABSOLUTE
    assert coverage.absolute == (5,)
    assert coverage.seasons == () and coverage.episodes_of(1) == set()


@pytest.mark.parametrize(
    ("name", "absolute"),
    [
        ("[SubsPlease] Sousou no Frieren - 13 (1080p) [ABCD1234].mkv", (13,)),
        ("[Erai-raws] Jujutsu Kaisen - 25 [1080p][Multiple Subtitle].mkv", (25,)),
        ("One.Piece.1071.1080p.WEB.x264-GRP", (1071,)),
    ],
)
def test_anime_episodes_numbered_from_the_first_are_read_as_absolute(
    name: str, absolute: tuple[int, ...]
) -> None:
    coverage = parse_release(name).coverage
    assert (coverage.kind, coverage.absolute, coverage.problem) == (ABSOLUTE, absolute, None)


def test_a_movie_name_claims_no_episodes() -> None:
    coverage = parse_release("The.Lion.King.2019.1080p.BluRay.x264-SPARKS").coverage
    assert coverage.kind == UNKNOWN
    assert coverage.problem is None
