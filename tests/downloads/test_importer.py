"""Filing finished downloads into the Plex folders: picking, naming, safety and transfer."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from downloads import importer
from downloads.importer import (
    LibraryUnavailable,
    MediaTarget,
    NoMediaFiles,
    NotEnoughSpace,
    UnsafePath,
    clean_name,
    episode_path,
    file_into_library,
    movie_path,
    subtitle_language,
)

MOVIE = MediaTarget(kind="movie", title="Blade Runner 2049", year=2017)
SHOW = MediaTarget(kind="tv", title="The Office", year=2005, season=2)


@dataclass
class Roots:
    """A temporary DOWNLOADS_DIR, MOVIES_DIR and TV_DIR, plus a folder outside them all."""

    base: Path
    downloads: Path
    movies: Path
    tv: Path
    outside: Path

    def run(self, content: Path, target: MediaTarget = MOVIE, mode: str = "hardlink"):
        """Import `content` into these roots."""
        return file_into_library(
            content_path=content,
            target=target,
            mode=mode,
            downloads_dir=self.downloads,
            movies_dir=self.movies,
            tv_dir=self.tv,
        )

    def library_files(self) -> set[str]:
        """Return every file under the two libraries, relative to the base folder."""
        return {
            str(p.relative_to(self.base))
            for root in (self.movies, self.tv)
            for p in root.rglob("*")
            if p.is_file() or p.is_symlink()
        }

    def everything_but_downloads(self) -> set[str]:
        """Return every path under the base folder except the downloads."""
        return {
            str(p.relative_to(self.base))
            for p in self.base.rglob("*")
            if not p.is_relative_to(self.downloads)
        }


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    """Make the three configured folders and an outside folder under tmp."""
    made = Roots(
        base=tmp_path,
        downloads=tmp_path / "downloads",
        movies=tmp_path / "media" / "Movies",
        tv=tmp_path / "media" / "TV",
        outside=tmp_path / "outside",
    )
    for folder in (made.downloads, made.movies, made.tv, made.outside):
        folder.mkdir(parents=True)
    return made


def make_file(path: Path, size: int = 1000, fill: bytes = b"v") -> Path:
    """Write a file of `size` bytes, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((fill * size)[:size])
    return path


def movie_download(roots: Roots) -> Path:
    """Lay out a typical movie release with junk around the film."""
    release = roots.downloads / "Blade.Runner.2049.2017.1080p.BluRay.x264-GRP"
    make_file(release / "Blade.Runner.2049.2017.1080p.BluRay.x264-GRP.mkv", 50_000)
    make_file(release / "blade.runner.2049.2017.1080p-sample.mkv", 4_000)
    make_file(release / "Sample" / "sample.mkv", 4_000)
    make_file(release / "Featurettes" / "Making Of.mkv", 30_000)
    make_file(release / "Blade.Runner.2049.2017.1080p.BluRay.x264-GRP.nfo", 100)
    make_file(release / "RARBG.txt", 100)
    make_file(release / "Setup.exe", 100_000)
    make_file(release / "Subs" / "2_English.srt", 300, b"e")
    make_file(release / "Subs" / "3_French.srt", 200, b"f")
    make_file(release / "Blade.Runner.2049.2017.1080p.eng.forced.srt", 50, b"o")
    return release


# Names ---------------------------------------------------------------------------------


def test_a_movie_is_named_title_and_year_in_its_own_folder() -> None:
    assert movie_path(title="Blade Runner 2049", year=2017, extension=".MKV") == Path(
        "Blade Runner 2049 (2017)/Blade Runner 2049 (2017).mkv"
    )


def test_an_episode_is_named_show_year_season_folder_and_code() -> None:
    path = episode_path(show="The Office", year=2005, season=2, episodes=[5], extension=".mkv")
    assert path == Path("The Office (2005)/Season 02/The Office (2005) - S02E05.mkv")


def test_a_multi_episode_file_is_named_with_a_range() -> None:
    path = episode_path(show="The Office", year=2005, season=2, episodes=[6, 5], extension=".mp4")
    assert path.name == "The Office (2005) - S02E05-E06.mp4"


def test_subtitles_are_named_after_their_video_with_the_language() -> None:
    path = movie_path(title="Heat", year=1995, extension=".srt", language="en", flags=["forced"])
    assert path == Path("Heat (1995)/Heat (1995).en.forced.srt")


