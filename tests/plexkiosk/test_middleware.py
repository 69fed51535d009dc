"""The project's middleware: each answer's server time, and pages sent gzipped."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"a poster's pixels " * 40
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="342">' + b"<g/>" * 80 + b"</svg>"


@pytest.fixture
def member_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user("ana", password="pw-ana-123"))
    return client


@pytest.fixture
def posters(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """An image cache holding a JPEG poster (as TMDB sends) and an SVG one (the simulator's)."""
    settings.IMAGE_CACHE_DIR = tmp_path / "images"
    folder = tmp_path / "images" / "w342"
    folder.mkdir(parents=True)
    (folder / "photo.jpg").write_bytes(JPEG)
    (folder / "drawn.jpg").write_bytes(SVG)
    return folder


def test_every_answer_says_how_long_the_server_took() -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    timing = re.fullmatch(r"app;dur=(\d+\.\d), cpu;dur=(\d+\.\d)", response["Server-Timing"])
    assert timing
    app, cpu = map(float, timing.groups())
    assert app > 0 and cpu <= app + 1  # the thread cannot use more time than it took


def test_a_page_reaches_a_browser_that_accepts_gzip_compressed() -> None:
    plain = Client().get("/login/")
    packed = Client().get("/login/", headers={"Accept-Encoding": "gzip, deflate, br"})

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    page = gzip.decompress(packed.content).decode()
    assert "<h1>Log in</h1>" in page
    assert len(packed.content) < len(plain.content) / 2


def test_the_same_page_compressed_again_differs_in_length_against_breach() -> None:
    """Django pads each gzipped answer with random bytes; the CSRF token is masked anew."""
    client = Client()
    lengths = {
        len(client.get("/login/", headers={"Accept-Encoding": "gzip"}).content) for _ in range(6)
    }

    assert len(lengths) > 1


def test_a_jpeg_poster_is_sent_as_it_is_and_an_svg_one_gzipped(
    member_client: Client, posters: Path
) -> None:
    photo = member_client.get("/img/poster/w342/photo.jpg", headers={"Accept-Encoding": "gzip"})
    drawn = member_client.get("/img/poster/w342/drawn.jpg", headers={"Accept-Encoding": "gzip"})

    assert photo["Content-Type"] == "image/jpeg"
    assert "Content-Encoding" not in photo
    assert photo.content == JPEG
    assert drawn["Content-Type"] == "image/svg+xml"
    assert drawn["Content-Encoding"] == "gzip"
    assert gzip.decompress(drawn.content) == SVG


def test_a_gzipped_poster_revalidated_with_its_weak_etag_is_not_sent_again(
    member_client: Client, posters: Path
) -> None:
    first = member_client.get("/img/poster/w342/drawn.jpg", headers={"Accept-Encoding": "gzip"})
    assert first["ETag"].startswith('W/"')  # gzip made it weak

    again = member_client.get(
        "/img/poster/w342/drawn.jpg",
        headers={"Accept-Encoding": "gzip", "If-None-Match": first["ETag"]},
    )

    assert again.status_code == 304
    assert again.content == b""
    other = member_client.get(
        "/img/poster/w342/photo.jpg", headers={"If-None-Match": first["ETag"]}
    )
    assert other.status_code == 200
