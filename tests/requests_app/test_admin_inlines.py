"""A request's admin page shows its history and its episodes, read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from requests_app.models import EpisodeState, MediaRequest, RequestEpisode

pytestmark = pytest.mark.django_db


def test_a_requests_admin_page_shows_its_episodes_and_history_without_edit_fields(client) -> None:
    admin = User.objects.create_superuser("root", password="pw-root-1234")
    request = MediaRequest.objects.create(
        requested_by=admin, media_type="tv", tmdb_id=1396, title="Breaking Bad", year=2008, season=1
    )
    RequestEpisode.objects.create(
        request=request, number=1, title="Pilot", state=EpisodeState.IN_PLEX
    )
    client.force_login(admin)
    page = client.get(f"/admin/requests_app/mediarequest/{request.pk}/change/").content.decode()
    assert "Pilot" in page and "In Plex" in page
    assert 'name="episodes-0-title"' not in page  # shown, not an input
    assert 'name="episodes-MAX_NUM_FORMS" value="0"' in page  # nothing can be added
