"""A show's status, its seasons' episodes and what has aired, against the TMDB simulator."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper

from plexkiosk.simulators.tmdb import (
    DEFAULT_API_KEY,
    AiringSeason,
    TMDBSimulatorServer,
    start_tmdb_simulator,
)
from requests_app import tmdb

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SEVERANCE, BREAKING_BAD = 95396, 1396


class Clock:
    """A clock the test moves by hand, shared by the simulator and the assertions."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def simulator(settings: SettingsWrapper, clock: Clock) -> Iterator[TMDBSimulatorServer]:
    """Start a TMDB simulator on the test's clock and point the client at it."""
    server, base_url = start_tmdb_simulator(clock=clock)
    settings.TMDB_URL = base_url
    settings.TMDB_API_KEY = DEFAULT_API_KEY
    settings.TMDB_TIMEOUT = 2.0
    cache.clear()
    yield server
    server.stop()
    cache.clear()


def numbers(episodes: tuple[tmdb.Episode, ...]) -> list[int]:
    return [e.episode_number for e in episodes]


# --- show_status ---------------------------------------------------------------------


def test_an_ended_show_lists_its_seasons_and_announces_no_next_episode(
    simulator: TMDBSimulatorServer,
) -> None:
    status = tmdb.show_status(BREAKING_BAD)

    assert (status.status, status.in_production) == ("Ended", False)
    assert status.number_of_seasons == 5
    assert [s.season_number for s in status.seasons] == [0, 1, 2, 3, 4, 5]
    assert status.seasons[1] == tmdb.SeasonSummary(1, 8, date(2008, 1, 1))
    assert status.next_episode_to_air is None
    assert status.last_episode_to_air == tmdb.AiringEpisode(5, 8, "Episode 8", date(2012, 2, 19))
    assert (status.origin_country, status.original_language) == (("US",), "en")


def test_a_show_on_the_air_names_its_next_episode_and_moves_on_with_the_clock(
    simulator: TMDBSimulatorServer, clock: Clock
) -> None:
    simulator.air(
        AiringSeason(SEVERANCE, 3, datetime(2026, 11, 17, 2, tzinfo=UTC), timedelta(weeks=1))
    )

    status = tmdb.show_status(SEVERANCE)

    assert (status.status, status.in_production, status.number_of_seasons) == (
        "Returning Series",
        True,
        3,
    )
    assert status.seasons[-1] == tmdb.SeasonSummary(3, 8, date(2026, 11, 17))
    assert status.last_episode_to_air == tmdb.AiringEpisode(3, 2, "Episode 2", date(2026, 11, 24))
    assert status.next_episode_to_air == tmdb.AiringEpisode(3, 3, "Episode 3", date(2026, 12, 1))

    clock.advance(days=7)
    assert tmdb.show_status(SEVERANCE) == status  # cached for the hour
    moved = tmdb.show_status(SEVERANCE, refresh=True)

    assert moved.next_episode_to_air == tmdb.AiringEpisode(3, 4, "Episode 4", date(2026, 12, 8))
    assert simulator.count("/3/tv/95396") == 2


def test_the_status_of_an_unknown_show_is_a_permanent_error_saying_so(
    simulator: TMDBSimulatorServer,
) -> None:
    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.show_status(999999)

    assert (caught.value.temporary, caught.value.status) == (False, 404)
    assert str(caught.value) == "TMDB has no TV show with id 999999."


# --- season ---------------------------------------------------------------------------


def test_a_season_has_its_episodes_in_order_with_air_dates_and_runtimes(
    simulator: TMDBSimulatorServer,
) -> None:
    found = tmdb.season(BREAKING_BAD, 2)

    assert (found.tmdb_id, found.season_number, found.name) == (BREAKING_BAD, 2, "Season 2")
    assert numbers(found.episodes) == list(range(1, 9))
    assert found.episodes[0] == tmdb.Episode(1, "Episode 1", date(2009, 1, 1), 45)
    assert found.episodes[-1].air_date == date(2009, 2, 19)
    assert found.dropped == ()
    assert "/3/tv/1396/season/2?language=en-US&include_image_language=en,null" in (
        simulator.requests
    )


