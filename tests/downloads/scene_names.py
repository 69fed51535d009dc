"""Release names as the scene writes them (issue 16), each with its query and what it says.

Written for these tests, one group per way parsett misread such names before: two titles in
one name (AKA, " / "), language words and version tags left in the title, years before 1900
or in brackets, a ".ts" file extension, 1080i and bare UHD, a resolution inside the group's
name, and seasons as Italians, Germans and year-numbered shows write them. Each row is a
right release for its query unless `right` is False; `expect` lists the fields the name must
give (`title`, `titles`, `year`, `resolution`, `seasons`, `theatre`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from downloads.releases import MediaQuery, Release

GB = 1_000_000_000

AKA = "two titles"
LANGUAGE = "language words"
VERSION = "version tag"
OLD_YEAR = "old or bracketed year"
EXTENSION = ".ts extension"
RESOLUTION = "1080i / UHD"
GROUP = "resolution in the group"
SEASON = "season words"
CONTROL = "already read right"


@dataclass(frozen=True)
class SceneName:
    """One release name, the query it is (or is not) right for, and what it must read as."""

    kind: str
    name: str
    query: dict[str, Any]
    gb: float = 8.0
    right: bool = True
    expect: dict[str, Any] = field(default_factory=dict)

    def media_query(self) -> MediaQuery:
        """Return the query as the ranking takes it."""
        return MediaQuery.from_dict(self.query)

    def release(self) -> Release:
        """Return the name as an indexer's answer with a plausible size and seeders."""
        return Release(title=self.name, size=int(self.gb * GB), seeders=40)


def movie(title: str, year: int | None, *aliases: str) -> dict[str, Any]:
    """Return a movie query as the request flow builds it from TMDB."""
    return {"media_type": "movie", "title": title, "year": year, "aliases": list(aliases)}


def season(title: str, year: int, number: int, *aliases: str) -> dict[str, Any]:
    """Return a season query as the request flow builds it from TMDB."""
    return {
        "media_type": "tv",
        "title": title,
        "year": year,
        "season": number,
        "aliases": list(aliases),
    }


LA_HAINE = movie("La Haine", 1995)
AMELIE = movie("Amélie", 2001, "Le Fabuleux Destin d'Amélie Poulain")
MONEY_HEIST = ("Money Heist", 2017)
MYTHBUSTERS = ("MythBusters", 2003)

