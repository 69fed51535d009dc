"""`manage.py rank_releases`: the JSON in, the JSON out, and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from downloads.releases import MediaQuery
from downloads.search import find_best_release
from tests.conftest import ROOT, process_env
from tests.downloads.factories import IndexerFactory, QualityProfileFactory

pytestmark = pytest.mark.django_db

GB = 1_000_000_000
INPUT = {
    "query": {"media_type": "movie", "title": "The Lion King", "year": 2019},
    "releases": [
        {"title": "The.Lion.King.1994.1080p.BluRay.x264-CiNEFiLE", "size": 8 * GB, "seeders": 900},
        {"title": "The.Lion.King.2019.1080p.BluRay.x264-SPARKS", "size": 11 * GB, "seeders": 400,
         "peers": 450, "infohash": "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"},
        {"title": "The.Lion.King.2019.HDCAM.x264", "size": 2 * GB, "seeders": 5000},
    ],
}  # fmt: skip


def run(*args: str, stdin: str | None = None) -> dict:
    out = io.StringIO()
    if stdin is not None:
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command("rank_releases", *args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command("rank_releases", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_file_is_ranked_into_the_documented_json(tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(INPUT))
    result = run(str(path))
    assert result["chosen"] == "The.Lion.King.2019.1080p.BluRay.x264-SPARKS"
    assert result["ranked"][0]["title"] == result["chosen"]
    assert all(set(r) == {"title", "score", "accepted", "reasons"} for r in result["ranked"])
    verdicts = {r["title"]: r for r in result["ranked"]}
    assert verdicts["The.Lion.King.1994.1080p.BluRay.x264-CiNEFiLE"]["reasons"] == [
        "year 1994 ≠ 2019"
    ]
    assert verdicts["The.Lion.King.2019.HDCAM.x264"]["reasons"] == ["CAM"]


def test_a_dash_reads_standard_input() -> None:
    result = run("-", stdin=json.dumps(INPUT))
    assert result["chosen"] == "The.Lion.King.2019.1080p.BluRay.x264-SPARKS"


def test_nothing_acceptable_prints_a_null_choice() -> None:
    data = {**INPUT, "releases": INPUT["releases"][2:]}
    assert run("-", stdin=json.dumps(data))["chosen"] is None


def test_the_profile_named_in_the_file_is_used() -> None:
    QualityProfileFactory(name="720 only", resolutions=["720p"])
    result = run("-", stdin=json.dumps({**INPUT, "profile": "720 only"}))
    assert result["chosen"] is None
    sparks = next(r for r in result["ranked"] if "SPARKS" in r["title"])
    assert sparks["reasons"] == ["1080p not in profile (720p)"]


def test_the_breakdown_option_adds_each_score_breakdown() -> None:
    result = run("-", "--breakdown", stdin=json.dumps(INPUT))
    top = result["ranked"][0]
    assert top["score"] == sum(top["breakdown"].values())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"query": {"media_type": "book", "title": "x"}, "releases": []}, "media_type"),
        ({"query": {"media_type": "tv", "title": "Fargo"}, "releases": []}, "season"),
        (
            {"query": INPUT["query"], "releases": [{"title": "x", "size": "big", "seeders": 1}]},
            "size must be int",
        ),
        ({"query": INPUT["query"]}, "releases must be a list"),
        ({**INPUT, "profile": "nope"}, "no quality profile named 'nope'"),
        ([1, 2], "top level must be an object"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(data: object, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("-", stdin=json.dumps(data))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.json"))


def test_bad_json_exits_non_zero_with_one_line_on_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "rank_releases", "-"],
        input="{not json",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=process_env(),
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "is not valid JSON" in lines[0]


def _stored_search(torznab: Callable) -> int:
    sim = torznab()
    IndexerFactory(url=sim.url)
    query = MediaQuery(media_type="movie", title="The Matrix", year=1999, aliases=("Matrix",))
    return find_best_release(query).search.pk


def test_a_stored_search_is_ranked_again_under_another_profile(torznab: Callable) -> None:
    search_id = _stored_search(torznab)
    QualityProfileFactory(name="UHD first", resolutions=["2160p", "1080p"])
    again = run("--search", str(search_id), "--profile", "UHD first")
    assert again["chosen"] == "The.Matrix.1999.2160p.UHD.BluRay.x265.10bit.HDR-TERMINAL"
    assert len(again["ranked"]) == 5


def test_a_stored_search_exports_the_input_of_the_command(torznab: Callable) -> None:
    exported = run("--search", str(_stored_search(torznab)), "--export")
    assert exported["query"] == {
        "media_type": "movie", "title": "The Matrix", "year": 1999, "aliases": ["Matrix"],
    }  # fmt: skip
    assert exported["profile"] == "Default"
    assert len(exported["releases"]) == 5
    assert all(len(r["infohash"]) == 40 for r in exported["releases"])
    assert run("-", stdin=json.dumps(exported))["chosen"] == (
        "The.Matrix.1999.1080p.BluRay.x264-AMIABLE"
    )


def test_an_unknown_stored_search_or_both_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no release search with id 999"):
        run("--search", "999")
    with pytest.raises(CommandError, match="not both"):
        run(str(tmp_path / "x.json"), "--search", "1")
    with pytest.raises(CommandError, match="not both"):
        run()


def test_a_stored_search_keeps_the_works_language_and_countries_for_its_replay(
    torznab: Callable,
) -> None:
    sim = torznab()
    IndexerFactory(url=sim.url)
    query = MediaQuery(
        media_type="movie", title="The Matrix", year=1999, original_language="en", countries=("US",)
    )
    search_id = find_best_release(query).search.pk
    exported = run("--search", str(search_id), "--export")
    assert exported["query"]["original_language"] == "en"
    assert exported["query"]["countries"] == ["US"]
