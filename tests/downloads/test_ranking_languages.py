"""The profile's audio languages and the work's country in the ranking (issue 16)."""

from __future__ import annotations

from downloads.ranking import ProfileRules, rank_releases
from downloads.releases import MediaQuery, Release
from tests.downloads.release_names import GB

FRANCAIS = ProfileRules(name="Français", audio_languages=("fr", "fr-CA"))
DUNE = MediaQuery(media_type="movie", title="Dune", year=2021, original_language="en")
AMELIE = MediaQuery(
    media_type="movie", title="Amélie", year=2001, original_language="fr", aliases=("Amelie",)
)


def release(title: str, gb: float = 8.0, seeders: int = 100) -> Release:
    return Release(title=title, size=int(gb * GB), seeders=seeders)


def titles(ranking: object, *, accepted: bool = True) -> list[str]:
    return [r.release.title for r in ranking.ranked if r.accepted == accepted]


def test_a_french_household_gets_french_audio_over_a_better_seeded_english_release() -> None:
    sparks = release("Dune.2021.1080p.BluRay.x264-SPARKS", 10, 5000)
    multi = release("Dune.2021.MULTi.1080p.BluRay.x264-FRG", 12, 40)
    truefrench = release("Dune.2021.TRUEFRENCH.1080p.BluRay.x264-FRG", 9, 30)
    ranking = rank_releases(query=DUNE, releases=[sparks, multi, truefrench], profile=FRANCAIS)
    assert ranking.chosen.release.title == "Dune.2021.MULTi.1080p.BluRay.x264-FRG"
    assert titles(ranking) == [multi.title, truefrench.title]
    refused = next(r for r in ranking.ranked if r.release is sparks)
    assert refused.reasons == ["audio English (original), not French or Québec French"]


def test_french_audio_at_720p_beats_an_untagged_1080p_when_french_is_required() -> None:
    ranking = rank_releases(
        query=DUNE,
        releases=[
            release("Dune.2021.1080p.BluRay.x264-SPARKS", 10, 5000),
            release("Dune.2021.FRENCH.720p.BluRay.x264-FRG", 5, 20),
        ],
        profile=FRANCAIS,
    )
    assert ranking.chosen.release.title == "Dune.2021.FRENCH.720p.BluRay.x264-FRG"


def test_a_wanted_language_orders_before_the_resolution_even_when_not_required() -> None:
    rules = ProfileRules(audio_languages=("fr", "original"), audio_language_required=False)
    ranking = rank_releases(
        query=DUNE,
        releases=[
            release("Dune.2021.2160p.UHD.BluRay.x265-TERMINAL", 18, 900),
            release("Dune.2021.1080p.BluRay.x264-SPARKS", 10, 5000),
            release("Dune.2021.FRENCH.720p.BluRay.x264-FRG", 5, 20),
            release("Dune.2021.GERMAN.1080p.BluRay.x264-DEG", 9, 300),
        ],
        profile=rules,
    )
    assert titles(ranking) == [
        "Dune.2021.FRENCH.720p.BluRay.x264-FRG",
        "Dune.2021.1080p.BluRay.x264-SPARKS",
        "Dune.2021.2160p.UHD.BluRay.x265-TERMINAL",
        # A German dub is in no wanted language; not required, so last but acceptable.
        "Dune.2021.GERMAN.1080p.BluRay.x264-DEG",
    ]


def test_the_french_preset_takes_france_s_french_before_quebec_s_and_refuses_vostfr() -> None:
    ranking = rank_releases(
        query=DUNE,
        releases=[
            release("Dune.2021.VFQ.1080p.BluRay.x264-QCG", 10, 900),
            release("Dune.2021.VFF.1080p.BluRay.x264-FRG", 10, 50),
            release("Dune.2021.VOSTFR.1080p.BluRay.x264-FRG", 10, 2000),
        ],
        profile=FRANCAIS,
    )
    assert titles(ranking) == [
        "Dune.2021.VFF.1080p.BluRay.x264-FRG",
        "Dune.2021.VFQ.1080p.BluRay.x264-QCG",
    ]
    vostfr = next(r for r in ranking.ranked if "VOSTFR" in r.release.title)
    assert vostfr.reasons == [
        "audio English (original) with French subtitles, not French or Québec French"
    ]


def test_a_french_film_untagged_is_french_audio_for_the_french_preset() -> None:
    ranking = rank_releases(
        query=AMELIE,
        releases=[
            release("Amelie.2001.1080p.BluRay.x264-CiNEFiLE", 9, 300),
            release("Amelie.2001.DUBBED.1080p.BluRay.x264-DUB", 9, 900),
        ],
        profile=FRANCAIS,
    )
    assert titles(ranking) == ["Amelie.2001.1080p.BluRay.x264-CiNEFiLE"]


