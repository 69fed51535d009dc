"""Release ranking: the traps a careful person avoids, the order they prefer, and the reasons."""

from __future__ import annotations

import dataclasses

import pytest

from downloads.ranking import ProfileRules, rank_releases
from downloads.releases import MediaQuery, Release
from tests.downloads.release_names import GB, SCENARIOS, Scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_the_ranking_chooses_what_a_careful_person_would(scenario: Scenario) -> None:
    ranking = rank_releases(query=scenario.media_query(), releases=scenario.releases())
    chosen = ranking.chosen.release.title if ranking.chosen else None
    assert chosen == scenario.chosen


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_every_trap_is_rejected_with_a_reason_a_person_can_read(scenario: Scenario) -> None:
    ranking = rank_releases(query=scenario.media_query(), releases=scenario.releases())
    verdicts = {r.release.title: r for r in ranking.ranked}
    for title, _gb, _seeders, expected in scenario.rows:
        ranked = verdicts[title]
        if expected is None:
            # A below-profile fallback too: its scenario has nothing at the profile's resolutions.
            assert ranked.accepted, (title, ranked.reasons)
        else:
            assert not ranked.accepted, title
            assert any(expected in reason for reason in ranked.reasons), (title, ranked.reasons)


def movie(title: str = "Heat", year: int = 1995) -> MediaQuery:
    return MediaQuery(media_type="movie", title=title, year=year)


def release(title: str, gb: float = 8.0, seeders: int = 100) -> Release:
    return Release(title=title, size=int(gb * GB), seeders=seeders)


def test_1080p_is_preferred_to_2160p_which_is_preferred_to_720p() -> None:
    ranking = rank_releases(
        query=movie(),
        releases=[
            release("Heat.1995.720p.BluRay.x264-AMIABLE", 5, 5000),
            release("Heat.1995.2160p.UHD.BluRay.x265-TERMINAL", 18, 2000),
            release("Heat.1995.1080p.BluRay.x264-AMIABLE", 10, 10),
        ],
    )
    assert [r.parsed.resolution for r in ranking.ranked] == ["1080p", "2160p", "720p"]


def test_source_orders_bluray_then_web_dl_then_webrip_then_hdtv_then_dvd() -> None:
    names = {
        "DVD": "Heat.1995.720p.DVDRip.x264",
        "HDTV": "Heat.1995.720p.HDTV.x264",
        "WEBRip": "Heat.1995.720p.WEBRip.x264",
        "WEB-DL": "Heat.1995.720p.WEB-DL.x264",
        "BluRay": "Heat.1995.720p.BluRay.x264",
    }
    # The worse the source, the more seeders: source must still win.
    releases = [release(name, 4, 100 * (i + 1)) for i, name in enumerate(names.values())]
    ranking = rank_releases(query=movie(), releases=releases)
    assert [r.parsed.source for r in ranking.ranked] == [
        "BluRay",
        "WEB-DL",
        "WEBRip",
        "HDTV",
        "DVD",
    ]


def test_more_seeders_win_between_otherwise_equal_releases() -> None:
    ranking = rank_releases(
        query=movie(),
        releases=[
            release("Heat.1995.1080p.BluRay.x264-AAA", seeders=12),
            release("Heat.1995.1080p.BluRay.x264-BBB", seeders=480),
        ],
    )
    assert ranking.chosen.release.title == "Heat.1995.1080p.BluRay.x264-BBB"


def test_a_repack_wins_a_tie_but_not_against_many_more_seeders() -> None:
    tie = rank_releases(
        query=movie(),
        releases=[
            release("Heat.1995.1080p.BluRay.x264-AAA", seeders=100),
            release("Heat.1995.REPACK.1080p.BluRay.x264-AAA", seeders=100),
        ],
    )
    assert tie.chosen.release.title == "Heat.1995.REPACK.1080p.BluRay.x264-AAA"
    assert tie.chosen.breakdown["proper_repack"] > 0
    crowd = rank_releases(
        query=movie(),
        releases=[
            release("Heat.1995.1080p.BluRay.x264-AAA", seeders=5000),
            release("Heat.1995.PROPER.1080p.BluRay.x264-AAA", seeders=2),
        ],
    )
    assert crowd.chosen.release.title == "Heat.1995.1080p.BluRay.x264-AAA"


