"""The production image's files, worked out without docker: the build context that
docker/compose.yml names, filtered by its `.dockerignore` (with Docker's own pattern rules),
then what docker/Dockerfile's COPY and ADD lines take from it. No secret, no household data,
no tests and no git may enter; everything the app runs from must."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


# --- Docker's .dockerignore rules (moby/patternmatcher and buildkit's dockerignore reader) ---


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    exception: bool


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Translate one cleaned Docker pattern to a regex over slash-separated relative paths."""
    out, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1  # `**/` is `**`
            # `**` spans any number of folders, even none; at the end, anything at all.
            out += ".*" if i == len(pattern) else "(.*/)?"
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch in "[]":
            out += ch  # a character class, as in Go's filepath.Match
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


def read_dockerignore(text: str) -> list[Pattern]:
    """Parse `.dockerignore` as docker does: `#` lines, trimming, `!`, Clean, a leading `/`."""
    patterns = []
    for raw in text.lstrip("\ufeff").splitlines():
        if raw.startswith("#"):
            continue
        line = raw.strip()
        if not line:
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        cleaned = str(PurePosixPath(line))  # Go's filepath.Clean: no `.`, `//` or trailing `/`
        if len(cleaned) > 1 and cleaned.startswith("/"):
            cleaned = cleaned[1:]
        patterns.append(Pattern(compile_pattern(cleaned), exception))
    return patterns


def excluded(path: str, patterns: list[Pattern]) -> bool:
    """Return whether docker leaves `path` out: a pattern matching it or a parent folder
    excludes it, a later `!` pattern brings it back, and the last match wins."""
    parents = path.split("/")[:-1]
    matched = False
    for pattern in patterns:
        if pattern.exception != matched:
            continue  # cannot change the outcome
        hit = bool(pattern.regex.match(path)) or any(
            pattern.regex.match("/".join(parents[: i + 1])) for i in range(len(parents))
        )
        if hit:
            matched = not pattern.exception
    return matched


def context_files(context: Path, patterns: list[Pattern]) -> set[str]:
    """Return the files of the build context that docker sends for COPY to use."""
    may_reinclude = any(p.exception for p in patterns)
    kept: set[str] = set()
    for folder, dirs, files in os.walk(context):
        relative = Path(folder).relative_to(context)
        for name in list(dirs):
            path = (relative / name).as_posix()
            if excluded(path, patterns) and not may_reinclude:
                dirs.remove(name)  # docker does not even walk it
        for name in files:
            path = (relative / name).as_posix()
            if not excluded(path, patterns):
                kept.add(path)
    return kept


# --- the Dockerfile's COPY and ADD lines ----------------------------------------------------


def copy_sources(dockerfile: str) -> list[str]:
    """Return the context paths every COPY or ADD (not `--from` a stage) takes."""
    logical = re.sub(r"\\\n", " ", dockerfile)
    sources: list[str] = []
    for line in logical.splitlines():
        words = line.strip()
        instruction, _, rest = words.partition(" ")
        if instruction.upper() not in {"COPY", "ADD"}:
            continue
        flags = []
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flags.append(flag)
            rest = rest.lstrip()
        if any(flag.startswith("--from=") for flag in flags):
            continue
        parts = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        sources.extend(parts[:-1])  # the last one is the destination
    return sources


def image_files(context: Path, dockerfile: Path) -> set[str]:
    """Return the context files that end up in the image."""
    sent = context_files(context, read_dockerignore((context / ".dockerignore").read_text()))
    taken: set[str] = set()
    for source in copy_sources(dockerfile.read_text()):
        cleaned = re.sub(r"^(\./)+|^/+", "", source).rstrip("/")
        if cleaned in {"", "."}:
            taken |= sent
            continue
        glob = compile_pattern(cleaned)  # `*` and `?` as in Go's filepath.Match
        for path in sent:
            parts = path.split("/")
            if any(glob.match("/".join(parts[: i + 1])) for i in range(len(parts))):
                taken.add(path)
    return taken


def compose_build() -> tuple[Path, Path]:
    """Return the build context and Dockerfile that docker/compose.yml builds the app from."""
    compose_file = ROOT / "docker" / "compose.yml"
    build = yaml.safe_load(compose_file.read_text())["x-app"]["build"]
    context = (compose_file.parent / build["context"]).resolve()
    return context, context / build["dockerfile"]


