"""Run manage.py (and Celery) as child processes with a chosen environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bare_env(**values: str) -> dict[str, str]:
    """An environment with none of the app's variables: only what a shell needs, plus `values`."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PLEXKIOSK_SKIP_DOTENV"] = "1"  # the developer's .env must not leak into the test
    env.update(values)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `manage.py args…` and return the finished process (stdout and stderr as text)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
