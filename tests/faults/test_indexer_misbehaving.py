"""An indexer that misbehaves over real HTTP costs only itself: with a good indexer beside it,
the search skips the bad one with a clear reason that holds no key or file content, and finds
and ranks exactly what the good one alone would have given."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from downloads.models import Download, Indexer, ReleaseCandidate, ReleaseSearch
from downloads.releases import MediaQuery
from downloads.search import SearchOutcome, find_best_release
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import (
    GB,
    HUGE_BYTES,
    SimRelease,
    TorznabSimulator,
    default_releases,
)
from requests_app.models import MediaRequest, Status
from requests_app.tasks import process_request_task
from tests.conftest import WorkerProcess, requires_services
from tests.processes import wait_for

GOOD_KEY = "good-indexer-key-7d1f"
BAD_KEY = "flaky-indexer-key-93ce"
BAD_TIMEOUT = 2.0
SECRET = "TOP-SECRET-host-file-content-4b8e"
MATRIX = MediaQuery(media_type="movie", title="The Matrix", year=1999, imdb_id="tt0133093")


def indexer(name: str, simulator: TorznabSimulator, key: str, **fields: Any) -> Indexer:
    return Indexer.objects.create(name=name, url=simulator.url, api_key=key, **fields)


def ranking_of(outcome: SearchOutcome) -> list[tuple[str, int, bool, bool]]:
    return [
        (c.title, c.score, c.accepted, c.chosen) for c in outcome.search.candidates.order_by("rank")
    ]


def stored_text(search: ReleaseSearch) -> str:
    """Everything a search left in the database, as one string to look for leaks in."""
    candidates = ReleaseCandidate.objects.filter(search=search).values()
    # Every indexer column but the key itself, which is stored to be sent.
    shown = [f.name for f in Indexer._meta.fields if f.name != "api_key"]
    rows = [
        *Indexer.objects.values(*shown),
        ReleaseSearch.objects.filter(pk=search.pk).values().get(),
    ]
    return json.dumps([*rows, *candidates], default=str)


# mode, temporary, what the reason says
FAULTS = [
    pytest.param("hang", True, f"no answer within {BAD_TIMEOUT:g} s", id="accepts-never-answers"),
    pytest.param("slow", True, f"within {BAD_TIMEOUT:g} s", id="answers-after-the-deadline"),
    pytest.param("internal-error", True, "server error: HTTP 500", id="http-500"),
    pytest.param("html", False, "answered an HTML page (HTTP 200)", id="html-login-page"),
    pytest.param("huge", False, "over the cap of 8,388,608 bytes", id="50-mb-body"),
    pytest.param("xxe", False, "unsafe XML refused", id="xxe-external-entity"),
    pytest.param("billion-laughs", False, "unsafe XML refused", id="billion-laughs"),
    pytest.param("truncated", False, "answer is not XML", id="truncated-xml"),
    pytest.param("garbage", False, "answer is not XML", id="malformed-xml"),
]


@pytest.mark.django_db
@pytest.mark.timeout(120)  # a hung search fails here instead of hanging the suite
@pytest.mark.parametrize(("mode", "temporary", "reason"), FAULTS)
def test_a_misbehaving_indexer_is_skipped_with_a_clean_reason_and_the_good_one_still_wins(
    torznab: Callable[..., TorznabSimulator],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    mode: str,
    temporary: bool,
    reason: str,
) -> None:
    good = indexer("good", torznab(api_key=GOOD_KEY), GOOD_KEY)
    alone = find_best_release(MATRIX, indexers=[good])
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    bad_sim = torznab(api_key=BAD_KEY, mode=mode, delay=600)
    bad_sim.state.xxe_target = secret_file.as_uri()
    bad = indexer("flaky", bad_sim, BAD_KEY, timeout=BAD_TIMEOUT)

    with caplog.at_level(logging.DEBUG):
        outcome = find_best_release(MATRIX, request_ref="request:1")

    # The good indexer's releases are found and ranked exactly as without the bad one.
    assert outcome.found
    assert outcome.search.status == ReleaseSearch.Status.FOUND
    assert ranking_of(outcome) == ranking_of(alone)
    assert outcome.chosen.title == "The.Matrix.1999.1080p.BluRay.x264-AMIABLE"
    assert {c.indexer for c in outcome.search.candidates.all()} == {"good"}
    # The bad one is skipped once, with a reason a person can act on, stored and logged.
    (failure,) = outcome.failures
    assert (failure.indexer, failure.temporary) == ("flaky", temporary)
    assert reason in failure.message
    assert outcome.search.indexer_errors == [failure.as_dict()]
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.last_error == failure.message and bad.last_error_at is not None
    assert good.last_error == ""
    assert f"Indexer flaky skipped ({'temporary' if temporary else 'permanent'})" in caplog.text
    # No key and no content of the file the XXE pointed at, anywhere it could surface.
    for text in (caplog.text, failure.message, stored_text(outcome.search)):
        assert BAD_KEY not in text
        assert SECRET not in text
    assert GOOD_KEY not in caplog.text and GOOD_KEY not in failure.message
    if mode == "huge":
        assert_stopped_reading_early(bad_sim)
    if mode == "billion-laughs":
        # Refused before expansion: "lol" never reaches a title.
        assert "lollol" not in stored_text(outcome.search)


def assert_stopped_reading_early(simulator: TorznabSimulator) -> None:
    """The client hung up near the 8 MB cap, long before the 50 MB were sent."""
    counts = [-1]

    def stopped() -> bool:
        counts.append(simulator.state.bytes_sent)
        return counts[-1] == counts[-2]

    # The server's write loop notices the closed socket: the count stops growing.
    wait_for(stopped, 10, what="the simulator to stop sending", every=0.25)
    sent = counts[-1]
    assert 0 < sent < HUGE_BYTES // 2, sent


@pytest.mark.django_db
def test_invalid_items_are_skipped_and_the_valid_items_of_the_same_feed_kept(
    torznab: Callable[..., TorznabSimulator], caplog: pytest.LogCaptureFixture
) -> None:
    only_here = SimRelease(
        "The.Matrix.1999.1080p.WEB-DL.DDP5.1.H.264-ONLYHERE", int(8 * GB), 40,
        imdb_id="tt0133093",
    )  # fmt: skip
    careless = torznab([only_here], api_key=BAD_KEY, mode="invalid-items")
    indexer("good", torznab(api_key=GOOD_KEY), GOOD_KEY)
    indexer("careless", careless, BAD_KEY)

    with caplog.at_level(logging.INFO):
        outcome = find_best_release(MATRIX)

    titles = {c.title: c for c in outcome.search.candidates.all()}
    # No link, no size, a negative or absurd size, impossible seeders: none of them ranked.
    assert not [t for t in titles if t.startswith("The.Matrix.1999.1080p.WEB-DL.DDP5.1.H.264-")
                and not t.endswith("ONLYHERE")]  # fmt: skip
    # The valid item between them is kept, and the good indexer's releases too.
    assert titles[only_here.title].indexer == "careless"
    assert titles[only_here.title].info_hash == only_here.info_hash
    assert len(titles) == len(default_releases_matching_matrix()) + 1
    assert outcome.failures == []
    assert outcome.chosen.title == "The.Matrix.1999.1080p.BluRay.x264-AMIABLE"
    assert "Indexer careless: 6 items skipped" in caplog.text
    assert max(c.seeders for c in titles.values()) < 10_000


def default_releases_matching_matrix() -> list[SimRelease]:
    return [r for r in default_releases() if r.imdb_id == MATRIX.imdb_id]


# --- through the request pipeline, with a real worker -----------------------------------


@pytest.fixture
def qbt(tmp_path: Path) -> Iterator[QBittorrentSimulator]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    simulator = QBittorrentSimulator(save_path=str(downloads), speed=1)
    simulator.start()
    yield simulator
    simulator.stop()


@requires_services
@pytest.mark.django_db(transaction=True)
def test_a_request_whose_search_meets_a_hung_and_a_good_indexer_ends_downloading_the_good_release(
    celery_worker_process: Callable[..., WorkerProcess],
    torznab: Callable[..., TorznabSimulator],
    qbt: QBittorrentSimulator,
    tmp_path: Path,
) -> None:
    good_sim = torznab(api_key=GOOD_KEY)
    qbt.torrents_url = good_sim.url.removesuffix("/api")
    indexer("good", good_sim, GOOD_KEY)
    indexer("hung", torznab(api_key=BAD_KEY, mode="hang"), BAD_KEY, timeout=BAD_TIMEOUT)
    worker = celery_worker_process(
        QBITTORRENT_URL=qbt.url,
        QBITTORRENT_USERNAME=qbt.username,
        QBITTORRENT_PASSWORD=qbt.password,
        DOWNLOADS_DIR=qbt.default_save_path,
        MOVIES_DIR=str(tmp_path / "media" / "Movies"),
        TV_DIR=str(tmp_path / "media" / "TV"),
    )
    user = get_user_model().objects.create_user("ana", password="pw-ana-123")
    task_id = str(uuid.uuid4())
    request = MediaRequest.objects.create(
        requested_by=user, media_type="movie", title="The Matrix", year=1999,
        imdb_id="tt0133093", tmdb_id=603, status=Status.APPROVED, celery_task_id=task_id,
    )  # fmt: skip
    process_request_task.apply_async(args=[request.pk], task_id=task_id)

    def searched() -> bool:
        request.refresh_from_db()
        return request.status not in (Status.APPROVED, Status.SEARCHING)

    wait_for(searched, 90, what="the search ending", logs=[worker])
    assert request.status == Status.DOWNLOADING, (request.status_reason, worker.log()[-3000:])
    assert request.release_title == "The.Matrix.1999.1080p.BluRay.x264-AMIABLE"
    assert list(qbt.torrents) == [request.download_hash]
    assert Download.objects.get().info_hash == request.download_hash
    search = ReleaseSearch.objects.get()
    assert [(e["indexer"], e["temporary"]) for e in search.indexer_errors] == [("hung", True)]
    assert "no answer within 2 s" in search.indexer_errors[0]["message"]
    for text in (worker.log(), request.status_reason, stored_text(search)):
        assert BAD_KEY not in text
    assert "Indexer hung skipped (temporary): no answer within 2 s" in worker.log()
