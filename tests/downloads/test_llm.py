"""The optional AI tie-break, against a fake OpenAI-compatible endpoint on a local port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from downloads import llm
from downloads.ranking import rank_releases
from downloads.releases import MediaQuery, Release
from downloads.search import find_best_release
from tests.downloads.factories import IndexerFactory, QualityProfileFactory

GB = 1_000_000_000
HEAT = MediaQuery(media_type="movie", title="Heat", year=1995)
RELEASES = [
    Release(title="Heat.1995.1080p.BluRay.x264-AAA", size=10 * GB, seeders=900),
    Release(title="Heat.1995.1080p.BluRay.x264-BBB", size=9 * GB, seeders=300),
    Release(title="Heat.1995.1080p.BluRay.x264-CCC", size=8 * GB, seeders=100),
    Release(title="Heat.1995.HDCAM.x264-DDD", size=2 * GB, seeders=9000),
]


class FakeLLM:
    """An OpenAI-compatible chat endpoint whose answer each test sets."""

    def __init__(self) -> None:
        self.answer: Any = {"choice": 1, "reason": "first"}
        self.status = 200
        self.delay = 0.0
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append({"path": self.path, **body})
                fake.headers.append(dict(self.headers))
                time.sleep(fake.delay)
                content = fake.answer if isinstance(fake.answer, str) else json.dumps(fake.answer)
                message = {"role": "assistant", "content": content}
                reply = json.dumps({"choices": [{"message": message}]}).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def prompt(self) -> str:
        return self.received[-1]["messages"][-1]["content"]


@pytest.fixture
def fake_llm(settings: SettingsWrapper) -> Iterator[FakeLLM]:
    fake = FakeLLM()
    settings.LLM_URL = fake.url
    settings.LLM_MODEL = "tiny-test-model"
    settings.LLM_API_KEY = "llm-secret"
    settings.LLM_TIMEOUT = 1.0
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def ranked() -> list:
    return rank_releases(query=HEAT, releases=RELEASES).ranked


def test_the_tie_break_is_off_by_default(settings: SettingsWrapper) -> None:
    assert settings.LLM_URL == ""
    assert not llm.is_enabled()
    assert llm.tiebreak(HEAT, ranked()) is None


def test_the_model_sees_only_accepted_candidates_and_its_pick_is_returned(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.answer = 'Sure! ```json\n{"choice": 2, "reason": "well-known group"}\n```'
    candidates = ranked()
    pick = llm.tiebreak(HEAT, candidates)
    assert pick is not None
    assert candidates[pick.choice].release.title == "Heat.1995.1080p.BluRay.x264-BBB"
    assert pick.reason == "well-known group"
    request = fake_llm.received[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["model"] == "tiny-test-model"
    assert fake_llm.headers[-1]["Authorization"] == "Bearer llm-secret"
    assert "HDCAM" not in fake_llm.prompt()
    assert "Heat.1995.1080p.BluRay.x264-CCC" in fake_llm.prompt()


@pytest.mark.parametrize(
    "answer",
    [
        {"choice": 4, "reason": "the camera one has the most seeders"},  # not shown: rejected
        {"choice": 0},
        {"choice": "2"},
        "I would go with the second one.",
        "",
    ],
)
def test_an_answer_that_names_no_shown_candidate_keeps_the_score_order(
    fake_llm: FakeLLM, answer: Any
) -> None:
    fake_llm.answer = answer
    assert llm.tiebreak(HEAT, ranked()) is None
    assert fake_llm.received


def test_an_endpoint_error_keeps_the_score_order(fake_llm: FakeLLM) -> None:
    fake_llm.status = 500
    assert llm.tiebreak(HEAT, ranked()) is None


def test_a_slow_endpoint_times_out_and_keeps_the_score_order(fake_llm: FakeLLM) -> None:
    fake_llm.delay = 3.0
    started = time.monotonic()
    assert llm.tiebreak(HEAT, ranked()) is None
    assert time.monotonic() - started < 2.5


def test_one_acceptable_candidate_needs_no_tie_break(fake_llm: FakeLLM) -> None:
    only = rank_releases(query=HEAT, releases=RELEASES[:1] + RELEASES[3:]).ranked
    assert llm.tiebreak(HEAT, only) is None
    assert not fake_llm.received


@pytest.mark.django_db
def test_a_search_grabs_the_models_pick_and_notes_why(fake_llm: FakeLLM, torznab: Callable) -> None:
    from plexkiosk.simulators.torznab import SimRelease

    sim = torznab([SimRelease(r.title, r.size, r.seeders) for r in RELEASES])
    IndexerFactory(url=sim.url)
    fake_llm.answer = {"choice": 3, "reason": "smaller file, same quality"}
    outcome = find_best_release(HEAT)
    assert outcome.chosen.title == "Heat.1995.1080p.BluRay.x264-CCC"
    assert outcome.chosen.rank == 1
    assert "smaller file" in outcome.search.tiebreak_note
    camera = outcome.search.candidates.get(title="Heat.1995.HDCAM.x264-DDD")
    assert not camera.accepted


@pytest.mark.django_db
def test_a_search_keeps_the_score_order_when_the_model_fails(
    fake_llm: FakeLLM, torznab: Callable
) -> None:
    from plexkiosk.simulators.torznab import SimRelease

    sim = torznab([SimRelease(r.title, r.size, r.seeders) for r in RELEASES])
    IndexerFactory(url=sim.url)
    fake_llm.status = 503
    outcome = find_best_release(HEAT)
    assert outcome.chosen.title == "Heat.1995.1080p.BluRay.x264-AAA"
    assert "score order kept" in outcome.search.tiebreak_note


@pytest.mark.django_db
def test_the_model_only_breaks_ties_within_the_most_wanted_audio_language(
    fake_llm: FakeLLM, torznab: Callable
) -> None:
    from plexkiosk.simulators.torznab import SimRelease

    french = SimRelease("Heat.1995.FRENCH.1080p.BluRay.x264-FRG", 9 * GB, 20)
    sim = torznab([french, *(SimRelease(r.title, r.size, r.seeders) for r in RELEASES)])
    IndexerFactory(url=sim.url)
    profile = QualityProfileFactory(
        audio_languages=["fr", "original"], audio_language_required=False
    )
    fake_llm.answer = {"choice": 2, "reason": "more seeders"}
    outcome = find_best_release(HEAT, profile=profile)
    assert outcome.chosen.title == french.title
    assert not fake_llm.received  # one release in French: nothing to break
