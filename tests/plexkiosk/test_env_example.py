"""`.env.example`, the file `make setup` copies into `.env`, lists exactly the README's settings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.plexkiosk.helpers import manage

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
# `VAR=…` or, commented, `# VAR=…`: both tell the reader the variable exists.
EXAMPLE_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=")


def readme_variables(readme: str) -> set[str]:
    """Return the names in the Configuration table's first column and the Procfile settings."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(NAME.findall(line.split("|")[1]))
        elif line.startswith("Process settings read by `Procfile`"):
            paragraph = section[section.index(line) :].split("\n\n", 1)[0]
            names.update(NAME.findall(paragraph))
    return names


def example_variables(example: str) -> list[str]:
    return [m.group(1) for line in example.splitlines() if (m := EXAMPLE_LINE.match(line))]


def test_the_readme_parser_finds_the_table_and_the_procfile_settings() -> None:
    names = readme_variables((ROOT / "README.md").read_text())
    # A parser that found nothing would make the comparisons below pass for nothing.
    assert {"SECRET_KEY", "SECURE_HSTS_PRELOAD", "TMDB_URL", "CACHE_URL", "LLM_TIMEOUT"} <= names
    assert {"WEB_BIND", "WEB_WORKERS", "WORKER_CONCURRENCY"} <= names
    assert "Procfile" not in names and len(names) > 50


def test_env_example_lists_every_readme_variable_and_nothing_else() -> None:
    documented = readme_variables((ROOT / "README.md").read_text())
    listed = example_variables((ROOT / ".env.example").read_text())

    assert sorted(documented - set(listed)) == [], "in the README, missing from .env.example"
    assert sorted(set(listed) - documented) == [], "in .env.example, not in the README"
    assert [name for name, n in Counter(listed).items() if n > 1] == []


def test_every_procfile_variable_is_documented() -> None:
    procfile = (ROOT / "Procfile").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", procfile))
    assert used, procfile
    assert used <= readme_variables((ROOT / "README.md").read_text())


def test_make_setup_writes_a_dot_env_from_the_example_that_the_app_starts_with(
    tmp_path: Path,
) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "write_env.py", tmp_path / "scripts")
    shutil.copy(ROOT / ".env.example", tmp_path)
    done = subprocess.run(
        [sys.executable, "scripts/write_env.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

    written = (tmp_path / ".env").read_text().splitlines()
    example = (ROOT / ".env.example").read_text().splitlines()
    [key] = [line.removeprefix("SECRET_KEY=") for line in written if line.startswith("SECRET_KEY=")]
    assert key != "change-me" and len(key) >= 50
    assert [line for line in written if not line.startswith("SECRET_KEY=")] == [
        line for line in example if not line.startswith("SECRET_KEY=")
    ]
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600

    # The example's live lines are valid settings: the app passes its checks with them.
    live = dict(line.split("=", 1) for line in written if line and not line.startswith("#"))
    checked = manage(
        "check",
        env={
            "PATH": "/usr/bin:/bin",
            "PLEXKIOSK_SKIP_DOTENV": "1",
            "DJANGO_SETTINGS_MODULE": "plexkiosk.settings",
            "DATA_DIR": str(tmp_path / "data"),
            **live,
        },
    )
    assert checked.returncode == 0, checked.stderr
