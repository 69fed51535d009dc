"""Two of the app's stacks on one machine: no gunicorn takes over another's control socket.

gunicorn 27 opens a control socket for `gunicornc`, by default `$XDG_RUNTIME_DIR/gunicorn.ctl`
or `~/.gunicorn/gunicorn.ctl`: one path for every gunicorn of a user, so each new one
replaced the last one's socket and the first to stop deleted the other's.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import process_env
from tests.processes import ROOT, Child, Stack, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
GUNICORNC = Path(sys.executable).with_name("gunicornc")


def own_home(tmp_path: Path) -> dict[str, str]:
    """A HOME and XDG_RUNTIME_DIR of the test's own, where a default socket would appear."""
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    return {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}


def serves(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_two_test_stacks_serve_at_once_and_open_no_shared_socket(tmp_path: Path) -> None:
    dirs = own_home(tmp_path)
    stacks = []
    try:
        for name in ("one", "two"):
            logs = tmp_path / name
            logs.mkdir()
            stacks.append(Stack(process_env(**dirs), logs))
            stacks[-1].web()
        assert all(serves(stack.base_url) for stack in stacks)
        assert [p.name for d in dirs.values() for p in Path(d).iterdir()] == []
        for stack in stacks:
            assert "Control socket" not in stack.logs_text()
    finally:
        for stack in stacks:
            stack.stop()
    assert [p.name for d in dirs.values() for p in Path(d).iterdir()] == []


def procfile_web() -> str:
    """The command `make run` (honcho) starts the web server with."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return next(line.removeprefix("web:").strip() for line in lines if line.startswith("web:"))


def test_two_make_run_web_servers_each_answer_on_their_own_control_socket(
    tmp_path: Path,
) -> None:
    dirs = own_home(tmp_path)
    path = f"{Path(sys.executable).parent}:{process_env()['PATH']}"
    servers: dict[str, tuple[Child, Path, int]] = {}
    try:
        for name in ("one", "two"):
            data, port = tmp_path / name, free_port()
            data.mkdir()
            env = process_env(**dirs, PATH=path, DATA_DIR=str(data), WEB_BIND=f"127.0.0.1:{port}")
            # honcho hands each Procfile line to the shell, as here.
            child = Child(f"web-{name}", ["sh", "-c", procfile_web()], env, data)
            servers[name] = (child, data / "gunicorn.ctl", port)
        for child, socket_path, port in servers.values():
            child.wait_until(lambda p=port: serves(f"http://127.0.0.1:{p}"))
            wait_for(socket_path.exists, 10, what=f"{socket_path} created", logs=[child])

        for child, socket_path, port in servers.values():
            answer = subprocess.run(
                [str(GUNICORNC), "-s", str(socket_path), "-c", "show listeners", "-j"],
                capture_output=True,
                text=True,
                timeout=20,
                check=True,
            )
            addresses = [item["address"] for item in json.loads(answer.stdout)["listeners"]]
            assert addresses == [f"http://127.0.0.1:{port}"], shlex.join(child.proc.args)
        assert [p.name for d in dirs.values() for p in Path(d).iterdir()] == []

        # The first one stopping leaves the second's socket (and the second) alone.
        servers["one"][0].stop()
        child, socket_path, port = servers["two"]
        assert socket_path.exists() and serves(f"http://127.0.0.1:{port}")
    finally:
        for child, _, _ in servers.values():
            child.stop()