@pytest.mark.parametrize(
    ("stem", "language", "flags"),
    [
        ("Movie.2020.1080p.en", "en", ()),
        ("2_English", "en", ()),
        ("Movie.2020.eng.forced", "en", ("forced",)),
        ("Movie.fre.sdh", "fr", ("sdh",)),
        ("Movie.2020.1080p", None, ()),
        ("de", None, ()),
    ],
)
def test_subtitle_languages_are_read_from_common_release_names(
    stem: str, language: str | None, flags: tuple[str, ...]
) -> None:
    assert subtitle_language(stem) == (language, flags)


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("Mission: Impossible", "Mission - Impossible"),
        ("../../etc/passwd", "-..-etc-passwd"),
        ("/etc/cron.d/evil", "-etc-cron.d-evil"),
        ("Nul\x00byte\x1fand\x7fcontrol\nchars", "Nul byte and control chars"),
        ('What? <Is> "This"*|', "What Is This-"),
        ("Evil\u202eVKM.exe", "EvilVKM.exe"),
        ("CON", "CON_"),
        ("lpt1.txt", "lpt1.txt_"),
        ("...hidden.", "hidden"),
    ],
)
def test_hostile_titles_become_one_harmless_path_component(hostile: str, expected: str) -> None:
    cleaned = clean_name(hostile)
    assert cleaned == expected
    assert "/" not in cleaned and cleaned not in {".", ".."}


@pytest.mark.parametrize("title", ["a" * 1000, "日本語タイトル" * 100])
def test_a_huge_title_is_cut_to_fit_the_file_name_limit(title: str) -> None:
    path = movie_path(title=title, year=2020, extension=".srt", language="en", flags=["forced"])
    assert all(len(part.encode()) <= 255 for part in path.parts)
    assert path.name.endswith(" (2020).en.forced.srt")


@pytest.mark.parametrize("title", ["", "..", " . . ", "\x00\x01", "///"])
def test_a_title_with_nothing_usable_is_refused(title: str) -> None:
    with pytest.raises(UnsafePath):
        clean_name(title)


# Picking files -------------------------------------------------------------------------


def test_a_movie_import_keeps_the_film_and_its_subtitles_and_skips_junk(roots: Roots) -> None:
    result = roots.run(movie_download(roots))
    folder = "media/Movies/Blade Runner 2049 (2017)"
    assert roots.library_files() == {
        f"{folder}/Blade Runner 2049 (2017).mkv",
        f"{folder}/Blade Runner 2049 (2017).en.srt",
        f"{folder}/Blade Runner 2049 (2017).fr.srt",
        f"{folder}/Blade Runner 2049 (2017).en.forced.srt",
    }
    assert result.folder == roots.movies.resolve() / "Blade Runner 2049 (2017)"
    skipped = dict(result.skipped)
    assert skipped["Setup.exe"] == "not a video or subtitle"
    assert skipped["Sample/sample.mkv"] == "in an extras or sample folder"
    assert skipped["blade.runner.2049.2017.1080p-sample.mkv"] == "a sample or extra"


def test_a_season_pack_files_each_episode_and_its_subtitles(roots: Roots) -> None:
    pack = roots.downloads / "The.Office.US.S02.1080p.WEB-DL"
    make_file(pack / "The.Office.US.S02E01.1080p.WEB-DL.mkv", 5000)
    make_file(pack / "The.Office.US.S02E01.1080p.WEB-DL.en.srt", 50)
    make_file(pack / "The.Office.US.S02E02.1080p.WEB-DL.mkv", 5000)
    make_file(pack / "The.Office.US.S02E03E04.1080p.WEB-DL.mkv", 9000)
    make_file(pack / "The.Office.US.S01E01.1080p.WEB-DL.mkv", 5000)
    make_file(pack / "The.Office.US.S02E02.sample.mkv", 100)
    make_file(pack / "Extras" / "Bloopers.S02E99.mkv", 3000)
    make_file(pack / "Making.Of.mkv", 3000)
    result = roots.run(pack, target=SHOW)
    season = "media/TV/The Office (2005)/Season 02"
    assert roots.library_files() == {
        f"{season}/The Office (2005) - S02E01.mkv",
        f"{season}/The Office (2005) - S02E01.en.srt",
        f"{season}/The Office (2005) - S02E02.mkv",
        f"{season}/The Office (2005) - S02E03-E04.mkv",
    }
    assert result.folder == roots.tv.resolve() / "The Office (2005)" / "Season 02"  # Plex scans it
    skipped = dict(result.skipped)
    assert skipped["The.Office.US.S01E01.1080p.WEB-DL.mkv"] == "season 1 was not asked for"
    assert skipped["Making.Of.mkv"] == "no season and episode number in its name"


