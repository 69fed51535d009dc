"""Names as the scene writes them: what parsett misreads in a release name, read again.

parsett's fields come first (downloads/parsing.py); these plain functions correct the few it
gets wrong on real names (issue 16): a name with two titles ("AKA", " / "), language words
and version tags left in the title, years before 1900, a ".ts" file extension taken for a
telesync, 1080i and a bare UHD read as no resolution, a group's name setting the resolution,
and seasons or episodes written in a language's words ("Stagione 3", "Staffel 1 bis 3",
"Folge 4") or named by their year ("S2014").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PTT.parse import clean_title

# A lower-case ".ts" ending is a file's extension (MPEG transport stream), which parsett
# reads as TS = telesync; the scene writes telesyncs as a tag in capitals (Movie.2019.TS.x264).
_TS_EXTENSION = re.compile(r"\.(?:m2)?ts$")
_TS_EXTENSION_CAPITALS = re.compile(r"\.(?:M2)?TS$")
# A source tag in the name proves an ending ".TS" is an extension: a WEB-DL is no telesync.
_SOURCE_TAG = re.compile(
    r"(?<![a-z0-9])(?:blu-?ray|bdrip|brrip|bdremux|remux|web-?dl|web-?rip|web|hdtv|dvdrip"
    r"|dvd|hdrip|uhdrip)(?![a-z0-9])",
    re.IGNORECASE,
)

# Two titles in one name: "La Haine AKA Hate", "Amelie / Le Fabuleux Destin d'Amelie Poulain",
# "The Raid (aka Serbuan Maut)", and "Amelie.a.k.a.Le.Fabuleux..." whose dots became spaces.
_TITLE_SEPARATOR = re.compile(
    r"\s*[(\[]\s*(?:aka|a\.?\s?k\.?\s?a\.?)\s+|\s+(?:aka|a\.?\s?k\.?\s?a\.?)\s+|\s+/\s+",
    re.IGNORECASE,
)
# A re-released rip or fansub marks its version after the title: "Kimi no Na wa v2 (2016)".
_VERSION_TAG = re.compile(r"(?<=\S)\s+[vV]\d{1,2}$")
# Language names end a title only in the scene's own names, which have no year to end it
# ("Cars.2.German.DL.1080p"); "The.Good.German.2006" is a title, so with a year only the
# scene's audio tags below, or a language in capitals, are taken out.
_LANGUAGE_NAMES = (
    "german|deutsch|french|francais|italian|spanish|castellano|latino|english|japanese"
    "|korean|chinese|mandarin|cantonese|russian|polish|dutch|flemish|swedish|danish"
    "|norwegian|finnish|nordic|portuguese|brazilian|hindi|tamil|telugu|turkish|greek"
    "|hungarian|czech|arabic|hebrew|thai|vietnamese|ukrainian"
)
# AC3D is German scene for a dubbed AC3 track.
_AUDIO_TAGS = (
    "dl|dual|multi|multi\\d|truefrench|vff|vfq|vfi|vf2|vostfr|subfrench|dubbed|ac3d|ita|eng"
)
_LANGUAGE_TAIL = re.compile(rf"(?:\s+(?:{_LANGUAGE_NAMES}|{_AUDIO_TAGS}))+$", re.IGNORECASE)
_AUDIO_TAG = re.compile(rf"^(?:{_AUDIO_TAGS})$", re.IGNORECASE)
_TITLE_CASE = re.compile(r"^[A-Z][a-z]+$")
_ARTICLE = re.compile(r"^(?:the|an?|l[ea]s?|der|die|das|el|los|il|lo|gli|de|het)?$", re.IGNORECASE)

# Films are older than parsett's years (1900 on): "The.Kiss.(1896)", "Roundhay.Garden.Scene.1888".
_OLD_YEAR_AT_END = re.compile(r"(?<=\S)\s+[(\[]?(18[789]\d)[)\]]?$")
# In brackets or between dots only: "[Group] Show - 1885 [1080p]" is an anime's episode.
_OLD_YEAR_IN_NAME = re.compile(r"[(\[.](18[789]\d)[)\].]")

_RESOLUTIONS = ("2160p", "1440p", "1080p", "720p", "576p", "480p", "360p", "240p")
# A bare UHD is 2160p; "UHD.BluRay" beside a 1080p tag is only where the 1080p came from.
_UHD = re.compile(r"(?<![a-z0-9])UHD(?![a-z0-9])", re.IGNORECASE)
# The group ends the name after its last dash ("-SPARKS", "-HD1080", "-720pGRP[rarbg]").
_GROUP_SUFFIX = re.compile(r"-([A-Za-z0-9]+)(?:\[[^\]]*\])?(?:\.(?:mkv|mp4|avi))?$")
_RESOLUTION_IN_WORD = re.compile(r"\d{3,4}[pi]|(?:BD|HD|M)\d{3,4}|4k", re.IGNORECASE)
# ...but "Movie (2019) Bluray-1080p" (Radarr's file naming) ends in a resolution, no group.
_ONLY_A_RESOLUTION = re.compile(r"^(?:\d{3,4}[pi]|4k|uhd)$", re.IGNORECASE)

# Season words parsett does not know ("Stagione 3" stays in its title), and a spaced "S 01".
_SEASON_WORD = re.compile(
    r"(?<![a-z0-9])(?:stagione|saison|staffel|sezon|seizoen|s[aä]song|s[æa]e?son|sesong|kausi)"
    r"[\s._-]*(\d{1,2})(?!\d)",
    re.IGNORECASE,
)
# Several seasons in a language's words: parsett reads "Stagione 1-3" as episodes 1 to 3 and
# "Saison 1 a 3" or "Staffel 1 bis 3" as season 1 alone, which a season-1 request would take.
_SEASON_WORDS = (
    "stagion[ei]|saisons?|staffeln?|sezony?|seizoen(?:en)?|s[aä]song(?:er)?|s[æa]e?son(?:er)?"
    "|sesong(?:er)?|kausi|temporadas?|seasons?"
)
_SEASON_RANGE = re.compile(
    rf"(?<![a-z0-9])(?:{_SEASON_WORDS})[\s._-]*(\d{{1,2}})"
    r"(?:[._]?-[._]?|[\s._]+(?:à|a|au|to|bis|til|al|e)[\s._]+)(\d{1,2})(?!\d)",
    re.IGNORECASE,
)
# What parsett leaves of it in the title when it read the numbers as episodes.
_SEASON_WORD_LEFT = re.compile(rf"[\s._-]+(?:{_SEASON_WORDS})$", re.IGNORECASE)
# Episode words parsett does not know: "Dark.Staffel.2.Folge.4" is one episode, not season 2.
_EPISODE_WORD = re.compile(
    r"(?<![a-z0-9])(?:folge|aflevering|avsnitt|afsnit|jakso|odcinek)[\s._-]*(\d{1,3})"
    r"(?:[\s._]*-[\s._]*(\d{1,3}))?(?!\d)",
    re.IGNORECASE,
)
# Capital S after a space only: "Ocean's 11" is a title, "Show S 01" a season.
_SPACED_SEASON = re.compile(r"(?<=[\s._])S[\s._](\d{1,2})(?![\d])(?![\s._-]*[Ee]\d)")
# A season named by its year (TheTVDB numbers MythBusters' so): parsett reads S2014 as S20E14.
# Not "Season 2014", which is as often a film's title and year ("The.Last.Season.2014").
_YEAR_SEASON = re.compile(
    r"(?<![a-z0-9])S((?:19|20)\d{2})(?:[._]?-[._]?S((?:19|20)\d{2}))?(?![0-9])(?![\s._-]*E\d)",
    re.IGNORECASE,
)


def file_stem(name: str) -> str:
    """Return the name without a ".ts" file extension that parsett would read as a telesync."""
    if _TS_EXTENSION.search(name):
        return name[: name.rindex(".")]
    if _TS_EXTENSION_CAPITALS.search(name):
        stem = name[: name.rindex(".")]
        if _SOURCE_TAG.search(stem):
            return stem
    return name


def reread(
    name: str, fields: dict[str, Any], *, reparse: Callable[[str], str | None]
) -> dict[str, Any]:
    """Return parsett's fields for `name` with what it misreads in scene names read again.

    Adds `titles` (every title the name gives, the main one first); `reparse` returns
    parsett's resolution for another name (see `_own_resolution`).
    """
    title = fields.get("title") or ""
    year = fields.get("year")
    seasons = tuple(fields.get("seasons") or ())
    episodes = tuple(fields.get("episodes") or ())
    by_year = _year_season(name, title, year, seasons, episodes)
    several = _season_range(name, title, episodes)
    if by_year is not None:
        title, year, seasons, episodes = by_year
    elif several is not None:
        title, seasons = several
        episodes = ()
    elif not seasons:
        # "Gomorra.Stagione.1.Episodio.3": parsett found the episode, not its season.
        title, seasons = _season_in_title(title)
    if not episodes:
        title, episodes = _episode_in_words(name, title)
    title, year, episodes = _old_year(name, title, year, episodes)
    resolution, group = _own_resolution(
        name, fields.get("resolution"), fields.get("group"), reparse
    )
    titles = _titles_of(title, has_year=year is not None)
    return {
        **fields,
        "title": titles[0] if titles else "",
        "titles": titles,
        "year": year,
        "seasons": list(seasons),
        "episodes": list(episodes),
        "resolution": resolution,
        "group": group,
    }


def _titles_of(title: str, *, has_year: bool) -> tuple[str, ...]:
    """Return the titles a name gives, the main one first, without language words or versions."""
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) > 1:
        # parsett cleaned the whole title (clean_title costs a dozen regexes), not its parts.
        parts = [clean_title(part) for part in parts]
    titles = []
    for part in parts:
        # The title as written stays comparable too: "The Good German" without a year is one.
        titles += [_bare_title(part, has_year=has_year), part]
    return tuple(dict.fromkeys(t for t in titles if t))


def _bare_title(title: str, *, has_year: bool) -> str:
    title = _VERSION_TAG.sub("", title)
    tail = _LANGUAGE_TAIL.search(title)
    # "The English" and "Le Français" are titles: an article is no title of its own.
    if tail is None or _ARTICLE.match(title[: tail.start()]):
        return title
    words = tail.group(0).split()
    scene_written = any(_AUDIO_TAG.match(w) or not _TITLE_CASE.match(w) for w in words)
    if has_year and not scene_written:
        return title
    return _VERSION_TAG.sub("", title[: tail.start()]).strip()


def _old_year(
    name: str, title: str, year: int | None, episodes: tuple[int, ...]
) -> tuple[str, int | None, tuple[int, ...]]:
    """Read a year before 1900 parsett left in the title or took for an episode number."""
    if year is not None:
        return title, year, episodes
    at_end = _OLD_YEAR_AT_END.search(title)
    if at_end:
        return title[: at_end.start()].strip(), int(at_end.group(1)), episodes
    if len(episodes) == 1 and 1870 <= episodes[0] <= 1899:
        in_name = _OLD_YEAR_IN_NAME.search(name)
        if in_name and int(in_name.group(1)) == episodes[0]:
            return title, episodes[0], ()
    return title, year, episodes


def _own_resolution(
    name: str,
    resolution: str | None,
    group: str | None,
    reparse: Callable[[str], str | None],
) -> tuple[str | None, str | None]:
    """Return the name's own resolution and group, not one read from the group's name.

    `reparse` is parsett's reading of a name without its group, called only for the rare
    name whose group holds a resolution ("Movie.2019.BluRay.x264-HD1080").
    """
    suffix = _GROUP_SUFFIX.search(name)
    word = suffix.group(1) if suffix else ""
    if suffix and _RESOLUTION_IN_WORD.search(word) and not _ONLY_A_RESOLUTION.match(word):
        group = word
        resolution = reparse(name[: suffix.start()])
    return _resolution(name, resolution), group


def _resolution(name: str, resolution: str | None) -> str | None:
    if resolution in _RESOLUTIONS:
        return resolution
    if resolution:
        lines = str(resolution).lower()
        # Interlaced broadcasts (1080i) have as many lines as their progressive twin.
        if lines.endswith("i") and f"{lines[:-1]}p" in _RESOLUTIONS:
            return f"{lines[:-1]}p"
        if lines in ("4k", "uhd"):
            return "2160p"
        return None
    return "2160p" if _UHD.search(name) else None


def _season_in_title(title: str) -> tuple[str, tuple[int, ...]]:
    """Read a season parsett left in the title ("Show.Stagione.3", "Show S 01") out of it."""
    match = _SEASON_WORD.search(title) or _SPACED_SEASON.search(title)
    if not match:
        return title, ()
    return clean_title(title[: match.start()]), (int(match.group(1)),)


def _episode_in_words(name: str, title: str) -> tuple[str, tuple[int, ...]]:
    """Read an episode named in a language's word ("Folge 4") parsett did not see."""
    match = _EPISODE_WORD.search(name)
    if not match:
        return title, ()
    first = int(match.group(1))
    last = max(int(match.group(2) or first), first)
    in_title = _EPISODE_WORD.search(title)
    if in_title:
        title = clean_title(title[: in_title.start()])
    return title, tuple(range(first, last + 1))


