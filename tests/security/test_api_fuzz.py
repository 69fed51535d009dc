"""The API schema, fuzzed: generated calls never get a 500 and answers match the schema.

Schemathesis builds calls (valid ones and invalid ones) from the OpenAPI schema that
`/api/schema/` serves; each goes through Django's WSGI app with a member's or a staff
member's API token. Its pytest plugin does not run under pytest 9, so the cases come from
its Hypothesis strategies, one test per operation and role.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.contrib.auth.models import AbstractUser
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downloads.models import Download
from library.models import LibraryItem, PlexSection
from requests_app import flow, tmdb
from tests.requests_app.conftest import BREAKING_BAD, DUNE
from tests.security.conftest import token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued", "plex_has")]

# Small enough for well under a minute on two cores, and the same cases every run.
FUZZ = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
RAW_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
SCHEMA = schemathesis.openapi.from_dict(RAW_SCHEMA)
OPERATIONS = [
    (path, method.upper()) for path, methods in RAW_SCHEMA["paths"].items() for method in methods
]


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI app, sharing the test's transaction as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def some_rows(member, other_member, fake_tmdb, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests, a download and a library item for generated ids to find, and a fake TMDB."""
    monkeypatch.setattr(tmdb, "search", lambda q, **_: [DUNE, BREAKING_BAD])
    flow.create_request(user=member, media_type="movie", tmdb_id=DUNE.tmdb_id)
    flow.create_request(user=other_member, media_type="tv", tmdb_id=BREAKING_BAD.tmdb_id, season=1)
    Download.objects.create(
        info_hash="c" * 40, release_title="Dune.2021.1080p-GRP", size=1 << 30, title="Dune"
    )
    section = PlexSection.objects.create(key="1", type="movie", title="Movies")
    LibraryItem.objects.create(section=section, rating_key=7, type="movie", title="Arrival")


def test_the_fuzz_covers_every_api_operation() -> None:
    assert ("/api/v1/requests/", "POST") in OPERATIONS
    assert ("/api/v1/requests/{id}/approve/", "POST") in OPERATIONS
    assert ("/api/v1/downloads/", "GET") in OPERATIONS
    assert len(OPERATIONS) >= 13


def fuzz(path: str, method: str, user: AbstractUser, app: WSGIHandler) -> None:
    """Send valid and invalid calls of one operation as `user`; fail on the first bad answer."""
    operation = SCHEMA[path][method]
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )
    # schemathesis's WSGI transport asks for gzip but never decodes it (HTTP clients do).
    headers = {"Authorization": token_for(user), "Accept-Encoding": "identity"}

    @FUZZ
    @given(case=cases)
    def call(case: schemathesis.Case) -> None:
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    call()


@pytest.mark.usefixtures("some_rows")
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_members_generated_calls_get_no_500_and_match_the_schema(
    path: str, method: str, member, wsgi_app
) -> None:
    fuzz(path, method, member, wsgi_app)


@pytest.mark.usefixtures("some_rows")
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_staffs_generated_calls_get_no_500_and_match_the_schema(
    path: str, method: str, staff, wsgi_app
) -> None:
    fuzz(path, method, staff, wsgi_app)
