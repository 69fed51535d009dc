"""Private Redis and PostgreSQL servers that a test may stop and start at will.

The shared servers on the standard ports serve every other test run, so a test that
restarts its broker or database runs its own on a free port, with its files in a
temporary folder it removes afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connections

from tests.conftest import process_env
from tests.processes import ROOT, free_port, wait_for


def require_tool(path: str, what: str) -> None:
    """Fail the test when `path` (a binary it needs, which `make test` installs) is missing."""
    if Path(path).exists() or shutil.which(path):
        return
    pytest.fail(f"{what} is needed ({path}): run `make test` as root, which installs it")


class RedisServer:
    """A redis-server on a free port, restartable on the same port and data folder."""

    BINARY = "/usr/bin/redis-server"

    def __init__(self, *, appendonly: bool = True) -> None:
        require_tool(self.BINARY, "redis-server")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pk-redis-"))
        self.appendonly = appendonly
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = (self.dir / "redis.log").open("ab")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        persistence = (
            # What docker/compose.yml runs: every write is in the append-only file before
            # Redis answers, so a restart (or a power cut) keeps every queued task.
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.appendonly
            else ["--appendonly", "no"]
        )
        self.proc = subprocess.Popen(
            [
                self.BINARY,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",  # no RDB snapshots: only the append-only file, when asked for
                *persistence,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._answers, 20, what=f"redis-server on port {self.port} answering")

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited: {self.log()[-2000:]}")
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Shut Redis down as `docker compose restart` does (SIGTERM: AOF flushed, exit)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """Kill Redis as a power cut or the OOM killer does (SIGKILL: no flush, no goodbye)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.kill()
        self.proc.wait()

    def restart(self, *, kill: bool = False) -> None:
        self.kill() if kill else self.stop()
        self.start()

    def log(self) -> str:
        return (self.dir / "redis.log").read_text(errors="replace")

    def remove(self) -> None:
        self.stop()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def postgres_bin(name: str) -> str:
    """Return the newest installed PostgreSQL server binary `name` (initdb, pg_ctl…)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if found:
        return str(found[-1])
    return shutil.which(name) or f"/usr/lib/postgresql/15/bin/{name}"


class PostgresCluster:
    """A throw-away PostgreSQL cluster (trust auth) on a free port, restartable."""

    def __init__(self) -> None:
        self.initdb = postgres_bin("initdb")
        self.pg_ctl = postgres_bin("pg_ctl")
        require_tool(self.initdb, "the PostgreSQL server (package postgresql)")
        self.port = free_port()
        # Not under pytest's tmp_path: the server runs as `postgres`, which cannot enter
        # root's 0700 pytest folders. The cluster's folder is its own.
        self.dir = Path(tempfile.mkdtemp(prefix="pk-pg-"))
        self.data = self.dir / "data"
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(
            [self.initdb, "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8"]
        )

    def _run(self, argv: list[str], timeout: float = 120) -> str:
        done = subprocess.run(
            [*self.as_postgres, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}\n{done.stderr}")
        return done.stdout

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run(
            [
                self.pg_ctl,
                "-D",
                str(self.data),
                "-l",
                str(self.dir / "server.log"),
                "-o",
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" ends sessions cleanly, "immediate" is a crash."""
        self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def createdb(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def migrated_cluster(database: str, django_db_blocker: Any) -> Iterator[PostgresCluster]:
    """Run a private PostgreSQL with `database` migrated, and point the test's own
    `default` connection at it meanwhile, so the test reads what the app's processes see."""
    pg = PostgresCluster()
    default = connections["default"]
    saved = dict(default.settings_dict)
    try:
        pg.start()
        pg.createdb(database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=process_env(DATABASE_URL=pg.url(database)),
            check=True,
            timeout=600,
        )
        with django_db_blocker.unblock():
            default.close()
            default.settings_dict.update(
                NAME=database, HOST="127.0.0.1", PORT=pg.port, USER="postgres", PASSWORD=""
            )
            try:
                yield pg
            finally:
                default.close()
                default.settings_dict.clear()
                default.settings_dict.update(saved)
    finally:
        pg.remove()