def test_the_score_is_the_sum_of_its_breakdown() -> None:
    ranking = rank_releases(query=movie(), releases=[release("Heat.1995.1080p.BluRay.x264")])
    ranked = ranking.ranked[0]
    assert ranked.score == sum(ranked.breakdown.values())
    assert set(ranked.breakdown) >= {"resolution", "source", "seeders"}


def test_the_year_may_be_one_off_for_a_movie_but_not_two() -> None:
    ranking = rank_releases(
        query=movie(),
        releases=[release("Heat.1996.1080p.BluRay.x264"), release("Heat.1997.1080p.BluRay.x264")],
    )
    verdicts = {r.release.title: r for r in ranking.ranked}
    assert verdicts["Heat.1996.1080p.BluRay.x264"].accepted
    assert verdicts["Heat.1997.1080p.BluRay.x264"].reasons == ["year 1997 ≠ 1995"]


def test_an_alias_lets_the_original_title_match() -> None:
    query = MediaQuery(media_type="movie", title="Spirited Away", year=2001,
                       aliases=("Sen to Chihiro no Kamikakushi",))  # fmt: skip
    ranking = rank_releases(
        query=query,
        releases=[release("Sen.to.Chihiro.no.Kamikakushi.2001.1080p.BluRay.x264-HDMaNiAcS")],
    )
    assert ranking.chosen is not None


def test_an_empty_answer_chooses_nothing() -> None:
    assert rank_releases(query=movie(), releases=[]).chosen is None


# --- admin-tunable rules ---------------------------------------------------------------


def test_forbidden_and_required_words_are_applied() -> None:
    rules = ProfileRules(forbidden_words=("YIFY",), required_words=("x265",))
    ranking = rank_releases(
        query=movie(),
        releases=[
            release("Heat.1995.1080p.BluRay.x265-YIFY", 2),
            release("Heat.1995.1080p.BluRay.x264-AMIABLE"),
            release("Heat.1995.1080p.BluRay.x265-PSA", 3),
        ],
        profile=rules,
    )
    verdicts = {r.release.title: r.reasons for r in ranking.ranked}
    assert verdicts["Heat.1995.1080p.BluRay.x265-YIFY"] == ["forbidden word 'YIFY'"]
    assert verdicts["Heat.1995.1080p.BluRay.x264-AMIABLE"] == ["missing required word 'x265'"]
    assert ranking.chosen.release.title == "Heat.1995.1080p.BluRay.x265-PSA"


def test_size_limits_come_from_the_profile() -> None:
    rules = ProfileRules(movie_max_gb=8.0)
    ranking = rank_releases(
        query=movie(), releases=[release("Heat.1995.1080p.BluRay.x264", 12)], profile=rules
    )
    assert ranking.ranked[0].reasons == ["size 12 GB > 8 GB"]


def test_a_profile_without_2160p_rejects_it_and_can_prefer_720p() -> None:
    rules = ProfileRules(resolutions=("720p", "1080p"))
    ranking = rank_releases(
        query=movie(),
        releases=[
            release("Heat.1995.2160p.UHD.BluRay.x265", 18),
            release("Heat.1995.1080p.BluRay.x264", 10),
            release("Heat.1995.720p.BluRay.x264", 5),
        ],
        profile=rules,
    )
    assert ranking.chosen.release.title == "Heat.1995.720p.BluRay.x264"
    uhd = next(r for r in ranking.ranked if r.parsed.resolution == "2160p")
    assert uhd.reasons == ["2160p not in profile (720p, 1080p)"]


