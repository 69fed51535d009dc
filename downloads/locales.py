"""What a release name says about its audio languages and the country of its version.

parsett's `languages` mixes audio and subtitles (VOSTFR and ENG.SUBS both read as a
language) and has no word for "the original audio" (MULTi, German DL), so the scene's
words are read here, from the part of the name after the title, and parsett only adds the
languages this table does not cover.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# Language codes: ISO 639-1, plus the two regional variants scene names tell apart.
ORIGINAL = "original"  # a profile's word for the work's original language (TMDB's)
QUEBEC_FRENCH = "fr-CA"
LATIN_AMERICAN_SPANISH = "es-419"
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", QUEBEC_FRENCH: "Québec French", "de": "German",
    "it": "Italian", "es": "Spanish", LATIN_AMERICAN_SPANISH: "Latin American Spanish",
    "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "uk": "Ukrainian", "pl": "Polish",
    "cs": "Czech", "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian", "bg": "Bulgarian",
    "sr": "Serbian", "hr": "Croatian", "sl": "Slovenian", "el": "Greek", "tr": "Turkish",
    "da": "Danish", "sv": "Swedish", "no": "Norwegian", "fi": "Finnish", "lt": "Lithuanian",
    "lv": "Latvian", "et": "Estonian", "ja": "Japanese", "ko": "Korean", "zh": "Chinese",
    "hi": "Hindi", "ta": "Tamil", "te": "Telugu", "ml": "Malayalam", "kn": "Kannada",
    "mr": "Marathi", "gu": "Gujarati", "pa": "Punjabi", "bn": "Bengali", "ar": "Arabic",
    "he": "Hebrew", "fa": "Persian", "th": "Thai", "vi": "Vietnamese", "id": "Indonesian",
    "ms": "Malay",
}  # fmt: skip
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class SceneWord:
    """One word of the scene's audio vocabulary and what it says a release holds."""

    spellings: tuple[str, ...]  # folded to lower-case letters and digits
    audio: tuple[str, ...] = ()
    original: bool = False  # the work's original audio is there too
    subtitles: tuple[str, ...] = ()  # subtitles only: the audio stays the original
    meaning: str = ""


# The table the README shows; each row has a test made from names written for it
# (tests/downloads/test_audio_languages.py).
SCENE_WORDS: tuple[SceneWord, ...] = (
    SceneWord(("multi",), original=True,
              meaning="original + French (the French scene's word), or + the languages named"),
    SceneWord(("truefrench",), ("fr",), meaning="French audio dubbed in France"),
    SceneWord(("vff",), ("fr",), meaning="French audio dubbed in France"),
    SceneWord(("french", "fra", "fre", "francais"), ("fr",), meaning="French audio"),
    SceneWord(("vf",), ("fr",), meaning="French audio (version française)"),
    SceneWord(("vfi",), ("fr",), meaning="French audio (international French dub)"),
    SceneWord(("vfq",), (QUEBEC_FRENCH,), meaning="Québec French audio"),
    SceneWord(("vf2",), ("fr", QUEBEC_FRENCH), meaning="both France and Québec French audio"),
    SceneWord(("vostfr", "subfrench", "vost", "stfr"), original=True, subtitles=("fr",),
              meaning="original audio with French subtitles, not French audio"),
    SceneWord(("vo", "vof"), original=True, meaning="original audio"),
    SceneWord(("nordic",), original=True, subtitles=("da", "fi", "no", "sv"),
              meaning="original audio with Danish, Finnish, Norwegian and Swedish subtitles"),
    SceneWord(("dl",), ("de",), original=True,
              meaning="German + original audio (dual language, German scene)"),
    SceneWord(("german", "ger", "deu", "deutsch"), ("de",), meaning="German audio"),
    SceneWord(("italian", "ita", "italiano"), ("it",), meaning="Italian audio"),
    SceneWord(("spanish", "castellano", "esp", "spa", "espanol"), ("es",),
              meaning="Spanish (Castilian) audio"),
    SceneWord(("latino", "lat", "latin"), (LATIN_AMERICAN_SPANISH,),
              meaning="Latin American Spanish audio"),
    SceneWord(("english", "eng"), ("en",), meaning="English audio"),
    SceneWord(("dual",), original=True, meaning="original audio + the language named"),
    SceneWord(("dubbed", "dub"), meaning="a dub: the language named, English when none is"),
)  # fmt: skip
_WORDS = {spelling: word for word in SCENE_WORDS for spelling in word.spellings}
# parsett's own codes for the languages the table reads, which are left to the table.
_TABLE_CODES = {"fr", "de", "it", "es", "la", "en"}
_SUBTITLE_WORDS = {"sub", "subs", "subbed", "subtitle", "subtitles", "subtitled", "st"}
# Other languages' words that may stand before "Subs" ("Dutch.Subs"): subtitles too.
_SUBTITLE_LANGUAGE_WORDS = {
    "nl", "dutch", "swe", "swedish", "dan", "danish", "nor", "norwegian", "fin", "finnish",
    "pl", "polish", "rus", "russian", "kor", "korean", "chi", "chs", "cht", "chinese", "jap",
    "japanese", "por", "pt", "br", "portuguese", "ara", "arabic", "heb", "hebrew", "tur",
    "turkish", "gre", "greek", "hun", "hungarian", "cze", "czech", "rom", "romanian", "hin",
}  # fmt: skip
# "ENGSUB", "NLSubs", "SWESUB", "MultiSubs": a language glued to "sub".
_GLUED_SUBTITLES = re.compile(r"^([a-z]{2,5})subs?$")
_GLUED_LANGUAGES = {"eng": "en", "en": "en", "fr": "fr", "fre": "fr", "nl": "nl", "swe": "sv",
                    "dan": "da", "nor": "no", "fin": "fi", "ger": "de", "ita": "it", "spa": "es",
                    "esp": "es", "pl": "pl", "kor": "ko", "chi": "zh", "jap": "ja", "rus": "ru",
                    "por": "pt", "multi": ""}  # fmt: skip
