"""Secrets (Plex token, qBittorrent password, indexer and TMDB keys, SECRET_KEY, notification
URLs) never appear in logs, exceptions, stored failure reasons, task results, pages or the API.

Every secret has a distinctive value; the services are driven into failure (unreachable,
HTTP 500, wrong password) with logging captured at DEBUG everywhere, including urllib3,
which logs request URLs with their `?apikey=` and `X-Plex-Token=` at DEBUG.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_celery_results.models import TaskResult

from core.log_redaction import RedactSecrets, redact
from downloads.models import Download, Indexer
from downloads.qbittorrent import QBittorrent
from downloads.releases import MediaQuery
from downloads.search import find_best_release
from library.models import SyncRun
from library.sync import sync_library
from library.tasks import sync_plex_library_task
from plexkiosk import views
from plexkiosk.simulators.plex import PlexSimulator
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.tmdb import start_tmdb_simulator
from plexkiosk.simulators.torznab import TorznabSimulator
from requests_app import tmdb
from requests_app.models import MediaRequest, Status
from requests_app.tasks import process_request_task

PLEX = "SECRET-plex-7f3a9"
QBT = "SECRET-qbt-41c2e"
INDEXER = "SECRETindexer93be1"
TMDB = "SECRETtmdb5d0a7"
DJANGO = "SECRET-django-key-0c8f1e6a2b"
NOTIFY = "tgram://SECRETbot77aa:tok/12345"
SECRETS = (PLEX, QBT, INDEXER, TMDB, DJANGO, "SECRETbot77aa")


def closed_url() -> str:
    """Return an http URL on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def assert_clean(what: str, text: str) -> None:
    """Fail naming the secret and where it showed up."""
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked in {what}: ...{_around(text, secret)}..."


def _around(text: str, secret: str) -> str:
    at = text.index(secret)
    return text[max(0, at - 120) : at + 60]


def _console() -> logging.Handler:
    """Return the handler settings.LOGGING configures on the root logger."""
    [console] = [h for h in logging.getLogger().handlers if h.name == "console"]
    return console


def exception_text(exc: BaseException) -> str:
    """Return the exception as a traceback prints it, with its whole cause chain."""
    return "".join(traceback.format_exception(exc))


