"""Search, rank and store: what the request flow calls, against simulated indexers."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from downloads.models import Blocklist, Indexer, QualityProfile, ReleaseCandidate, ReleaseSearch
from downloads.releases import MediaQuery
from downloads.search import (
    IndexersMisconfigured,
    IndexersUnavailable,
    NoIndexersConfigured,
    blocklist_release,
    find_best_release,
    next_best_candidate,
    prune_searches,
)
from plexkiosk.simulators.torznab import SimRelease
from tests.downloads.factories import IndexerFactory, QualityProfileFactory

pytestmark = pytest.mark.django_db

GB = 1_000_000_000
MATRIX = MediaQuery(media_type="movie", title="The Matrix", year=1999, imdb_id="tt0133093")
BEST_MATRIX = "The.Matrix.1999.1080p.BluRay.x264-AMIABLE"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_migration_creates_one_default_profile_with_the_issue_rules() -> None:
    profile = QualityProfile.objects.get(is_default=True)
    assert profile.name == "Default"
    assert profile.resolutions == ["1080p", "2160p", "720p"]
    assert (profile.movie_min_gb, profile.movie_max_gb) == (0.7, 20.0)
    assert (profile.season_min_gb, profile.season_max_gb) == (1.0, 60.0)
    assert profile.min_seeders == 1


def test_a_second_default_profile_is_refused() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        QualityProfileFactory(is_default=True)


def test_the_best_release_is_chosen_and_every_candidate_is_stored_with_its_reasons(
    torznab: Callable,
) -> None:
    sim = torznab()
    IndexerFactory(name="sim", url=sim.url)
    outcome = find_best_release(MATRIX, request_ref=17)

    assert outcome.found
    assert outcome.chosen.title == BEST_MATRIX
    search = ReleaseSearch.objects.get()
    assert (search.request_ref, search.status, search.profile_name) == ("17", "found", "Default")
    assert search.chosen == outcome.chosen
    candidates = {c.title: c for c in search.candidates.all()}
    assert len(candidates) == 5
    assert candidates[BEST_MATRIX].rank == 1
    remux = candidates["The.Matrix.1999.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-EPSiLON"]
    assert (remux.accepted, remux.reasons) == (False, ["size 32 GB > 20 GB"])
    assert candidates[BEST_MATRIX].breakdown["resolution"] == 3000


def test_a_stored_search_explains_its_choice_without_links_or_keys(torznab: Callable) -> None:
    secret = "explain-secret-key"
    sim = torznab(api_key=secret)
    IndexerFactory(url=sim.url, api_key=secret)
    outcome = find_best_release(MATRIX, request_ref="9")
    explained = outcome.search.explain()
    assert explained["status"] == "found"
    assert explained["candidates"][0]["title"] == BEST_MATRIX
    assert explained["candidates"][0]["chosen"] is True
    assert explained["candidates"][-1]["reasons"]
    assert secret not in json.dumps(explained)
    assert "download_url" not in explained["candidates"][0]


def test_nothing_acceptable_is_stored_as_nothing_and_grabs_nothing(torznab: Callable) -> None:
    sim = torznab([SimRelease("Wicked.2024.HDCAM.x264-SUNSCREEN", 2 * GB, 9000)])
    IndexerFactory(url=sim.url)
    outcome = find_best_release(MediaQuery(media_type="movie", title="Wicked", year=2024))
    assert outcome.chosen is None
    assert not outcome.found
    search = ReleaseSearch.objects.get()
    assert search.status == ReleaseSearch.Status.NOTHING
    assert search.candidates.get().reasons == ["CAM"]


def test_a_named_profile_is_used_instead_of_the_default(torznab: Callable) -> None:
    sim = torznab()
    IndexerFactory(url=sim.url)
    QualityProfileFactory(name="Small", resolutions=["720p"], movie_max_gb=2.0)
    outcome = find_best_release(MATRIX, profile="Small")
    assert outcome.chosen.title == "The.Matrix.1999.720p.BRRip.x264-YIFY"
    assert outcome.search.profile_name == "Small"


def test_disabled_indexers_are_not_asked(torznab: Callable) -> None:
    enabled, disabled = torznab(), torznab()
    IndexerFactory(url=enabled.url)
    IndexerFactory(url=disabled.url, enabled=False)
    find_best_release(MATRIX)
    assert enabled.requests
    assert not disabled.requests


def test_no_enabled_indexer_is_a_permanent_error() -> None:
    IndexerFactory(enabled=False)
    with pytest.raises(NoIndexersConfigured):
        find_best_release(MATRIX)


def test_every_indexer_down_raises_a_temporary_error_after_storing_the_search() -> None:
    secret = "k3y-that-must-not-leak"
    indexer = IndexerFactory(url=f"http://127.0.0.1:{free_port()}/api", api_key=secret)
    with pytest.raises(IndexersUnavailable) as caught:
        find_best_release(MATRIX, request_ref="r1")
    assert caught.value.temporary
    assert secret not in str(caught.value)
    search = ReleaseSearch.objects.get()
    assert search.status == ReleaseSearch.Status.UNAVAILABLE
    assert search.indexer_errors[0]["temporary"] is True
    assert secret not in str(search.indexer_errors)
    indexer.refresh_from_db()
    assert indexer.last_error.startswith("connection failed")
    assert secret not in indexer.last_error


def test_every_indexer_misconfigured_raises_a_permanent_error(torznab: Callable) -> None:
    IndexerFactory(url=torznab(mode="html").url)
    with pytest.raises(IndexersMisconfigured) as caught:
        find_best_release(MATRIX)
    assert not caught.value.temporary


def test_caps_are_cached_on_the_indexer_and_not_asked_again(torznab: Callable) -> None:
    sim = torznab()
    indexer = IndexerFactory(url=sim.url)
    find_best_release(MATRIX)
    indexer.refresh_from_db()
    assert "imdbid" in indexer.caps["movie_search"]
    find_best_release(MATRIX)
    assert [r["t"] for r in sim.requests].count("caps") == 1


def test_a_request_blocklist_applies_to_that_request_only(torznab: Callable) -> None:
    sim = torznab()
    IndexerFactory(url=sim.url)
    best_hash = find_best_release(MATRIX, request_ref="a").chosen.info_hash
    blocklist_release(info_hash=best_hash, request_ref="a", reason="stalled")

    again = find_best_release(MATRIX, request_ref="a")
    other = find_best_release(MATRIX, request_ref="b")
    assert again.chosen.info_hash != best_hash
    blocked = again.search.candidates.get(info_hash=best_hash)
    assert blocked.reasons == ["blocklisted: stalled"]
    assert other.chosen.info_hash == best_hash


def test_a_global_blocklist_entry_applies_to_every_request(torznab: Callable) -> None:
    sim = torznab()
    IndexerFactory(url=sim.url)
    best_hash = find_best_release(MATRIX, request_ref="a").chosen.info_hash
    entry = blocklist_release(info_hash=best_hash.upper(), reason="fake")
    assert entry.is_global
    assert entry.info_hash == best_hash
    assert find_best_release(MATRIX, request_ref="b").chosen.info_hash != best_hash


def test_the_next_best_candidate_skips_what_was_blocklisted_since(torznab: Callable) -> None:
    IndexerFactory(url=torznab().url)
    outcome = find_best_release(MATRIX, request_ref="7")
    assert next_best_candidate(outcome.search) == outcome.chosen
    blocklist_release(info_hash=outcome.chosen.info_hash, request_ref="7", reason="stalled")
    runner_up = next_best_candidate(outcome.search)
    assert runner_up.rank == 2
    assert runner_up.accepted


def test_a_blocklist_entry_needs_a_hash_or_a_title() -> None:
    with pytest.raises(ValueError, match="info hash or a title"):
        blocklist_release(reason="nothing to block")
    with pytest.raises(IntegrityError), transaction.atomic():
        Blocklist.objects.create(reason="no hash, no title")


def test_candidate_download_links_are_stored_for_the_download_step(torznab: Callable) -> None:
    IndexerFactory(url=torznab().url)
    chosen = find_best_release(MATRIX).chosen
    assert chosen.download_url.startswith("http://127.0.0.1:")
    assert chosen.magnet_url.startswith("magnet:?xt=urn:btih:")
    assert ReleaseCandidate.objects.filter(info_hash=chosen.info_hash).count() == 1


def test_indexer_categories_are_validated() -> None:
    indexer = Indexer(name="x", url="http://x/api", categories="2000, 2040,abc")
    with pytest.raises(Exception, match="abc"):
        indexer.full_clean()
    assert Indexer(name="y", url="http://y/api", categories="2000, 2040").category_list() == [
        2000,
        2040,
    ]


def test_indexer_urls_may_use_a_service_name_but_must_be_http() -> None:
    Indexer(name="ok", url="http://prowlarr:9696/1/api").full_clean()
    with pytest.raises(Exception, match="http"):
        Indexer(name="bad", url="ftp://prowlarr/1/api").full_clean()


def test_a_profile_with_an_unknown_resolution_does_not_validate() -> None:
    profile = QualityProfile(name="odd", resolutions=["1080i"])
    with pytest.raises(Exception, match="resolutions"):
        profile.full_clean()


def test_old_searches_are_pruned_except_those_of_requests_in_progress(torznab: Callable) -> None:
    IndexerFactory(url=torznab().url)
    for ref in ("done", "busy", "recent"):
        find_best_release(MATRIX, request_ref=ref)
    ReleaseSearch.objects.exclude(request_ref="recent").update(
        created_at=timezone.now() - timedelta(days=40)
    )
    assert prune_searches(older_than_days=30, keep_request_refs=["busy"]) == 1
    assert sorted(ReleaseSearch.objects.values_list("request_ref", flat=True)) == ["busy", "recent"]
    assert not ReleaseCandidate.objects.filter(search__request_ref="done").exists()
