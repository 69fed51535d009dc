"""What a release name says about its audio and its version's country: the scene's words."""

from __future__ import annotations

import pytest

from downloads.locales import ORIGINAL, QUEBEC_FRENCH, SCENE_WORDS, is_language_code
from downloads.parsing import parse_release

LATAM = "es-419"

# (name, audio languages named, original audio there too, subtitles); one row at least for
# every word of the table (the test below checks it), names written for these tests.
AUDIO = [
    ("Dune.2021.MULTi.1080p.BluRay.x264-FRG", ("fr",), True, ()),
    ("Dune.2021.MULTI.1080p.BluRay.x264-FRG", ("fr",), True, ()),
    ("Dune.2021.MULTi.VFQ.1080p.WEB.H264-QCG", (QUEBEC_FRENCH,), True, ()),
    ("Dune.2021.MULTi.VF2.1080p.BluRay-FRG", ("fr", QUEBEC_FRENCH), True, ()),
    ("Dune.2021.TRUEFRENCH.1080p.BluRay.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.VFF.1080p.BluRay.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.FRENCH.720p.BluRay.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.VF.1080p.WEB.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.VFI.1080p.WEB.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.VFQ.1080p.WEB.x264-QCG", (QUEBEC_FRENCH,), False, ()),
    ("Dune.2021.VF2.1080p.BluRay.x264-FRG", ("fr", QUEBEC_FRENCH), False, ()),
    ("Dune.2021.VOSTFR.1080p.WEB.x264-FRG", (), True, ("fr",)),
    ("Dune.2021.SUBFRENCH.1080p.WEB.x264-FRG", (), True, ("fr",)),
    ("Amelie.2001.VOF.1080p.BluRay.x264-FRG", (), True, ()),
    ("Dune.2021.1080p.NORDiC.BluRay.x264-NRD", (), True, ("da", "fi", "no", "sv")),
    ("Cars.2.2011.German.DL.1080p.BluRay.x264-DEG", ("de",), True, ()),
    ("Cars.2.2011.DL.1080p.BluRay.x264-DEG", ("de",), True, ()),
    ("Cars.2.2011.GERMAN.1080p.BluRay.x264-DEG", ("de",), False, ()),
    ("Cars.2.2011.iTALiAN.1080p.BluRay.x264-ITG", ("it",), False, ()),
    ("Cars.2.2011.ITA.ENG.1080p.BluRay.x264-ITG", ("it", "en"), False, ()),
    ("Cars.2.2011.SPANiSH.1080p.BluRay.x264-ESG", ("es",), False, ()),
    ("Cars.2.2011.CASTELLANO.1080p.BluRay.x264-ESG", ("es",), False, ()),
    ("Cars.2.2011.ESP.1080p.WEB.x264-ESG", ("es",), False, ()),
    ("Cars.2.2011.LATINO.1080p.WEB.x264-LAG", (LATAM,), False, ()),
    ("Cars.2.2011.LAT.1080p.WEB.x264-LAG", (LATAM,), False, ()),
    ("Cars.2.2011.ENGLISH.1080p.WEB.x264-ENG", ("en",), False, ()),
    ("Spirited.Away.2001.1080p.BluRay.Dual.Audio.x264-ANI", (), True, ()),
    ("Spirited.Away.2001.DUBBED.1080p.BluRay.x264-DUB", ("en",), False, ()),
    ("Parasite.2019.Hindi.Dubbed.1080p.WEB-DL.x264", ("hi",), False, ()),
    # The other spellings of the same words.
    ("Dune.2021.FRA.1080p.WEB.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.FRE.1080p.WEB.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.Francais.1080p.WEB.x264-FRG", ("fr",), False, ()),
    ("Dune.2021.VOST.1080p.WEB.x264-FRG", (), True, ("fr",)),
    ("Dune.2021.STFR.1080p.WEB.x264-FRG", (), True, ("fr",)),
    ("Dune.2021.VO.1080p.WEB.x264-FRG", (), True, ()),
    ("Cars.2.2011.GER.1080p.BluRay.x264-DEG", ("de",), False, ()),
    ("Cars.2.2011.DEU.1080p.BluRay.x264-DEG", ("de",), False, ()),
    ("Cars.2.2011.Deutsch.1080p.BluRay.x264-DEG", ("de",), False, ()),
    ("Cars.2.2011.Italiano.1080p.BluRay.x264-ITG", ("it",), False, ()),
    ("Cars.2.2011.SPA.1080p.WEB.x264-ESG", ("es",), False, ()),
    ("Cars.2.2011.Espanol.1080p.WEB.x264-ESG", ("es",), False, ()),
    ("Cars.2.2011.Latin.1080p.WEB.x264-LAG", (LATAM,), False, ()),
    ("Cars.2.2011.ENG.1080p.WEB.x264-ENG", ("en",), False, ()),
    ("Spirited.Away.2001.DUB.1080p.BluRay.x264-DUB", ("en",), False, ()),
    # The others parsett knows, read as audio when no subtitle word goes with them.
    ("Dune.2021.RUS.1080p.BluRay.x264-RUG", ("ru",), False, ()),
    ("Dune.2021.POLiSH.1080p.BluRay.x264-PLG", ("pl",), False, ()),
    # Subtitle tags are never audio.
    ("Dune.2021.1080p.BluRay.ENG.SUBS.x264-SUB", (), True, ("en",)),
    ("Dune.2021.1080p.BluRay.ENG.ITA.Subs.x264-SUB", (), True, ("en", "it")),
    ("Dune.2021.Multi.Subs.1080p.BluRay.x264-SUB", (), True, ()),
    ("Dune.2021.1080p.BluRay.x264.NLSubs-SUB", (), True, ("nl",)),
    ("Dune.2021.1080p.BluRay.Dutch.Subs.x264-SUB", (), True, ()),
    # No tag at all: the original, and the source "WEB-DL" is not German DL.
    ("Dune.2021.1080p.WEB-DL.DDP5.1.H.264-SPARKS", (), True, ()),
    ("Dune.2021.1080p.BluRay.x264-SPARKS", (), True, ()),
]


