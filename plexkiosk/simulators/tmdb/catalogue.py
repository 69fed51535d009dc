"""The TMDB simulator's catalogue: movies, shows, people, cast, and some French titles."""

from __future__ import annotations

from typing import Any


def _movie(
    tmdb_id: int,
    title: str,
    release_date: str,
    imdb_id: str | None,
    overview: str,
    *,
    popularity: float,
    original_title: str = "",
    original_language: str = "en",
    poster: bool = True,
    alternative_titles: tuple[tuple[str, str], ...] = (),
    countries: tuple[str, ...] = ("US",),
) -> dict[str, Any]:
    return {
        "alternative_titles": alternative_titles,
        "countries": countries,
        "id": tmdb_id,
        "title": title,
        "original_title": original_title or title,
        "original_language": original_language,
        "release_date": release_date,
        "imdb_id": imdb_id,
        "overview": overview,
        "popularity": popularity,
        "poster_path": f"/sim{tmdb_id}m.jpg" if poster else None,
        "backdrop_path": f"/sim{tmdb_id}mb.jpg" if poster else None,
    }


def _show(
    tmdb_id: int,
    name: str,
    first_air_date: str,
    imdb_id: str | None,
    tvdb_id: int | None,
    seasons: int,
    overview: str,
    *,
    popularity: float,
    origin_country: str = "US",
    specials: bool = True,
    original_name: str = "",
    original_language: str = "en",
    alternative_titles: tuple[tuple[str, str], ...] = (),
    ended: bool = False,
) -> dict[str, Any]:
    return {
        "alternative_titles": alternative_titles,
        "ended": ended,
        "id": tmdb_id,
        "name": name,
        "original_name": original_name or name,
        "original_language": original_language,
        "first_air_date": first_air_date,
        "imdb_id": imdb_id,
        "tvdb_id": tvdb_id,
        "number_of_seasons": seasons,
        "specials": specials,
        "overview": overview,
        "popularity": popularity,
        "origin_country": [origin_country],
        "poster_path": f"/sim{tmdb_id}t.jpg",
        "backdrop_path": f"/sim{tmdb_id}tb.jpg",
    }


