"""The staff downloads API and page: who may see them, and what they never show."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from downloads.models import Download, ReleaseCandidate, ReleaseSearch
from downloads.views import eta_text

pytestmark = pytest.mark.django_db
SECRET_LINK = "http://jackett:9117/dl/1337x/?jackett_apikey=s3cr3tkey&file=Dune"
SECRET_MAGNET = "magnet:?xt=urn:btih:" + "cd" * 20 + "&tr=http://tracker/announce?passkey=pk999"


def user(name: str, *, staff: bool = False) -> Any:
    """Create a user, staff or member."""
    return get_user_model().objects.create_user(name, password="pw-12345", is_staff=staff)


@pytest.fixture
def downloads() -> list[Download]:
    """A running download from a candidate with secret links, and a finished one."""
    search = ReleaseSearch.objects.create(
        media_type="movie", title="Dune", year=2021, status=ReleaseSearch.Status.FOUND
    )
    candidate = ReleaseCandidate.objects.create(
        search=search,
        rank=1,
        title="Dune.2021.1080p.BluRay.x264-SIM",
        size=10 << 30,
        seeders=40,
        download_url=SECRET_LINK,
        magnet_url=SECRET_MAGNET,
        score=10,
        accepted=True,
    )
    running = Download.objects.create(
        info_hash="cd" * 20,
        release_title=candidate.title,
        indexer="1337x",
        candidate=candidate,
        size=10 << 30,
        media_type="movie",
        title="Dune",
        year=2021,
        state=Download.State.DOWNLOADING,
        progress=0.424,
        dlspeed=5 << 20,
        eta=3900,
        seeders=12,
    )
    done = Download.objects.create(
        info_hash="ef" * 20,
        release_title="Heat.1995.1080p.BluRay",
        media_type="movie",
        title="Heat",
        year=1995,
        state=Download.State.IMPORTED,
        progress=1.0,
        library_folder="/media/Movies/Heat (1995)",
    )
    return [running, done]


def test_anonymous_and_members_are_refused_the_api(downloads: list[Download]) -> None:
    api = APIClient()
    assert api.get("/api/v1/downloads/").status_code == 403  # session login first: no 401
    api.force_authenticate(user("ana"))
    assert api.get("/api/v1/downloads/").status_code == 403
    assert api.get(f"/api/v1/downloads/{downloads[0].pk}/").status_code == 403


def test_staff_list_downloads_newest_first_paginated_without_any_link(
    downloads: list[Download],
) -> None:
    api = APIClient()
    api.force_authenticate(user("sam", staff=True))
    answer = api.get("/api/v1/downloads/")

    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and [d["title"] for d in body["results"]] == ["Heat", "Dune"]
    dune = body["results"][1]
    assert dune["percent"] == 42.4 and dune["dlspeed"] == 5 << 20 and dune["eta"] == 3900
    text = answer.content.decode()
    for secret in ("download_url", "magnet_url", "s3cr3tkey", "pk999", "jackett", "save_path"):
        assert secret not in text


def test_staff_filter_by_state_and_read_one_download(downloads: list[Download]) -> None:
    api = APIClient()
    api.force_authenticate(user("sam", staff=True))
    listed = api.get("/api/v1/downloads/?state=imported").json()
    assert [d["title"] for d in listed["results"]] == ["Heat"]
    one = api.get(f"/api/v1/downloads/{downloads[0].pk}/").json()
    assert one["info_hash"] == "cd" * 20 and "s3cr3tkey" not in str(one)


def test_staff_read_which_episodes_a_download_fetches(downloads: list[Download]) -> None:
    Download.objects.filter(pk=downloads[0].pk).update(
        media_type="tv", title="Show", season=2, episodes=[2, 3], select_files=True
    )
    api = APIClient()
    api.force_authenticate(user("sam", staff=True))
    one = api.get(f"/api/v1/downloads/{downloads[0].pk}/").json()
    assert (one["season"], one["episodes"], one["select_files"]) == (2, [2, 3], True)
    assert one["files_selected_at"] is None  # its files are not chosen yet


def test_the_api_is_read_only(downloads: list[Download]) -> None:
    api = APIClient()
    api.force_authenticate(user("sam", staff=True))
    assert api.delete(f"/api/v1/downloads/{downloads[0].pk}/").status_code == 405
    assert api.post("/api/v1/downloads/", {"title": "x"}).status_code == 405
    assert Download.objects.count() == 2


def test_the_staff_page_shows_progress_speed_and_eta(downloads: list[Download]) -> None:
    browser = Client()
    browser.force_login(user("sam", staff=True))
    page = browser.get("/downloads/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-valuenow="42"' in html and "width: 42%" in html
    assert "5.2\xa0MB/s" in html and "1 h 5 min" in html
    assert "Heat" in html and "/media/Movies/Heat (1995)" in html
    assert "s3cr3tkey" not in html and "pk999" not in html


def test_the_page_is_staff_only(downloads: list[Download]) -> None:
    browser = Client()
    assert browser.get("/downloads/").status_code == 302  # to the login page
    browser.force_login(user("ana"))
    assert browser.get("/downloads/").status_code == 403


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "unknown"), (42, "42 s"), (600, "10 min"), (7200, "2 h"), (3 * 86400, "3 days")],
)
def test_eta_reads_as_a_person_would_say_it(seconds: int | None, text: str) -> None:
    assert eta_text(seconds) == text