def test_the_default_profile_takes_the_original_first_then_an_english_dub_never_another() -> None:
    ranking = rank_releases(
        query=AMELIE,
        releases=[
            release("Amelie.2001.DUBBED.1080p.BluRay.x264-DUB", 9, 900),
            release("Amelie.2001.FRENCH.720p.BluRay.x264-FRG", 5, 20),
            release("Amelie.2001.GERMAN.1080p.BluRay.x264-DEG", 9, 900),
        ],
    )
    assert titles(ranking) == [
        "Amelie.2001.FRENCH.720p.BluRay.x264-FRG",
        "Amelie.2001.DUBBED.1080p.BluRay.x264-DUB",
    ]
    german = next(r for r in ranking.ranked if "GERMAN" in r.release.title)
    assert german.reasons == ["audio German, not French (original) or English"]


def test_german_dl_holds_the_original_and_german_for_either_household() -> None:
    dl = release("Dune.2021.German.DL.1080p.BluRay.x264-DEG", 12, 50)
    german_only = ProfileRules(audio_languages=("de",))
    assert rank_releases(query=DUNE, releases=[dl]).chosen is not None
    assert rank_releases(query=DUNE, releases=[dl], profile=german_only).chosen is not None


def test_without_the_original_language_an_untagged_name_is_only_the_original() -> None:
    query = MediaQuery(media_type="movie", title="Dune", year=2021)
    sparks = release("Dune.2021.1080p.BluRay.x264-SPARKS")
    french = rank_releases(query=query, releases=[sparks], profile=FRANCAIS)
    assert french.ranked[0].reasons == ["audio original, not French or Québec French"]
    assert rank_releases(query=query, releases=[sparks]).chosen is not None


def test_a_below_profile_release_in_a_better_language_is_not_dropped_for_a_worse_one() -> None:
    rules = ProfileRules(audio_languages=("fr", "original"), audio_language_required=False)
    ranking = rank_releases(
        query=DUNE,
        releases=[
            release("Dune.2021.1080p.BluRay.x264-SPARKS", 10, 5000),
            release("Dune.2021.FRENCH.DVDRip.XviD-FRG", 1.4, 20),
        ],
        profile=rules,
    )
    assert ranking.chosen.release.title == "Dune.2021.FRENCH.DVDRip.XviD-FRG"
    assert ranking.chosen.fallback


OFFICE = MediaQuery(
    media_type="tv", title="The Office", year=2005, season=2, countries=("US",),
    original_language="en",
)  # fmt: skip


def test_a_release_of_another_country_s_version_is_refused_with_the_reason() -> None:
    ranking = rank_releases(
        query=OFFICE,
        releases=[
            release("The.Office.UK.S02.1080p.BluRay.x264-GRP", 6.6, 900),
            release("The Office (UK) S02 1080p BluRay x264-GRP", 6.6, 900),
            release("The.Office.S02.1080p.WEB-DL.DD5.1.H.264-GRP", 21, 100),
        ],
    )
    assert [r.reasons for r in ranking.ranked if not r.accepted] == [
        ["country UK, not US"],
        ["country UK, not US"],
    ]
    assert ranking.chosen.release.title == "The.Office.S02.1080p.WEB-DL.DD5.1.H.264-GRP"


def test_a_release_tagged_with_the_work_s_country_is_preferred_to_an_untagged_one() -> None:
    ranking = rank_releases(
        query=OFFICE,
        releases=[
            release("The.Office.S02.1080p.BluRay.x264-GRP", 21, 900),
            release("The.Office.US.S02.1080p.WEB-DL.DD5.1.H.264-NTb", 21, 100),
        ],
    )
    assert titles(ranking) == [
        "The.Office.US.S02.1080p.WEB-DL.DD5.1.H.264-NTb",
        "The.Office.S02.1080p.BluRay.x264-GRP",
    ]


def test_tmdb_s_gb_is_the_scene_s_uk() -> None:
    uk_office = MediaQuery(
        media_type="tv", title="The Office", year=2001, season=1, countries=("GB",)
    )
    ranking = rank_releases(
        query=uk_office,
        releases=[
            release("The.Office.UK.S01.1080p.BluRay.x264-GRP", 6.6, 40),
            release("The.Office.US.S01.1080p.WEB-DL.DD5.1.H.264-NTb", 6.0, 500),
        ],
    )
    assert titles(ranking) == ["The.Office.UK.S01.1080p.BluRay.x264-GRP"]
    assert titles(ranking, accepted=False) == ["The.Office.US.S01.1080p.WEB-DL.DD5.1.H.264-NTb"]
    assert ranking.ranked[1].reasons == ["country US, not UK"]


def test_without_countries_a_country_tag_is_neither_refused_nor_preferred() -> None:
    query = MediaQuery(media_type="tv", title="Top Gear", year=2002, season=1)
    tagged = release("Top.Gear.AU.S01.720p.HDTV.x264-GRP", 4, 10)
    ranking = rank_releases(query=query, releases=[tagged])
    assert ranking.chosen is not None
    assert "country" not in ranking.chosen.breakdown