# Real TMDB/IMDb/TVDB ids where they are well known; the overviews are short paraphrases.
# fmt: off
MOVIES: list[dict[str, Any]] = [
    _movie(438631, "Dune", "2021-09-15", "tt1160419",
           "Paul Atreides, a brilliant young man, travels to Arrakis, the most dangerous "
           "planet in the universe, to secure his family's future.", popularity=98.1),
    _movie(841, "Dune", "1984-12-14", "tt0087182",
           "In the year 10,191 the spice melange is the most precious substance in the "
           "universe, and it is found only on the desert planet Arrakis.", popularity=31.4),
    _movie(693134, "Dune: Part Two", "2024-02-27", "tt15239678",
           "Paul Atreides unites with Chani and the Fremen while on a path of revenge "
           "against those who destroyed his family.", popularity=120.5),
    # Announced, not yet dated: no release date, no poster and no IMDb id yet, as TMDB
    # shows such titles (the id is illustrative).
    _movie(1170608, "Dune: Part Three", "", None,
           "The third chapter of the Dune saga.", popularity=40.2, poster=False),
    _movie(78, "Blade Runner", "1982-06-25", "tt0083658",
           "In 2019 Los Angeles, a blade runner must pursue and terminate four replicants "
           "who stole a ship in space and returned to Earth.", popularity=45.0),
    _movie(335984, "Blade Runner 2049", "2017-10-04", "tt1856101",
           "Thirty years after the first film, a new blade runner unearths a secret that "
           "could plunge what is left of society into chaos.", popularity=60.3),
    _movie(346364, "It", "2017-09-06", "tt1396484",
           "In a small town in Maine, seven children known as The Losers Club come face to "
           "face with a shape-shifting evil.", popularity=70.8),
    _movie(474350, "It Chapter Two", "2019-09-04", "tt7349950",
           "Twenty-seven years after the Losers Club defeated Pennywise, he returns to "
           "Derry and they must keep their promise.", popularity=50.2),
    _movie(14161, "2012", "2009-10-10", "tt1190080",
           "Dr. Adrian Helmsley discovers that the Earth's core is heating up and warns "
           "that the world is coming to an end.", popularity=40.6),
    _movie(603, "The Matrix", "1999-03-31", "tt0133093",
           "A computer hacker learns that the world he lives in is a simulation and joins "
           "the rebellion against its controllers.", popularity=80.0),
    _movie(27205, "Inception", "2010-07-15", "tt1375666",
           "A thief who steals secrets through dream-sharing is offered a chance to have "
           "his past erased: plant an idea instead.", popularity=85.4),
    _movie(157336, "Interstellar", "2014-11-05", "tt0816692",
           "A team of explorers travels through a wormhole in search of a new home for "
           "humanity.", popularity=90.7),
    _movie(329865, "Arrival", "2016-11-10", "tt2543164",
           "A linguist is recruited to communicate with the extraterrestrials whose ships "
           "have landed around the world.", popularity=35.9),
    _movie(194, "Amélie", "2001-04-25", "tt0211915",
           "A shy waitress in Montmartre decides to change the lives of the people around "
           "her, and struggles with her own isolation.", popularity=30.1,
           original_title="Le Fabuleux Destin d'Amélie Poulain", original_language="fr",
           countries=("FR", "DE"),
           alternative_titles=(("US", "Amelie"), ("FR", "Amélie Poulain"))),
    _movie(129, "Spirited Away", "2001-07-20", "tt0245429",
           "A young girl wanders into a world ruled by gods, witches and spirits, where "
           "humans are changed into beasts.", popularity=65.2,
           original_title="千と千尋の神隠し", original_language="ja", countries=("JP",),
           alternative_titles=(("JP", "Sen to Chihiro no Kamikakushi"),
                               ("DE", "Chihiros Reise ins Zauberland"))),
    _movie(120, "The Lord of the Rings: The Fellowship of the Ring", "2001-12-18", "tt0120737",
           "A young hobbit and eight companions set out to destroy the One Ring.",
           popularity=88.8),
    _movie(496243, "Parasite", "2019-05-30", "tt6751668",
           "All unemployed, Ki-taek's family takes a peculiar interest in the wealthy "
           "Park family.", popularity=55.5, original_title="기생충", original_language="ko",
           countries=("KR",),
           alternative_titles=(("KR", "Gisaengchung"),)),
    _movie(348, "Alien", "1979-05-25", "tt0078748",
           "The crew of the commercial spacecraft Nostromo answers a distress call and "
           "meets a deadly life form.", popularity=42.3),
    _movie(872585, "Oppenheimer", "2023-07-19", "tt15398776",
           "The story of J. Robert Oppenheimer and the making of the atomic bomb.",
           popularity=75.6),
    _movie(346648, "Paddington 2", "2017-11-09", "tt4468740",
           "Paddington takes odd jobs to buy the perfect present for Aunt Lucy, until it "
           "is stolen.", popularity=25.4, countries=("GB", "FR", "US")),
    _movie(862, "Toy Story", "1995-11-22", "tt0114709",
           "Woody, a cowboy doll, feels threatened when Buzz Lightyear becomes the "
           "favourite toy.", popularity=70.1),
    _movie(278, "The Shawshank Redemption", "1994-09-23", "tt0111161",
           "Imprisoned for a double murder he did not commit, a banker finds hope and "
           "friendship in Shawshank prison.", popularity=95.0),
]

SHOWS: list[dict[str, Any]] = [
    _show(2316, "The Office", "2005-03-24", "tt0386676", 73244, 9,
          "The everyday lives of office employees at the Scranton branch of Dunder Mifflin.",
          popularity=150.2, ended=True),
    _show(2996, "The Office", "2001-07-09", "tt0290978", 78107, 2,
          "The employees of Wernham Hogg in Slough, and their manager David Brent.",
          popularity=30.5, origin_country="GB", ended=True),
    _show(1396, "Breaking Bad", "2008-01-20", "tt0903747", 81189, 5,
          "A chemistry teacher diagnosed with cancer turns to making methamphetamine to "
          "secure his family's future.", popularity=200.3, ended=True),
    _show(95396, "Severance", "2022-02-17", "tt11280740", 371980, 2,
          "Mark leads a team of office workers whose memories are surgically divided "
          "between their work and personal lives.", popularity=110.9, specials=False),
    # TMDB lists the 1990 adaptation of It as a two-part miniseries.
    _show(19614, "It", "1990-11-18", "tt0099864", 78893, 1,
          "In 1960, seven outcast kids fight an evil demon who poses as a clown; thirty "
          "years later they return to finish it.", popularity=20.4, specials=False, ended=True),
    _show(90228, "Dune: Prophecy", "2024-11-17", "tt10466872", 367935, 1,
          "Ten thousand years before Paul Atreides, two Harkonnen sisters found the "
          "Bene Gesserit.", popularity=80.5, specials=False),
    _show(1399, "Game of Thrones", "2011-04-17", "tt0944947", 121361, 8,
          "Nine noble families fight for control of the lands of Westeros.",
          popularity=300.1, ended=True),
    _show(66732, "Stranger Things", "2016-07-15", "tt4574334", 305288, 5,
          "When a young boy vanishes, a small town uncovers secret experiments and "
          "supernatural forces.", popularity=250.7),
    _show(100088, "The Last of Us", "2023-01-15", "tt3581920", 392256, 2,
          "Joel and Ellie cross a post-apocalyptic United States.", popularity=190.4),
    _show(87108, "Chernobyl", "2019-05-06", "tt7366338", 360893, 1,
          "The true story of the 1986 nuclear disaster and the people who saved Europe.",
          popularity=60.8, specials=False, ended=True),
    _show(82728, "Bluey", "2018-10-01", "tt7678620", 353546, 3,
          "Bluey, a six-year-old Blue Heeler dog, turns everyday family life into "
          "adventures.", popularity=130.0, origin_country="AU"),
]

