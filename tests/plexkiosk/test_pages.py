"""Pages need a login; the first admin is made by ensure_admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/api/schema/", "/api/docs/"])
def test_pages_send_anonymous_visitors_to_the_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_member_sees_the_kiosk_and_the_api_schema(client: Client) -> None:
    user = get_user_model().objects.create_user("ana", password="pw-ana-123")
    client.force_login(user)
    assert "What would you like to watch?" in client.get("/").content.decode()
    assert client.get("/api/schema/").status_code == 200


def test_ensure_admin_creates_one_superuser_once_and_prints_the_password() -> None:
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().split("with password ")[1].split()[0]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)

    again = StringIO()
    call_command("ensure_admin", stdout=again)
    assert again.getvalue() == ""
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