def test_anime_files_numbered_from_the_first_episode_are_filed_in_the_season(
    roots: Roots,
) -> None:
    # Season 1 had 12 episodes: the show's 13th and 14th are season 2's first two.
    batch = roots.downloads / "[SubsPlease] The Office (13-14) (1080p)"
    make_file(batch / "[SubsPlease] The Office - 13 (1080p) [ABCD1234].mkv", 5000)
    make_file(batch / "[SubsPlease] The Office - 14 (1080p) [ABCD1234].mkv", 5000)
    make_file(batch / "[SubsPlease] The Office - 05 (1080p) [ABCD1234].mkv", 5000)
    target = MediaTarget(kind="tv", title="The Office", year=2005, season=2, absolute_offset=12)
    result = roots.run(batch, target=target)
    season = "media/TV/The Office (2005)/Season 02"
    assert roots.library_files() == {
        f"{season}/The Office (2005) - S02E01.mkv",
        f"{season}/The Office (2005) - S02E02.mkv",
    }
    skipped = dict(result.skipped)
    assert skipped["[SubsPlease] The Office - 05 (1080p) [ABCD1234].mkv"] == (
        "no season and episode number in its name"
    )


WANT_3 = MediaTarget(kind="tv", title="The Office", year=2005, season=2, episodes=frozenset({3}))
SEASON_2 = "media/TV/The Office (2005)/Season 02"


def office_pack(roots: Roots, quality: str = "720p") -> Path:
    """Lay out a season 2 pack of episodes 1 to 3 at `quality`, episode 1 with a subtitle."""
    pack = roots.downloads / f"The.Office.US.S02.{quality}.WEB-DL"
    for episode in (1, 2, 3):
        make_file(pack / f"The.Office.US.S02E0{episode}.{quality}.WEB-DL.mkv", 5000)
    make_file(pack / f"The.Office.US.S02E01.{quality}.WEB-DL.en.srt", 50)
    return pack


def test_only_the_episodes_asked_for_are_filed_and_the_others_said_why(roots: Roots) -> None:
    pack = office_pack(roots)
    # qBittorrent left episode 2 partly written (priority 0, a piece shared with episode 3).
    (pack / "The.Office.US.S02E02.720p.WEB-DL.mkv").write_bytes(b"v" * 700)
    result = roots.run(pack, target=WANT_3)
    assert roots.library_files() == {f"{SEASON_2}/The Office (2005) - S02E03.mkv"}
    skipped = dict(result.skipped)
    assert skipped["The.Office.US.S02E01.720p.WEB-DL.mkv"] == "episode not asked for: S02E01"
    assert skipped["The.Office.US.S02E02.720p.WEB-DL.mkv"] == "episode not asked for: S02E02"


def test_a_download_without_the_episodes_asked_for_says_which_were_wanted(roots: Roots) -> None:
    pack = office_pack(roots)
    wanted = MediaTarget(
        kind="tv", title="The Office", year=2005, season=2, episodes=frozenset({5, 6})
    )
    with pytest.raises(NoMediaFiles, match=r"holds an episode asked for \(S02E05, S02E06\)"):
        roots.run(pack, target=wanted)
    assert roots.library_files() == set()


def test_an_episode_in_the_library_at_a_higher_resolution_is_kept(roots: Roots) -> None:
    season = roots.tv / "The Office (2005)" / "Season 02"
    better = make_file(season / "The Office (2005) - S02E03 - 1080p.mp4", 9000, b"b")
    result = roots.run(office_pack(roots, "720p"), target=WANT_3)
    assert dict(result.skipped)["The.Office.US.S02E03.720p.WEB-DL.mkv"] == (
        "S02E03 already in the library at 1080p"
    )
    assert result.files == () and better.read_bytes() == b"b" * 9000
    assert roots.library_files() == {f"{SEASON_2}/The Office (2005) - S02E03 - 1080p.mp4"}


