"""`manage.py rank_releases FILE`: rank saved releases for a query, to tune a profile."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from downloads.episode_plan import plan_episodes
from downloads.models import QualityProfile, ReleaseSearch
from downloads.ranking import Ranking, rank_releases
from downloads.releases import MediaQuery, Release
from downloads.search import resolve_profile


class Command(BaseCommand):
    help = (
        "Rank releases from a JSON file ('-' for stdin) shaped like "
        '{"query": {...}, "releases": [...], "profile": "name"?} (the query may name the '
        "work's original_language, ISO 639-1, and its countries, ISO 3166-1 alpha-2; the "
        'profile is a preset such as "Default" or "Français"), or a stored search '
        "(--search ID), and print the choice and every release's score and reasons as JSON; "
        "a TV query with wanted_episodes also gets the plan covering those episodes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare FILE and the options."""
        parser.add_argument("file", nargs="?", help="JSON file, or - to read standard input")
        parser.add_argument(
            "--search",
            type=int,
            metavar="ID",
            help="rank a stored search's releases again instead of a file",
        )
        parser.add_argument(
            "--export",
            action="store_true",
            help="with --search: print its input JSON (to edit and rank) instead of ranking",
        )
        parser.add_argument("--profile", help="profile name (overrides the file's)")
        parser.add_argument(
            "--breakdown", action="store_true", help="also print each score's breakdown"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Read, rank, print."""
        if (options["file"] is None) == (options["search"] is None):
            raise CommandError("give FILE (or -) or --search ID, not both")
        if options["search"] is not None:
            data = _stored_search(options["search"])
            if options["export"]:
                self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
                return
        else:
            data = _load(options["file"])
        try:
            query = MediaQuery.from_dict(data.get("query"))
            raw_releases = data.get("releases")
            if not isinstance(raw_releases, list):
                raise ValueError("releases must be a list")
            releases = [Release.from_dict(item) for item in raw_releases]
        except ValueError as exc:
            raise CommandError(f"invalid input: {exc}") from exc
        name = options["profile"] or data.get("profile")
        if name is not None and not isinstance(name, str):
            raise CommandError("invalid input: profile must be a string")
        try:
            profile = resolve_profile(name)
        except QualityProfile.DoesNotExist as exc:
            names = ", ".join(QualityProfile.objects.values_list("name", flat=True))
            raise CommandError(f"no quality profile named {name!r} (there are: {names})") from exc

        ranking = rank_releases(query=query, releases=releases, profile=profile)
        chosen = ranking.chosen
        out: dict[str, Any] = {"chosen": chosen.release.title if chosen else None}
        if query.wanted_episodes is not None:
            out["plan"] = _plan(query, ranking, profile)
        out["ranked"] = [r.as_dict(breakdown=options["breakdown"]) for r in ranking.ranked]
        self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))


def _plan(query: MediaQuery, ranking: Ranking, profile: QualityProfile) -> dict[str, Any]:
    wanted = set(query.wanted_episodes or ())
    # Without aired_episodes the season is taken as finished: a saved search is replayed.
    if query.aired_episodes is not None:
        aired = set(query.aired_episodes)
    else:
        aired = set(range(1, query.episode_count + 1)) if query.episode_count else wanted
    plan = plan_episodes(
        candidates=ranking,
        season=query.season or 0,
        wanted=wanted,
        aired=aired,
        season_episode_count=query.episode_count,
        rules=profile.rules(),
    )
    return plan.as_dict()


def _stored_search(search_id: int) -> dict[str, Any]:
    try:
        return ReleaseSearch.objects.get(pk=search_id).as_rank_input()
    except ReleaseSearch.DoesNotExist as exc:
        raise CommandError(f"no release search with id {search_id}") from exc


def _load(path: str) -> dict[str, Any]:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise CommandError("invalid input: the top level must be an object")
    return data
