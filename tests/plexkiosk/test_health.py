"""/healthz: database and broker checked, no login, 503 naming what fails."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import requires_services

pytestmark = pytest.mark.django_db


@requires_services
def test_healthz_answers_200_when_database_and_broker_are_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@override_settings(CELERY_BROKER_URL="redis://:hunter2@127.0.0.1:1/0")
def test_healthz_answers_503_naming_the_broker_when_it_is_unreachable(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "hunter2" not in response.content.decode()


@pytest.mark.parametrize(("broker", "status"), [(None, 200), ("redis://127.0.0.1:1/0", 503)])
def test_healthz_needs_no_login_and_is_never_cached(
    client: Client, settings, broker: str | None, status: int
) -> None:
    if broker:
        settings.CELERY_BROKER_URL = broker
    response = client.get("/healthz")
    assert response.status_code == status
    assert "no-cache" in response["Cache-Control"]


def test_healthz_names_the_database_when_it_fails(client: Client, monkeypatch) -> None:
    from core import checks

    def broken_cursor() -> None:
        raise checks.connection.OperationalError("connection refused")

    monkeypatch.setattr(checks.connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "database" in response.json()["failing"]
