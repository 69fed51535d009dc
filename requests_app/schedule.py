"""Default periodic jobs of the request flow."""

from __future__ import annotations

from core.scheduling import ScheduledJob

JOBS = [
    ScheduledJob(
        name="search-due-requests",
        task="requests_app.tasks.search_due_requests_task",
        every_seconds=900,
        description=(
            "Search again for requests whose next search is due: those that found nothing "
            "acceptable (with back-off), and seasons on the air (each new episode after it airs)."
        ),
    ),
    ScheduledJob(
        name="recover-requests",
        task="requests_app.tasks.recover_requests_task",
        every_seconds=600,
        description=(
            "Send again the next step of requests stuck far longer than it takes "
            "(a message lost with the broker): approved 30 min, searching 3 h, "
            "a download ended 15 min ago."
        ),
    ),
    ScheduledJob(
        name="refresh-airing-episodes",
        task="requests_app.tasks.refresh_airing_episodes_task",
        crontab="30 6 * * *",
        description=(
            "Read again from TMDB the episodes (air dates) of requested seasons still on the air."
        ),
    ),
    ScheduledJob(
        name="follow-shows",
        task="requests_app.tasks.follow_shows_task",
        crontab="0 7 * * *",
        description=(
            "Request each new season TMDB announces of the shows followed "
            "(requests made with 'follow this show')."
        ),
    ),
    ScheduledJob(
        name="plex-watchlists",
        task="requests_app.tasks.sync_watchlists_task",
        every_seconds=600,
        description=(
            "Read the Plex watchlist of each member who asked for it and request the titles "
            "new on it (one task per member; an unchanged list costs one small call)."
        ),
    ),
    ScheduledJob(
        name="cleanup-old-requests",
        task="requests_app.tasks.cleanup_old_requests_task",
        crontab="45 4 * * *",
        kwargs={"days": 90},
        description="Delete finished requests older than the given number of days.",
    ),
]
