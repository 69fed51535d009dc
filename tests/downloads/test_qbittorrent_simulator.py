"""The qBittorrent simulator, driven through the app's real client (qbittorrent-api)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from downloads.qbittorrent import (
    AuthenticationError,
    QBittorrent,
    QBittorrentTemporaryError,
    TorrentSnapshot,
    classify,
)
from plexkiosk.simulators.qbittorrent import QBittorrentSimulator
from plexkiosk.simulators.torznab import SimRelease, TorznabSimulator
from tests.processes import wait_for

MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Heat.1995.1080p.BluRay&xl=50000000"


def client_for(sim: QBittorrentSimulator, **overrides: object) -> QBittorrent:
    """Return the app's client for the simulator."""
    options: dict[str, object] = {
        "url": sim.url,
        "username": sim.username,
        "password": sim.password,
        "category": "plexkiosk",
        "timeout": (1.0, 2.0),
    }
    options.update(overrides)
    return QBittorrent(**options)


def until(qbt: QBittorrent, info_hash: str, verdict: str) -> TorrentSnapshot:
    """Wait until the client classifies the torrent as `verdict`."""

    def check() -> TorrentSnapshot | None:
        found = qbt.get(info_hash)
        return found if found and classify(found) == verdict else None

    return wait_for(check, timeout=10, what=f"{info_hash} {verdict}")


def test_the_client_logs_in_and_reads_version_4_6(qbt_sim: QBittorrentSimulator) -> None:
    qbt = client_for(qbt_sim)
    assert qbt.login() == "v4.6.7"
    assert qbt._api.app_web_api_version() == "2.9.3"
    assert qbt._api.app_build_info()["libtorrent"]


def test_a_wrong_password_is_an_authentication_error(qbt_sim: QBittorrentSimulator) -> None:
    with pytest.raises(AuthenticationError):
        client_for(qbt_sim, password="wrong").login()


def test_a_magnet_and_a_torrent_file_download_into_the_category_with_rising_progress(
    qbt_sim: QBittorrentSimulator, tmp_path: Path
) -> None:
    qbt_sim.speed = 20 << 20
    release = SimRelease(title="Dune.2021.1080p.BluRay.x264-SIM", size=40 << 20, seeders=9)
    qbt = client_for(qbt_sim)
    from_file = qbt.add_torrent(
        torrent_bytes=release.torrent, save_path=str(tmp_path / "a"), tag="pk-a"
    )
    from_magnet = qbt.add_torrent(magnet=MAGNET, save_path=str(tmp_path / "b"), tag="pk-b")

    assert from_file == release.info_hash
    assert from_magnet == "ab" * 20
    first = {s.hash: s for s in qbt.list_torrents()}
    assert first[from_magnet].state == "metaDL"
    assert first[from_magnet].name == "Heat.1995.1080p.BluRay"
    assert first[from_file].size == 40 << 20
    assert first[from_file].tags == ("pk-a",)

    def moved_on() -> TorrentSnapshot | None:
        later = qbt.get(from_file)
        return later if later and later.progress > first[from_file].progress else None

    later = wait_for(moved_on, 5, what="the torrent's progress moving")
    assert later.state == "downloading" and later.eta is not None and later.dlspeed > 0
    assert qbt._api.torrents_categories()["plexkiosk"]["name"] == "plexkiosk"


def test_a_finished_download_is_complete_with_a_real_video_file(
    qbt_sim: QBittorrentSimulator, tmp_path: Path
) -> None:
    qbt = client_for(qbt_sim)
    info_hash = qbt.add_torrent(magnet=MAGNET, save_path=str(tmp_path), tag="pk-x")
    done = until(qbt, info_hash, "completed")

    assert done.state == "stalledUP" and done.amount_left == 0 and done.progress == 1
    assert done.completion_on is not None
    video = Path(done.content_path)
    assert video == tmp_path / "Heat.1995.1080p.BluRay.mkv"
    # Scaled down to 8 MiB, but a real file where qBittorrent says.
    assert video.stat().st_size == 8 << 20
    assert qbt._api.torrents_files(torrent_hash=info_hash)[0]["name"] == video.name


def test_a_multi_file_torrent_gets_its_own_folder(
    qbt_sim: QBittorrentSimulator, tmp_path: Path
) -> None:
    import bencodepy

    info = {
        b"name": b"Show.S01.1080p",
        b"piece length": 1 << 18,
        b"pieces": b"x" * 20,
        b"files": [
            {b"length": 3 << 20, b"path": [b"Show.S01E01.mkv"]},
            {b"length": 1 << 10, b"path": [b"info.nfo"]},
        ],
    }
    qbt = client_for(qbt_sim)
    info_hash = qbt.add_torrent(
        torrent_bytes=bencodepy.encode({b"info": info}), save_path=str(tmp_path), tag="pk-s"
    )
    done = until(qbt, info_hash, "completed")
    assert Path(done.content_path) == tmp_path / "Show.S01.1080p"
    assert (tmp_path / "Show.S01.1080p" / "Show.S01E01.mkv").is_file()


def test_a_magnets_name_and_size_come_from_the_indexer_when_it_has_the_torrent(
    torznab: Callable[..., TorznabSimulator], tmp_path: Path
) -> None:
    release = SimRelease(title="Arrival.2016.1080p.BluRay.x264-SIM", size=30 << 20, seeders=4)
    indexer = torznab([release])
    sim = QBittorrentSimulator(torrents_url=indexer.url, save_path=str(tmp_path))
    sim.start()
    try:
        qbt = client_for(sim)
        bare = f"magnet:?xt=urn:btih:{release.info_hash}"
        qbt.add_torrent(magnet=bare, save_path=str(tmp_path), tag="pk-m")
        listed = qbt.get(release.info_hash)
        assert listed is not None
        assert (listed.name, listed.size) == (release.title, 30 << 20)
    finally:
        sim.stop()


