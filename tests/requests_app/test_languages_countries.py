"""A request's original language and countries, and each member's choice of quality profile."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AbstractUser, User
from django.core.cache import cache
from django.test import Client

from downloads.models import Indexer, QualityProfile, ReleaseSearch
from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app import flow, pipeline, tmdb
from requests_app.models import MediaRequest, Profile
from requests_app.steps import media_query
from requests_app.tmdb import titles as tmdb_titles
from tests.requests_app.conftest import DUNE, DUNE_IDS, approved_dune

pytestmark = pytest.mark.django_db


@pytest.fixture
def tmdb_simulator(settings) -> Iterator[TMDBSimulatorServer]:
    server, base_url = start_tmdb_simulator()
    settings.TMDB_URL, settings.TMDB_API_KEY, settings.TMDB_TIMEOUT = base_url, DEFAULT_API_KEY, 2
    cache.clear()
    yield server
    server.stop()
    cache.clear()


def french(user: AbstractUser) -> AbstractUser:
    """Give a member the French preset (French audio required)."""
    Profile.objects.update_or_create(
        user=user,
        defaults={
            "auto_approve": True,
            "quality_profile": QualityProfile.objects.get(name="Français"),
        },
    )
    return user


def test_tmdb_details_carry_the_work_s_countries_and_original_language(tmdb_simulator) -> None:
    amelie = tmdb.details("movie", 194)
    paddington = tmdb.details("movie", 346648)
    uk_office = tmdb.details("tv", 2996)
    us_office = tmdb.details("tv", 2316)
    assert (amelie.origin_country, amelie.original_language) == (("FR",), "fr")
    assert (paddington.origin_country, paddington.original_language) == (("GB",), "en")
    assert (uk_office.origin_country, us_office.origin_country) == (("GB",), ("US",))


def test_a_movie_without_origin_country_takes_its_production_countries() -> None:
    item = {
        "production_countries": [{"iso_3166_1": "FR"}, {"iso_3166_1": "de"}, "odd", {}],
        "original_language": "xx",
    }
    assert tmdb_titles._countries(item) == ("FR",)
    assert tmdb_titles._language(item["original_language"]) == ""  # TMDB's "no language"


def test_a_request_keeps_tmdb_s_countries_and_language_for_its_searches(
    member, fake_tmdb, plex_has, queued, monkeypatch
) -> None:
    dune = dataclasses.replace(DUNE, origin_country=("US", "CA"), original_language="en")
    monkeypatch.setitem(fake_tmdb, ("movie", DUNE.tmdb_id), dune)
    request = flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id).request
    request.refresh_from_db()
    assert (request.origin_countries, request.original_language) == (["US", "CA"], "en")
    query = media_query(request)
    assert (query.countries, query.original_language) == (("US", "CA"), "en")


def test_codes_edited_by_hand_into_a_request_do_not_break_its_search(member) -> None:
    request = MediaRequest.objects.create(
        requested_by=member, media_type="movie", tmdb_id=1, title="Dune", year=2021,
        origin_countries=["US", "usa", 3], original_language="EN",
    )  # fmt: skip
    query = media_query(request)
    assert (query.countries, query.original_language) == (("US",), None)


FRENCH_DUNE = SimRelease("Dune.2021.MULTi.1080p.BluRay.x264-FRG", int(11 * GB), 20, **DUNE_IDS)


@pytest.fixture
def dune_indexer() -> Iterator[TorznabSimulator]:
    releases = [
        SimRelease("Dune.2021.1080p.BluRay.x264-SPARKS", int(10 * GB), 900, **DUNE_IDS),
        FRENCH_DUNE,
        SimRelease("Dune.2021.VOSTFR.1080p.WEB.x264-FRG", int(5 * GB), 500, **DUNE_IDS),
    ]
    with TorznabSimulator(releases, api_key="k") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        yield simulator


def test_a_request_is_searched_with_its_requester_s_profile(
    member, fake_tmdb, plex_has, dune_indexer, qbittorrent
) -> None:
    request = approved_dune(french(member))
    assert pipeline.search_and_download(request.pk) == "downloading"
    request.refresh_from_db()
    assert request.release_title == FRENCH_DUNE.title
    assert ReleaseSearch.objects.get(request_ref=request.owner_ref).profile_name == "Français"


def test_a_request_of_a_member_without_a_choice_is_searched_with_the_default(
    trusted_member, fake_tmdb, plex_has, dune_indexer, qbittorrent
) -> None:
    request = approved_dune(trusted_member)
    pipeline.search_and_download(request.pk)
    request.refresh_from_db()
    assert request.release_title == "Dune.2021.1080p.BluRay.x264-SPARKS"
    assert ReleaseSearch.objects.get(request_ref=request.owner_ref).profile_name == "Default"


def test_a_member_chooses_their_profile_on_their_page_and_can_go_back_to_the_default(
    member,
) -> None:
    client = Client()
    client.force_login(member)
    page = client.get("/profile/").content.decode()
    assert "Audio and quality" in page
    assert "Français" in page and "The household&#x27;s default" in page
    chosen = QualityProfile.objects.get(name="Français")
    saved = client.post(
        "/profile/", {"notify_urls": "", "quality_profile": str(chosen.pk)}, follow=True
    )
    assert "Saved." in saved.content.decode()
    assert Profile.objects.get(user=member).quality_profile == chosen
    assert f'<option value="{chosen.pk}" selected>' in client.get("/profile/").content.decode()
    client.post("/profile/", {"notify_urls": "", "quality_profile": ""})
    assert Profile.objects.get(user=member).quality_profile is None


def test_staff_set_a_member_s_profile_in_the_user_admin(member) -> None:
    admin = User.objects.create_superuser("root", password="pw-root-1234")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/auth/user/{member.pk}/change/").content.decode()
    assert 'name="kiosk_profile-0-quality_profile"' in page
    assert "Français" in page


def test_the_profile_choice_is_offered_in_french_to_a_french_browser(member) -> None:
    client = Client()
    client.force_login(member)
    page = client.get("/profile/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Audio et qualité" in page
    assert "Celui de la maison (par défaut)" in page
    assert "la langue audio d&#x27;abord" in page
