"""The project's import graph has no cycle and no unexplained function-local import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.import_graph import ROOT, Graph, report


def _write(root: Path, files: dict[str, str]) -> None:
    """Write a small fake project of ``files`` (path → source) under ``root``."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_the_project_has_no_import_cycle_and_no_unexplained_local_import() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.import_graph"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert "Import cycles: 0\n" in result.stdout, result.stdout
    assert "no comment saying why: 0\n" in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checker_finds_a_cycle_through_a_function_local_import(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/lifecycle.py": (
                "def start():\n    # Queued by name would be better.\n    from app import tasks\n"
            ),
            "app/tasks.py": "from .lifecycle import start\n",
            "app/models.py": "",
        },
    )

    graph = Graph(tmp_path, packages=("app",), scripts=())

    assert graph.cycles() == [["app.lifecycle", "app.tasks"]]
    assert graph.unexplained_local_imports() == []


def test_the_checker_finds_an_unexplained_local_import_without_a_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": "",
            "app/views.py": "def page():\n    from app.models import Thing\n",
            "other/__init__.py": "",
            "other/use.py": "def f():\n    from ..app import models  # the app loads late\n",
        },
    )

    graph = Graph(tmp_path, packages=("app", "other"), scripts=())
    lines, cycles, unexplained = report(graph)

    assert cycles == 0
    assert unexplained == 1
    assert "  app/views.py:2: app.views imports app.models" in lines


def test_the_checker_counts_a_package_init_and_a_submodule_named_in_from_import(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "core/__init__.py": "from .celery import app\n",
            "core/celery.py": "",
            "core/status.py": "from feature import models\n",
            "feature/__init__.py": "",
            "feature/models.py": "import core.locks\n",
            "core/locks.py": "",
        },
    )

    graph = Graph(tmp_path, packages=("core", "feature"), scripts=())

    # feature.models loads core/__init__ by importing core.locks; core.status reaches
    # feature.models through "from feature import models": a cycle only if the package
    # __init__ imports core.status, which it does not.
    assert graph.cycles() == []
    _write(tmp_path, {"core/__init__.py": "from .celery import app\nfrom . import status\n"})
    assert Graph(tmp_path, packages=("core", "feature"), scripts=()).cycles() == [
        ["core", "core.status", "feature.models"]
    ]