# What TMDB answers some titles with under `language=fr-FR`; the others keep their
# English title and overview, as TMDB falls back when a translation is missing.
FRENCH: dict[tuple[str, int], tuple[str, str]] = {
    ("movie", 438631): ("Dune",
        "Paul Atreides, jeune homme brillant, doit se rendre sur Arrakis, la planète la "
        "plus dangereuse de l'univers, pour assurer l'avenir de sa famille."),
    ("movie", 693134): ("Dune : Deuxième partie",
        "Paul Atreides s'unit à Chani et aux Fremen pour venger la destruction de sa "
        "famille."),
    ("movie", 603): ("Matrix",
        "Un pirate informatique découvre que le monde où il vit est une simulation et "
        "rejoint la rébellion contre ceux qui la contrôlent."),
    ("movie", 129): ("Le Voyage de Chihiro",
        "Une fillette s'égare dans un monde de dieux, de sorcières et d'esprits, où les "
        "humains sont changés en bêtes."),
    ("movie", 278): ("Les Évadés",
        "Condamné pour un double meurtre qu'il n'a pas commis, un banquier trouve "
        "l'espoir et l'amitié dans la prison de Shawshank."),
    ("movie", 120): ("Le Seigneur des anneaux : La Communauté de l'anneau",
        "Un jeune hobbit et huit compagnons partent détruire l'Anneau unique."),
    ("movie", 194): ("Le Fabuleux Destin d'Amélie Poulain",
        "Une serveuse timide de Montmartre décide de changer la vie de ceux qui "
        "l'entourent, et se bat contre sa propre solitude."),
    ("tv", 1396): ("Breaking Bad",
        "Un professeur de chimie atteint d'un cancer se met à fabriquer de la "
        "méthamphétamine pour assurer l'avenir de sa famille."),
    ("tv", 1399): ("Le Trône de fer",
        "Neuf familles nobles se disputent le contrôle des terres de Westeros."),
}
GENRES_FR = {878: "Science-Fiction", 12: "Aventure", 18: "Drame"}

PEOPLE: list[dict[str, Any]] = [
    {"id": 137427, "name": "Denis Villeneuve", "popularity": 12.0,
     "known_for_department": "Directing", "profile_path": None},
    {"id": 578, "name": "Ridley Scott", "popularity": 10.5,
     "known_for_department": "Directing", "profile_path": None},
]
# fmt: on

# Billing order as TMDB lists it; other titles get numbered stand-ins.
CAST: dict[int, tuple[tuple[str, str], ...]] = {
    438631: (("Timothée Chalamet", "Paul Atreides"), ("Rebecca Ferguson", "Lady Jessica"),
             ("Oscar Isaac", "Duke Leto Atreides"), ("Josh Brolin", "Gurney Halleck"),
             ("Stellan Skarsgård", "Baron Vladimir Harkonnen"), ("Dave Bautista", "Rabban"),
             ("Zendaya", "Chani"), ("Jason Momoa", "Duncan Idaho"),
             ("Javier Bardem", "Stilgar"), ("Charlotte Rampling", "Reverend Mother Mohiam")),
    1396: (("Bryan Cranston", "Walter White"), ("Aaron Paul", "Jesse Pinkman"),
           ("Anna Gunn", "Skyler White"), ("RJ Mitte", "Walter White Jr."),
           ("Dean Norris", "Hank Schrader"), ("Betsy Brandt", "Marie Schrader"),
           ("Bob Odenkirk", "Saul Goodman"), ("Jonathan Banks", "Mike Ehrmantraut"),
           ("Giancarlo Esposito", "Gus Fring")),
}  # fmt: skip