def test_a_below_profile_release_is_refused_while_a_profile_resolution_is_acceptable() -> None:
    dvd = release("Heat.1995.DVDRip.XviD-KINO", 1.4, 5000)
    alone = rank_releases(query=movie(), releases=[dvd])
    assert alone.chosen is not None
    assert alone.chosen.fallback
    ranking = rank_releases(
        query=movie(), releases=[dvd, release("Heat.1995.720p.BluRay.x264", 5, 2)]
    )
    verdict = next(r for r in ranking.ranked if r.release is dvd)
    assert not verdict.accepted
    assert verdict.reasons == [
        "unknown resolution only when nothing at 1080p, 2160p, 720p is acceptable"
    ]


def test_lower_resolutions_can_be_refused_even_as_a_last_resort() -> None:
    rules = ProfileRules(allow_lower_resolutions=False)
    ranking = rank_releases(
        query=movie(), releases=[release("Heat.1995.DVDRip.XviD-KINO", 1.4)], profile=rules
    )
    assert ranking.chosen is None
    assert "below profile" in ranking.ranked[0].reasons[0]


def test_minimum_seeders_come_from_the_profile() -> None:
    rules = ProfileRules(min_seeders=5)
    ranking = rank_releases(
        query=movie(), releases=[release("Heat.1995.1080p.BluRay.x264", seeders=3)], profile=rules
    )
    assert ranking.ranked[0].reasons == ["3 seeders < 5"]


def test_audio_languages_can_welcome_a_french_release() -> None:
    french = release("Heat.1995.FRENCH.1080p.BluRay.x264-LOST")
    assert rank_releases(query=movie(), releases=[french]).chosen is None
    rules = ProfileRules(audio_languages=("fr", "en"))
    ranking = rank_releases(query=movie(), releases=[french], profile=rules)
    assert ranking.chosen is not None
    assert ranking.chosen.breakdown["language"] > 0


def test_blocklisted_releases_are_rejected_by_hash_or_by_name() -> None:
    by_hash = Release(title="Heat.1995.1080p.BluRay.x264-AAA", size=8 * GB, seeders=900,
                      info_hash="A" * 40)  # fmt: skip
    by_name = release("Heat.1995.1080p.BluRay.x264-BBB", seeders=800)
    ranking = rank_releases(
        query=movie(),
        releases=[by_hash, by_name, release("Heat.1995.720p.BluRay.x264-CCC", 5, 3)],
        blocked={"a" * 40: "stalled at 3%", "title:heat.1995.1080p.bluray.x264-bbb": ""},
    )
    verdicts = {r.release.title: r.reasons for r in ranking.ranked}
    assert verdicts["Heat.1995.1080p.BluRay.x264-AAA"] == ["blocklisted: stalled at 3%"]
    assert verdicts["Heat.1995.1080p.BluRay.x264-BBB"] == ["blocklisted"]
    assert ranking.chosen.release.title == "Heat.1995.720p.BluRay.x264-CCC"


def test_profile_rules_are_frozen_so_a_ranking_cannot_change_them() -> None:
    rules = ProfileRules()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.min_seeders = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Severance.S02.EXTRAS.1080p.WEB-DL.x264-GRP", "bonus material or subtitles, not episodes"),
        ("Severance.S02.Part.1.1080p.WEB-DL.x264-GRP", "part 1 of a season, not the whole season"),
    ],
)
def test_extras_and_part_packs_are_never_taken_for_a_whole_season(name: str, reason: str) -> None:
    query = MediaQuery(media_type="tv", title="Severance", year=2022, season=2)
    ranking = rank_releases(query=query, releases=[Release(title=name, size=20 * GB, seeders=50)])
    (ranked,) = ranking.ranked
    assert not ranked.accepted
    assert reason in ranked.reasons
    assert ranking.chosen is None
