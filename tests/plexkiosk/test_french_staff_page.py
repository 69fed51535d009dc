"""The staff-only answer reads in French for a browser that asks for French."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_a_member_asking_in_french_reads_that_the_page_is_for_staff(client) -> None:
    client.force_login(User.objects.create_user("marie", password="pw-marie-123"))
    answer = client.get("/status/", HTTP_ACCEPT_LANGUAGE="fr")
    page = answer.content.decode()
    assert answer.status_code == 403
    assert "Cette page est réservée à l’équipe." in page
    assert "Retour au kiosque" in page