def test_an_episode_in_the_library_without_a_known_resolution_is_kept(roots: Roots) -> None:
    season = roots.tv / "The Office (2005)" / "Season 02"
    filed = make_file(season / "The Office (2005) - S02E03.mkv", 9000, b"o")
    result = roots.run(office_pack(roots, "2160p"), target=WANT_3)
    assert dict(result.skipped)["The.Office.US.S02E03.2160p.WEB-DL.mkv"] == (
        "S02E03 already in the library"
    )
    assert filed.read_bytes() == b"o" * 9000


def test_a_higher_resolution_replaces_the_worse_copy_of_the_episode(roots: Roots) -> None:
    season = roots.tv / "The Office (2005)" / "Season 02"
    make_file(season / "The Office (2005) - S02E03 - 480p.avi", 3000, b"w")
    make_file(season / "The Office (2005) - S02E02 - 480p.avi", 3000, b"w")
    result = roots.run(office_pack(roots, "1080p"), target=WANT_3)
    assert [f.action for f in result.files] == ["linked"]
    # Episode 2 was not in this download's episodes: its copy stays.
    assert roots.library_files() == {
        f"{SEASON_2}/The Office (2005) - S02E03.mkv",
        f"{SEASON_2}/The Office (2005) - S02E02 - 480p.avi",
    }


def test_importing_the_same_episodes_again_finds_them_in_place(roots: Roots) -> None:
    pack = office_pack(roots)
    roots.run(pack, target=WANT_3, mode="copy")
    again = roots.run(pack, target=WANT_3, mode="copy")
    assert [f.action for f in again.files] == ["already present"]


def test_episodes_without_a_season_in_their_name_take_the_folders(roots: Roots) -> None:
    pack = roots.downloads / "Show.S03.Complete"
    make_file(pack / "Season 3" / "05 - The Episode.mkv", 500)
    target = MediaTarget(kind="tv", title="Show", year=None, season=None)
    roots.run(pack, target=target)
    assert roots.library_files() == {"media/TV/Show/Season 03/Show - S03E05.mkv"}


def test_a_single_file_download_is_imported(roots: Roots) -> None:
    film = make_file(roots.downloads / "Heat.1995.720p.mp4", 700)
    roots.run(film, target=MediaTarget(kind="movie", title="Heat", year=1995))
    assert roots.library_files() == {"media/Movies/Heat (1995)/Heat (1995).mp4"}


def test_a_download_without_videos_is_a_permanent_error(roots: Roots) -> None:
    release = roots.downloads / "Fake.Movie.2020"
    make_file(release / "Fake.Movie.2020.mkv.exe", 9000)
    make_file(release / "password.txt", 10)
    with pytest.raises(NoMediaFiles) as raised:
        roots.run(release)
    assert not raised.value.temporary
    assert roots.library_files() == set()


@pytest.mark.parametrize(
    "files",
    [
        {"movie.rar": 9000, "movie.r00": 9000, "movie.sfv": 10},
        {"BDMV/STREAM/00001.m2ts": 90_000, "BDMV/index.bdmv": 10},
        {"VIDEO_TS/VTS_01_1.VOB": 90_000, "VIDEO_TS/VTS_01_0.IFO": 10},
    ],
    ids=["rar-archive", "blu-ray-folder", "dvd-folder"],
)
def test_packed_or_disc_releases_are_refused_so_another_release_is_tried(
    roots: Roots, files: dict[str, int]
) -> None:
    release = roots.downloads / "Packed.Movie.2020"
    for name, size in files.items():
        make_file(release / name, size)
    with pytest.raises(NoMediaFiles):
        roots.run(release)
    assert roots.library_files() == set()


# Hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["../../outside/pwned", "/tmp/pwned", "..", "x/../../../y", "Movies/../../outside"],
)
def test_hostile_titles_never_write_outside_the_library(roots: Roots, title: str) -> None:
    film = make_file(roots.downloads / "Some.Release.2020.mkv", 500)
    before = roots.everything_but_downloads()
    # Refusing is as good as writing inside the library; writing anywhere else is not.
    with contextlib.suppress(UnsafePath):
        roots.run(film, target=MediaTarget(kind="movie", title=title, year=2020))
    written = roots.everything_but_downloads() - before
    assert all(path.startswith("media/Movies/") for path in written), written
    assert not any(roots.outside.iterdir())


