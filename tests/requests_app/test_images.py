"""Posters and backdrops through the app: the disk cache, TMDB asked once, placeholders."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import set_script_prefix
from pytest_django.fixtures import Settings as SettingsWrapper

from plexkiosk.simulators.tmdb import DEFAULT_API_KEY, TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.tasks import cleanup_temp_files_task
from requests_app import flow, images, tmdb
from requests_app.templatetags.kiosk_images import tmdb_poster
from requests_app.tmdb import client as tmdb_client
from requests_app.tmdb import images as tmdb_images
from tests.requests_app.conftest import DUNE

pytestmark = pytest.mark.django_db

DUNE_POSTER = "/img/poster/w342/sim438631m.jpg"
JPEG = b"\xff\xd8\xff\xe0" + b"a cached poster" * 10


@pytest.fixture
def simulator(settings: SettingsWrapper, tmp_path: Path) -> Iterator[TMDBSimulatorServer]:
    """Point TMDB at a simulator and the image cache at an empty folder."""
    server, base_url = start_tmdb_simulator()
    settings.TMDB_URL = base_url
    settings.TMDB_API_KEY = DEFAULT_API_KEY
    settings.TMDB_TIMEOUT = 2.0
    settings.IMAGE_CACHE_DIR = tmp_path / "images"
    cache.clear()
    yield server
    server.stop()
    cache.clear()


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def cached_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_cached_poster_is_served_from_disk_without_asking_tmdb(
    simulator: TMDBSimulatorServer, member_client: Client, settings: SettingsWrapper
) -> None:
    path = Path(settings.IMAGE_CACHE_DIR) / "w342" / "abc.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(JPEG)
    response = member_client.get("/img/poster/w342/abc.jpg")
    assert response.status_code == 200
    assert response.content == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age=31536000" in response["Cache-Control"]
    assert simulator.count("/t/p/") == 0
    assert simulator.count("/3/") == 0
    again = member_client.get(
        "/img/poster/w342/abc.jpg", headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_a_missing_poster_is_fetched_from_tmdb_once_then_read_from_disk(
    simulator: TMDBSimulatorServer, member_client: Client, settings: SettingsWrapper
) -> None:
    first = member_client.get(DUNE_POSTER)
    second = member_client.get(DUNE_POSTER)
    assert first.status_code == second.status_code == 200
    assert b"Dune" in first.content  # the simulator draws the title on its posters
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert simulator.count("/t/p/w342/sim438631m.jpg") == 1
    assert cached_files(Path(settings.IMAGE_CACHE_DIR)) == ["w342/sim438631m.jpg"]


def test_a_backdrop_is_served_in_a_backdrop_size(
    simulator: TMDBSimulatorServer, member_client: Client
) -> None:
    response = member_client.get("/img/backdrop/w1280/sim438631m.jpg")
    assert response.status_code == 200
    assert simulator.count("/t/p/w1280/sim438631m.jpg") == 1


@pytest.mark.parametrize(
    "address",
    [
        "/img/poster/w342/abc.gif",
        "/img/poster/w342/abc.svg",
        "/img/poster/w342/a.b.jpg",
        "/img/poster/w342/.jpg",
        "/img/poster/w342/abc.jpg.exe",
        "/img/poster/w342/%2e%2e.jpg",
        "/img/poster/w342/..%2Fsecret.jpg",
        "/img/poster/w342/abc%00.jpg",
        "/img/poster/w342/abc.JPG",
        "/img/poster/w342/..",
        "/img/poster/w342/../../../etc/passwd",
        "/img/profile/w342/abc.jpg",
    ],
)
def test_a_bad_image_address_is_refused_without_touching_disk_or_tmdb(
    simulator: TMDBSimulatorServer, member_client: Client, settings: SettingsWrapper, address: str
) -> None:
    response = member_client.get(address)
    assert response.status_code == 404
    assert simulator.requests == []
    assert not Path(settings.IMAGE_CACHE_DIR).exists()


@pytest.mark.parametrize(
    "address",
    ["/img/poster/w1280/abc.jpg", "/img/poster/original/abc.jpg", "/img/backdrop/w185/abc.jpg"],
)
def test_a_size_the_kind_is_not_served_in_is_refused(
    simulator: TMDBSimulatorServer, member_client: Client, settings: SettingsWrapper, address: str
) -> None:
    assert member_client.get(address).status_code == 404
    assert simulator.requests == []
    assert not Path(settings.IMAGE_CACHE_DIR).exists()


def test_tmdb_failing_gives_a_placeholder_kept_briefly_and_nothing_on_disk(
    simulator: TMDBSimulatorServer, member_client: Client, settings: SettingsWrapper
) -> None:
    simulator.fail("500", path="/t/p/")
    response = member_client.get(DUNE_POSTER)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert response["Cache-Control"] == "max-age=300"
    assert "ETag" not in response
    assert not Path(settings.IMAGE_CACHE_DIR).exists()
    # The next page load does not ask TMDB again straight away.
    member_client.get(DUNE_POSTER)
    assert simulator.count("/t/p/") == 1


def test_tmdb_out_of_reach_gives_a_placeholder(
    simulator: TMDBSimulatorServer, member_client: Client
) -> None:
    tmdb_images._image_base()  # known from an earlier page; then TMDB goes away
    simulator.stop()
    tmdb_client._session.close()  # a kept-alive connection would still reach the stopped server
    response = member_client.get("/img/backdrop/w780/sim438631m.jpg")
    assert response.status_code == 200
    assert b'aria-label="backdrop"' in response.content


def test_an_unknown_image_gives_a_placeholder(
    simulator: TMDBSimulatorServer, member_client: Client
) -> None:
    response = member_client.get("/img/poster/w342/nothere.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert simulator.count("/t/p/w342/nothere.jpg") == 1


def test_an_image_over_the_size_cap_is_not_kept(
    simulator: TMDBSimulatorServer,
    member_client: Client,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tmdb_images, "IMAGE_MAX_BYTES", 100)
    response = member_client.get(DUNE_POSTER)
    assert response["Content-Type"] == "image/svg+xml"
    assert b"Dune" not in response.content
    assert not (Path(settings.IMAGE_CACHE_DIR) / "w342" / "sim438631m.jpg").exists()


def test_an_image_cannot_run_script_even_opened_on_its_own(
    simulator: TMDBSimulatorServer, member_client: Client
) -> None:
    response = member_client.get(DUNE_POSTER)
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_images_are_for_members_only(simulator: TMDBSimulatorServer, client: Client) -> None:
    response = client.get(DUNE_POSTER)
    assert response.status_code == 302
    assert simulator.requests == []


def test_fetch_image_refuses_a_path_that_is_not_a_tmdb_file_name(
    simulator: TMDBSimulatorServer,
) -> None:
    with pytest.raises(ValueError):
        tmdb.fetch_image("w342", "/../../etc/passwd")
    with pytest.raises(ValueError):
        tmdb.fetch_image("original", "/abc.jpg")
    assert simulator.requests == []


def test_a_requests_page_shows_its_poster_through_the_app(
    trusted_member, fake_tmdb, plex_has, queued
) -> None:
    request = flow.create_request(
        user=trusted_member, media_type="movie", tmdb_id=DUNE.tmdb_id
    ).request
    client = Client()
    client.force_login(trusted_member)
    for url in (f"/requests/{request.pk}/", "/"):
        page = client.get(url).content.decode()
        assert "/img/poster/w342/dune.jpg" in page, url
        assert "image.tmdb.org" not in page, url


def test_a_library_poster_address_is_kept_as_it_is() -> None:
    assert tmdb_poster("/library/5/poster/") == "/library/5/poster/"
    assert tmdb_poster("https://image.tmdb.org/t/p/w342/x.jpg", "w185") == "/img/poster/w185/x.jpg"
    assert tmdb_poster("javascript:alert(1)") == ""


def test_the_daily_cleanup_trims_the_cache_oldest_first(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    root = tmp_path / "images"
    settings.IMAGE_CACHE_DIR = root
    settings.IMAGE_CACHE_MAX_MB = 1
    settings.TEMP_DIR = tmp_path / "tmp"
    (root / "w342").mkdir(parents=True)
    now = time.time()
    for age_days, name in enumerate(["newest.jpg", "middle.jpg", "oldest.jpg"]):
        path = root / "w342" / name
        path.write_bytes(b"\xff\xd8\xff" + b"x" * (450 * 1024))
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    assert cleanup_temp_files_task() == 1
    assert cached_files(root) == ["w342/middle.jpg", "w342/newest.jpg"]
    assert images.trim_cache(root=root, max_bytes=10 * 1024 * 1024) == 0


def test_a_poster_address_keeps_the_prefix_the_site_is_served_under() -> None:
    """Behind a proxy at /kiosk/ the cards' posters must point under /kiosk/ too."""
    assert tmdb_poster("/abc.jpg") == "/img/poster/w342/abc.jpg"
    set_script_prefix("/kiosk/")
    try:
        assert tmdb_poster("/abc.jpg") == "/kiosk/img/poster/w342/abc.jpg"
        assert tmdb_poster("/abc.jpg", "w185") == "/kiosk/img/poster/w185/abc.jpg"
    finally:
        set_script_prefix("/")
    assert tmdb_poster("/abc.jpg") == "/img/poster/w342/abc.jpg"
