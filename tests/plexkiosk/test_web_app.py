"""The kiosk as an installable web app on a wall tablet: the manifest, its icons, kiosk mode."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def png_size(path: Path) -> tuple[int, int]:
    """Read a PNG's width and height, after checking it decodes as a whole."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, size, pixels = 8, None, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            pixels += body
        offset += 12 + length
    assert size is not None
    width, height = size
    assert len(zlib.decompress(pixels)) == height * (1 + 3 * width)  # 8-bit RGB rows
    return width, height


@pytest.fixture
def member_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user("ana", password="pw-ana-123"))
    return client


def test_the_manifest_describes_a_full_screen_app_that_opens_at_home(client: Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Plex Kiosk"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] in ("fullscreen", "standalone")
    assert manifest["theme_color"].startswith("#")
    assert manifest["background_color"].startswith("#")


def test_the_manifest_icons_exist_and_are_pngs_of_their_stated_size(client: Client) -> None:
    icons = json.loads(client.get("/manifest.webmanifest").content)["icons"]
    assert {icon["sizes"] for icon in icons} == {"192x192", "512x512"}
    for icon in icons:
        assert icon["type"] == "image/png"
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert found, icon["src"]
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert png_size(Path(found)) == (width, height)


def test_every_page_links_the_manifest_theme_colour_and_touch_icon(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert '<meta name="theme-color"' in page
    assert 'rel="apple-touch-icon" href="/static/icons/icon-192.png"' in page


def test_without_kiosk_mode_no_page_carries_the_idle_script(member_client: Client) -> None:
    page = member_client.get("/").content.decode()
    assert "kiosk-idle.js" not in page
    assert "data-idle-minutes" not in page


def test_kiosk_mode_puts_the_idle_script_and_its_minutes_on_every_page(
    member_client: Client, settings: SettingsWrapper
) -> None:
    settings.KIOSK_IDLE_MINUTES = 2.5
    for url in ("/", "/requests/", "/profile/"):
        page = member_client.get(url).content.decode()
        assert 'src="/static/js/kiosk-idle.js"' in page, url
        assert 'data-idle-minutes="2.5"' in page, url
        assert 'data-logout-url="/logout/"' in page, url


def test_kiosk_mode_leaves_the_login_page_alone(client: Client, settings: SettingsWrapper) -> None:
    settings.KIOSK_IDLE_MINUTES = 2.5
    assert "kiosk-idle.js" not in client.get("/login/").content.decode()


def test_the_idle_script_is_served_as_a_static_file() -> None:
    found = finders.find("js/kiosk-idle.js")
    assert found
    assert "X-CSRFToken" in Path(found).read_text()
