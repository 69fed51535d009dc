"""The app's real processes for tests: web server, Celery workers, Celery beat.

Each runs as a child process of the test, against the test run's PostgreSQL database and
Redis broker, with its output in a log file the failure message shows.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, TypeVar

import requests

ROOT = Path(__file__).resolve().parents[1]

T = TypeVar("T")


class HasLog(Protocol):
    """A process a test started (a Child, a worker, a server): its name and its log."""

    name: str

    def log(self) -> str: ...


def log_tails(logs: Iterable[HasLog | Callable[[], str]], chars: int = 4000) -> str:
    """The end of each log, for a failure message: a process's under its name, or a text's."""
    tails = []
    for source in logs:
        if callable(source):
            tails.append(source()[-chars:])
        else:
            tails.append(f"--- {source.name} ---\n{source.log()[-chars:]}")
    return "".join(f"\n{tail}" for tail in tails)


def wait_for(
    check: Callable[[], T],
    timeout: float,
    *,
    what: str = "the awaited condition",
    logs: Iterable[HasLog | Callable[[], str]] = (),
    every: float = 0.1,
) -> T:
    """Poll `check()` until it returns something true and return that; fail at `timeout`.

    The failure says `what` did not happen and shows the end of each of `logs` (processes,
    or functions returning text, such as `Stack.logs_text`). `check` may raise to give up
    at once (a process that exited, say).
    """
    deadline = time.monotonic() + timeout
    while True:
        if found := check():
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s{log_tails(logs)}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    """One child process, its log, and a readiness check."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own process group: stop() reaches its children
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], timeout: float = 40) -> None:
        """Wait for `ready()`, failing at once with the log if the process exits first."""

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()[-4000:]}")
            return ready()

        wait_for(up, timeout, what=f"{self.name} being ready", logs=[self])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def worker_argv(queues: str, hostname: str, concurrency: int = 1) -> list[str]:
    """The command line of a Celery worker, as `make run` starts one."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "plexkiosk",
        "worker",
        "-Q",
        queues,
        "-n",
        hostname,
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "-l",
        "info",
    ]


class Stack:
    """Start and stop the app's processes as a household's server would run them."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.children: list[Child] = []
        self.base_url = ""

    def _start(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.env, self.logs)
        self.children.append(child)
        return child

    def web(self, *, healthy: bool = True, port: int | None = None, name: str = "web") -> str:
        """Start gunicorn; wait until /healthz says 200 (or, not `healthy`, the login page).

        `port` starts it again where a killed one listened (the hook's and clients' address).
        """
        # As `make run` does: the manifest storage serves only collected files.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=120,
        )
        port = port or free_port()
        child = self._start(
            name,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "plexkiosk.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                # gunicorn's default control socket (~/.gunicorn/gunicorn.ctl) is one per
                # user: each new gunicorn takes it over and the first to stop deletes it.
                "--no-control-socket",
            ],
        )
        self.base_url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                path = "/healthz" if healthy else "/login/"  # /healthz: 503, a service away
                return requests.get(f"{self.base_url}{path}", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        child.wait_until(answers)
        return self.base_url

    def worker(
        self, queues: str = "default,priority,plex_sync,downloads", name: str = "worker"
    ) -> Child:
        child = self._start(name, worker_argv(queues, f"e2e-{os.getpid()}@localhost", 2))
        child.wait_until(lambda: "ready." in child.log())
        return child

    def beat(self, name: str = "beat") -> Child:
        child = self._start(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "plexkiosk",
                "beat",
                "-l",
                "debug",
                "--max-interval",
                "1",
                "-s",
                str(self.logs / "beat-schedule"),
            ],
        )
        child.wait_until(lambda: "beat: Starting" in child.log())
        return child

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()

    def logs_text(self) -> str:
        return "\n".join(f"--- {c.name} ---\n{c.log()[-3000:]}" for c in self.children)