def test_hostile_file_names_inside_a_download_are_filed_under_clean_names(roots: Roots) -> None:
    release = roots.downloads / "Evil.Release"
    make_file(release / "..\\..\\evil\x01name\nwith lines.mkv", 800)
    make_file(release / ("x" * 250 + ".srt"), 10)
    roots.run(release, target=MediaTarget(kind="movie", title="Evil", year=2021))
    assert roots.library_files() == {
        "media/Movies/Evil (2021)/Evil (2021).mkv",
        "media/Movies/Evil (2021)/Evil (2021).srt",
    }


def test_symlinks_in_a_download_pointing_outside_are_never_imported(roots: Roots) -> None:
    secret = make_file(roots.outside / "secret.mkv", 99_999, b"s")
    make_file(roots.outside / "folder" / "other.mkv", 99_999, b"s")
    release = roots.downloads / "Linky.2020"
    make_file(release / "Linky.2020.mkv", 500)
    (release / "Linky.2020.REAL.mkv").symlink_to(secret)
    (release / "more").symlink_to(roots.outside / "folder")
    result = roots.run(release, target=MediaTarget(kind="movie", title="Linky", year=2020))
    [filed] = result.files
    assert filed.destination.read_bytes() == b"v" * 500
    assert {"Linky.2020.REAL.mkv", "more"} <= {name for name, _ in result.skipped}


def test_a_download_path_outside_downloads_dir_is_refused(roots: Roots) -> None:
    elsewhere = make_file(roots.outside / "Film.2020.mkv", 500)
    with pytest.raises(UnsafePath):
        roots.run(elsewhere)
    with pytest.raises(UnsafePath):
        roots.run(roots.downloads / ".." / "outside" / "Film.2020.mkv")
    link = roots.downloads / "Film.2020"
    link.symlink_to(roots.outside)
    with pytest.raises(UnsafePath):
        roots.run(link)
    assert roots.library_files() == set()


def test_a_library_folder_symlinked_outside_is_refused(roots: Roots) -> None:
    (roots.movies / "Blade Runner 2049 (2017)").symlink_to(roots.outside)
    with pytest.raises(UnsafePath):
        roots.run(movie_download(roots))
    assert not any(roots.outside.iterdir())


def test_a_missing_library_folder_is_a_temporary_error_that_creates_nothing(
    roots: Roots,
) -> None:
    release = movie_download(roots)
    shutil.rmtree(roots.movies)
    with pytest.raises(LibraryUnavailable) as raised:
        roots.run(release)
    assert raised.value.temporary
    assert not roots.movies.exists()


# Transfer ------------------------------------------------------------------------------


def imported_film(roots: Roots) -> tuple[Path, Path]:
    """Return the source film of `movie_download` and where it is filed."""
    source = next((roots.downloads).rglob("*x264-GRP.mkv"))
    destination = roots.movies / "Blade Runner 2049 (2017)" / "Blade Runner 2049 (2017).mkv"
    return source, destination


def test_hardlink_mode_links_the_file_so_qbittorrent_keeps_seeding(roots: Roots) -> None:
    release = movie_download(roots)
    result = roots.run(release, mode="hardlink")
    source, destination = imported_film(roots)
    assert source.samefile(destination)
    assert source.stat().st_nlink == 2
    assert {f.action for f in result.files} == {"linked"}