def _season_range(
    name: str, title: str, episodes: tuple[int, ...]
) -> tuple[str, tuple[int, ...]] | None:
    """Read several seasons in a language's words ("Staffel 1 bis 3"), or return None."""
    match = _SEASON_RANGE.search(name)
    if not match:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    seasons = tuple(range(first, last + 1))
    # Episodes parsett found elsewhere ("Show Season 2 - 05") are not these numbers misread.
    if not first < last <= first + 50 or episodes not in ((), seasons):
        return None
    in_title = _SEASON_RANGE.search(title) or _SEASON_WORD_LEFT.search(title)
    if in_title:
        title = clean_title(title[: in_title.start()])
    return title, seasons


def _year_season(
    name: str, title: str, year: int | None, seasons: tuple[int, ...], episodes: tuple[int, ...]
) -> tuple[str, int | None, tuple[int, ...], tuple[int, ...]] | None:
    """Read a season named by its year ("Show.S2014", "Show.S2014-S2016"), or return None."""
    match = _YEAR_SEASON.search(name)
    if not match:
        return None
    first = int(match.group(1))
    last = max(int(match.group(2) or first), first)
    if year in (first, last):
        year = None
    # parsett's reading of the same digits: S20E14.
    if seasons == (first // 100,) and episodes == (first % 100,):
        episodes = ()
    return title, year, tuple(range(first, last + 1)), episodes