# Country tags of regional versions, as the scene writes them (capitals), and their ISO
# 3166-1 codes (TMDB's): the scene says UK where ISO says GB.
COUNTRY_TAGS = {"US": "US", "UK": "GB", "GB": "GB", "AU": "AU", "NZ": "NZ", "CA": "CA", "IE": "IE"}
_SCENE_NAME_OF_COUNTRY = {"GB": "UK"}
_TOKEN = re.compile(r"[^\s._\-\[\](){}+,~]+")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


@dataclass(frozen=True)
class AudioLanguages:
    """The audio a release name claims: named languages, and whether the original is there."""

    languages: tuple[str, ...] = ()
    original: bool = True  # an untagged name is in the original language
    subtitles: tuple[str, ...] = ()

    def holds(self, wanted: str, original_language: str | None) -> bool:
        """Say whether `wanted` (a code or "original") is among this release's audio tracks."""
        if wanted == ORIGINAL:
            return self.original or (
                bool(original_language) and original_language in self.languages
            )
        return wanted in self.languages or (self.original and wanted == original_language)

    def describe(self, original_language: str | None) -> str:
        """Say what the audio is in a person's words: "German + English (original)"."""
        parts = [language_name(code) for code in self.languages if code != original_language]
        if self.original or (original_language and original_language in self.languages):
            shown = language_name(original_language) if original_language else None
            parts.append(f"{shown} (original)" if shown else "original")
        text = " + ".join(parts) or "unknown"
        if self.subtitles:
            subtitles = " + ".join(language_name(code) for code in self.subtitles)
            text += f" with {subtitles} subtitles"
        return text


def language_name(code: str) -> str:
    """Return a language's English name, or its code when the table has none."""
    return LANGUAGE_NAMES.get(code, code)


def is_language_code(code: object) -> bool:
    """Say whether `code` is a language a profile may list: ISO 639-1, fr-CA, es-419, original."""
    if not isinstance(code, str):
        return False
    return code in (ORIGINAL, QUEBEC_FRENCH, LATIN_AMERICAN_SPANISH) or bool(
        _LANGUAGE_CODE.match(code)
    )


