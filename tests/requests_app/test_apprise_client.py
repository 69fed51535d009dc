"""Notifications: real Apprise deliveries to an HTTP endpoint started by the test."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from apprise.plugins.discord import NotifyDiscord
from pytest_django.fixtures import Settings as SettingsWrapper

from requests_app import apprise_client


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Endpoint:
    """A local HTTP endpoint that records what it receives and answers `status`."""

    server: ThreadingHTTPServer
    deliveries: list[Delivery] = field(default_factory=list)
    status: int = 200

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """Start a recording HTTP endpoint on a free loopback port."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.deliveries.append(
                Delivery(self.path, dict(self.headers), self.rfile.read(length))
            )
            self.send_response(received.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received = Endpoint(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_notification_reaches_a_json_endpoint_with_its_title_and_body(
    endpoint: Endpoint,
) -> None:
    sent = apprise_client.send(
        [f"json://{endpoint.address}/kiosk-hook"],
        title="Amélie (2001) is ready",
        body="It is in Plex now: Movies / Amélie (2001).",
    )

    assert sent is True
    (delivery,) = endpoint.deliveries
    assert delivery.path == "/kiosk-hook"
    assert delivery.json()["title"] == "Amélie (2001) is ready"
    assert delivery.json()["message"] == "It is in Plex now: Movies / Amélie (2001)."
    assert delivery.headers["User-Agent"] == "Plex Kiosk"


def test_a_form_url_posts_the_fields_as_a_form(endpoint: Endpoint) -> None:
    assert apprise_client.send(
        [f"form://{endpoint.address}/form"], title="Declined", body="Not now."
    )

    (delivery,) = endpoint.deliveries
    assert b"title=Declined" in delivery.body
    assert b"message=Not+now." in delivery.body


def test_every_url_is_tried_and_one_failure_makes_the_result_false(
    endpoint: Endpoint,
) -> None:
    urls = [
        f"json://127.0.0.1:{closed_port()}/nobody-listens",
        f"json://{endpoint.address}/still-delivered",
    ]

    sent = apprise_client.send(urls, title="Breaking Bad S01 failed", body="No release found.")

    assert sent is False
    assert [d.path for d in endpoint.deliveries] == ["/still-delivered"]


def test_an_endpoint_answering_500_is_a_failure_that_does_not_raise(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.status = 500

    sent = apprise_client.send(
        [f"json://{endpoint.address}/hook"], title="Completed", body="Ready."
    )

    assert sent is False
    assert len(endpoint.deliveries) == 1
    assert "'Completed' not delivered to JSON" in caplog.text


def test_a_failed_delivery_is_logged_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"json://kiosk:Sup3rSecretPass@127.0.0.1:{closed_port()}/hook"

    sent = apprise_client.send([url], title="Completed", body="Ready.")

    assert sent is False
    assert "not delivered to JSON (json://kiosk:****@127.0.0.1" in caplog.text
    assert "Sup3rSecretPass" not in caplog.text


def test_our_failure_line_leaves_out_paths_apprise_does_not_mask(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An ntfy topic is as good as a password on a public server, but Apprise shows it.
    port = closed_port()

    assert (
        apprise_client.send([f"ntfy://127.0.0.1:{port}/family-secret-topic"], title="T", body="B")
        is False
    )

    ours = [r.getMessage() for r in caplog.records if r.name == "requests_app.apprise_client"]
    assert ours == [f"Notification 'T' not delivered to ntfy (ntfy://127.0.0.1:{port}/…)"]


def test_a_webhook_token_that_apprise_logs_at_debug_is_scrubbed(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Discord's plugin logs its endpoint, token included, at DEBUG; point it at our endpoint.
    monkeypatch.setattr(NotifyDiscord, "notify_url", f"http://{endpoint.address}/api/webhooks")
    endpoint.status = 500
    caplog.set_level(logging.DEBUG)
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"

    sent = apprise_client.send([f"discord://123456789012/{token}"], title="Failed", body="Stalled.")

    assert sent is False
    # The token really went to the service...
    assert endpoint.deliveries[0].path == f"/api/webhooks/123456789012/{token}"
    # ...and Apprise's debug line was written, with the token hidden.
    assert "Discord POST URL" in caplog.text
    assert token not in caplog.text
    assert "123456789012" not in caplog.text


def test_an_unusable_url_returns_false_without_raising(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    sent = apprise_client.send(
        ["nonsense-not-a-url", "mystery://abc", f"json://{endpoint.address}/ok"],
        title="Completed",
        body="Ready.",
    )

    assert sent is False
    assert len(endpoint.deliveries) == 1
    assert "an unusable URL (mystery:// scheme)" in caplog.text


def test_a_single_url_passed_as_a_string_is_sent_once(endpoint: Endpoint) -> None:
    assert apprise_client.send(f"json://{endpoint.address}/one", title="Hello", body="World")  # type: ignore[arg-type]

    assert [d.path for d in endpoint.deliveries] == ["/one"]


def test_sending_to_no_urls_succeeds_and_sends_nothing(endpoint: Endpoint) -> None:
    assert apprise_client.send([], title="Completed", body="Ready.") is True
    assert endpoint.deliveries == []


def test_admin_urls_come_from_notify_urls(settings: SettingsWrapper) -> None:
    settings.NOTIFY_URLS = ["ntfy://ntfy.sh/household", " ", "mailto://a:b@example.com "]

    assert apprise_client.admin_urls() == ["ntfy://ntfy.sh/household", "mailto://a:b@example.com"]


def test_admin_urls_are_empty_by_default(settings: SettingsWrapper) -> None:
    settings.NOTIFY_URLS = []

    assert apprise_client.admin_urls() == []


@pytest.mark.parametrize(
    "url",
    [
        "ntfy://ntfy.sh/plexkiosk-family",
        "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321",
        "discord://123456789012345678/AbCdEfGhIjKlMnOp",
        "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOp",
        "mailto://alice:app-password@gmail.com",
        "json://homeassistant.lan:8123/api/webhook/kiosk",
    ],
)
def test_urls_apprise_understands_are_accepted(url: str) -> None:
    assert apprise_client.validate_url(url) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter a notification URL"),
        ("   ", "Enter a notification URL"),
        ("my phone", "starts with its service"),
        ("mystery://abc", "does not know the service mystery://"),
        ("tgram://", "incomplete or invalid"),
        ("https://example.com/some/page", "does not recognise this web address"),
        ("dbus://", "server's own desktop"),
        ("syslog://", "server's own desktop"),
        ("ntfy://ntfy.sh/" + "x" * 2100, "longer than 2000"),
    ],
)
def test_urls_apprise_cannot_use_are_refused_with_a_reason(url: str, message: str) -> None:
    error = apprise_client.validate_url(url)

    assert error is not None
    assert message in error


def test_validating_a_url_does_not_log_its_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    apprise_client.validate_url("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321")
    apprise_client.validate_url("mailto://alice:Sup3rSecretPass@")

    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in caplog.text
    assert "Sup3rSecretPass" not in caplog.text