NAMES = [
    # Two titles in one name: either may be the one TMDB gives.
    SceneName(AKA, "La.Haine.AKA.Hate.1995.1080p.BluRay.x264-CiNEFiLE", LA_HAINE,
              expect={"title": "La Haine", "titles": ("La Haine", "Hate"), "year": 1995}),
    SceneName(AKA, "Hate.AKA.La.Haine.1995.720p.BluRay.x264-SiNNERS", LA_HAINE, 4.4,
              expect={"title": "Hate", "titles": ("Hate", "La Haine")}),
    SceneName(AKA, "Leon a.k.a. The Professional 1994 1080p BluRay x264-GRP",
              movie("Léon: The Professional", 1994, "Léon"),
              expect={"titles": ("Leon", "The Professional")}),
    SceneName(AKA, "Amelie / Le Fabuleux Destin d'Amelie Poulain (2001) 1080p BluRay x264",
              AMELIE, expect={"title": "Amelie", "year": 2001}),
    SceneName(AKA, "Le Fabuleux Destin d'Amelie Poulain / Amelie (2001) 720p BDRip x264",
              movie("Amélie", 2001), 4.0),
    SceneName(AKA, "The Raid (aka Serbuan Maut) 2011 1080p BluRay x264-GRP",
              movie("The Raid", 2011, "Serbuan maut"),
              expect={"titles": ("The Raid", "Serbuan Maut")}),
    SceneName(AKA, "Le.Fabuleux.Destin.d.Amelie.Poulain.a.k.a.Amelie.2001.1080p.BluRay.x264-GRP",
              movie("Le Fabuleux Destin d'Amélie Poulain", 2001, "Amélie"),
              expect={"title": "Le Fabuleux Destin d Amelie Poulain"}),
    SceneName(AKA, "Crouching Tiger, Hidden Dragon / Wo hu cang long (2000) 1080p BluRay DTS",
              movie("Crouching Tiger, Hidden Dragon", 2000)),
    SceneName(AKA, "Spirited.Away.aka.Sen.to.Chihiro.no.Kamikakushi.2001.1080p.BluRay.x264-GRP",
              movie("Spirited Away", 2001)),
    SceneName(AKA, "Money.Heist.AKA.La.Casa.de.Papel.S02.1080p.NF.WEB-DL.DDP5.1.x264-GRP",
              season(*MONEY_HEIST, 2), 14.0, expect={"title": "Money Heist", "seasons": (2,)}),
    SceneName(AKA, "The Bridge / Bron / Broen S01 720p HDTV x264",
              season("The Bridge", 2011, 1, "Bron/Broen"), 9.0,
              expect={"titles": ("The Bridge", "Bron", "Broen")}),
    SceneName(AKA, "Bron / The Bridge S02 1080p BluRay x264-GRP",
              season("The Bridge", 2011, 2), 20.0),
    SceneName(AKA, "Hate.Crime.2012.1080p.BluRay.x264-GRP", LA_HAINE, right=False),
    SceneName(AKA, "Alien.AKA.Alien.3.1992.1080p.BluRay.x264-GRP", movie("Aliens", 1986),
              right=False),
    # Language words the scene puts after a title that has no year.
    SceneName(LANGUAGE, "Cars.2.German.DL.1080p.BluRay.x264-GRP", movie("Cars 2", None),
              expect={"title": "Cars 2", "year": None, "resolution": "1080p"}),
    SceneName(LANGUAGE, "Cars.2.iTALiAN.AC3.720p.BDRip.x264-GRP", movie("Cars 2", None), 4.0,
              expect={"title": "Cars 2"}),
    SceneName(LANGUAGE, "Der.Untergang.German.AC3D.DL.720p.BluRay.x264-GRP",
              movie("Downfall", None, "Der Untergang"), 4.4, expect={"title": "Der Untergang"}),
    SceneName(LANGUAGE, "Cars.3.German.DL.1080p.BluRay.x264-GRP", movie("Cars 2", None),
              right=False, expect={"title": "Cars 3"}),
    SceneName(LANGUAGE, "Babylon.Berlin.German.DL.S02.1080p.BluRay.x264-GRP",
              season("Babylon Berlin", 2017, 2), 30.0,
              expect={"title": "Babylon Berlin", "seasons": (2,)}),
    SceneName(LANGUAGE, "Das.Boot.GERMAN.S01.720p.HDTV.x264-GRP", season("Das Boot", 2018, 1),
              6.0, expect={"title": "Das Boot"}),
    SceneName(LANGUAGE, "Haus.des.Geldes.German.DL.S03.1080p.NF.WEB.x264-GRP",
              season(*MONEY_HEIST, 3, "La casa de papel", "Haus des Geldes"), 12.0),
    SceneName(LANGUAGE, "Gomorra.iTALiAN.S02.720p.HDTV.x264-GRP",
              season("Gomorrah", 2014, 2, "Gomorra - La serie", "Gomorra"), 8.0),
    SceneName(LANGUAGE, "Le.Bureau.des.Legendes.FRENCH.S01.1080p.WEB.x264-GRP",
              season("The Bureau", 2015, 1, "Le Bureau des Légendes"), 12.0,
              expect={"title": "Le Bureau des Legendes"}),
    SceneName(LANGUAGE, "Dix.Pour.Cent.MULTi.S01.1080p.WEB.x264-GRP",
              season("Call My Agent!", 2015, 1, "Dix pour cent"), 9.0),
    SceneName(LANGUAGE, "La.Casa.de.Papel.SPANiSH.S01.720p.WEB.x264-GRP",
              season(*MONEY_HEIST, 1, "La casa de papel"), 7.0),
    SceneName(LANGUAGE, "The.English.S01.1080p.AMZN.WEB-DL.DDP5.1.H.264-GRP",
              season("The English", 2022, 1), 12.0, expect={"title": "The English"}),
    SceneName(LANGUAGE, "The.Good.German.2006.1080p.BluRay.x264-GRP",
              movie("The Good German", 2006), expect={"title": "The Good German"}),
    SceneName(LANGUAGE, "Cars.2.2011.German.DL.1080p.BluRay.x264-GRP", movie("Cars 2", 2011)),
    SceneName(LANGUAGE, "Les.Miserables.2019.FRENCH.720p.BluRay.x264-GRP",
              movie("Les Misérables", 2019), 4.4),
    # Version tags of re-released rips and fansubs.
    SceneName(VERSION, "[Judas] Kimi no Na wa v2 (2016) [BD 1080p HEVC]",
              movie("Your Name.", 2016, "君の名は。", "Kimi no Na wa."), 4.0,
              expect={"title": "Kimi no Na wa", "year": 2016}),
    SceneName(VERSION, "[Group] A Silent Voice v2 (2016) [BD 1080p]",
              movie("A Silent Voice", 2016, "Koe no Katachi"), 4.0),
    SceneName(VERSION, "Parasite.v2.2019.1080p.WEB-DL.x264-GRP", movie("Parasite", 2019), 5.0),
    SceneName(VERSION, "Knives.Out.V3.2019.1080p.BluRay.x264-GRP", movie("Knives Out", 2019)),
    SceneName(VERSION, "[Group] Mushishi v2 (Season 1) [BD 1080p]",
              season("Mushi-Shi", 2005, 1, "Mushishi"), 20.0,
              expect={"title": "Mushishi", "seasons": (1,)}),
    SceneName(VERSION, "[Group] Made in Abyss S01 v2 [BD 1080p]",
              season("Made in Abyss", 2017, 1), 15.0),
    # Films older than 1900 and years in brackets.
    SceneName(OLD_YEAR, "The.Kiss.(1896).480p.BluRay.x264-GRP", movie("The Kiss", 1896), 0.2,
              expect={"title": "The Kiss", "year": 1896}),
    SceneName(OLD_YEAR, "Roundhay.Garden.Scene.1888.480p.WEB-DL.x264",
              movie("Roundhay Garden Scene", 1888), 0.1,
              expect={"title": "Roundhay Garden Scene", "year": 1888}),
    SceneName(OLD_YEAR, "The Arrival of a Train at La Ciotat [1896] 720p BluRay",
              movie("The Arrival of a Train at La Ciotat", 1896), 0.8, expect={"year": 1896}),
    SceneName(OLD_YEAR, "Sallie.Gardner.at.a.Gallop.(1878).480p.WEB",
              movie("Sallie Gardner at a Gallop", 1878), 0.1, expect={"year": 1878}),
    SceneName(OLD_YEAR, "Workers.Leaving.the.Lumiere.Factory.1895.480p.BluRay",
              movie("Workers Leaving the Lumière Factory", 1895), 0.2),
    SceneName(OLD_YEAR, "The.Great.Train.Robbery.[1903].720p.BluRay.x264-GRP",
              movie("The Great Train Robbery", 1903), 1.0, expect={"year": 1903}),
    SceneName(OLD_YEAR, "Metropolis [1927] 1080p BluRay x264", movie("Metropolis", 1927),
              expect={"year": 1927}),
    SceneName(OLD_YEAR, "The.Kiss.(1900).480p.BluRay.x264-GRP", movie("The Kiss", 1896), 0.2,
              right=False),
    SceneName(OLD_YEAR, "[Group] Detective Conan - 1885 [1080p]",
              season("Detective Conan", 1996, 1), 0.5, right=False, expect={"year": None}),
    SceneName(OLD_YEAR, "1883.S01.1080p.AMZN.WEB-DL.DDP5.1.H.264-GRP", season("1883", 2021, 1),
              20.0, expect={"title": "1883", "seasons": (1,)}),
    SceneName(OLD_YEAR, "1899.S01.1080p.NF.WEB-DL.DDP5.1.x264-GRP", season("1899", 2022, 1),
              15.0, expect={"title": "1899"}),
    # A file extension is not a telesync; a TS tag is.
    SceneName(EXTENSION, "Oppenheimer.2023.1080p.WEB-DL.DDP5.1.x264-GRP.ts",
              movie("Oppenheimer", 2023), expect={"theatre": None, "resolution": "1080p"}),
    SceneName(EXTENSION, "Dune.Part.Two.2024.2160p.WEB-DL.HDR.H265.ts",
              movie("Dune: Part Two", 2024), 16.0, expect={"theatre": None}),
    SceneName(EXTENSION, "Wonka.2023.1080p.BluRay.x264.TS", movie("Wonka", 2023),
              expect={"theatre": None}),
    SceneName(EXTENSION, "Wonka.2023.TS.x264-GRP", movie("Wonka", 2023), 1.5, right=False,
              expect={"theatre": "TELESYNC"}),
    SceneName(EXTENSION, "Wonka.2023.HDTS.720p.x264.ts", movie("Wonka", 2023), 1.5,
              right=False, expect={"theatre": "TELESYNC"}),
    # 1080i is 1080 lines; UHD alone is 2160p.
    SceneName(RESOLUTION, "Planet.Earth.II.S01.1080i.HDTV.MPA2.0.H.264-GRP",
              season("Planet Earth II", 2016, 1), 25.0, expect={"resolution": "1080p"}),
    SceneName(RESOLUTION, "The.Godfather.1972.1080i.BluRay.REMUX.AVC.DTS-HD.MA.5.1-GRP",
              movie("The Godfather", 1972), 18.0, expect={"resolution": "1080p"}),
    SceneName(RESOLUTION, "Blade.Runner.2049.2017.UHD.BluRay.x265.HDR-GRP",
              movie("Blade Runner 2049", 2017), 19.0, expect={"resolution": "2160p"}),
    SceneName(RESOLUTION, "Top.Gun.Maverick.2022.UHD.WEB-DL.DV.HDR.H265-GRP",
              movie("Top Gun: Maverick", 2022), 15.0, expect={"resolution": "2160p"}),
    SceneName(RESOLUTION, "The.Mandalorian.S01.UHD.WEB-DL.HDR.H265-GRP",
              season("The Mandalorian", 2019, 1), 40.0, expect={"resolution": "2160p"}),
    SceneName(RESOLUTION, "Joker.2019.1080p.UHD.BluRay.x264-GRP", movie("Joker", 2019),
              expect={"resolution": "1080p"}),
    # A group's name is no resolution; the name's own tag is.
    SceneName(GROUP, "Heat.1995.BluRay.x264-HD1080", movie("Heat", 1995),
              expect={"resolution": None}),
    SceneName(GROUP, "Heat.1995.REMASTERED.BluRay.x264-720pNX", movie("Heat", 1995),
              expect={"resolution": None}),
    SceneName(GROUP, "Heat.1995.1080p.BluRay.x264-HD720", movie("Heat", 1995),
              expect={"resolution": "1080p"}),
    SceneName(GROUP, "Heat (1995) Bluray-1080p", movie("Heat", 1995),
              expect={"resolution": "1080p"}),
    SceneName(GROUP, "Up.2009.DVDRip.x264-HD1080", movie("Up", 2009), 1.4,
              expect={"resolution": None}),
    # Seasons written in words, spaced, or named by their year.
    SceneName(SEASON, "Gomorra.Stagione.3.1080p.WEB-DL.ITA.x264-GRP",
              season("Gomorrah", 2014, 3, "Gomorra"), 20.0, expect={"seasons": (3,)}),
    SceneName(SEASON, "The.Office.S 02.720p.WEB.x264-GRP", season("The Office", 2005, 2), 9.0,
              expect={"title": "The Office", "seasons": (2,)}),
    SceneName(SEASON, "The Crown S 03 1080p NF WEB-DL DDP5.1 x264", season("The Crown", 2016, 3),
              30.0, expect={"title": "The Crown"}),
    SceneName(SEASON, "MythBusters.S2014.720p.HDTV.x264-GRP", season(*MYTHBUSTERS, 2014), 8.0,
              expect={"title": "MythBusters", "seasons": (2014,)}),
    # "Season 2014" stays a title and year: it is as often a film's as a year-named season's.
    SceneName(SEASON, "The.Last.Season.2014.1080p.WEB-DL.x264-GRP",
              movie("The Last Season", 2014), 5.0,
              expect={"title": "The Last Season", "year": 2014, "seasons": ()}),
    SceneName(SEASON, "MythBusters.S2013.720p.HDTV.x264-GRP", season(*MYTHBUSTERS, 2014), 8.0,
              right=False, expect={"seasons": (2013,)}),
    SceneName(SEASON, "MythBusters.S2014-S2016.720p.HDTV.x264-GRP", season(*MYTHBUSTERS, 2014),
              24.0, right=False, expect={"seasons": (2014, 2015, 2016)}),
    SceneName(SEASON, "Gomorra.Stagione.1-3.1080p.WEB-DL.ITA.x264-GRP",
              season("Gomorrah", 2014, 1, "Gomorra"), 50.0, right=False,
              expect={"title": "Gomorra", "seasons": (1, 2, 3)}),
    SceneName(SEASON, "Dix.Pour.Cent.Saison.1.a.3.FRENCH.1080p.WEB.x264-GRP",
              season("Call My Agent!", 2015, 1, "Dix pour cent"), 30.0, right=False,
              expect={"seasons": (1, 2, 3)}),
    SceneName(SEASON, "Babylon.Berlin.Staffel.1.bis.3.German.DL.1080p.BluRay.x264-GRP",
              season("Babylon Berlin", 2017, 2), 55.0, right=False,
              expect={"seasons": (1, 2, 3)}),
    SceneName(SEASON, "Dark.Staffel.2.Folge.4.German.DL.1080p.WEB.x264-GRP",
              season("Dark", 2017, 2), 12.0, right=False, expect={"seasons": (2,)}),
    SceneName(SEASON, "Gomorra.Stagione.2.Episodio.3.1080p.WEB-DL.ITA.x264-GRP",
              season("Gomorrah", 2014, 2, "Gomorra"), 12.0, right=False,
              expect={"title": "Gomorra", "seasons": (2,)}),
    SceneName(SEASON, "Bron.Broen.Sasong.2.Avsnitt.3.720p.HDTV.x264-GRP",
              season("The Bridge", 2011, 2, "Bron/Broen"), 9.0, right=False),
    SceneName(SEASON, "[Group] Made in Abyss Season 2 - 05 [1080p]",
              season("Made in Abyss", 2017, 2), 1.4, right=False, expect={"seasons": (2,)}),
    SceneName(SEASON, "Dark.Season.1.E02.1080p.WEB.x264-GRP", season("Dark", 2017, 1), 1.5,
              right=False, expect={"seasons": (1,)}),
    SceneName(SEASON, "Dark.Staffel.1.German.DL.1080p.WEB.x264-GRP", season("Dark", 2017, 1),
              12.0, expect={"title": "Dark", "seasons": (1,)}),
    SceneName(SEASON, "Bron.Broen.Sasong.2.720p.HDTV.x264-GRP",
              season("The Bridge", 2011, 2, "Bron/Broen"), 9.0, expect={"seasons": (2,)}),
    # Names parsett always read right: they must stay that way.
    SceneName(CONTROL, "The.Lion.King.2019.1080p.BluRay.x264-SPARKS", movie("The Lion King", 2019)),
    SceneName(CONTROL, "Severance.S02.1080p.ATVP.WEB-DL.DDP5.1.H.264-GRP",
              season("Severance", 2022, 2), 30.0),
    SceneName(CONTROL, "Dune.2021.MULTi.1080p.BluRay.x264-GRP", movie("Dune", 2021)),
    SceneName(CONTROL, "Das.Boot.1981.German.DL.1080p.BluRay.x264-GRP", movie("Das Boot", 1981)),
    SceneName(CONTROL, "Nosferatu (1922) [1080p] BluRay x264", movie("Nosferatu", 1922)),
]  # fmt: skip
