"""Admin pages: indexers keep their key secret, searches show why each release was chosen."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from downloads.models import Blocklist, Indexer, QualityProfile, ReleaseCandidate
from downloads.releases import MediaQuery
from downloads.search import find_best_release
from tests.downloads.factories import IndexerFactory

pytestmark = pytest.mark.django_db

SECRET = "admin-page-secret-key-99"


def test_the_indexer_page_never_shows_the_api_key(admin_client: Client) -> None:
    indexer = IndexerFactory(api_key=SECRET)
    for url in (
        reverse("admin:downloads_indexer_changelist"),
        reverse("admin:downloads_indexer_change", args=[indexer.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()


def test_saving_an_indexer_with_an_empty_key_keeps_the_old_one(admin_client: Client) -> None:
    indexer = IndexerFactory(api_key=SECRET, name="jackett", caps={"search": ["q"]})
    response = admin_client.post(
        reverse("admin:downloads_indexer_change", args=[indexer.pk]),
        {
            "name": "jackett",
            "url": "http://jackett:9117/api",
            "api_key": "",
            "categories": "2000",
            "priority": "10",
            "enabled": "on",
            "timeout": "20",
        },
    )
    assert response.status_code == 302
    indexer.refresh_from_db()
    assert (indexer.api_key, indexer.priority, indexer.url) == (
        SECRET,
        10,
        "http://jackett:9117/api",
    )


def test_the_test_connection_action_reports_what_the_indexer_supports(
    admin_client: Client, torznab: Callable
) -> None:
    indexer = IndexerFactory(url=torznab().url)
    response = admin_client.post(
        reverse("admin:downloads_indexer_changelist"),
        {"action": "test_connection", "_selected_action": [indexer.pk]},
        follow=True,
    )
    assert "OK; supports movie (imdbid, q, tmdbid), tv (ep, q, season, tvdbid)" in (
        response.content.decode()
    )
    indexer.refresh_from_db()
    assert "tvdbid" in indexer.caps["tv_search"]


def test_a_search_page_shows_each_candidate_and_why_without_download_links(
    admin_client: Client, torznab: Callable
) -> None:
    sim = torznab(api_key=SECRET)
    IndexerFactory(url=sim.url, api_key=SECRET)
    outcome = find_best_release(MediaQuery(media_type="movie", title="The Matrix", year=1999))
    page = admin_client.get(
        reverse("admin:downloads_releasesearch_change", args=[outcome.search.pk])
    ).content.decode()
    assert "The.Matrix.1999.1080p.BluRay.x264-AMIABLE" in page
    assert "size 32 GB &gt; 20 GB" in page
    # Download links embed the indexer's key (as Jackett's do): never on a page.
    assert SECRET not in page


def test_candidates_can_be_blocklisted_from_admin(admin_client: Client, torznab: Callable) -> None:
    IndexerFactory(url=torznab().url)
    outcome = find_best_release(MediaQuery(media_type="movie", title="The Matrix", year=1999))
    admin_client.post(
        reverse("admin:downloads_releasecandidate_changelist"),
        {"action": "blocklist_globally", "_selected_action": [outcome.chosen.pk]},
    )
    entry = Blocklist.objects.get()
    assert (entry.info_hash, entry.request_ref) == (outcome.chosen.info_hash, "")
    assert ReleaseCandidate.objects.count() == 5


def test_the_profile_and_blocklist_pages_render(admin_client: Client) -> None:
    for name in ("qualityprofile", "blocklist", "releasesearch", "releasecandidate"):
        assert admin_client.get(reverse(f"admin:downloads_{name}_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:downloads_qualityprofile_change", args=[1])).status_code
        == 200
    )
    assert Indexer.objects.count() == 0


def profile_form(profile: QualityProfile, **changes: str) -> dict[str, str]:
    """Return the profile's change form as the admin page would post it, with some changes."""
    data = {
        "name": profile.name,
        "resolutions": json.dumps(profile.resolutions),
        "movie_min_gb": str(profile.movie_min_gb),
        "movie_max_gb": str(profile.movie_max_gb),
        "season_min_gb": str(profile.season_min_gb),
        "season_max_gb": str(profile.season_max_gb),
        "movie_min_gb_by_resolution": json.dumps(profile.movie_min_gb_by_resolution),
        "season_min_gb_by_resolution": json.dumps(profile.season_min_gb_by_resolution),
        "required_words": "[]",
        "forbidden_words": "[]",
        "audio_languages": json.dumps(profile.audio_languages),
        "min_seeders": str(profile.min_seeders),
        "episode_gb_by_resolution": json.dumps(profile.episode_gb_by_resolution),
        "season_pack_preference": profile.season_pack_preference,
        "pack_min_missing_percent": str(profile.pack_min_missing_percent),
    }
    for flag in ("is_default", "allow_lower_resolutions", "audio_language_required"):
        if getattr(profile, flag):
            data[flag] = "on"
    return {**data, **changes}


