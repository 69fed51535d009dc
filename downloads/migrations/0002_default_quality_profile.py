"""Create the default quality profile (the rules of issue 4), once."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from downloads import ranking


def create_default_profile(apps: Any, schema_editor: Any) -> None:
    profile_model = apps.get_model("downloads", "QualityProfile")
    if profile_model.objects.filter(is_default=True).exists():
        return
    rules = ranking.ProfileRules()
    profile_model.objects.get_or_create(
        name="Default",
        defaults={
            "is_default": True,
            "resolutions": list(rules.resolutions),
            "allow_lower_resolutions": rules.allow_lower_resolutions,
            "movie_min_gb": rules.movie_min_gb,
            "movie_max_gb": rules.movie_max_gb,
            "season_min_gb": rules.season_min_gb,
            "season_max_gb": rules.season_max_gb,
            "movie_min_gb_by_resolution": dict(rules.movie_min_gb_by_resolution),
            "season_min_gb_by_resolution": dict(rules.season_min_gb_by_resolution),
            "required_words": [],
            "forbidden_words": [],
            "preferred_languages": ["en"],  # the rule of the time; 0010 adds "original"
            "reject_other_languages": True,
            "min_seeders": rules.min_seeders,
        },
    )


def remove_default_profile(apps: Any, schema_editor: Any) -> None:
    apps.get_model("downloads", "QualityProfile").objects.filter(
        name="Default", is_default=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("downloads", "0001_indexers_profiles_searches")]

    operations = [migrations.RunPython(create_default_profile, remove_default_profile)]