def test_specials_are_season_zero_where_the_show_has_them(simulator: TMDBSimulatorServer) -> None:
    specials = tmdb.season(BREAKING_BAD, 0)

    assert (specials.name, len(specials.episodes)) == ("Specials", 8)
    with pytest.raises(tmdb.TMDBError, match="TMDB has no season 0 of TV show 95396"):
        tmdb.season(SEVERANCE, 0)


def test_a_season_is_cached_until_asked_to_refresh(simulator: TMDBSimulatorServer) -> None:
    tmdb.season(BREAKING_BAD, 1)
    tmdb.season(BREAKING_BAD, 1)
    tmdb.season(BREAKING_BAD, 1, refresh=True)

    assert simulator.count("/3/tv/1396/season/1") == 2


def test_an_unknown_season_is_a_permanent_error_naming_the_season(
    simulator: TMDBSimulatorServer,
) -> None:
    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.season(BREAKING_BAD, 9)

    assert (caught.value.temporary, caught.value.status) == (False, 404)
    assert str(caught.value) == "TMDB has no season 9 of TV show 1396."


def test_a_server_error_on_a_season_is_temporary_and_not_cached(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.fail("500", path="/3/tv/1396/season/3")

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.season(BREAKING_BAD, 3)

    assert (caught.value.temporary, caught.value.status) == (True, 500)
    assert len(tmdb.season(BREAKING_BAD, 3).episodes) == 8


def test_a_slow_season_answer_times_out_as_a_temporary_error(
    simulator: TMDBSimulatorServer, settings: SettingsWrapper
) -> None:
    settings.TMDB_TIMEOUT = 0.3
    simulator.slow_seconds = 1.5
    simulator.fail("slow", path="/3/tv/1396/season/1")

    with pytest.raises(tmdb.TMDBError, match=r"within 0\.3 s") as caught:
        tmdb.season(BREAKING_BAD, 1)

    assert caught.value.temporary is True


def test_a_season_listed_with_no_episodes_is_a_permanent_error(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.season_episodes[(BREAKING_BAD, 6)] = []

    listed = tmdb.show_status(BREAKING_BAD).seasons[-1]
    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.season(BREAKING_BAD, 6)

    assert listed == tmdb.SeasonSummary(6, 0, None)
    assert caught.value.temporary is False
    assert str(caught.value) == "TMDB lists season 6 of TV show 1396 with no episodes yet."


def test_episodes_without_air_dates_are_kept_as_not_aired(simulator: TMDBSimulatorServer) -> None:
    simulator.season_episodes[(BREAKING_BAD, 6)] = [
        {"episode_number": 1, "name": "Pilot", "air_date": "2026-01-05", "runtime": 50},
        {"episode_number": 2, "name": "TBA", "air_date": None, "runtime": None},
        {"episode_number": 3, "name": "TBA", "air_date": ""},
        {"episode_number": 4, "name": "TBA", "air_date": "2026-02-31"},
    ]

    found = tmdb.season(BREAKING_BAD, 6)

    assert [(e.episode_number, e.air_date) for e in found.episodes] == [
        (1, date(2026, 1, 5)),
        (2, None),
        (3, None),
        (4, None),
    ]
    assert found.episodes[1].runtime is None
    assert found.dropped == ()


def test_a_repeated_episode_number_keeps_the_first_and_says_so(
    simulator: TMDBSimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.season_episodes[(BREAKING_BAD, 6)] = [
        {"episode_number": 1, "name": "First", "air_date": "2026-01-05"},
        {"episode_number": 2, "name": "Second", "air_date": "2026-01-12"},
        {"episode_number": 2, "name": "Second again", "air_date": "2026-01-19"},
    ]

    found = tmdb.season(BREAKING_BAD, 6)

    assert [(e.episode_number, e.name) for e in found.episodes] == [(1, "First"), (2, "Second")]
    assert found.dropped == ("episode 2 is listed twice; the first is kept",)
    assert "TMDB season 6 of TV show 1396: episode 2 is listed twice" in caplog.text


def test_entries_without_a_whole_episode_number_are_dropped_with_their_reason(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.season_episodes[(BREAKING_BAD, 6)] = [
        {"episode_number": 2.5, "air_date": "2026-01-05"},
        {"episode_number": "3", "air_date": "2026-01-05"},
        {"episode_number": None},
        {"episode_number": True},
        {"episode_number": 0},
        "not an episode",
        {"episode_number": 1, "name": "  The   one  ", "air_date": "2026-01-05"},
    ]

    found = tmdb.season(BREAKING_BAD, 6)

    assert found.episodes == (tmdb.Episode(1, "The one", date(2026, 1, 5), None),)
    assert found.dropped == (
        "entry 1 has no usable episode number (2.5)",
        "entry 2 has no usable episode number ('3')",
        "entry 3 has no usable episode number (None)",
        "entry 4 has no usable episode number (True)",
        "entry 5 has no usable episode number (0)",
        "entry 6 is not an episode",
    )


def test_a_season_with_no_usable_episode_is_a_permanent_error_with_the_reasons(
    simulator: TMDBSimulatorServer,
) -> None:
    simulator.season_episodes[(BREAKING_BAD, 6)] = [{"episode_number": "one"}, {}]

    with pytest.raises(tmdb.TMDBError) as caught:
        tmdb.season(BREAKING_BAD, 6)

    assert caught.value.temporary is False
    assert str(caught.value) == (
        "TMDB lists season 6 of TV show 1396 with no usable episodes "
        "(entry 1 has no usable episode number ('one'); "
        "entry 2 has no usable episode number (None))."
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tmdb.season(0, 1), "tv_id"),
        (lambda: tmdb.season(1396, -1), "season_number"),
        (lambda: tmdb.season(1396, True), "season_number"),
        (lambda: tmdb.show_status("1396"), "tv_id"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    simulator: TMDBSimulatorServer, call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()

    assert simulator.requests == []


# --- aired_episodes and season_state ----------------------------------------------------


def a_season(*air_dates: date | None) -> tmdb.Season:
    episodes = tuple(tmdb.Episode(n, f"Episode {n}", d, 45) for n, d in enumerate(air_dates, 1))
    return tmdb.Season(tmdb_id=SEVERANCE, season_number=3, name="Season 3", episodes=episodes)


def test_an_episode_counts_as_aired_once_its_day_has_ended_and_the_margin_passed() -> None:
    season = a_season(date(2026, 12, 1))
    end_of_day_plus_a_day = datetime(2026, 12, 3, tzinfo=UTC)

    assert tmdb.aired_episodes(season, now=end_of_day_plus_a_day - timedelta(seconds=1)) == ()
    assert numbers(tmdb.aired_episodes(season, now=end_of_day_plus_a_day)) == [1]
    # The day ends at midnight UTC whatever the zone `now` is given in.
    paris = end_of_day_plus_a_day.astimezone(ZoneInfo("Europe/Paris"))
    assert numbers(tmdb.aired_episodes(season, now=paris)) == [1]
    no_margin = datetime(2026, 12, 2, tzinfo=UTC)
    assert numbers(tmdb.aired_episodes(season, now=no_margin, margin=timedelta(0))) == [1]
    assert tmdb.aired_at(date(2026, 12, 1)) == end_of_day_plus_a_day


def test_an_episode_without_an_air_date_never_counts_as_aired() -> None:
    season = a_season(date(2020, 1, 1), None)

    assert numbers(tmdb.aired_episodes(season, now=datetime(2100, 1, 1, tzinfo=UTC))) == [1]


def test_a_naive_now_or_a_negative_margin_is_refused() -> None:
    season = a_season(date(2026, 12, 1))

    with pytest.raises(ValueError, match="aware"):
        tmdb.aired_episodes(season, now=datetime(2026, 12, 5))
    with pytest.raises(ValueError, match="margin"):
        tmdb.aired_episodes(season, now=NOW, margin=timedelta(hours=-1))


@pytest.mark.parametrize(
    ("air_dates", "expected"),
    [
        (
            (date(2026, 11, 1), date(2026, 11, 8)),
            tmdb.SeasonState("finished", 2, 2, None, None),
        ),
        (
            (date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8)),
            tmdb.SeasonState("airing", 1, 3, date(2026, 12, 1), datetime(2026, 12, 3, tzinfo=UTC)),
        ),
        (
            (date(2026, 12, 8), None),
            tmdb.SeasonState(
                "not aired", 0, 2, date(2026, 12, 8), datetime(2026, 12, 10, tzinfo=UTC)
            ),
        ),
        ((None, None), tmdb.SeasonState("not aired", 0, 2, None, None)),
        # On the air with the rest not dated yet: nothing to schedule, but not finished.
        ((date(2026, 11, 1), None), tmdb.SeasonState("airing", 1, 2, None, None)),
    ],
)
def test_season_state_says_finished_airing_or_not_aired_with_the_next_air_date(
    air_dates: tuple[date | None, ...], expected: tmdb.SeasonState
) -> None:
    assert tmdb.season_state(a_season(*air_dates), NOW) == expected


def test_a_weekly_season_airs_episode_by_episode_as_the_clock_moves(
    simulator: TMDBSimulatorServer, clock: Clock
) -> None:
    simulator.air(AiringSeason(SEVERANCE, 3, NOW - timedelta(weeks=1), timedelta(weeks=1), 3))

    before = tmdb.season_state(tmdb.season(SEVERANCE, 3), clock())
    clock.now = datetime(2026, 12, 3, tzinfo=UTC)
    during = tmdb.season_state(tmdb.season(SEVERANCE, 3, refresh=True), clock())
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    after = tmdb.season_state(tmdb.season(SEVERANCE, 3, refresh=True), clock())

    assert (before.state, before.aired, before.next_air_date) == ("airing", 1, date(2026, 12, 1))
    assert (during.state, during.aired, during.next_air_date) == ("airing", 2, date(2026, 12, 8))
    assert (after.state, after.aired, after.next_air_date) == ("finished", 3, None)


def test_a_season_airing_every_few_minutes_is_seen_airing_on_schedule(
    simulator: TMDBSimulatorServer, clock: Clock
) -> None:
    simulator.air(AiringSeason(SEVERANCE, 3, NOW + timedelta(minutes=5), timedelta(minutes=10), 3))

    def aired() -> list[int]:
        return numbers(tmdb.aired_episodes(tmdb.season(SEVERANCE, 3, refresh=True), now=clock()))

    assert aired() == []
    assert tmdb.season_state(tmdb.season(SEVERANCE, 3), clock()).state == "not aired"
    clock.advance(minutes=5)
    assert aired() == [1]
    clock.advance(minutes=9, seconds=59)
    assert aired() == [1]
    clock.advance(seconds=1)
    assert aired() == [1, 2]
    assert tmdb.season_state(tmdb.season(SEVERANCE, 3), clock()).state == "airing"
    assert tmdb.show_status(SEVERANCE).next_episode_to_air == tmdb.AiringEpisode(
        3, 3, "Episode 3", date(2026, 12, 1)
    )
    clock.advance(minutes=10)
    assert aired() == [1, 2, 3]
    assert tmdb.season_state(tmdb.season(SEVERANCE, 3), clock()).state == "finished"


def test_the_simulator_puts_a_season_on_the_air_from_the_command_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "plexkiosk.simulators.tmdb", "--port", str(port)]
    proc = subprocess.Popen([*command, "--airing", "95396:3:60"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # serving
        answer = requests.get(
            f"http://127.0.0.1:{port}/3/tv/95396/season/3",
            params={"api_key": DEFAULT_API_KEY},
            timeout=5,
        ).json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    refused = subprocess.run(
        [*command, "--airing", "95396:3"], capture_output=True, text=True, timeout=30
    )

    # Started now, an episode an hour: the first has aired, the second not yet.
    today = datetime.now(UTC).date()
    dates = [date.fromisoformat(e["air_date"]) for e in answer["episodes"]]
    assert len(dates) == 8
    assert dates[0] < today <= dates[1]
    assert refused.returncode == 2
    assert "use TV_ID:SEASON:MINUTES" in refused.stderr
