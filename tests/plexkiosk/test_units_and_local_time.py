"""One unit (10⁹ bytes = 1 GB) and the household's clock wherever a person reads a size or time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.formatting import size_text
from downloads.models import Download, ReleaseCandidate, ReleaseSearch
from library.models import SyncRun
from requests_app.models import MediaRequest, Status

pytestmark = pytest.mark.django_db

SIZE = 9_200_000_000  # 8.6 "GB" to Django's 1024-based filesizeformat
NOON_UTC_IN_WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
NOON_UTC_IN_SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


def staff_client() -> Client:
    """Log in a superuser, who sees both the staff pages and admin."""
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("boss", password="pw-12345"))
    return client


def search_with_candidate(*, created_at: datetime = NOON_UTC_IN_WINTER) -> ReleaseCandidate:
    """Store a search made at `created_at` whose one candidate weighs SIZE bytes."""
    search = ReleaseSearch.objects.create(
        media_type="movie", title="Dune", year=2021, status=ReleaseSearch.Status.FOUND
    )
    # auto_now_add ignores a value given to create().
    ReleaseSearch.objects.filter(pk=search.pk).update(created_at=created_at)
    return ReleaseCandidate.objects.create(
        search=search,
        rank=1,
        title="Dune.2021.2160p.WEB-DL.x265-SIM",
        size=SIZE,
        seeders=40,
        score=10,
        accepted=True,
        chosen=True,
    )


def download(**fields: Any) -> Download:
    """Store a running download of SIZE bytes."""
    values = {
        "info_hash": "ab" * 20,
        "release_title": "Dune.2021.2160p.WEB-DL.x265-SIM",
        "size": SIZE,
        "media_type": "movie",
        "title": "Dune",
        "year": 2021,
        "state": Download.State.DOWNLOADING,
        "progress": 0.5,
        "dlspeed": 12_500_000,
        "eta": 368,
    }
    return Download.objects.create(**{**values, **fields})


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1_500, "1.5 kB"),
        (999_960, "1.0 MB"),
        (5 << 20, "5.2 MB"),
        (SIZE, "9.2 GB"),
        (10 << 30, "10.7 GB"),
        (1_250_000_000_000, "1.2 TB"),
        (None, "0 bytes"),
    ],
)
def test_sizes_read_in_decimal_units(size: int | None, text: str) -> None:
    assert size_text(size) == text


def test_the_downloads_page_shows_sizes_and_speeds_in_decimal_units() -> None:
    download()
    html = staff_client().get("/downloads/").content.decode()
    assert "9.2\xa0GB" in html and "8.6" not in html
    assert "12.5\xa0MB/s" in html


def test_a_request_page_in_french_shows_the_speed_in_french_decimal_units() -> None:
    member = get_user_model().objects.create_user("ana", password="pw-12345")
    request = MediaRequest.objects.create(
        requested_by=member,
        media_type="movie",
        tmdb_id=438631,
        title="Dune",
        year=2021,
        status=Status.DOWNLOADING,
        download_hash="ab" * 20,
    )
    download(owner_ref=f"request:{request.pk}")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(member)
    html = client.get(f"/requests/{request.pk}/").content.decode()
    assert "12,5\xa0Mo/s" in html


def test_admin_shows_release_sizes_in_decimal_gb() -> None:
    candidate = search_with_candidate()
    client = staff_client()
    pages = {
        "search": reverse("admin:downloads_releasesearch_change", args=[candidate.search_id]),
        "candidates": reverse("admin:downloads_releasecandidate_changelist"),
        "candidate": reverse("admin:downloads_releasecandidate_change", args=[candidate.pk]),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert "9.2 GB" in html, name
        assert "9.20" not in html and "9200000000" not in html, name


@pytest.mark.parametrize(
    ("made_at", "reads"), [(NOON_UTC_IN_WINTER, "13:00"), (NOON_UTC_IN_SUMMER, "14:00")]
)
def test_admin_names_a_search_by_its_local_time(made_at: datetime, reads: str) -> None:
    candidate = search_with_candidate(created_at=made_at)
    client = staff_client()
    day = made_at.date().isoformat()
    changelist = client.get(reverse("admin:downloads_releasecandidate_changelist")).content
    assert f"Dune ({day} {reads}): found" in changelist.decode()
    change = client.get(reverse("admin:downloads_releasesearch_change", args=[candidate.search_id]))
    assert f"Dune ({day} {reads}): found" in change.content.decode()
    assert f"{day} 12:00" not in change.content.decode()


def test_admin_names_a_sync_run_by_its_local_time() -> None:
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.FULL, status=SyncRun.Status.SUCCEEDED, started_at=NOON_UTC_IN_WINTER
    )
    html = staff_client().get(reverse("admin:library_syncrun_delete", args=[run.pk])).content
    assert "sync 2026-01-15 13:00 (succeeded)" in html.decode()