def test_the_profile_page_offers_the_tv_season_rules_in_plain_words(admin_client: Client) -> None:
    page = admin_client.get(
        reverse("admin:downloads_qualityprofile_change", args=[QualityProfile.get_default().pk])
    ).content.decode()
    assert "Sizes of one episode accepted at each resolution, in GB: [min, max]" in page
    assert "The whole-season pack, when enough of the season is missing" in page
    assert "Episode by episode; a pack only for episodes nobody released alone" in page
    assert "[0.3, 8.0]" in page


def test_the_tv_season_rules_saved_in_admin_reach_the_plan(admin_client: Client) -> None:
    profile = QualityProfile.get_default()
    response = admin_client.post(
        reverse("admin:downloads_qualityprofile_change", args=[profile.pk]),
        profile_form(
            profile,
            episode_gb_by_resolution='{"1080p": [0.3, 3]}',
            season_pack_preference="episodes",
            pack_min_missing_percent="80",
        ),
    )
    assert response.status_code == 302
    rules = QualityProfile.objects.get(pk=profile.pk).rules()
    assert rules.episode_gb_by_resolution["1080p"] == (0.3, 3.0)
    assert rules.episode_gb_by_resolution["2160p"] == (0.8, 20.0)  # left out: its default
    assert (rules.season_pack_preference, rules.pack_min_missing_percent) == ("episodes", 80)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("episode_gb_by_resolution", '{"1080p": [0.3, 8.0}', "Enter a valid JSON."),
        ("episode_gb_by_resolution", '{"1080p": [8, 0.3]}', "1080p: min 8 must be at least 0"),
        ("episode_gb_by_resolution", '{"1080p": [-1, 8]}', "1080p: min -1 must be at least 0"),
        (
            "episode_gb_by_resolution",
            '{"1080i": [0.3, 8]}',
            "1080i&#x27; is not a resolution; use 2160p",
        ),
        ("episode_gb_by_resolution", '{"1080p": 8}', "1080p: give two numbers, [min, max] GB"),
        ("episode_gb_by_resolution", '{"1080p": [0.3, "8"]}', "1080p: give two numbers"),
        ("episode_gb_by_resolution", "[0.3, 8]", "An object like {&quot;1080p&quot;: [0.3, 8.0]}"),
        ("pack_min_missing_percent", "0", "greater than or equal to 1"),
        ("pack_min_missing_percent", "101", "less than or equal to 100"),
        ("season_pack_preference", "sometimes", "Select a valid choice."),
    ],
)
def test_bad_tv_season_rules_are_refused_with_a_message_and_change_nothing(
    admin_client: Client, field: str, value: str, message: str
) -> None:
    profile = QualityProfile.get_default()
    before = profile.rules()
    response = admin_client.post(
        reverse("admin:downloads_qualityprofile_change", args=[profile.pk]),
        profile_form(profile, min_seeders="7", **{field: value}),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert QualityProfile.objects.get(pk=profile.pk).rules() == before