@pytest.fixture
def secret_settings(settings: Any) -> Any:
    """Configure every secret with its distinctive value."""
    settings.SECRET_KEY = DJANGO
    settings.PLEX_TOKEN = PLEX
    settings.PLEX_URL = closed_url()
    settings.PLEX_TIMEOUT = 2
    settings.QBITTORRENT_URL = closed_url()
    settings.QBITTORRENT_USERNAME = "admin"
    settings.QBITTORRENT_PASSWORD = QBT
    settings.TMDB_API_KEY = TMDB
    settings.TMDB_URL = closed_url()
    settings.NOTIFY_URLS = [NOTIFY]
    return settings


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[..., None]]:
    """Capture all logging at DEBUG; give a check that what handlers would write is clean."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "celery", "apprise", "django"):
        caplog.set_level(logging.DEBUG, logger=name)

    def check(*, expect_masked_urls: bool = False) -> None:
        formatters = [
            logging.Formatter("%(levelname)s %(name)s: %(message)s"),
            _console().formatter,  # the configured text or JSON one
        ]
        from pythonjsonlogger.json import JsonFormatter

        formatters.append(JsonFormatter("%(levelname)s %(name)s %(message)s"))
        assert caplog.records, "nothing was logged: the capture is broken"
        masked = [r for r in caplog.records if r.name.startswith("urllib3") and "=***" in r.msg]
        if expect_masked_urls:
            # urllib3 did log request URLs with a key in them: the filter is what saved us.
            assert masked, [r.getMessage() for r in caplog.records if r.name == "urllib3"]
        for record in caplog.records:
            RedactSecrets().filter(record)  # what the configured handler does first
            for formatter in formatters:
                assert_clean(f"a log line of {record.name}", formatter.format(record))

    yield check


def test_the_configured_log_handler_masks_secrets_in_text_and_json(settings: Any) -> None:
    settings.PLEX_TOKEN, settings.QBITTORRENT_PASSWORD = PLEX, QBT
    console = _console()
    assert any(isinstance(f, RedactSecrets) for f in console.filters)
    try:
        raise ConnectionError(f"GET /library?X-Plex-Token={PLEX} failed, password {QBT}")
    except ConnectionError:
        record = logging.getLogger("urllib3").makeRecord(
            "urllib3", logging.DEBUG, __file__, 1, "GET %s", (f"/api?apikey={INDEXER}&t=caps",),
            exc_info=__import__("sys").exc_info(),
        )  # fmt: skip
    console.filter(record)
    from pythonjsonlogger.json import JsonFormatter

    for formatter in (logging.Formatter(), JsonFormatter()):
        output = formatter.format(record)
        assert "apikey=***" in output and "X-Plex-Token=***" in output
        assert_clean("a formatted record", output)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/api?t=search&apikey={INDEXER}&q=x", "/api?t=search&apikey=***&q=x"),
        (f"/library/sections?X-Plex-Token={PLEX}", "/library/sections?X-Plex-Token=***"),
        (f"username=admin&password={QBT}", "username=admin&password=***"),
        (f"/3/search/movie?api_key={TMDB}&query=x", "/3/search/movie?api_key=***&query=x"),
        (f"{{'X-Plex-Token': '{PLEX}'}}", "{'X-Plex-Token': '***'}"),
        ("mailto://me:hunter2secret@example.com", "mailto://me:***@example.com"),
    ],
)
def test_credential_values_in_urls_forms_and_headers_are_masked(text: str, expected: str) -> None:
    assert redact(text, secrets=()) == expected


@pytest.mark.django_db
def test_failing_services_leak_no_secret_in_logs_exceptions_or_stored_reasons(
    secret_settings: Any,
    everything_logged: Callable[..., None],
) -> None:
    errors: list[str] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            call()
        except Exception as exc:
            errors.append(exception_text(exc))

    # Plex: unreachable, then the simulator (token in every URL) answering.
    attempt(lambda: sync_library(full=True))
    plex = PlexSimulator(token=PLEX)
    plex.seed(movies=3, shows=1, seasons=1, episodes=2)
    secret_settings.PLEX_URL = plex.start()
    try:
        sync_library(full=True)
    finally:
        plex.stop()
    # Indexers: one unreachable, one answering HTTP 500.
    broken = TorznabSimulator(api_key=INDEXER, mode="server-error").start()
    try:
        Indexer.objects.create(name="down", url=closed_url(), api_key=INDEXER, timeout=3)
        Indexer.objects.create(name="broken", url=broken.url, api_key=INDEXER, timeout=3)
        attempt(lambda: find_best_release(MediaQuery(media_type="movie", title="Dune", year=2021)))
    finally:
        broken.stop()
    # qBittorrent: unreachable, then a wrong password.
    attempt(lambda: QBittorrent().login())
    qbt = QBittorrentSimulator(password="the-right-one")
    secret_settings.QBITTORRENT_URL = qbt.start()
    try:
        attempt(lambda: QBittorrent().login())
    finally:
        qbt.stop()
    # TMDB: unreachable, then refusing the key.
    attempt(lambda: tmdb.search("Dune"))
    server, secret_settings.TMDB_URL = start_tmdb_simulator(api_key="another-key")
    try:
        attempt(lambda: tmdb.search("Arrival"))
    finally:
        server.stop()

    assert len(errors) == 6, errors
    for text in errors:
        assert_clean("an exception", text)
    for run in SyncRun.objects.all():
        assert_clean("a sync run's error", run.error)
    for indexer in Indexer.objects.all():
        assert indexer.last_error  # the failure was recorded, without the key
        assert_clean("an indexer's last error", indexer.last_error)
    everything_logged(expect_masked_urls=True)


@pytest.mark.django_db
def test_a_failing_task_stores_no_secret_in_its_result_row(
    secret_settings: Any, monkeypatch: pytest.MonkeyPatch, everything_logged: Callable[..., None]
) -> None:
    # Store what a worker would: args, kwargs, result and traceback (CELERY_RESULT_EXTENDED).
    monkeypatch.setattr(sync_plex_library_task, "store_eager_result", True)
    monkeypatch.setattr(sync_plex_library_task, "max_retries", 0)
    result = sync_plex_library_task.apply(kwargs={"full_sync": True})
    assert result.failed()
    row = TaskResult.objects.get(task_id=result.id)
    assert row.status == "FAILURE" and row.traceback
    stored = json.dumps(
        {f.name: str(getattr(row, f.name)) for f in TaskResult._meta.get_fields() if f.concrete}
    )
    assert_clean("the task result row", stored)
    everything_logged()


@pytest.mark.django_db
def test_pages_api_checks_and_the_error_page_show_no_secret(
    secret_settings: Any,
    staff: Any,
    monkeypatch: pytest.MonkeyPatch,
    everything_logged: Callable[..., None],
) -> None:
    secret_settings.DEBUG = False
    indexer = Indexer.objects.create(name="down", url=closed_url(), api_key=INDEXER, timeout=3)
    Download.objects.create(
        info_hash="a" * 40, release_title="x", media_type="movie", title="x", state="failed"
    )
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    seen: dict[str, str] = {}
    for url in ("/healthz", "/status/", f"/admin/downloads/indexer/{indexer.pk}/change/"):
        seen[url] = client.get(url).content.decode()
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, methods in schema["paths"].items():
        if "get" in methods and "{" not in path:
            response = client.get(path)
            assert response.status_code < 500, path
            seen[path] = response.content.decode()
    out = io.StringIO()
    # Services are down: the command may exit non-zero, which is its job.
    with contextlib.suppress(SystemExit, CommandError):
        call_command("check_services", stdout=out, stderr=out)
    seen["check_services"] = out.getvalue()

    def explode() -> None:
        raise RuntimeError(f"could not reach http://plex/?X-Plex-Token={PLEX} ({QBT})")

    monkeypatch.setattr(views, "status_context", explode)
    crashed = client.get("/status/")
    assert crashed.status_code == 500
    seen["the 500 page"] = crashed.content.decode()

    assert len(seen) >= 8
    for where, text in seen.items():
        assert_clean(where, text)
    everything_logged()


@pytest.mark.django_db
@pytest.mark.parametrize("indexer_mode", ["server-error", "wrong-key"])
def test_a_request_failed_by_its_indexers_shows_no_key_in_its_reason_task_page_or_api(
    secret_settings: Any,
    staff: Any,
    monkeypatch: pytest.MonkeyPatch,
    everything_logged: Callable[..., None],
    indexer_mode: str,
) -> None:
    simulator = TorznabSimulator(
        api_key=INDEXER if indexer_mode == "server-error" else "not-the-configured-key",
        mode="server-error" if indexer_mode == "server-error" else "ok",
    ).start()
    try:
        Indexer.objects.create(name="broken", url=simulator.url, api_key=INDEXER, timeout=3)
        Indexer.objects.create(name="down", url=closed_url(), api_key=INDEXER, timeout=3)
        request = MediaRequest.objects.create(
            requested_by=staff, media_type="movie", title="Dune", year=2021, tmdb_id=438631,
            status=Status.APPROVED,
        )  # fmt: skip
        monkeypatch.setattr(process_request_task, "store_eager_result", True)
        monkeypatch.setattr(process_request_task, "max_retries", 0)
        result = process_request_task.apply(args=[request.pk])
    finally:
        simulator.stop()
    request.refresh_from_db()
    assert request.status == Status.FAILED and request.status_reason
    row = TaskResult.objects.get(task_id=result.id)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    seen = {
        "the request's reason": request.status_reason,
        "the task result row": json.dumps(
            {f.name: str(getattr(row, f.name)) for f in TaskResult._meta.get_fields() if f.concrete}
        ),
    }
    for url in (
        f"/api/v1/requests/{request.pk}/",
        f"/api/v1/tasks/{result.id}/",
        "/api/v1/requests/",
        "/status/",
        f"/requests/{request.pk}/",
        "/admin/downloads/indexer/",
    ):
        response = client.get(url)
        assert response.status_code < 500, url
        seen[url] = response.content.decode()
    for where, text in seen.items():
        assert_clean(where, text)
    everything_logged(expect_masked_urls=True)


@pytest.mark.django_db
def test_the_debug_error_page_masks_secrets_in_the_message_locals_and_settings(
    secret_settings: Any, staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DEBUG=true is for development, but a self-hoster chasing a bug may turn it on.
    secret_settings.DEBUG = True
    secret_settings.CELERY_BROKER_URL = "redis://:SECRETbot77aa@127.0.0.1:6379/0"

    def explode() -> None:
        token, password = PLEX, QBT  # locals the page lists for every frame
        raise RuntimeError(f"GET http://plex/?X-Plex-Token={token} as admin:{password}")

    monkeypatch.setattr(views, "status_context", explode)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    page = client.get("/status/", HTTP_ACCEPT="text/html")
    text = client.get("/status/", HTTP_ACCEPT="text/plain")
    assert page.status_code == text.status_code == 500
    assert_clean("the DEBUG error page", page.content.decode())
    assert_clean("the DEBUG error text", text.content.decode())
    assert b"X-Plex-Token=***" in page.content and b"NOTIFY_URLS" in page.content
