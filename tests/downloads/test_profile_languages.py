"""Audio-language presets and rules of a quality profile: migration, admin, rank_releases."""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from downloads.models import QualityProfile
from tests.conftest import ROOT, process_env
from tests.downloads.factories import QualityProfileFactory
from tests.downloads.test_admin import profile_form

pytestmark = pytest.mark.django_db

GB = 1_000_000_000
AMELIE = {
    "query": {"media_type": "movie", "title": "Amelie", "year": 2001},
    "releases": [
        {"title": "Amelie.2001.1080p.BluRay.x264-CiNEFiLE", "size": 9 * GB, "seeders": 300},
        {"title": "Amelie.2001.DUBBED.1080p.BluRay.x264-DUB", "size": 9 * GB, "seeders": 900},
    ],
}


def rank(data: dict, *args: str) -> dict:
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.StringIO(json.dumps(data))
    try:
        call_command("rank_releases", "-", *args, stdout=out)
    finally:
        sys.stdin = old
    return json.loads(out.getvalue())


def test_the_default_and_french_presets_are_shipped() -> None:
    default = QualityProfile.get_default().rules()
    french = QualityProfile.objects.get(name="Français")
    assert (default.name, default.audio_languages, default.audio_language_required) == (
        "Default",
        ("original", "en"),
        True,
    )
    assert not french.is_default
    assert (french.rules().audio_languages, french.rules().audio_language_required) == (
        ("fr", "fr-CA"),
        True,
    )


def test_the_migration_puts_the_original_in_front_of_an_old_language_list() -> None:
    old = QualityProfileFactory(name="old", audio_languages=["de", "en"])
    kept = QualityProfileFactory(name="kept", audio_languages=["fr", "original"])
    migration = importlib.import_module("downloads.migrations.0010_qualityprofile_audio_languages")
    migration.add_original_and_presets(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.audio_languages == ["original", "de", "en"]
    assert kept.audio_languages == ["fr", "original"]
    assert QualityProfile.objects.filter(name="Français").count() == 1


def test_rank_releases_takes_a_preset_by_name_and_the_work_s_original_language() -> None:
    with_language = {**AMELIE, "query": {**AMELIE["query"], "original_language": "fr"}}
    french = rank(with_language, "--profile", "Français")
    assert french["chosen"] == "Amelie.2001.1080p.BluRay.x264-CiNEFiLE"
    dubbed = next(r for r in french["ranked"] if "DUBBED" in r["title"])
    assert dubbed["reasons"] == ["audio English, not French or Québec French"]
    # Without the original language nothing says the untagged release is French.
    assert rank(AMELIE, "--profile", "Français")["chosen"] is None


def test_rank_releases_refuses_another_country_s_version_from_the_query_s_countries() -> None:
    data = {
        "query": {"media_type": "tv", "title": "The Office", "year": 2005, "season": 2,
                  "countries": ["US"]},
        "releases": [
            {"title": "The.Office.UK.S02.1080p.BluRay.x264-GRP", "size": 7 * GB, "seeders": 900},
        ],
    }  # fmt: skip
    result = rank(data)
    assert result["chosen"] is None
    assert result["ranked"][0]["reasons"] == ["country UK, not US"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"original_language": "english"}, "original_language must be an ISO 639-1 code"),
        ({"original_language": "EN"}, "original_language must be an ISO 639-1 code"),
        ({"original_language": 7}, "original_language must be str"),
        ({"countries": "US"}, "countries must be list"),
        ({"countries": ["USA"]}, "countries must be ISO 3166-1 alpha-2 codes .* not 'USA'"),
        ({"countries": ["us"]}, "not 'us'"),
    ],
)  # fmt: skip
def test_bad_language_and_country_keys_are_refused(query: dict, message: str) -> None:
    data = {**AMELIE, "query": {**AMELIE["query"], **query}}
    with pytest.raises(CommandError, match=message):
        rank(data)


def test_an_unknown_profile_names_the_presets_there_are() -> None:
    with pytest.raises(CommandError) as refused:
        rank({**AMELIE, "profile": "Klingon"})
    assert str(refused.value) == "no quality profile named 'Klingon' (there are: Default, Français)"


def test_a_bad_country_exits_non_zero_with_one_line() -> None:
    data = {**AMELIE, "query": {**AMELIE["query"], "countries": ["Britain"]}}
    done = subprocess.run(
        [sys.executable, "manage.py", "rank_releases", "-"],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=process_env(),
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "CommandError: invalid input: countries must be ISO 3166-1 alpha-2 codes such as 'US', "
        "not 'Britain'"
    ]


@pytest.mark.parametrize(
    ("languages", "required", "message"),
    [
        (["french"], True, "'french' is not a language"),
        (["fr", "fr"], True, "Each language once."),
        ([], True, "Name at least one language"),
        ("fr", True, "A list like"),
    ],
)
def test_a_profile_with_unusable_audio_languages_does_not_validate(
    languages: object, required: bool, message: str
) -> None:
    profile = QualityProfile(name="x", audio_languages=languages, audio_language_required=required)
    with pytest.raises(ValidationError, match=message):
        profile.clean()


def test_no_audio_language_is_fine_when_none_is_required() -> None:
    QualityProfile(name="x", audio_languages=[], audio_language_required=False).clean()


def test_audio_languages_saved_in_admin_reach_the_ranking(admin_client: Client) -> None:
    profile = QualityProfile.get_default()
    response = admin_client.post(
        reverse("admin:downloads_qualityprofile_change", args=[profile.pk]),
        profile_form(profile, audio_languages='["de", "original"]'),
    )
    assert response.status_code == 302
    assert QualityProfile.objects.get(pk=profile.pk).rules().audio_languages == ("de", "original")
    page = admin_client.get(
        reverse("admin:downloads_qualityprofile_change", args=[profile.pk])
    ).content.decode()
    assert "Audio languages" in page
    assert "VOSTFR French subtitles (not French audio)" in page


def test_a_bad_audio_language_is_refused_in_admin_and_changes_nothing(admin_client: Client) -> None:
    profile = QualityProfile.get_default()
    response = admin_client.post(
        reverse("admin:downloads_qualityprofile_change", args=[profile.pk]),
        profile_form(profile, audio_languages='["francais"]'),
    )
    assert response.status_code == 200
    assert "is not a language: use ISO 639-1 codes" in response.content.decode()
    assert QualityProfile.objects.get(pk=profile.pk).audio_languages == ["original", "en"]
