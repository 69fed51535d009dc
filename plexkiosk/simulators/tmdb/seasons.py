"""The TMDB simulator's seasons: catalogue seasons, seasons on the air, their JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

EPISODES_PER_SEASON = 8  # every catalogue season; an AiringSeason says its own count
EPISODE_RUNTIME = 45  # minutes


@dataclass(frozen=True)
class AiringSeason:
    """A season on the air: episode k airs at `start + (k - 1) * every`, by the server's clock.

    TMDB's air dates are days. With `every` of a day or more the simulator serves each
    episode's own day, as TMDB does. With a shorter `every` (a season airing in minutes, for
    the demo and tests) a day cannot say when an episode airs, so an episode is served with
    its scheduled day until that moment and with the day two days before it from then on:
    two days back is the latest day that a client waiting for the end of the air day plus a
    one-day margin counts as aired, so such a client sees each episode air on schedule.
    """

    tv_id: int
    season_number: int
    start: datetime
    every: timedelta
    episodes: int = EPISODES_PER_SEASON

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("AiringSeason.start must be an aware datetime.")
        if self.every <= timedelta(0):
            raise ValueError("AiringSeason.every must be positive.")
        if self.season_number < 1 or self.episodes < 1:
            raise ValueError("An airing season needs a season number and episodes from 1.")

    def airs_at(self, episode_number: int) -> datetime:
        """Return the moment an episode airs."""
        return self.start + (episode_number - 1) * self.every

    def air_date(self, episode_number: int, now: datetime) -> date:
        """Return the day served for an episode at `now` (see the class docstring)."""
        moment = self.airs_at(episode_number).astimezone(UTC)
        if self.every >= timedelta(days=1) or moment > now:
            return moment.date()
        return moment.date() - timedelta(days=2)


def _episode(show_id: int, season: int, number: int, air_date: date | None) -> dict[str, Any]:
    return {
        "air_date": air_date.isoformat() if air_date else None,
        "episode_number": number,
        "episode_type": "standard",
        "id": show_id * 10000 + season * 100 + number,
        "name": f"Episode {number}",
        "overview": "",
        "production_code": "",
        "runtime": EPISODE_RUNTIME,
        "season_number": season,
        "show_id": show_id,
        "still_path": None,
        "vote_average": 0.0,
        "vote_count": 0,
    }


def _catalogue_season(show: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """Return a finished catalogue season: weekly episodes from January 1st of its year."""
    first = date(int(show["first_air_date"][:4]) + max(number - 1, 0), 1, 1)
    return [
        _episode(show["id"], number, k, first + timedelta(weeks=k - 1))
        for k in range(1, EPISODES_PER_SEASON + 1)
    ]


def _season_air_date(episodes: list[dict[str, Any]]) -> str | None:
    """Return the first air date among a season's episodes, as TMDB lists a season's."""
    dated = [e.get("air_date") for e in episodes if isinstance(e, dict)]
    found = sorted(d for d in dated if isinstance(d, str) and d)
    return found[0] if found else None


def _next_and_last(
    seasons: dict[int, list[dict[str, Any]]], today: date
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Return the last episode aired before today and the next one (None when none)."""
    dated = [
        (date.fromisoformat(e["air_date"]), n, e)
        for n, episodes in seasons.items()
        if n > 0
        for e in episodes
        if isinstance(e, dict) and _iso_date(e.get("air_date")) is not None
    ]
    # Bad data served on demand may carry any episode number: sort by the day and season.
    dated.sort(key=lambda row: (row[0], row[1]))
    last = [e for day, _, e in dated if day < today]
    coming = [e for day, _, e in dated if day >= today]
    return (last[-1] if last else None), (coming[0] if coming else None)


def _iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _season_summary(show: dict[str, Any], number: int, episodes: list[Any]) -> dict[str, Any]:
    """Describe a season as both the show's details and the season endpoint do."""
    return {
        "air_date": _season_air_date(episodes),
        "id": show["id"] * 100 + number,
        "name": f"Season {number}" if number else "Specials",
        "overview": "",
        "poster_path": f"/sim{show['id']}s{number}.jpg",
        "season_number": number,
        "vote_average": 0.0,
    }


def _season_details(show: dict[str, Any], number: int, episodes: list[Any]) -> dict[str, Any]:
    return {
        "_id": f"sim{show['id']}s{number}",
        **_season_summary(show, number, episodes),
        "episodes": episodes,
    }