def test_removing_with_data_deletes_the_files_it_wrote(
    qbt_sim: QBittorrentSimulator, tmp_path: Path
) -> None:
    qbt = client_for(qbt_sim)
    info_hash = qbt.add_torrent(magnet=MAGNET, save_path=str(tmp_path), tag="pk-x")
    video = Path(until(qbt, info_hash, "completed").content_path)
    assert video.exists()

    assert qbt.remove(info_hash, delete_files=True) is True
    assert not video.exists()
    assert qbt.list_torrents() == []


def test_an_expired_session_makes_the_client_log_in_again(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt = client_for(qbt_sim)
    qbt.add_torrent(magnet=MAGNET, save_path=qbt_sim.default_save_path, tag="pk-x")
    logins = qbt_sim.calls["auth/login"]
    qbt_sim.expire_session()

    assert len(qbt.list_torrents()) == 1
    assert qbt_sim.calls["auth/login"] == logins + 1


@pytest.mark.parametrize("how", ["refuse", "503"])
def test_a_down_qbittorrent_is_a_temporary_error_until_it_is_back(
    qbt_sim: QBittorrentSimulator, how: str
) -> None:
    qbt = client_for(qbt_sim)
    qbt.login()
    qbt_sim.down(how)
    with pytest.raises(QBittorrentTemporaryError):
        qbt.list_torrents()
    qbt_sim.up()
    assert qbt.list_torrents() == []


def test_slow_answers_time_out_as_a_temporary_error(qbt_sim: QBittorrentSimulator) -> None:
    qbt = client_for(qbt_sim, timeout=(1.0, 0.3))
    qbt.login()
    qbt_sim.slow(1.0)
    started = time.monotonic()
    with pytest.raises(QBittorrentTemporaryError):
        qbt.list_torrents()
    # The app's client makes no urllib3 retries: two tries of 0.3 s, not four.
    assert time.monotonic() - started < 2.5
    qbt_sim.slow(0)


def test_stalled_errored_and_lost_torrents_look_as_qbittorrent_shows_them(
    qbt_sim: QBittorrentSimulator,
) -> None:
    qbt = client_for(qbt_sim)
    hashes = []
    for n in range(3):
        magnet = f"magnet:?xt=urn:btih:{n:040x}&dn=Film.{n}&xl=900000000"
        hashes.append(qbt.add_torrent(magnet=magnet, save_path=qbt_sim.default_save_path, tag="t"))
    stalled, errored, lost = hashes
    qbt_sim.stall(stalled)
    qbt_sim.error(errored)
    qbt_sim.lose(lost)
    # The magnets' metadata phase ends: the one nobody seeds reads as stalled.
    until(qbt, stalled, "stalled")
    seen = {s.hash: s for s in qbt.list_torrents()}

    assert set(seen) == {stalled, errored}
    assert classify(seen[stalled]) == "stalled" and seen[stalled].num_seeds == 0
    assert classify(seen[errored]) == "errored"


def test_creating_an_existing_category_is_a_409_the_client_accepts(
    qbt_sim: QBittorrentSimulator,
) -> None:
    import qbittorrentapi

    qbt = client_for(qbt_sim)
    qbt.ensure_category()
    with pytest.raises(qbittorrentapi.Conflict409Error):
        qbt._api.torrents_create_category(name="plexkiosk")
    client_for(qbt_sim).ensure_category()


def test_add_many_lists_every_torrent_at_various_progress(qbt_sim: QBittorrentSimulator) -> None:
    qbt_sim.add_many(200)
    qbt = client_for(qbt_sim)
    listed = qbt.list_torrents()
    assert len(listed) == 200
    assert len({round(s.progress, 2) for s in listed}) > 50
    assert all(classify(s) == "downloading" for s in listed)
    assert len(qbt._api.sync_maindata()["torrents"]) == 200


def test_with_a_set_download_time_a_big_and_a_small_torrent_finish_together(
    qbt_sim: QBittorrentSimulator, tmp_path: Path
) -> None:
    # The demo's pace: a realistic 10 GB film done in a set time, like a 1 GB one.
    qbt_sim.download_seconds = 2.0
    qbt = client_for(qbt_sim)
    big, small = (
        qbt.add_torrent(
            torrent_bytes=SimRelease(title=title, size=size, seeders=9).torrent,
            save_path=str(tmp_path / title),
            tag=f"pk-{size}",
        )
        for title, size in (("Dune.2021.1080p.BluRay.x264-SIM", 10_400_000_000),
                            ("Heat.1995.720p.BluRay.x264-SIM", 1_000_000_000))
    )  # fmt: skip

    def past_a_third() -> dict[str, TorrentSnapshot] | None:
        now = {s.hash: s for s in qbt.list_torrents()}
        return now if now[big].progress > 0.3 and now[small].progress > 0.3 else None

    # Both past a third at once, and neither near the end yet: the same 2 s for each.
    halfway = wait_for(past_a_third, 2, what="both a third downloaded")
    assert halfway[big].progress < 0.8 and halfway[small].progress < 0.8
    assert halfway[big].dlspeed == 5_200_000_000 and halfway[small].dlspeed == 500_000_000
    assert halfway[big].eta is not None and halfway[big].eta <= 2
    assert until(qbt, big, "completed").size == 10_400_000_000
    assert until(qbt, small, "completed").amount_left == 0
