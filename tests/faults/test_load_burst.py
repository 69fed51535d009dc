"""A burst of 200 requests from 20 people through the API: one request per title, everyone
who asked is on it, and each ends downloading (one torrent) or not found."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from downloads.models import Download, Indexer
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.tmdb import MOVIES, TMDBSimulatorServer, start_tmdb_simulator
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app.models import MediaRequest, Profile, Status, owner_ref
from tests.conftest import process_env, requires_services
from tests.processes import Stack, wait_for

pytestmark = [requires_services, pytest.mark.django_db(transaction=True)]

PEOPLE = 20
EACH = 10
# Titles the indexer has a release for; the rest of the catalogue ends not found.
OFFERED = {78, 335984, 603, 27205, 157336, 329865, 496243, 348, 872585, 346648, 862, 278}
ASKABLE = [m for m in MOVIES if m["release_date"] and m["imdb_id"]]


def release_for(movie: dict) -> SimRelease:
    name = "".join(c if c.isalnum() else "." for c in movie["title"]).strip(".")
    return SimRelease(
        f"{name}.{movie['release_date'][:4]}.1080p.BluRay.x264-GRP",
        int(8 * GB),
        100,
        imdb_id=movie["imdb_id"],
        tmdb_id=movie["id"],
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Stack, QBittorrentSimulator]]:
    tmdb: TMDBSimulatorServer
    tmdb, tmdb_url = start_tmdb_simulator()
    indexer = TorznabSimulator(
        [release_for(m) for m in ASKABLE if m["id"] in OFFERED], api_key="k"
    ).start()
    Indexer.objects.create(name="sim", url=indexer.url, api_key="k")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    qbt = QBittorrentSimulator(save_path=str(downloads), torrents_url=indexer.url, speed=1)
    qbt.start()
    env = process_env(
        TMDB_URL=tmdb_url,
        TMDB_API_KEY=tmdb.api_key,
        QBITTORRENT_URL=qbt.url,
        QBITTORRENT_USERNAME=qbt.username,
        QBITTORRENT_PASSWORD=qbt.password,
        DOWNLOADS_DIR=str(downloads),
        MOVIES_DIR=str(tmp_path / "media" / "Movies"),
        TV_DIR=str(tmp_path / "media" / "TV"),
        # A burst from one household is not abuse: lift the per-person limits.
        API_RATE_REQUEST_CREATE="100000/minute",
        API_RATE_USER="100000/minute",
        REQUEST_QUOTA_MOVIES="1000",
    )
    stack = Stack(env, tmp_path)
    try:
        yield stack, qbt
    finally:
        stack.stop()
        qbt.stop()
        indexer.stop()
        tmdb.stop()


def test_a_burst_of_200_requests_from_20_people_makes_one_request_per_title_and_one_torrent_each(
    world: tuple[Stack, QBittorrentSimulator],
) -> None:
    stack, qbt = world
    people = []
    for n in range(PEOPLE):
        user = get_user_model().objects.create_user(f"p{n}", password="pw-load-123")
        Profile.objects.create(user=user, auto_approve=True)
        people.append((user.pk, Token.objects.create(user=user).key))
    base = stack.web()
    stack.worker()

    rng = random.Random(8)
    asks = [(pk, key, rng.choice(ASKABLE)["id"]) for pk, key in people for _ in range(EACH)]
    rng.shuffle(asks)

    def ask(item: tuple[int, str, int]) -> tuple[int, int, int, int | None]:
        pk, key, tmdb_id = item
        answer = requests.post(
            f"{base}/api/v1/requests/",
            json={"media_type": "movie", "tmdb_id": tmdb_id},
            headers={"Authorization": f"Token {key}"},
            timeout=60,
        )
        request_id = answer.json().get("id") if answer.status_code in (200, 201) else None
        return pk, tmdb_id, answer.status_code, request_id

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(pool.map(ask, asks))

    # 201 for the first ask of each title, 200 (joined) for every later one.
    titles = len({tmdb_id for _, _, tmdb_id in asks})
    codes = Counter(code for *_, code, _ in answers)
    assert codes == {201: titles, 200: len(asks) - titles}, [
        a for a in answers if a[2] not in (200, 201)
    ]
    askers: dict[int, set[int]] = defaultdict(set)
    ids: dict[int, set[int]] = defaultdict(set)
    for pk, tmdb_id, _code, request_id in answers:
        askers[tmdb_id].add(pk)
        ids[tmdb_id].add(request_id)
    # Everyone who asked for a title got the same request back.
    assert all(len(found) == 1 for found in ids.values()), ids
    requests_made = MediaRequest.objects.all()
    assert requests_made.count() == len(askers)
    for request in requests_made:
        on_it = {request.requested_by_id, *request.watchers.values_list("pk", flat=True)}
        assert on_it == askers[request.tmdb_id], request.title

    unsettled = MediaRequest.objects.exclude(status__in={Status.DOWNLOADING, Status.NOT_FOUND})
    wait_for(
        lambda: not unsettled.exists(),
        90,
        what="every request downloading or not found",
        logs=[lambda: str(list(unsettled.values("title", "status"))), stack.logs_text],
    )

    for request in MediaRequest.objects.all():
        downloads = Download.objects.filter(owner_ref=owner_ref(request.pk))
        if request.tmdb_id in OFFERED:
            assert request.status == Status.DOWNLOADING, (request.title, request.status_reason)
            assert downloads.count() == 1, request.title
            assert request.download_hash in qbt.torrents
        else:
            assert request.status == Status.NOT_FOUND, request.title
            assert not downloads.exists()
    offered_asked = len(OFFERED & askers.keys())
    assert len(qbt.torrents) == Download.objects.count() == offered_asked
