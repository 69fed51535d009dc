"""Real-looking release names in the issue's traps, each with the verdict a careful person gives.

A row is (release name, size in GB, seeders, expected): expected is None when the release
is acceptable, else a fragment of the reason it must be rejected with. Each scenario names
the release that must be chosen (None: nothing acceptable, search again later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from downloads.releases import MediaQuery, Release

GB = 1_000_000_000


@dataclass(frozen=True)
class Scenario:
    """A query, what the indexers answered, and what must come out."""

    id: str
    query: dict[str, Any]
    rows: list[tuple[str, float, int, str | None]]
    chosen: str | None

    def media_query(self) -> MediaQuery:
        """Return the query as the ranking takes it."""
        return MediaQuery.from_dict(self.query)

    def releases(self) -> list[Release]:
        """Return the rows as releases."""
        return [Release(title=t, size=int(gb * GB), seeders=s) for t, gb, s, _ in self.rows]


SCENARIOS = [
    Scenario(
        "remake: the 2019 Lion King, not the 1994 one",
        {"media_type": "movie", "title": "The Lion King", "year": 2019},
        [
            ("The.Lion.King.1994.1080p.BluRay.x264-CiNEFiLE", 8.7, 950, "year 1994 ≠ 2019"),
            ("The.Lion.King.1994.2160p.UHD.BluRay.x265-TERMINAL", 17.9, 310, "year 1994 ≠ 2019"),
            ("The.Lion.King.2019.1080p.BluRay.x264-SPARKS", 10.9, 420, None),
            ("The.Lion.King.2019.2160p.UHD.BluRay.x265.10bit.HDR-TERMINAL", 18.4, 260, None),
            ("The.Lion.King.2019.720p.WEB-DL.DD5.1.H264-FGT", 3.9, 150, None),
            ("The.Lion.King.II.Simbas.Pride.1998.1080p.BluRay.x264-CiNEFiLE", 6.6, 60, "title"),
            ("The.Lion.King.1.1-2.2004.1080p.BluRay.x264-CiNEFiLE", 6.6, 40, "title"),
        ],
        "The.Lion.King.2019.1080p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "remake: the 1984 Dune when 1984 is asked",
        {"media_type": "movie", "title": "Dune", "year": 1984},
        [
            ("Dune.2021.1080p.BluRay.x264-GECKOS", 11.2, 2300, "year 2021 ≠ 1984"),
            ("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 6.4, 1890, "title"),
            ("Dune.1984.Extended.Edition.1080p.BluRay.x264-HDEX", 14.3, 35, None),
            ("Dune.1984.720p.BluRay.x264-SiNNERS", 4.4, 18, None),
            ("Dune.1985.1080p.WEB-DL.x264", 5.0, 12, None),  # ±1 year: release-date slips
        ],
        "Dune.1984.Extended.Edition.1080p.BluRay.x264-HDEX",
    ),
    Scenario(
        "sequels: Alien is not Aliens, Alien 3 or Covenant",
        {"media_type": "movie", "title": "Alien", "year": 1979},
        [
            ("Aliens.1986.Special.Edition.1080p.BluRay.x264-AMIABLE", 13.1, 800, "title"),
            ("Alien.3.1992.1080p.BluRay.x264-AMIABLE", 9.9, 300, "title"),
            ("Alien.Covenant.2017.1080p.BluRay.x264-SPARKS", 10.9, 700, "title"),
            ("Alien.Resurrection.1997.1080p.BluRay.x264-AMIABLE", 9.8, 200, "title"),
            ("Alien.Romulus.2024.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 6.1, 3100, "title"),
            ("Alien.1979.Directors.Cut.1080p.BluRay.x264-AMIABLE", 10.4, 260, None),
            ("Alien.1979.REMASTERED.720p.BluRay.x264-SiNNERS", 5.5, 90, None),
        ],
        "Alien.1979.Directors.Cut.1080p.BluRay.x264-AMIABLE",
    ),
    Scenario(
        "short title: It (2017), not It Chapter Two, It Follows or the 1990 It",
        {"media_type": "movie", "title": "It", "year": 2017},
        [
            ("It.Chapter.Two.2019.1080p.BluRay.x264-SPARKS", 11.0, 1500, "title"),
            ("It.Follows.2014.1080p.BluRay.x264-SPARKS", 7.7, 400, "title"),
            ("It.1990.1080p.BluRay.x264-PSYCHD", 10.0, 150, "year 1990 ≠ 2017"),
            ("It.Comes.at.Night.2017.1080p.BluRay.x264-DRONES", 6.6, 120, "title"),
            ("It.2017.HDCAM.x264-SUNSCREEN", 1.5, 3000, "CAM"),
            ("It.2017.1080p.WEB-DL.DD5.1.H264-FGT", 4.9, 900, None),
            ("It.2017.1080p.BluRay.x264-SPARKS", 10.9, 620, None),
        ],
        "It.2017.1080p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "numeric title: 2012 (2009), whose name is a year",
        {"media_type": "movie", "title": "2012", "year": 2009},
        [
            ("2012.2009.1080p.BluRay.x264-METiS", 11.5, 330, None),
            ("2012.2009.720p.BluRay.x264-METiS", 5.5, 120, None),
            ("2012.Doomsday.2008.DVDRip.XviD-VoMiT", 0.7, 8, "title"),
            ("2012.Supernova.2009.1080p.WEB-DL.x264", 3.1, 15, "title"),
            ("2012.1080p.BluRay.x264-NOYEAR", 8.8, 500, "no year in name"),
        ],
        "2012.2009.1080p.BluRay.x264-METiS",
    ),
    Scenario(
        "same title, three films: Halloween (2018), not 1978 or Halloween Kills",
        {"media_type": "movie", "title": "Halloween", "year": 2018},
        [
            ("Halloween.1978.REMASTERED.1080p.BluRay.x264-SADPANDA", 9.0, 300, "year 1978 ≠ 2018"),
            ("Halloween.2007.Unrated.Directors.Cut.1080p.BluRay.x264-HD1080", 9.9, 80, "year 2007"),
            ("Halloween.Kills.2021.1080p.WEB-DL.DDP5.1.H.264-EVO", 5.2, 900, "title"),
            ("Halloween.Ends.2022.1080p.WEB-DL.DDP5.1.H.264-EVO", 5.0, 800, "title"),
            ("Halloween.2018.1080p.BluRay.x264-SPARKS", 8.8, 250, None),
        ],
        "Halloween.2018.1080p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "prequel with the same title: The Thing (1982), not the 2011 prequel",
        {"media_type": "movie", "title": "The Thing", "year": 1982},
        [
            ("The.Thing.2011.1080p.BluRay.x264-SPARKS", 8.0, 500, "year 2011 ≠ 1982"),
            ("The.Thing.1982.1080p.BluRay.x264-AMIABLE", 8.7, 120, None),
        ],
        "The.Thing.1982.1080p.BluRay.x264-AMIABLE",
    ),
    Scenario(
        "very short titles: Us is not Us and Them, 300 is not Rise of an Empire",
        {"media_type": "movie", "title": "Us", "year": 2019},
        [
            ("Us.and.Them.2018.1080p.WEB-DL.x264", 4.0, 90, "title"),
            ("Us.2019.1080p.BluRay.x264-SPARKS", 8.8, 600, None),
        ],
        "Us.2019.1080p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "numeric title with a sequel: 300",
        {"media_type": "movie", "title": "300", "year": 2006},
        [
            ("300.Rise.of.an.Empire.2014.1080p.BluRay.x264-SPARKS", 7.9, 700, "title"),
            ("300.2006.1080p.BluRay.x264-HDMI", 8.0, 200, None),
        ],
        "300.2006.1080p.BluRay.x264-HDMI",
    ),
    Scenario(
        "numeric title: 1917 (2019)",
        {"media_type": "movie", "title": "1917", "year": 2019},
        [
            ("1917.2019.1080p.BluRay.x264-SPARKS", 10.9, 700, None),
            ("1917.2019.DVDSCR.x264-ETRG", 1.1, 2000, "screener"),
        ],
        "1917.2019.1080p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "year inside the title: Blade Runner 2049",
        {"media_type": "movie", "title": "Blade Runner 2049", "year": 2017},
        [
            ("Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS", 15.4, 900, None),
            ("Blade.Runner.2049.2017.2160p.UHD.BluRay.x265-TERMINAL", 19.8, 300, None),
            ("Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-DON", 12.0, 400, "title"),
            ("Blade.Runner.2049.1080p.WEB-DL.x264", 5.0, 300, "no year in name"),
        ],
        "Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "year inside the title, the other way: Blade Runner (1982) is not 2049",
        {"media_type": "movie", "title": "Blade Runner", "year": 1982},
        [
            ("Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS", 15.4, 900, "title"),
            ("Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-DON", 12.0, 400, None),
        ],
        "Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-DON",
    ),
    Scenario(
        "sequel sharing the start: Top Gun is not Top Gun Maverick",
        {"media_type": "movie", "title": "Top Gun", "year": 1986},
        [
            ("Top.Gun.Maverick.2022.1080p.WEBRip.x264-RARBG", 2.4, 5000, "title"),
            ("Top.Gun.1986.REMASTERED.1080p.BluRay.x264-BLOW", 10.1, 150, None),
        ],
        "Top.Gun.1986.REMASTERED.1080p.BluRay.x264-BLOW",
    ),
    Scenario(
        "punctuation and accents: Spider-Man and Amélie match their dotted names",
        {"media_type": "movie", "title": "Spider-Man: Across the Spider-Verse", "year": 2023},
        [
            (
                "Spider-Man.Across.the.Spider-Verse.2023.1080p.WEB-DL.DDP5.1.H.264-FLUX",
                6.8,
                900,
                None,
            ),
            ("Spider.Man.Across.The.Spider.Verse.2023.2160p.WEB-DL.x265-NOGRP", 14.0, 300, None),
            ("Spider-Man.Into.the.Spider-Verse.2018.1080p.BluRay.x264-SPARKS", 9.0, 700, "title"),
        ],
        "Spider-Man.Across.the.Spider-Verse.2023.1080p.WEB-DL.DDP5.1.H.264-FLUX",
    ),
    Scenario(
        "theatre rips and screeners are never taken, even with thousands of seeders",
        {"media_type": "movie", "title": "Oppenheimer", "year": 2023},
        [
            ("Oppenheimer.2023.CAM.x264-SUNSCREEN", 1.4, 9000, "CAM"),
            ("Oppenheimer.2023.NEW.HDCAM.x264-SUNSCREEN", 2.1, 8000, "CAM"),
            ("Oppenheimer.2023.TS.x264-SUNSCREEN", 1.6, 7000, "TELESYNC"),
            ("Oppenheimer.2023.HDTS.1080p.x264-SUNSCREEN", 2.6, 6500, "TELESYNC"),
            ("Oppenheimer.2023.TELESYNC.XviD-AQOS", 1.4, 6000, "TELESYNC"),
            ("Oppenheimer.2023.TC.x264-AQOS", 1.4, 5000, "TELECINE"),
            ("Oppenheimer.2023.TELECINE.x264-AQOS", 1.4, 4000, "TELECINE"),
            ("Oppenheimer.2023.SCR.x264-AQOS", 1.4, 3000, "screener"),
            ("Oppenheimer.2023.DVDSCR.x264-AQOS", 1.4, 2500, "screener"),
            ("Oppenheimer.2023.1080p.BluRay.x264-PiGNUS", 14.1, 35, None),
        ],
        "Oppenheimer.2023.1080p.BluRay.x264-PiGNUS",
    ),
    Scenario(
        "fakes by size: a 300 MB 1080p, a 1 GB 2160p, an 84 GB remux",
        {"media_type": "movie", "title": "Barbie", "year": 2023},
        [
            ("Barbie.2023.1080p.WEB-DL.x264", 0.3, 4000, "too small for 1080p"),
            ("Barbie.2023.2160p.WEB-DL.x265", 1.1, 3000, "too small for 2160p"),
            (
                "Barbie.2023.2160p.UHD.BluRay.REMUX.HDR.HEVC.TrueHD.7.1.Atmos-FGT",
                84.0,
                200,
                "size 84 GB > 20 GB",
            ),
            ("Barbie.2023.720p.WEB-DL.x264", 0.2, 900, "too small for 720p"),
            ("Barbie.2023.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 6.2, 150, None),
        ],
        "Barbie.2023.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX",
    ),
    Scenario(
        "no seeders, samples, 3D, hard subs, AI upscales and executables are rejected",
        {"media_type": "movie", "title": "Avatar", "year": 2009},
        [
            ("Avatar.2009.EXTENDED.1080p.BluRay.x264-CiNEFiLE", 14.0, 0, "no seeders"),
            ("Avatar.2009.1080p.BluRay.x264.Sample-CiNEFiLE", 0.8, 40, "sample"),
            ("Avatar.2009.3D.HSBS.1080p.BluRay.x264-Ganool", 8.0, 300, "3D"),
            ("Avatar.2009.1080p.3D.Half-OU.BluRay.x264-FLAME", 8.0, 250, "3D"),
            ("Avatar.2009.1080p.HC.WEBRip.x264", 2.0, 900, "hard-coded subtitles"),
            ("Avatar.2009.KORSUB.1080p.HDRip.x264", 2.0, 800, "hard-coded subtitles"),
            ("Avatar.2009.1080p.WEB-DL.HardSubs.x264", 2.0, 700, "hard-coded subtitles"),
            ("Avatar.2009.2160p.AI.Upscale.x265", 9.0, 600, "AI upscale"),
            ("Avatar.2009.4K.Upscaled.HDR.x265", 9.0, 500, "AI upscale"),
            ("Avatar.2009.1080p.BluRay.x264.mkv.exe", 1.2, 2000, "executable"),
            ("Avatar.2009.720p.BluRay.x264-SPARKS", 4.4, 3, None),
        ],
        "Avatar.2009.720p.BluRay.x264-SPARKS",
    ),
    Scenario(
        "nothing acceptable: the answer is nothing, never a bad grab",
        {"media_type": "movie", "title": "Wicked", "year": 2024},
        [
            ("Wicked.2024.HDCAM.x264-SUNSCREEN", 1.9, 12000, "CAM"),
            ("Wicked.2024.1080p.HDTS.x264", 2.2, 9000, "TELESYNC"),
            ("Wicked.2024.1080p.WEB-DL.x264", 0.4, 5000, "too small for 1080p"),
            ("Wicked.Part.Two.2025.1080p.WEB-DL.x264", 5.0, 100, "title"),
            ("Wicked.2024.1080p.WEB-DL.DDP5.1.H.264-FLUX", 6.0, 0, "no seeders"),
        ],
        None,
    ),
    Scenario(
        "REPACK fixes a broken release: it wins over the same release",
        {"media_type": "movie", "title": "The Batman", "year": 2022},
        [
            ("The.Batman.2022.1080p.WEB-DL.DDP5.1.Atmos.H.264-CMRG", 7.0, 500, None),
            ("The.Batman.2022.REPACK.1080p.WEB-DL.DDP5.1.Atmos.H.264-CMRG", 7.0, 480, None),
            ("The.Batman.2022.1080p.BluRay.x264-PiGNUS", 12.0, 40, None),
        ],
        # REPACK is a small bonus: BluRay still beats WEB-DL.
        "The.Batman.2022.1080p.BluRay.x264-PiGNUS",
    ),
    Scenario(
        "below 720p only when nothing else is acceptable",
        {"media_type": "movie", "title": "Nosferatu", "year": 1922},
        [
            ("Nosferatu.1922.DVDRip.XviD-KINO", 0.75, 12, None),
            ("Nosferatu.1922.576p.BluRay.x264-HANDJOB", 2.1, 6, None),
            ("Nosferatu.1922.1080p.BluRay.x264", 0.4, 100, "too small for 1080p"),
        ],
        "Nosferatu.1922.576p.BluRay.x264-HANDJOB",
    ),
    Scenario(
        "season pack: exactly season 2, not an episode, another season or the whole show",
        {"media_type": "tv", "title": "Breaking Bad", "year": 2008, "season": 2},
        [
            ("Breaking.Bad.S02.1080p.BluRay.x264-ROVERS", 26.3, 150, None),
            ("Breaking.Bad.Season.2.Complete.720p.BluRay.x264-DEMAND", 13.0, 80, None),
            ("Breaking.Bad.S02E05.720p.HDTV.x264-CTU", 0.35, 400, "episode S02E05"),
            ("Breaking.Bad.S02E01-E03.1080p.BluRay.x264-ROVERS", 3.2, 60, "episode"),
            ("Breaking.Bad.S03.1080p.BluRay.x264-ROVERS", 27.1, 120, "season 3 ≠ 2"),
            ("Breaking.Bad.S01-S05.Complete.1080p.BluRay.x264-ROVERS", 140.0, 900, "multi-season"),
            ("Breaking.Bad.Complete.Series.1080p.BluRay.x265-PSA", 58.0, 700, "complete series"),
            ("El.Camino.A.Breaking.Bad.Movie.2019.1080p.WEB-DL.x264", 5.0, 400, "title"),
            ("Better.Call.Saul.S02.1080p.WEB-DL.DD5.1.H.264-NTb", 20.0, 300, "title"),
        ],
        "Breaking.Bad.S02.1080p.BluRay.x264-ROVERS",
    ),
    Scenario(
        "US and UK versions of a show: The Office (US)",
        {"media_type": "tv", "title": "The Office (US)", "year": 2005, "season": 2},
        [
            ("The.Office.UK.S02.1080p.BluRay.x264-SHORTBREHD", 6.6, 400, "country UK, not US"),
            ("The.Office.US.S02.1080p.WEB-DL.DD5.1.H.264-NTb", 21.4, 120, None),
            ("The.Office.S02.1080p.WEB-DL.DD5.1.H.264-NoTag", 21.0, 121, None),
            ("The.Office.US.S02.720p.BluRay.x264-DEMAND", 12.0, 300, None),
        ],
        # The tagged US pack beats the untagged one with the same counts.
        "The.Office.US.S02.1080p.WEB-DL.DD5.1.H.264-NTb",
    ),
    Scenario(
        "US and UK versions of a show: The Office (UK)",
        {"media_type": "tv", "title": "The Office (UK)", "year": 2001, "season": 1},
        [
            ("The.Office.US.S01.1080p.WEB-DL.DD5.1.H.264-NTb", 6.0, 500, "country US, not UK"),
            ("The.Office.UK.S01.1080p.BluRay.x264-SHORTBREHD", 6.6, 40, None),
        ],
        "The.Office.UK.S01.1080p.BluRay.x264-SHORTBREHD",
    ),
    Scenario(
        "a same-named show from another decade: House of Cards (2013), not the 1990 one",
        {"media_type": "tv", "title": "House of Cards", "year": 2013, "season": 1},
        [
            ("House.of.Cards.1990.S01.720p.BluRay.x264-SHORTBREHD", 3.3, 20, "year 1990 ≠ 2013"),
            ("House.of.Cards.2013.S01.1080p.BluRay.x264-ROVERS", 30.0, 70, None),
        ],
        "House.of.Cards.2013.S01.1080p.BluRay.x264-ROVERS",
    ),
    Scenario(
        "season pack sizes: fakes and monsters",
        {"media_type": "tv", "title": "Game of Thrones", "year": 2011, "season": 8},
        [
            ("Game.of.Thrones.S08.1080p.WEB-DL.x264", 0.9, 3000, "too small for 1080p"),
            (
                "Game.of.Thrones.S08.2160p.UHD.BluRay.REMUX.HDR.HEVC.Atmos-FGT",
                290.0,
                100,
                "> 60 GB",
            ),
            ("Game.of.Thrones.S08E06.1080p.WEB.H264-MEMENTO", 3.0, 5000, "episode S08E06"),
            ("Game.of.Thrones.S08.1080p.BluRay.x264-ROVERS", 28.0, 300, None),
            ("Game.of.Thrones.S08.2160p.UHD.BluRay.x265-SCENE", 55.0, 200, None),
        ],
        "Game.of.Thrones.S08.1080p.BluRay.x264-ROVERS",
    ),
    Scenario(
        "a TV episode is never a movie",
        {"media_type": "movie", "title": "Fargo", "year": 1996},
        [
            ("Fargo.S01.1080p.BluRay.x264-ROVERS", 25.0, 300, "not a movie"),
            ("Fargo.1996.1080p.BluRay.x264-AMIABLE", 8.8, 120, None),
        ],
        "Fargo.1996.1080p.BluRay.x264-AMIABLE",
    ),
    Scenario(
        "dubs in other languages are rejected by the default profile",
        {"media_type": "movie", "title": "Parasite", "year": 2019},
        [
            ("Parasite.2019.Hindi.Dubbed.1080p.WEB-DL.x264", 2.5, 900, "audio Hindi"),
            ("Parasite.2019.FRENCH.1080p.BluRay.x264-LOST", 9.0, 400, "audio French"),
            ("Parasite.2019.1080p.BluRay.x264-CiNEFiLE", 9.5, 200, None),
        ],
        "Parasite.2019.1080p.BluRay.x264-CiNEFiLE",
    ),
]


def all_names() -> list[str]:
    """Return every release name of every scenario (for the benchmark)."""
    return [row[0] for scenario in SCENARIOS for row in scenario.rows]
