"""Names as the scene writes them (issue 16): each way parsett misread them, read right now."""

from __future__ import annotations

import pytest

from downloads.parsing import SEASON_PACK, parse_release
from downloads.ranking import rank_releases
from downloads.releases import MediaQuery, Release
from tests.downloads.scene_names import (
    AKA,
    EXTENSION,
    GB,
    GROUP,
    LANGUAGE,
    NAMES,
    OLD_YEAR,
    RESOLUTION,
    SEASON,
    VERSION,
    SceneName,
)

# Reasons that say a release is another work, season or kind of release than the one asked.
_IDENTITY = (
    "title ",
    "year ",
    "no year",
    "a TV release",
    "season ",
    "no season",
    "episode S",
    "multi-season",
    "absolute episode",
)


def _rows(kind: str) -> list[SceneName]:
    return [row for row in NAMES if row.kind == kind]


def _identity_reasons(row: SceneName) -> list[str]:
    ranked = rank_releases(query=row.media_query(), releases=[row.release()]).ranked[0]
    return [reason for reason in ranked.reasons if reason.startswith(_IDENTITY)]


def _check_fields(row: SceneName) -> None:
    parsed = parse_release(row.name)
    read = {
        "title": parsed.title,
        "titles": parsed.titles,
        "year": parsed.year,
        "resolution": parsed.resolution,
        "seasons": parsed.seasons,
        "theatre": parsed.theatre_rip,
    }
    assert {key: read[key] for key in row.expect} == row.expect, row.name


def _check_verdict(row: SceneName) -> None:
    _check_fields(row)
    if row.right:
        assert _identity_reasons(row) == [], row.name
    else:
        assert _identity_reasons(row) or row.expect.get("theatre"), row.name


@pytest.mark.parametrize("row", _rows(AKA), ids=lambda row: row.name)
def test_either_title_of_a_name_with_two_may_be_the_one_asked_for(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(LANGUAGE), ids=lambda row: row.name)
def test_language_words_after_a_title_are_not_part_of_it(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(VERSION), ids=lambda row: row.name)
def test_a_version_tag_after_a_title_is_not_part_of_it(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(OLD_YEAR), ids=lambda row: row.name)
def test_years_before_1900_and_in_brackets_are_years(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(EXTENSION), ids=lambda row: row.name)
def test_a_ts_file_extension_is_no_telesync_but_a_ts_tag_is(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(RESOLUTION), ids=lambda row: row.name)
def test_1080i_is_1080_lines_and_a_bare_uhd_is_2160p(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(GROUP), ids=lambda row: row.name)
def test_only_the_names_own_tags_set_its_resolution_not_its_group(row: SceneName) -> None:
    _check_verdict(row)


@pytest.mark.parametrize("row", _rows(SEASON), ids=lambda row: row.name)
def test_seasons_in_words_spaced_or_named_by_year_are_seasons(row: SceneName) -> None:
    _check_verdict(row)


def test_every_right_name_of_the_collection_passes_the_identity_checks() -> None:
    # The measure of issue 16: parsett alone refused 30 of these 67 right releases.
    refused = {row.name: _identity_reasons(row) for row in NAMES if row.right}
    assert {name: why for name, why in refused.items() if why} == {}
    assert len(refused) >= 60


def test_the_right_release_is_chosen_over_the_telesync_of_the_same_film() -> None:
    query = MediaQuery(media_type="movie", title="Wonka", year=2023)
    releases = [
        Release(title="Wonka.2023.TS.x264-GRP", size=2 * GB, seeders=900),
        Release(title="Wonka.2023.1080p.WEB-DL.DDP5.1.x264-GRP.ts", size=6 * GB, seeders=30),
    ]
    ranking = rank_releases(query=query, releases=releases)
    assert ranking.chosen is not None
    assert ranking.chosen.release.title.endswith(".ts")
    assert "TELESYNC" in ranking.ranked[1].reasons


def test_a_uhd_release_ranks_as_2160p_where_the_profile_wants_it() -> None:
    query = MediaQuery(media_type="movie", title="Blade Runner 2049", year=2017)
    releases = [
        Release(title="Blade.Runner.2049.2017.720p.BluRay.x264-GRP", size=5 * GB, seeders=900),
        Release(title="Blade.Runner.2049.2017.UHD.BluRay.x265.HDR-GRP", size=19 * GB, seeders=9),
    ]
    chosen = rank_releases(query=query, releases=releases).chosen
    assert chosen is not None
    assert chosen.release.title == "Blade.Runner.2049.2017.UHD.BluRay.x265.HDR-GRP"


def test_a_year_named_season_is_a_pack_of_that_season_only() -> None:
    parsed = parse_release("MythBusters.S2014.720p.HDTV.x264-GRP")
    assert parsed.coverage.kind == SEASON_PACK
    assert parsed.coverage.holds_season(2014)
    assert parsed.episodes == ()
    # With an episode, parsett already read it right.
    episode = parse_release("MythBusters.S2014E05.720p.HDTV.x264-GRP")
    assert (episode.seasons, episode.episodes) == ((2014,), (5,))


def test_a_film_named_after_its_year_keeps_its_title() -> None:
    # "1917" and "2012" are titles, not years: the ranking joins them back.
    for name, title, year in [
        ("1917.2019.1080p.BluRay.x264-GRP", "1917", 2019),
        ("2012.2009.1080p.BluRay.x264-GRP", "2012", 2009),
    ]:
        query = MediaQuery(media_type="movie", title=title, year=year)
        ranked = rank_releases(query=query, releases=[Release(name, 9 * GB, 50)]).ranked[0]
        assert not [r for r in ranked.reasons if r.startswith(_IDENTITY)], name


def test_a_title_that_ends_in_a_language_keeps_it_when_the_name_has_a_year() -> None:
    assert parse_release("The.Good.German.2006.1080p.BluRay.x264-GRP").title == "The Good German"
    # Without a year the name is the scene's way, yet the title as written still matches.
    assert "The Good German" in parse_release("The.Good.German.1080p.BluRay.x264-GRP").titles