@pytest.mark.parametrize(("name", "audio", "original", "subtitles"), AUDIO)
def test_the_scene_words_say_which_audio_a_release_holds(
    name: str, audio: tuple[str, ...], original: bool, subtitles: tuple[str, ...]
) -> None:
    got = parse_release(name).audio
    assert (got.languages, got.original, got.subtitles) == (audio, original, subtitles)


def test_every_word_of_the_table_has_a_name_that_shows_it() -> None:
    spellings_seen = {
        token.lower().replace(".", "")
        for name, *_ in AUDIO
        for token in name.replace("-", ".").split(".")
    }
    untested = [s for word in SCENE_WORDS for s in word.spellings if s not in spellings_seen]
    assert untested == []


def test_language_words_in_a_title_are_the_title_not_its_audio() -> None:
    for name in (
        "The.French.Dispatch.2021.1080p.BluRay.x264-GRP",
        "The.Italian.Job.2003.1080p.BluRay.x264-GRP",
        "The.English.S01.1080p.WEB-DL.DDP5.1.H.264-GRP",
    ):
        audio = parse_release(name).audio
        assert (audio.languages, audio.original) == ((), True), name


def test_german_dl_without_a_year_is_still_read_as_audio() -> None:
    audio = parse_release("Cars.2.German.DL.1080p.BluRay.x264-DEG").audio
    assert (audio.languages, audio.original) == (("de",), True)


def test_the_audio_is_described_in_words_with_the_original_named() -> None:
    german_dl = parse_release("Cars.2.2011.German.DL.1080p.BluRay.x264-DEG").audio
    vostfr = parse_release("Dune.2021.VOSTFR.1080p.WEB.x264-FRG").audio
    assert german_dl.describe("en") == "German + English (original)"
    assert vostfr.describe("en") == "English (original) with French subtitles"
    assert vostfr.describe(None) == "original with French subtitles"


def test_a_tag_in_the_original_language_is_the_original() -> None:
    amelie = parse_release("Amelie.2001.FRENCH.1080p.BluRay.x264-FRG").audio
    assert amelie.holds(ORIGINAL, "fr")
    assert not amelie.holds(ORIGINAL, "en")
    assert parse_release("Dune.2021.1080p.BluRay.x264-SPARKS").audio.holds("en", "en")


@pytest.mark.parametrize(
    ("code", "valid"),
    [("fr", True), ("fr-CA", True), ("es-419", True), (ORIGINAL, True), ("FR", False),
     ("french", False), ("fr-FR", False), (3, False)],
)  # fmt: skip
def test_profiles_may_list_iso_codes_the_two_regional_variants_and_original(
    code: object, valid: bool
) -> None:
    assert is_language_code(code) is valid


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("The.Office.UK.S02.1080p.BluRay.x264-GRP", "UK"),
        ("The Office (UK) S02 1080p BluRay x264-GRP", "UK"),
        ("The.Office.US.S02.720p.WEB-DL.x264-GRP", "US"),
        ("The.Office.2005.US.S02.720p.WEB-DL.x264-GRP", "US"),
        ("Top.Gear.AU.S01.720p.HDTV.x264-GRP", "AU"),
        ("Shameless.(US).S01.1080p.WEB-DL-GRP", "US"),
        ("Wentworth.NZ.S01.1080p.WEB-DL-GRP", "NZ"),
        ("Being.Human.CA.S01.1080p.WEB-DL-GRP", "CA"),
        # Not a version: further on it is a source or a group, in lower case a word.
        ("Bluey.2018.S01.1080p.AU.WEB-DL.x264-GRP", None),
        ("Us.2019.1080p.BluRay.x264-GRP", None),
        ("The.Office.S02.1080p.BluRay.x264-GRP", None),
    ],
)
def test_a_country_tag_counts_right_after_the_title_or_in_brackets(
    name: str, country: str | None
) -> None:
    assert parse_release(name).country == country
