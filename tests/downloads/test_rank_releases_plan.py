"""`manage.py rank_releases` with a TV query's wanted episodes: the plan beside the choice."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.downloads.factories import QualityProfileFactory

pytestmark = pytest.mark.django_db

GB = 1_000_000_000
TV_QUERY = {"media_type": "tv", "title": "Show Name", "season": 2}
RELEASES = [
    {"title": "Show.Name.S02.1080p.WEB-DL.x264-GRP", "size": 15 * GB, "seeders": 80},
    {"title": "Show.Name.S02E01.1080p.WEB-DL.x264-GRP", "size": 2 * GB, "seeders": 40},
    {"title": "Show.Name.S02E02E03.1080p.WEB-DL.x264-GRP", "size": 3 * GB, "seeders": 40},
    {"title": "Show.Name.S02E01-E99.1080p.WEB-DL.x264-GRP", "size": 40 * GB, "seeders": 900},
]


def run(data: dict) -> dict:
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.StringIO(json.dumps(data))
    try:
        call_command("rank_releases", "-", stdout=out)
    finally:
        sys.stdin = old
    return json.loads(out.getvalue())


def test_an_airing_season_prints_a_plan_of_episodes_beside_the_chosen_pack() -> None:
    query = {**TV_QUERY, "wanted_episodes": [1, 2, 3, 4], "aired_episodes": [1, 2, 3],
             "episode_count": 10}  # fmt: skip
    result = run({"query": query, "releases": RELEASES})
    assert list(result) == ["chosen", "plan", "ranked"]
    assert result["chosen"] == "Show.Name.S02.1080p.WEB-DL.x264-GRP"
    plan = result["plan"]
    assert [(r["title"], r["episodes"], r["files_to_fetch"]) for r in plan["releases"]] == [
        ("Show.Name.S02E01.1080p.WEB-DL.x264-GRP", [1], "all"),
        ("Show.Name.S02E02E03.1080p.WEB-DL.x264-GRP", [2, 3], "all"),
    ]
    assert plan["releases"][0]["reason"] == (
        "best release for E01; season still airing: episodes one by one"
    )
    assert plan["uncovered"] == {"4": "not aired yet"}


def test_a_partly_held_finished_season_plans_the_pack_with_only_the_missing_files() -> None:
    query = {**TV_QUERY, "wanted_episodes": [5, 6, 7, 8, 9, 10], "episode_count": 10}
    plan = run({"query": query, "releases": RELEASES})["plan"]
    assert plan["releases"] == [
        {
            "title": "Show.Name.S02.1080p.WEB-DL.x264-GRP",
            "episodes": [5, 6, 7, 8, 9, 10],
            "files_to_fetch": ["S02E05", "S02E06", "S02E07", "S02E08", "S02E09", "S02E10"],
            "reason": "season pack, finished season; only the 6 missing of 10 files",
        }
    ]


def test_an_episode_nothing_acceptable_covers_says_which_release_was_refused_and_why() -> None:
    query = {**TV_QUERY, "wanted_episodes": [4], "episode_count": 10}
    plan = run({"query": query, "releases": RELEASES[1:]})["plan"]
    assert plan["releases"] == []
    assert plan["uncovered"] == {
        "4": "no acceptable release; best was 'Show.Name.S02E01-E99.1080p.WEB-DL.x264-GRP': "
        "claims 99 episodes (S02E01-E99) in one release"
    }


def test_the_named_profiles_tv_season_rules_shape_the_plan() -> None:
    QualityProfileFactory(
        name="Episodes first",
        season_pack_preference="episodes",
        episode_gb_by_resolution={"1080p": [0.3, 1.8]},
    )
    query = {**TV_QUERY, "wanted_episodes": [1, 2, 3, 4, 5, 6], "episode_count": 10}
    default_plan = run({"query": query, "releases": RELEASES})["plan"]
    assert [r["title"] for r in default_plan["releases"]] == ["Show.Name.S02.1080p.WEB-DL.x264-GRP"]
    plan = run({"query": query, "releases": RELEASES, "profile": "Episodes first"})["plan"]
    # E01 (2 GB) is over this profile's 1.8 GB: the pack brings it, with E04-E06, nobody's.
    assert [(r["title"], r["episodes"], r["files_to_fetch"]) for r in plan["releases"]] == [
        ("Show.Name.S02E02E03.1080p.WEB-DL.x264-GRP", [2, 3], "all"),
        (
            "Show.Name.S02.1080p.WEB-DL.x264-GRP",
            [1, 4, 5, 6],
            ["S02E01", "S02E04", "S02E05", "S02E06"],
        ),
    ]
    assert plan["uncovered"] == {}


def test_a_query_without_wanted_episodes_prints_no_plan() -> None:
    result = run({"query": TV_QUERY, "releases": RELEASES})
    assert list(result) == ["chosen", "ranked"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"media_type": "movie", "title": "Heat", "wanted_episodes": [1]}, "are for TV"),
        ({**TV_QUERY, "wanted_episodes": ["1"]}, "wanted_episodes must be a list of episode"),
        ({**TV_QUERY, "wanted_episodes": 3}, "wanted_episodes must be list"),
        ({**TV_QUERY, "aired_episodes": [1]}, "aired_episodes needs wanted_episodes"),
        ({**TV_QUERY, "wanted_episodes": [1], "episode_count": -1}, "episode_count must be 0"),
    ],
)
def test_bad_episode_lists_are_refused_with_a_clear_error(query: dict, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run({"query": query, "releases": RELEASES})
