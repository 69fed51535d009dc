"""The background steps: search → download → processing → completed, not found, failover."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from downloads.models import Blocklist, Download, Indexer
from downloads.qbittorrent import QBittorrentPermanentError, QBittorrentTemporaryError
from library.models import LibraryItem, PlexSection
from plexkiosk.simulators.torznab import GB, SimRelease, TorznabSimulator
from requests_app import pipeline
from requests_app.models import MediaRequest, Status
from tests.requests_app.conftest import DUNE, DUNE_IDS, approved_dune

pytestmark = pytest.mark.django_db


def downloading_dune(user: object) -> MediaRequest:
    """An approved Dune request whose search handed its best release to qBittorrent."""
    request = approved_dune(user)
    pipeline.search_and_download(request.pk)
    request.refresh_from_db()
    return request


def test_an_approved_request_is_searched_and_the_best_release_downloaded(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent
) -> None:
    request = approved_dune(trusted_member)
    assert pipeline.search_and_download(request.pk) == "downloading"
    request.refresh_from_db()
    assert request.status == Status.DOWNLOADING
    assert request.release_title == "Dune.2021.1080p.BluRay.x264-FIRST"
    assert request.download_hash == qbittorrent[0].info_hash
    # Running the step again (a redelivered message) starts nothing more.
    assert pipeline.search_and_download(request.pk).startswith("skipped")
    assert len(qbittorrent) == 1


def test_nothing_acceptable_means_not_found_with_a_reason_and_a_later_search(
    trusted_member, fake_tmdb, plex_has, qbittorrent
) -> None:
    with TorznabSimulator(
        [SimRelease("Dune.2021.HDCAM.x264-CAM", int(1.5 * GB), 900, **DUNE_IDS)], api_key="k"
    ) as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        request = approved_dune(trusted_member)
        assert pipeline.search_and_download(request.pk) == "not found"
    request.refresh_from_db()
    assert request.status == Status.NOT_FOUND
    assert "CAM" in request.status_reason
    assert request.next_search_at > timezone.now() + timedelta(hours=5)
    assert qbittorrent == []


def test_a_not_found_request_is_searched_again_after_its_back_off_and_then_found(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent
) -> None:
    request = approved_dune(trusted_member)
    MediaRequest.objects.filter(pk=request.pk).update(
        status=Status.NOT_FOUND, next_search_at=timezone.now() + timedelta(hours=1)
    )
    assert pipeline.search_due_again() == 0
    MediaRequest.objects.filter(pk=request.pk).update(
        next_search_at=timezone.now() - timedelta(seconds=1)
    )
    assert pipeline.search_due_again() == 1
    assert pipeline.search_due_again() == 0  # claimed: its back-off is cleared
    request.refresh_from_db()
    assert pipeline.search_and_download(request.pk, task_id=request.celery_task_id) == (
        "downloading"
    )


def test_a_stalled_download_fails_over_to_the_second_release(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent
) -> None:
    request = approved_dune(trusted_member)
    pipeline.search_and_download(request.pk)
    first = qbittorrent[0]
    # What the monitor does to a stalled download before telling the request.
    Blocklist.objects.create(info_hash=first.info_hash, reason="no seeders for 1 h")

    assert pipeline.fail_over(request.pk, info_hash=first.info_hash, reason="no seeders") == (
        "downloading"
    )
    request.refresh_from_db()
    assert request.release_title == "Dune.2021.1080p.WEB-DL.DDP5.1.H.264-SECOND"
    assert request.failovers == 1
    history = list(request.events.values_list("to_status", flat=True))
    assert history[-2:] == ["searching", "downloading"]
    # The same failure reported twice changes nothing the second time.
    assert pipeline.fail_over(request.pk, info_hash=first.info_hash, reason="x").startswith(
        "skipped"
    )


def test_failing_past_the_limit_ends_the_request_with_the_reason(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent, settings: Settings
) -> None:
    settings.REQUEST_MAX_FAILOVERS = 0
    request = downloading_dune(trusted_member)
    assert pipeline.fail_over(request.pk, info_hash=request.download_hash, reason="errored") == (
        "failed"
    )
    request.refresh_from_db()
    assert request.status == Status.FAILED
    assert "errored" in request.status_reason


def test_a_filed_download_waits_for_plex_then_completes_when_the_library_announces_it(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent
) -> None:
    request = downloading_dune(trusted_member)
    assert pipeline.download_done(request.pk, info_hash=request.download_hash) == "processing"
    # Plex lists something else first: the request keeps waiting.
    section = PlexSection.objects.create(key="1", type="movie", title="Movies")
    other = LibraryItem.objects.create(
        section=section, rating_key=5000, type="movie", title="Arrival", year=2016, tmdb_id=329865
    )
    assert pipeline.complete_matching(item_ids=[other.pk]) == 0
    # What the library's refresh after the scan writes, then announces.
    dune = LibraryItem.objects.create(
        section=section, rating_key=5001, type="movie", title="Dune", year=2021,
        tmdb_id=DUNE.tmdb_id, imdb_id="tt1160419",
    )  # fmt: skip
    assert pipeline.complete_matching(item_ids=[dune.pk]) == 1
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert request.completed_at is not None
    assert pipeline.complete_matching(item_ids=[dune.pk]) == 0  # announced twice: once


def test_a_processing_request_completes_when_plex_lists_its_folder_under_other_ids(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent, settings
) -> None:
    settings.PLEX_PATH_MAP = []
    request = downloading_dune(trusted_member)
    Download.objects.filter(info_hash=request.download_hash).update(
        library_folder="/media/Movies/Dune (2021)"
    )
    assert pipeline.download_done(request.pk, info_hash=request.download_hash) == "processing"
    # "Fix Match" picked another film: wrong ids and title, but the files are the request's.
    section = PlexSection.objects.create(key="1", type="movie", title="Movies")
    item = LibraryItem.objects.create(
        section=section, rating_key=5001, type="movie", title="Dune", year=1984, tmdb_id=841,
        file_locations=["/media/Movies/Dune (2021)/Dune (2021).mkv"],
    )  # fmt: skip
    assert pipeline.complete_matching(item_ids=[item.pk]) == 1
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_a_download_filed_after_plex_already_listed_it_completes_at_once(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent
) -> None:
    request = downloading_dune(trusted_member)
    plex_has(DUNE.tmdb_id)
    assert pipeline.download_done(request.pk, info_hash=request.download_hash) == "completed"


def test_indexers_that_are_all_down_make_the_step_retry_later(
    trusted_member, fake_tmdb, plex_has, qbittorrent
) -> None:
    with TorznabSimulator([], api_key="k", mode="server-error") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k", timeout=2)
        request = approved_dune(trusted_member)
        with pytest.raises(pipeline.TryLater):
            pipeline.search_and_download(request.pk, task_id=request.celery_task_id)
    request.refresh_from_db()
    assert request.status == Status.SEARCHING
    # The retry of the same task may claim it again.
    assert pipeline._claim_search(request.pk, request.celery_task_id, "again") is not None


def test_a_bug_while_starting_the_download_fails_the_task_not_the_request(
    trusted_member, fake_tmdb, plex_has, indexer
) -> None:
    request = approved_dune(trusted_member)
    with (
        mock.patch("downloads.lifecycle.start_download", side_effect=KeyError("info_hash")),
        pytest.raises(KeyError),
    ):
        pipeline.search_and_download(request.pk, task_id=request.celery_task_id)
    request.refresh_from_db()
    # The request does not blame the download client for our own bug.
    assert request.status == Status.SEARCHING
    assert "Could not start the download" not in request.status_reason


def test_qbittorrent_down_while_starting_makes_the_step_retry_later(
    trusted_member, fake_tmdb, plex_has, indexer
) -> None:
    request = approved_dune(trusted_member)
    down = QBittorrentTemporaryError("qBittorrent is unreachable")
    with (
        mock.patch("downloads.lifecycle.start_download", side_effect=down),
        pytest.raises(pipeline.TryLater, match="unreachable"),
    ):
        pipeline.search_and_download(request.pk, task_id=request.celery_task_id)
    request.refresh_from_db()
    assert request.status == Status.SEARCHING


def test_qbittorrent_refusing_the_release_ends_the_request_with_its_words(
    trusted_member, fake_tmdb, plex_has, indexer
) -> None:
    request = approved_dune(trusted_member)
    refused = QBittorrentPermanentError("qBittorrent refused to add: HTTP 403")
    with mock.patch("downloads.lifecycle.start_download", side_effect=refused):
        assert pipeline.search_and_download(request.pk) == "failed"
    request.refresh_from_db()
    assert request.status == Status.FAILED
    assert "Could not start the download: qBittorrent refused to add: HTTP 403" in (
        request.status_reason
    )


@pytest.mark.parametrize(
    ("aliases", "outcome"),
    [(["千と千尋の神隠し", "Sen to Chihiro no Kamikakushi"], "downloading"), ([], "not_found")],
)
def test_a_release_named_by_its_original_title_is_taken_through_the_tmdb_aliases(
    trusted_member, qbittorrent, aliases, outcome
) -> None:
    ids = {"imdb_id": "tt0245429", "tmdb_id": 129}
    release = SimRelease(
        "Sen.to.Chihiro.no.Kamikakushi.2001.1080p.BluRay.x264-GRP", 8 * GB, 90, **ids
    )
    request = MediaRequest.objects.create(
        requested_by=trusted_member,
        media_type="movie",
        title="Spirited Away",
        year=2001,
        status=Status.APPROVED,
        aliases=aliases,
        **ids,
    )
    with TorznabSimulator([release], api_key="k") as simulator:
        Indexer.objects.create(name="sim", url=simulator.url, api_key="k")
        pipeline.search_and_download(request.pk)
    request.refresh_from_db()
    assert request.status == outcome
    assert [c.title for c in qbittorrent] == ([release.title] if aliases else [])


def test_a_delayed_import_tells_the_request_why_and_only_for_its_current_download(
    trusted_member, fake_tmdb, plex_has, indexer, qbittorrent
) -> None:
    request = downloading_dune(trusted_member)
    reason = "no space left on the library disk"
    assert not pipeline.import_delayed(request.pk, info_hash="f" * 40, reason=reason)
    assert pipeline.import_delayed(request.pk, info_hash=request.download_hash, reason=reason)
    request.refresh_from_db()
    assert request.status == Status.DOWNLOADING
    assert request.status_reason == (
        "Downloaded, but not in the library yet: no space left on the library disk. "
        "Trying again by itself."
    )