def read_audio(
    name: str,
    title: str,
    parsett_languages: Sequence[str],
    *,
    languages_without: Callable[[str], Sequence[str]],
) -> AudioLanguages:
    """Read the audio languages a release name claims, leaving its subtitles out of them.

    `parsett_languages` is what parsett found in the whole name; `languages_without` parses
    a name again (with its subtitle tags cut out) when parsett may have read them as audio.
    """
    tokens, folded, start = _split(name, title)
    subtitled = _subtitle_positions(folded, start)
    audio: list[str] = []
    subtitles: list[str] = []
    original = multi = dubbed = False
    cut: list[tuple[int, int]] = []
    for index in range(start, len(tokens)):
        word = _WORDS.get(folded[index])
        glued = _GLUED_SUBTITLES.match(folded[index])
        if index in subtitled:
            subtitles += (word.audio or word.subtitles) if word else ()
            cut.append(tokens[index][1:])
        elif glued and word is None and glued.group(1) in _GLUED_LANGUAGES:
            subtitles.append(_GLUED_LANGUAGES[glued.group(1)])
            cut.append(tokens[index][1:])
        elif word is None or (folded[index] == "dl" and folded[index - 1] == "web"):
            continue  # not a language word, or WEB-DL (a source)
        else:
            audio += word.audio
            subtitles += word.subtitles
            original = original or word.original
            multi = multi or word.spellings[0] == "multi"
            dubbed = dubbed or word.spellings[0] == "dubbed"
            if word.subtitles:
                cut.append(tokens[index][1:])
    others = [code for code in parsett_languages if code not in _TABLE_CODES]
    if others and cut:
        # parsett may have read a subtitle tag ("NORDiC.SUBS") as audio: ask it again without.
        kept = "".join(name[a:b] for a, b in _between(cut, len(name)))
        others = [code for code in languages_without(kept) if code not in _TABLE_CODES]
    audio += others
    if multi and not audio:
        audio.append("fr")
    if dubbed and not audio:
        audio.append("en")  # the English scene's DUBBED: English audio over a foreign film
    named = tuple(dict.fromkeys(audio))
    return AudioLanguages(
        languages=named,
        original=original or (not named and not dubbed),
        subtitles=tuple(dict.fromkeys(code for code in subtitles if code)),
    )


def country_tag(name: str, title: str) -> str | None:
    """Return the country tag of a regional version ("UK" in "The.Office.UK.S02"), or None.

    Only a tag right after the title (a year may come first) or in brackets counts: a
    country word further on is a source or a group, and one in lower case a title word.
    """
    tokens, _folded, start = _split(name, title)
    # A country left at the end of the title ("The Office UK") is the version's, not a word
    # of it; a language word there is the title's ("The English"), scene_names says which.
    while start > 1 and tokens[start - 1][0] in COUNTRY_TAGS:
        start -= 1
    right_after = (
        tokens[start : start + 2]
        if tokens[start : start + 1] and _YEAR.match(tokens[start][0])
        else tokens[start : start + 1]
    )
    for raw, begin, end in tokens[start:]:
        bracketed = name[begin - 1 : begin] in ("(", "[") and name[end : end + 1] in (")", "]")
        if raw in COUNTRY_TAGS and (bracketed or (raw, begin, end) in right_after):
            return raw
    return None


def country_code(tag: str) -> str:
    """Return the ISO 3166-1 code of a scene country tag: UK is GB."""
    return COUNTRY_TAGS.get(tag, tag)


def scene_country(code: str) -> str:
    """Return how the scene writes a country: GB is UK."""
    return _SCENE_NAME_OF_COUNTRY.get(code, code)


@lru_cache(maxsize=16)
def _split(name: str, title: str) -> tuple[list[tuple[str, int, int]], list[str], int]:
    """Return a name's tokens, folded, and the index of the first after the title (min 1)."""
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(name)]
    folded = [_fold(raw) for raw, _, _ in tokens]
    target = "".join(_fold(part) for part in _TOKEN.findall(title))
    start = 1
    for first in range(len(tokens) if target else 0):
        if not (folded[first] and target.startswith(folded[first])):
            continue
        joined, position = "", first
        while position < len(tokens) and len(joined) < len(target):
            joined += folded[position]
            position += 1
        if joined == target:
            start = position
            break
    return tokens, folded, min(start, len(tokens))


def _fold(text: str) -> str:
    if text.isascii() and text.isalnum():
        return text.lower()  # most tokens: the slow path below costs a tenth of the parse
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", ascii_text.lower())


def _subtitle_positions(folded: list[str], start: int) -> set[int]:
    """Return the positions of subtitle words and of the language words just before them."""
    marked: set[int] = set()
    for index in range(start, len(folded)):
        if folded[index] not in _SUBTITLE_WORDS:
            continue
        marked.add(index)
        # "ENG.ITA.Subs", "Multi.Subs", "French.Subs": the languages of the subtitles.
        before = index - 1
        while before >= start and (
            folded[before] in _WORDS or folded[before] in _SUBTITLE_LANGUAGE_WORDS
        ):
            marked.add(before)
            before -= 1
    return marked


def _between(cut: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    spans, position = [], 0
    for begin, end in sorted(cut):
        spans.append((position, begin))
        position = max(position, end)
    spans.append((position, length))
    return spans
