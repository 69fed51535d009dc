"""Server errors mailed to ADMINS through Django's mail handler, secrets masked.

A page that crashes and a task that fails for good each send one mail (Django's locmem
backend keeps it); neither its subject, its text nor its HTML report holds a secret, while
the traceback that makes the mail useful is still there.
"""

from __future__ import annotations

from typing import Any

import pytest
from celery import shared_task
from django.core import mail
from django.test import Client

from plexkiosk import views
from tests.security.test_secrets import PLEX, QBT, assert_clean, secret_settings  # noqa: F401

ADMIN = "admin@household.example"


@pytest.fixture
def mailing(secret_settings: Any) -> Any:  # noqa: F811 - the fixture imported above
    secret_settings.ADMINS = [("", ADMIN)]
    secret_settings.DEBUG = False
    secret_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    secret_settings.EMAIL_HOST_PASSWORD = "SECRET-smtp-8d2c1"
    mail.outbox.clear()
    return secret_settings


def the_mail() -> tuple[str, str, str]:
    """Return the subject, text and HTML report ("" if none) of the one mail to the admins."""
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    sent = mail.outbox[0]
    assert sent.to == [ADMIN]
    html = next((body for body, kind in sent.alternatives if kind == "text/html"), "")
    for what, text in (("subject", sent.subject), ("text", sent.body), ("report", html)):
        assert_clean(f"the error mail's {what}", text)
        assert "SECRET-smtp-8d2c1" not in text
    return sent.subject, sent.body, html


def boom() -> None:
    token, password = PLEX, QBT  # noqa: F841 - locals the report lists for each frame
    raise RuntimeError(f"GET http://plex:32400/?X-Plex-Token={PLEX} with admin:{QBT}")


@pytest.mark.django_db
def test_a_page_that_crashes_mails_the_admins_one_report_with_every_secret_masked(
    mailing: Any, staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "status_context", boom)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    assert client.get("/status/").status_code == 500

    subject, text, html = the_mail()
    assert subject.startswith("[Plex Kiosk] ") and "/status/" in subject
    assert "RuntimeError" in text and "X-Plex-Token=***" in text
    assert "in boom" in text, "the traceback still shows where it failed"
    assert html == "", "no HTML report: Django's default, it lists every frame's locals"


@shared_task(name="tests.security.failing_task")
def failing_task() -> None:
    boom()


@pytest.mark.django_db
def test_a_task_that_fails_for_good_mails_the_admins_with_every_secret_masked(
    mailing: Any,
) -> None:
    assert failing_task.apply().failed()

    subject, text, _ = the_mail()
    assert subject.startswith("[Plex Kiosk] ") and "tests.security.failing_task" in subject
    assert "RuntimeError" in text and "X-Plex-Token=***" in text


@pytest.mark.django_db
def test_no_mail_is_sent_while_no_admin_address_is_configured(
    mailing: Any, staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailing.ADMINS = []
    monkeypatch.setattr(views, "status_context", boom)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    assert client.get("/status/").status_code == 500
    assert mail.outbox == []
