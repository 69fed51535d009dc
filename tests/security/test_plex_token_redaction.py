"""Plex tokens are masked in log records wherever plex.tv's answers or requests carry them."""

from __future__ import annotations

import logging
import sys

import pytest
import requests
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from core.log_redaction import (
    RedactingAdminEmailHandler,
    RedactingExceptionReporter,
    RedactSecrets,
    redact,
)
from plexkiosk.simulators.plextv import OWNER_TOKEN, PlexTVSimulator, start_plextv_simulator

TOKEN = "Zx9-plexUserToken_42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"X-Plex-Token: {TOKEN}", "X-Plex-Token: ***"),
        (f"{{'X-Plex-Token': '{TOKEN}', 'Accept': 'x'}}", "{'X-Plex-Token': '***', 'Accept': 'x'}"),
        (f"GET /api/v2/user?X-Plex-Token={TOKEN}&a=1", "GET /api/v2/user?X-Plex-Token=***&a=1"),
        (f'{{"id": 1, "authToken": "{TOKEN}"}}', '{"id": 1, "authToken": "***"}'),
        (f'{{"authToken":"{TOKEN}"}}', '{"authToken":"***"}'),
        (f'"body": "{{\\"authToken\\": \\"{TOKEN}\\"}}"', '"body": "{\\"authToken\\": \\"***\\"}"'),
        (f'<user id="5" authenticationToken="{TOKEN}" title="Kids"/>',
         '<user id="5" authenticationToken="***" title="Kids"/>'),
        (f"<pin id='7' authToken='{TOKEN}'/>", "<pin id='7' authToken='***'/>"),
        (f'{{"name": "srv", "accessToken": "{TOKEN}"}}', '{"name": "srv", "accessToken": "***"}'),
        ("POST /api/home/users/5/switch?pin=1234", "POST /api/home/users/5/switch?pin=***"),
        ("mapping: 1, spin=2, pins/1001", "mapping: 1, spin=2, pins/1001"),
    ],
)  # fmt: skip
def test_plex_tokens_are_masked_in_headers_queries_json_and_xml(text: str, expected: str) -> None:
    assert redact(text, secrets=()) == expected


def test_the_plex_token_key_setting_is_masked(settings: SettingsWrapper) -> None:
    settings.PLEX_TOKEN_KEY = "a-dedicated-plex-token-key-0123456789abcdef"
    assert redact(f"key is {settings.PLEX_TOKEN_KEY}.") == "key is ***."


@pytest.fixture
def sim() -> PlexTVSimulator:
    server, _ = start_plextv_simulator()
    yield server
    server.stop()


def test_raw_plex_tv_answers_logged_by_a_library_show_no_token(
    sim: PlexTVSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"X-Plex-Token": OWNER_TOKEN, "X-Plex-Client-Identifier": "test"}
    as_json = {**headers, "Accept": "application/json"}
    answers = [
        requests.get(f"{sim.url}/api/v2/user", headers=as_json, timeout=5),
        requests.get(f"{sim.url}/api/v2/user", headers=headers, timeout=5),  # XML
        requests.post(f"{sim.url}/api/home/users/1005/switch?pin=1234", headers=headers, timeout=5),
        requests.get(f"{sim.url}/api/v2/resources", headers=as_json, timeout=5),
    ]
    pin = requests.post(f"{sim.url}/api/v2/pins", headers=as_json, timeout=5).json()
    sim.approve(pin["code"], "bob")
    answers.append(requests.get(f"{sim.url}/api/v2/pins/{pin['id']}", headers=as_json, timeout=5))
    texts = [answer.text for answer in answers]
    for secret in (OWNER_TOKEN, "sim-kid-token", "sim-bob-token"):
        assert any(secret in text for text in texts)  # the answers do carry tokens

    logger = logging.getLogger("plexapi")
    redactor = RedactSecrets()
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.DEBUG, logger="plexapi"):
            for answer in answers:
                logger.debug(
                    "%s %s -> %s", answer.request.method, answer.request.headers, answer.text
                )
    finally:
        logger.removeFilter(redactor)

    assert len(caplog.records) == len(answers)
    for secret in (OWNER_TOKEN, "sim-kid-token", "sim-bob-token"):
        assert secret not in caplog.text


def _fail_holding_tokens() -> None:
    token = TOKEN
    owner_token = TOKEN + "-owner"
    headers = {"Accept": "application/json", "X-Plex-Token": token}
    pin = str(8000 + 642)  # computed: the report also quotes the source lines
    account_token = [owner_token]
    raise RuntimeError(f"a bug next to {len(headers)} headers, {len(pin + account_token[0])}")


def _report_of_a_bug() -> tuple[str, str]:
    try:
        _fail_holding_tokens()
    except RuntimeError:
        reporter = RedactingExceptionReporter(None, *sys.exc_info())
        return reporter.get_traceback_html(), reporter.get_traceback_text()
    raise AssertionError("the bug did not happen")


@pytest.mark.parametrize("debug", [True, False])
def test_error_reports_hide_tokens_and_pins_held_in_local_variables(
    settings: SettingsWrapper, debug: bool
) -> None:
    settings.DEBUG = debug
    html, text = _report_of_a_bug()
    for report in (html, text):
        assert "_fail_holding_tokens" in report and "a bug next to 2 headers" in report
        assert TOKEN not in report
        assert "8642" not in report
    assert "application/json" in html  # the rest of the frame's variables are still there


def test_the_error_mail_hides_tokens_held_in_local_variables(settings: SettingsWrapper) -> None:
    settings.DEBUG = False
    settings.ADMINS = [("Admin", "admin@example.com")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    handler = RedactingAdminEmailHandler(include_html=True)
    try:
        _fail_holding_tokens()
    except RuntimeError:
        record = logging.getLogger("django.request").makeRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (),
            sys.exc_info(),
        )  # fmt: skip
    handler.emit(record)
    (sent,) = mail.outbox
    html = sent.alternatives[0][0]
    assert "_fail_holding_tokens" in html and "_fail_holding_tokens" in sent.body
    assert TOKEN not in html and TOKEN not in sent.body and "8642" not in html