def test_hardlink_mode_copies_when_the_library_is_on_another_file_system(
    roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(importer.os, "link", cross_device)
    result = roots.run(movie_download(roots), mode="hardlink")
    source, destination = imported_film(roots)
    assert not source.samefile(destination)
    assert destination.read_bytes() == source.read_bytes()
    assert {f.action for f in result.files} == {"copied"}


def test_copy_mode_leaves_an_independent_copy(roots: Roots) -> None:
    roots.run(movie_download(roots), mode="copy")
    source, destination = imported_film(roots)
    assert not source.samefile(destination)
    assert destination.read_bytes() == source.read_bytes()


def test_move_mode_moves_the_file_and_a_second_run_finds_it_filed(roots: Roots) -> None:
    release = movie_download(roots)
    source, destination = imported_film(roots)
    roots.run(release, mode="move")
    assert destination.exists() and not source.exists()
    again = roots.run(release, mode="move")
    assert not again.changed
    assert [f.destination for f in again.files] == [destination.resolve()]


def test_move_mode_across_file_systems_copies_then_removes_the_source(
    roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = Path.replace

    def no_cross_device_rename(self: Path, target: Path) -> Path:
        if self.is_relative_to(roots.downloads):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", no_cross_device_rename)
    release = movie_download(roots)
    source, destination = imported_film(roots)
    content = source.read_bytes()
    roots.run(release, mode="move")
    assert destination.read_bytes() == content and not source.exists()


@pytest.mark.parametrize("mode", ["hardlink", "copy", "move"])
def test_importing_twice_changes_nothing_the_second_time(roots: Roots, mode: str) -> None:
    release = movie_download(roots)
    roots.run(release, mode=mode)
    files = roots.library_files()
    inodes = {p: (roots.base / p).stat().st_ino for p in files}
    second = roots.run(release, mode=mode)
    assert not second.changed
    assert roots.library_files() == files
    assert {p: (roots.base / p).stat().st_ino for p in files} == inodes


def test_a_crash_after_linking_leaves_no_duplicate_after_the_retry(
    roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = movie_download(roots)
    real_transfer = importer.transfer
    done: list[Path] = []

    def crash_after_two(item: importer.PlannedFile, *, mode: str) -> str:
        if len(done) == 2:
            raise SystemExit("worker killed")
        done.append(item.destination)
        return real_transfer(item, mode=mode)

    monkeypatch.setattr(importer, "transfer", crash_after_two)
    with pytest.raises(SystemExit):
        roots.run(release)
    monkeypatch.setattr(importer, "transfer", real_transfer)
    result = roots.run(release)
    assert len(roots.library_files()) == 4
    assert sum(f.action == "already present" for f in result.files) == 2
    assert not list(roots.movies.rglob(".plexkiosk-*"))


def test_a_full_disk_during_a_copy_leaves_nothing_partial(
    roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill_the_disk(src: Path, dst: Path) -> None:
        Path(dst).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importer.shutil, "copyfile", fill_the_disk)
    with pytest.raises(NotEnoughSpace) as raised:
        roots.run(movie_download(roots), mode="copy")
    assert raised.value.temporary
    # Not even the empty folder the import made for it.
    assert not (roots.movies / "Blade Runner 2049 (2017)").exists()


def test_too_little_free_space_is_refused_before_writing(
    roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        importer.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 10)
    )
    with pytest.raises(NotEnoughSpace, match="no space left on the library disk"):
        roots.run(movie_download(roots), mode="copy")
    assert roots.library_files() == set()


def test_a_different_file_already_filed_is_replaced_whole(roots: Roots) -> None:
    release = movie_download(roots)
    _, destination = imported_film(roots)
    make_file(destination, 10, b"o")
    result = roots.run(release, mode="copy")
    assert destination.stat().st_size == 50_000
    assert "replaced" in {f.action for f in result.files}


def test_leftovers_of_a_killed_import_are_cleaned_up(
    roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = roots.movies / "Blade Runner 2049 (2017)"
    leftover = make_file(folder / ".plexkiosk-0123456789ab.partial", 10)
    monkeypatch.setattr(importer, "STALE_PARTIAL_SECONDS", -60)
    roots.run(movie_download(roots))
    assert not leftover.exists()


def test_a_fresh_copy_whose_writer_died_is_removed_at_once_and_one_still_copying_is_kept(
    roots: Roots,
) -> None:
    folder = roots.movies / "Blade Runner 2049 (2017)"
    # A worker killed mid-copy: its lock died with it, though the file is seconds old.
    abandoned = make_file(folder / ".plexkiosk-00000000dead.partial", 10)
    copying = make_file(folder / ".plexkiosk-0000000a11ve.partial", 10)
    # A hard link about to be renamed into place is never locked: it keeps its hour.
    linking = folder / ".plexkiosk-000000001111.partial"
    os.link(make_file(roots.downloads / "elsewhere.mkv", 10), linking)
    with copying.open("rb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)  # what an import copying right now holds
        importer.remove_stale_partials(folder)
    assert not abandoned.exists()
    assert copying.exists() and linking.exists()


def test_the_transfer_mode_and_folders_come_from_settings(
    roots: Roots, settings: pytest.FixtureRequest
) -> None:
    settings.TRANSFER_MODE = "copy"
    settings.DOWNLOADS_DIR = roots.downloads
    settings.MOVIES_DIR = roots.movies
    release = movie_download(roots)
    file_into_library(content_path=release, target=MOVIE)
    source, destination = imported_film(roots)
    assert destination.exists() and not source.samefile(destination)