# --- tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "path", "left_out"),
    [
        # The examples of Docker's documentation (.dockerignore file).
        (["*/temp*"], "somedir/temporary.txt", True),
        (["*/temp*"], "somedir/temp", True),
        (["*/temp*"], "temp.txt", False),
        (["*/*/temp*"], "somedir/subdir/temporary.txt", True),
        (["temp?"], "tempa", True),
        (["temp?"], "tempab", False),
        (["**/*.go"], "main.go", True),
        (["**/*.go"], "a/b/c/main.go", True),
        (["*.md", "!README.md"], "README.md", False),
        (["*.md", "!README.md"], "CHANGES.md", True),
        (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", True),
        (["*.md", "!README*.md", "README-secret.md"], "README-public.md", False),
        (["*.md", "README-secret.md", "!README*.md"], "README-secret.md", False),
        # A folder takes everything under it; patterns are anchored at the context root.
        (["data"], "data/media/Movies/film.mkv", True),
        (["/data/"], "data/x", True),
        (["./data"], "data/x", True),
        (["data"], "downloads/data/x.py", False),
        (["**/.env"], ".env", True),
        (["**/.env"], "docker/.env", True),
        (["  #x"], "#x", True),  # only a line starting with `#` is a comment
        (["# tests"], "tests/x.py", False),
        (["tests", "!tests/keep.py"], "tests/keep.py", False),
        (["a/**"], "a/b/c", True),
        (["a/**/z"], "a/z", True),
        (["a/**/z"], "a/b/c/z", True),
        (["*.py[co]"], "x.pyc", True),
        (["\\*.txt"], "a.txt", False),
    ],
)
def test_the_dockerignore_rules_follow_docker(lines: list[str], path: str, left_out: bool) -> None:
    assert excluded(path, read_dockerignore("\n".join(lines))) is left_out


def test_the_dockerfile_copy_lines_are_read_with_their_flags_and_forms() -> None:
    dockerfile = (
        "COPY requirements/ requirements/\n"
        'COPY --chown=1000:1000 ["manage.py", "Procfile", "/app/"]\n'
        "COPY --from=build /wheels /wheels\n"
        "ADD --chmod=755 docker/entrypoint.sh \\\n    /usr/local/bin/\n"
        "RUN cp a b\n"
    )
    assert copy_sources(dockerfile) == [
        "requirements/",
        "manage.py",
        "Procfile",
        "docker/entrypoint.sh",
    ]


def make_tree(root: Path, paths: Iterable[str]) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)


def test_secrets_data_tests_and_git_cannot_enter_the_image(tmp_path: Path) -> None:
    context, dockerfile = compose_build()
    make_tree(
        tmp_path,
        [
            ".env", ".env.local", "docker/.env", "data/x", "data/plexkiosk.sqlite3",
            "tests/x", "tests/conftest.py", ".git/x", ".git/config", ".venv/bin/python",
            "artifacts/screenshots/a.png", "plexkiosk/__pycache__/settings.cpython-311.pyc",
            ".pytest_cache/v", ".ruff_cache/v", "node_modules/axe-core/axe.min.js",
            "package.json", "package-lock.json",
            "manage.py", "plexkiosk/settings.py", "downloads/data/keep.py",
            "docker/entrypoint.sh", "requirements/base.txt", "templates/base.html",
        ],
    )  # fmt: skip
    for name in (".dockerignore", "docker/Dockerfile"):
        (tmp_path / name).write_text((context / name).read_text())

    files = image_files(tmp_path, tmp_path / dockerfile.relative_to(context))

    assert sorted(files) == [
        ".dockerignore",  # COPY . . takes it, as any file not ignored
        "docker/Dockerfile",
        "docker/entrypoint.sh",
        "downloads/data/keep.py",
        "manage.py",
        "plexkiosk/settings.py",
        "requirements/base.txt",
        "templates/base.html",
    ]


def test_the_real_repository_gives_an_image_without_secrets_and_with_the_whole_app() -> None:
    context, dockerfile = compose_build()
    # BuildKit prefers a `<Dockerfile>.dockerignore` beside the Dockerfile to the root's.
    assert not dockerfile.with_name(dockerfile.name + ".dockerignore").exists()
    assert (context / ".dockerignore").is_file()

    files = image_files(context, dockerfile)

    forbidden = re.compile(
        r"(^|/)\.env(\.|$)|^(data|tests|\.git|\.venv|artifacts|node_modules)/|__pycache__"
    )
    assert sorted(f for f in files if forbidden.search(f)) == []
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=context, capture_output=True, text=True, check=True
    ).stdout.split()
    left_out = {f for f in tracked if f not in files}
    # Only what the running app never reads may stay out.
    assert sorted(f for f in left_out if not f.startswith(("tests/", ".ci/"))) == [
        ".env.example",
        ".gitignore",
        "package-lock.json",  # the tests' Node tools
        "package.json",
    ]
    assert {"manage.py", "docker/entrypoint.sh", "requirements/base.txt"} <= files
