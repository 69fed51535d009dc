"""Hostile release, file and request names never touch anything outside the configured roots.

Every case runs a real import (or cleanup) against temporary roots with a sentinel tree
beside them; the sentinel tree (paths, sizes, mtimes, contents, link targets) must be
byte-for-byte the same afterwards, and the case must either file its video under a clean
name inside the library or fail with a readable reason.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import bencodepy
import pytest
from django.utils import timezone

from downloads import cleanup, importer, lifecycle
from downloads.importer import MediaTarget, NoMediaFiles, UnsafePath, clean_name, inside
from downloads.models import Download
from downloads.torrentfile import InvalidTorrent, info_hash_from_torrent
from plexkiosk import maintenance
from tests.downloads.lifecycle_helpers import fake_hash
from tests.downloads.test_importer import Roots, make_file
from tests.downloads.test_importer import roots as roots

Snapshot = dict[str, tuple[Any, ...]]


def snapshot(top: Path, *, skip: tuple[Path, ...] = ()) -> Snapshot:
    """Record every path under `top` (never following links): type, size, mtime, content."""
    seen: Snapshot = {}
    for folder, dirnames, filenames in os.walk(top, followlinks=False):
        base = Path(folder)
        dirnames[:] = [d for d in dirnames if base / d not in skip]
        for name in [*dirnames, *filenames]:
            path = base / name
            info = path.lstat()
            if path.is_symlink():
                entry: tuple[Any, ...] = ("link", str(path.readlink()))
            elif path.is_dir():
                entry = ("dir", info.st_mtime_ns)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entry = ("file", info.st_size, info.st_mtime_ns, digest)
            seen[str(path.relative_to(top))] = entry
    return seen


@dataclass
class Sentinel:
    """Files outside every root that no import or cleanup may create, change or delete."""

    top: Path
    secret: Path
    folder: Path
    skip: tuple[Path, ...]

    def take(self) -> Snapshot:
        """Snapshot everything under the temporary base except the roots themselves."""
        state = snapshot(self.top, skip=self.skip)
        # The host's own files a hostile absolute name aims at.
        for real in (Path("/etc/passwd"), Path("/etc/hostname")):
            if real.exists():
                info = real.stat()
                state[str(real)] = (info.st_size, info.st_mtime_ns)
        return state


@pytest.fixture
def sentinel(roots: Roots) -> Sentinel:
    """Plant a secret file, a folder of films and an old file beside the roots."""
    secret = make_file(roots.outside / "secret.mkv", 99_999, b"s")
    make_file(roots.outside / "folder" / "family.mkv", 88_888, b"f")
    make_file(roots.outside / "folder" / "notes.srt", 100, b"n")
    make_file(roots.base / "x", 10, b"x")  # where "../../x" would land
    old = time.time() - 400 * 86400
    for path in (secret, roots.outside / "folder" / "family.mkv"):
        os.utime(path, (old, old))
    return Sentinel(
        top=roots.base,
        secret=secret,
        folder=roots.outside / "folder",
        skip=(roots.downloads, roots.movies, roots.tv),
    )


Files = dict[str, "int | str"]


@dataclass(frozen=True)
class Case:
    """One hostile import: the request's title, the download's files, what must happen.

    `files` maps a name inside the download to a size, or to `->secret` / `->folder` for
    a symlink to the sentinel; `expect` is the set of library files (relative to the
    library root) or the exception type and a fragment of its reason.
    """

    id: str
    expect: set[str] | tuple[type[Exception], str] | Callable[[set[str]], bool]
    title: str = "Film"
    year: int | None = 2020
    kind: str = "movie"
    files: Files = field(default_factory=lambda: {"Film.2020.1080p.mkv": 800})
    # A hostile content path: relative to DOWNLOADS_DIR, "raw:" as given, "@outside" the secret.
    content: str | None = None
    prepare: str = ""  # a hostile library state planted before the import
    modes: tuple[str, ...] = ("hardlink",)


FILM = {"Film (2020)/Film (2020).mkv"}


def _all_short(files: set[str]) -> bool:
    """Say whether exactly one video was filed and no path component exceeds 255 bytes."""
    return len(files) == 1 and all(
        len(part.encode()) <= 255 for name in files for part in Path(name).parts
    )


CASES = [
    # File names inside the download: filed under the request's clean name, whatever they are.
    Case("backslash-dotdot-file", FILM, files={"..\\..\\..\\evil.mkv": 800}),
    Case(
        "control-characters-in-file-names",
        FILM | {"Film (2020)/Film (2020).en.srt"},
        files={"Film\x01\x1b[2J\r\n\t\x7f.mkv": 800, "Film\x1fish\x08.en.srt": 10},
    ),
    Case(
        "windows-reserved-file-names",
        FILM | {"Film (2020)/Film (2020).srt", "Film (2020)/Film (2020).en.srt"},
        files={"CON.mkv": 900, "AUX.mkv": 100, "COM1. .srt": 20, "NUL.en.srt": 10},
    ),
    Case("trailing-dots-and-spaces", FILM, files={"Film . . .mkv": 800, "PRN .mkv": 10}),
    Case("a-255-byte-utf8-file-name", FILM, files={"é" * 125 + ".mkv": 800}),
    Case(
        "a-path-over-1000-bytes",
        FILM,
        files={"/".join(["d" * 200] * 5) + "/Film.2020.mkv": 800},
    ),
    Case(
        "symlinked-file-to-a-secret",
        FILM,
        files={"Film.2020.mkv": 800, "Film.2020.REMUX.mkv": "->secret"},
        modes=("hardlink", "copy", "move"),
    ),
    Case(
        "symlinked-folder-to-outside",
        FILM,
        files={"Film.2020.mkv": 800, "Subs": "->folder", "Film.Part2.mkv": "->folder"},
        modes=("hardlink", "move"),
    ),
    Case(
        "only-symlinks",
        (NoMediaFiles, "no video"),
        files={"Film.2020.mkv": "->secret", "more": "->folder"},
        modes=("hardlink", "move"),
    ),
    # Where qBittorrent says the files are: never trusted outside DOWNLOADS_DIR.
    Case("content-is-a-symlink-out", (UnsafePath, "symlink"), content="link", prepare="link"),
    Case("content-dotdot", (UnsafePath, "not a plain"), content="../outside/secret.mkv"),
    Case("content-absolute-etc-passwd", (UnsafePath, "outside"), content="raw:/etc/passwd"),
    Case("content-absolute-outside", (UnsafePath, "outside"), content="@outside"),
    Case("content-windows-drive", (UnsafePath, "not a plain"), content="raw:C:\\x"),
    Case("content-with-nul", (UnsafePath, "NUL"), content="Film\x00.mkv"),
    # The request's title (from TMDB or typed by a user) names the Plex folder.
    Case("title-dotdot", {"-..-x (2020)/-..-x (2020).mkv"}, title="../../x"),
    Case("title-slash", {"a-b (2020)/a-b (2020).mkv"}, title="a/b"),
    Case("title-con", {"CON_/CON_.mkv"}, title="CON", year=None),
    Case("title-aux-mkv", {"AUX.mkv_/AUX.mkv_.mkv"}, title="AUX.mkv", year=None),
    Case("title-com1-trailing", {"COM1_/COM1_.mkv"}, title="COM1 . . ", year=None),
    Case("title-nul-space-ext", {"nul .txt_/nul .txt_.mkv"}, title="nul .txt", year=None),
    Case("title-etc-passwd", {"-etc-passwd (2020)/-etc-passwd (2020).mkv"}, title="/etc/passwd"),
    Case("title-windows-drive", {"C--x (2020)/C--x (2020).mkv"}, title="C:\\x"),
    Case(
        "title-control",
        {"Bad Title [31m (2020)/Bad Title [31m (2020).mkv"},
        title="Bad\x00Title\x1b[31m",
    ),
    Case("title-1000-bytes", _all_short, title="a" * 1000),
    Case("title-over-255-utf8-bytes", _all_short, title="日本語" * 40),
    Case("title-only-dots", (UnsafePath, "nothing usable"), title=".."),
    Case("title-only-separators", (UnsafePath, "nothing usable"), title="/../\\"),
    # Library state a hostile earlier import (or a mistake) could have left.
    Case(
        "movie-folder-symlinked-out",
        (UnsafePath, "outside"),
        prepare="movie-folder-link",
        modes=("hardlink", "copy", "move"),
    ),
    Case(
        "season-folder-symlinked-out",
        (UnsafePath, "outside"),
        kind="tv",
        title="Show",
        year=2005,
        files={"Show.S02E01.mkv": 800},
        prepare="season-folder-link",
    ),
    Case(
        "destination-file-symlinked-to-a-secret",
        FILM,
        prepare="destination-link",
        modes=("hardlink", "copy", "move"),
    ),
    Case(
        "stale-partial-symlinked-to-a-secret",
        FILM,
        prepare="partial-link",
        modes=("hardlink", "copy"),
    ),
]


def _plant(roots: Roots, sentinel: Sentinel, case: Case, release: Path) -> None:
    """Lay out the download and any hostile library state of a case."""
    for name, what in case.files.items():
        path = release / name
        if what == "->secret":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(sentinel.secret)
        elif what == "->folder":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(sentinel.folder, target_is_directory=True)
        else:
            make_file(path, int(what))
    film = roots.movies / "Film (2020)"
    if case.prepare == "link":
        (roots.downloads / "link").symlink_to(sentinel.folder, target_is_directory=True)
    elif case.prepare == "movie-folder-link":
        film.symlink_to(sentinel.folder, target_is_directory=True)
    elif case.prepare == "season-folder-link":
        (roots.tv / "Show (2005)").mkdir()
        (roots.tv / "Show (2005)" / "Season 02").symlink_to(sentinel.folder)
    elif case.prepare == "destination-link":
        film.mkdir()
        (film / "Film (2020).mkv").symlink_to(sentinel.secret)
    elif case.prepare == "partial-link":
        film.mkdir()
        (film / ".plexkiosk-0123456789ab.partial").symlink_to(sentinel.secret)


def _library(roots: Roots, kind: str) -> set[str]:
    """Return the regular files and links under one library, relative to it."""
    root = roots.movies if kind == "movie" else roots.tv
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if (p.is_file() or p.is_symlink()) and not p.name.startswith(".plexkiosk-")
    }


@pytest.mark.parametrize(
    ("case", "mode"),
    [(case, mode) for case in CASES for mode in case.modes],
    ids=[f"{case.id}-{mode}" for case in CASES for mode in case.modes],
)
def test_a_hostile_name_imports_inside_the_library_or_fails_and_nothing_outside_changes(
    roots: Roots,
    sentinel: Sentinel,
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
    mode: str,
) -> None:
    # Every leftover temporary file counts as stale, so the sweep runs on the planted link.
    monkeypatch.setattr(importer, "STALE_PARTIAL_SECONDS", -3600)
    release = roots.downloads / "Hostile.Release.2020"
    release.mkdir()
    _plant(roots, sentinel, case, release)
    if case.content is None:
        content: Path | str = release
    elif case.content == "@outside":
        content = sentinel.secret
    elif case.content.startswith("raw:"):
        content = case.content.removeprefix("raw:")
    else:
        content = f"{roots.downloads}/{case.content}"
    before = sentinel.take()
    target = MediaTarget(kind=case.kind, title=case.title, year=case.year, season=2)  # type: ignore[arg-type]

    if isinstance(case.expect, tuple):
        error, reason = case.expect
        with pytest.raises(error, match=reason):
            roots.run(content, target=target, mode=mode)  # type: ignore[arg-type]
    else:
        result = roots.run(content, target=target, mode=mode)  # type: ignore[arg-type]
        library = roots.movies if case.kind == "movie" else roots.tv
        assert result.folder.resolve().is_relative_to(library.resolve())
        for file in result.files:
            assert file.destination.resolve().is_relative_to(library.resolve())
            assert not file.destination.is_symlink()
        filed = _library(roots, case.kind)
        if callable(case.expect):
            assert case.expect(filed), filed
        else:
            assert filed == case.expect
    assert sentinel.take() == before
    assert sentinel.secret.read_bytes() == b"s" * 99_999


@pytest.mark.parametrize("name", ["CON", "con .txt", "Aux . mkv", "LPT9", "COM1 "])
def test_windows_device_names_get_a_suffix_even_with_spaces_before_the_extension(
    name: str,
) -> None:
    # Windows strips trailing spaces and dots from the base name before matching devices.
    assert clean_name(name).endswith("_")


def test_a_path_component_over_255_bytes_is_refused_before_anything_is_written(
    roots: Roots,
) -> None:
    with pytest.raises(UnsafePath, match="255 bytes"):
        inside(roots.movies, "é" * 128 + "/x.mkv")
    with pytest.raises(UnsafePath, match="plain relative"):
        inside(roots.movies, "a\x00b/x.mkv")
    assert not any(roots.movies.iterdir())


# --- cleanups -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "info_hash",
    ["../../outside/x", "..", "../outside", "/", "", fake_hash(1)],
    ids=["dotdot-deep", "dotdot", "dotdot-outside", "root", "empty", "real-hash"],
)
def test_deleting_old_downloads_removes_their_links_never_the_link_targets(
    roots: Roots,
    sentinel: Sentinel,
    settings: Any,
    info_hash: str,
) -> None:
    settings.DOWNLOADS_DIR = roots.downloads
    # A download folder holding links out (a hostile torrent or a curious user put them there).
    folder = lifecycle.download_folder(fake_hash(1))
    make_file(folder / "Film.mkv", 100)
    (folder / "secret.mkv").symlink_to(sentinel.secret)
    (folder / "folder").symlink_to(sentinel.folder, target_is_directory=True)
    download = Download.objects.create(
        info_hash=info_hash, release_title="x", media_type="movie", title="x", state="failed"
    )
    Download.objects.filter(pk=download.pk).update(added_at=timezone.now() - timedelta(days=90))
    before = sentinel.take()

    assert cleanup.delete_old_downloads(days=30) == 1

    assert sentinel.take() == before
    assert roots.downloads.is_dir()
    assert folder.exists() == (info_hash != fake_hash(1))


def test_temporary_file_cleanup_unlinks_old_links_and_keeps_their_old_targets(
    roots: Roots,
    sentinel: Sentinel,
) -> None:
    temp = roots.base / "data" / "tmp"
    temp.mkdir(parents=True)
    (temp / "secret.part").symlink_to(sentinel.secret)
    (temp / "upload").symlink_to(sentinel.folder, target_is_directory=True)
    old = time.time() - 400 * 86400
    for link in (temp / "secret.part", temp / "upload"):
        os.utime(link, (old, old), follow_symlinks=False)
    sentinel.skip = (*sentinel.skip, temp)
    before = sentinel.take()

    assert maintenance.remove_old_temp_files(root=temp, max_age_hours=1) == 2

    assert sentinel.take() == before
    assert list(temp.iterdir()) == []


# --- .torrent file lists --------------------------------------------------------------------


def _torrent(info_extra: dict[bytes, Any]) -> bytes:
    """Return a canonical .torrent whose info dict holds `info_extra`."""
    info: dict[bytes, Any] = {b"name": b"Film.2020", b"piece length": 16384, b"pieces": b"\1" * 20}
    info.update(info_extra)
    return bencodepy.encode({b"announce": b"http://t.example/a", b"info": info})


def _files(*paths: list[bytes]) -> dict[bytes, Any]:
    return {b"files": [{b"length": 1, b"path": path} for path in paths]}


@pytest.mark.parametrize(
    "info",
    [
        _files([b"..", b"..", b"etc", b"passwd"]),
        _files([b"ok", b".."]),
        _files([b"/etc/passwd"]),
        _files([b"..\\..\\x.mkv"]),
        _files([b"C:\\Windows", b"x.mkv"]),
        _files([b"a\x00b.mkv"]),
        _files([b"."]),
        {b"name": b"..", b"length": 1},
        {b"name": b"/etc/passwd", b"length": 1},
        {b"name": b"../x", b"length": 1},
        {b"name.utf-8": b"../x", b"length": 1},
        {b"files": [{b"length": 1, b"path": [b"a"], b"path.utf-8": [b".."]}]},
    ],
    ids=[
        "dotdot-components",
        "trailing-dotdot",
        "absolute-component",
        "backslash-dotdot",
        "drive-letter",
        "nul",
        "dot",
        "name-dotdot",
        "name-absolute",
        "name-slash-dotdot",
        "utf8-name",
        "utf8-path",
    ],
)
def test_a_torrent_whose_file_list_climbs_out_of_its_folder_is_refused(
    info: dict[bytes, Any],
) -> None:
    with pytest.raises(InvalidTorrent, match="unsafe"):
        info_hash_from_torrent(_torrent(info))


def test_an_ordinary_multi_file_torrent_is_still_accepted() -> None:
    data = _torrent(
        _files(
            [b"Film.2020.1080p.mkv"],
            [b"Subs", b"2_English.srt"],
            [b"Sample", b"film-sample.mkv"],
            [b"..hidden..name.nfo"],
        )
    )
    assert len(info_hash_from_torrent(data)) == 40
