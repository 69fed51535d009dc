"""Plex tokens are masked in log records wherever plex.tv's answers or requests carry them."""

from __future__ import annotations

import logging

import pytest
import requests
from pytest_django.fixtures import Settings as SettingsWrapper

from core.log_redaction import RedactSecrets, redact
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
