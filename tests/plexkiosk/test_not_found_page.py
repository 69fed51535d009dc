"""An address that leads nowhere answers the kiosk's own page, with its menu and a way home."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_member_on_an_unknown_address_gets_the_kiosks_page_not_found(client: Client) -> None:
    client.force_login(User.objects.create_user("ana", password="pw-ana-123"))

    answer = client.get("/no-such-page/")

    page = answer.content.decode()
    assert answer.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert 'href="/requests/">My requests</a>' in page  # the kiosk's menu is there
    assert '<a class="button" href="/">Back to the kiosk</a>' in page
    assert '<html lang="en">' in page


def test_a_stranger_gets_the_same_page_without_the_menu(client: Client) -> None:
    answer = client.get("/no-such-page/")

    assert answer.status_code == 404
    assert "<h1>Page not found</h1>" in answer.content.decode()
    assert "My requests" not in answer.content.decode()
