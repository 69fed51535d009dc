"""Admin pages: indexers keep their key secret, searches show why each release was chosen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from downloads.models import Blocklist, Indexer, ReleaseCandidate
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
