"""Audio languages as a profile rule (issue 16), and the "Français" preset beside "Default".

The old `preferred_languages` counted a name without a language tag as the original
version and only filtered tagged ones; the new list says so itself with "original", so each
profile's list gains "original" in front, which keeps what it accepted.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

import downloads.models

FRENCH_PRESET = {"audio_languages": ["fr", "fr-CA"], "audio_language_required": True}


def add_original_and_presets(apps: Any, schema_editor: Any) -> None:
    profile_model = apps.get_model("downloads", "QualityProfile")
    for profile in profile_model.objects.all():
        languages = [c for c in profile.audio_languages or [] if isinstance(c, str)]
        if "original" not in languages:
            profile.audio_languages = ["original", *languages]
            profile.save(update_fields=["audio_languages"])
    profile_model.objects.get_or_create(name="Français", defaults=FRENCH_PRESET)


def drop_original(apps: Any, schema_editor: Any) -> None:
    profile_model = apps.get_model("downloads", "QualityProfile")
    profile_model.objects.filter(name="Français", is_default=False, **FRENCH_PRESET).delete()
    for profile in profile_model.objects.all():
        languages = [c for c in profile.audio_languages or [] if c != "original"]
        profile.audio_languages = languages or ["en"]
        profile.save(update_fields=["audio_languages"])


class Migration(migrations.Migration):
    dependencies = [("downloads", "0009_download_absolute_offset")]

    operations = [
        migrations.RenameField("qualityprofile", "preferred_languages", "audio_languages"),
        migrations.RenameField(
            "qualityprofile", "reject_other_languages", "audio_language_required"
        ),
        migrations.AlterField(
            model_name="qualityprofile",
            name="audio_languages",
            field=models.JSONField(
                blank=True,
                default=downloads.models._default_languages,
                help_text='Wanted audio, most wanted first: ISO 639-1 codes, "fr-CA" for Québec French, "es-419" for Latin American Spanish, and "original" for the work\'s own language (TMDB\'s). E.g. ["fr", "fr-CA"] or ["original", "en"]. A name without a language tag is in the original language; MULTi is the original + French, German DL the original + German, VOSTFR French subtitles (not French audio). The language orders before the resolution.',
                verbose_name="audio languages",
            ),
        ),
        migrations.AlterField(
            model_name="qualityprofile",
            name="audio_language_required",
            field=models.BooleanField(
                default=True,
                help_text="Refuse releases holding none of these audio languages (other dubs).",
                verbose_name="one of them is required",
            ),
        ),
        migrations.RunPython(add_original_and_presets, drop_original),
    ]
