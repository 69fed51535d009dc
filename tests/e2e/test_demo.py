"""`manage.py demo` on a machine with nothing configured: the newcomer's whole path."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.plexkiosk.helpers import bare_env
from tests.processes import ROOT, free_port, wait_for

pytestmark = pytest.mark.slow


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


# "Within about a minute of the request": the simulated download takes 30 s of it.
REQUEST_TO_PLEX_SECONDS = 60


def test_the_demo_runs_the_whole_flow_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    # At the demo's own pace, as a newcomer watches it (no speed-up here).
    env = bare_env(
        DEBUG="false",
        SECRET_KEY="demo-test-key",
        DEMO_DATA_DIR=str(tmp_path / "demo"),
        DATA_DIR=str(tmp_path / "data"),
        HOME=str(home),
    )
    log = (tmp_path / "demo.log").open("w")
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def demo_log() -> str:
            return (tmp_path / "demo.log").read_text()

        def healthy() -> bool:
            assert demo.poll() is None, demo_log()[-3000:]
            try:
                return requests.get(f"{base}/healthz", timeout=1).ok
            except requests.RequestException:
                return False

        wait_for(healthy, 90, what="the demo answering /healthz", logs=[demo_log], every=0.5)
        session = requests.Session()
        login_page = session.get(f"{base}/login/", timeout=10).text
        assert "simulated" in login_page  # the banner on every page
        session.post(
            f"{base}/login/",
            data={
                "username": "member",
                "password": "member-demo",
                "csrfmiddlewaretoken": csrf(session, f"{base}/login/"),
            },
            headers={"Referer": f"{base}/login/"},
            timeout=10,
        )
        search = session.get(f"{base}/search/?q=Dune", timeout=20)
        assert "Dune" in search.text and "Request" in search.text
        requested = time.monotonic()
        created = session.post(
            f"{base}/requests/new/",
            data={
                "media_type": "movie",
                "tmdb_id": "438631",
                "csrfmiddlewaretoken": csrf(session, f"{base}/search/?q=Dune"),
            },
            headers={"Referer": f"{base}/search/?q=Dune"},
            timeout=20,
        )
        request_page = created.url
        assert re.search(r"/requests/\d+/$", request_page), created.url
        seen = set()

        def completed() -> bool:
            status = session.get(request_page.rstrip("/") + "/status/", timeout=10).text
            seen.update(word for word in ("Downloading", "MB/s", "GB/s") if word in status)
            return "Completed" in status

        wait_for(
            completed,
            2 * REQUEST_TO_PLEX_SECONDS,
            what="the request page saying Completed",
            logs=[demo_log],
            every=0.5,
        )
        took = time.monotonic() - requested
        print(f"demo: request to Completed in {took:.1f} s")
        assert took < REQUEST_TO_PLEX_SECONDS, f"{took:.0f} s from request to Completed"
        # A bar to watch on the way, not a jump to the end.
        assert "Downloading" in seen and seen & {"MB/s", "GB/s"}, seen
        filed = tmp_path / "demo" / "media" / "Movies" / "Dune (2021)" / "Dune (2021).mkv"
        assert filed.is_file()
        # gunicorn's control socket is the demo's own, not the one every gunicorn shares.
        assert (tmp_path / "demo" / "gunicorn.ctl").is_socket()
        assert not (home / ".gunicorn").exists()
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        demo.wait(timeout=60)
        log.close()

    def leftovers() -> list[str]:
        return subprocess.run(
            ["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True, check=False
        ).stdout.split()

    wait_for(
        lambda: leftovers() == [],
        10,
        what="every process of the demo gone",
        logs=[lambda: f"still running: {leftovers()}"],
    )
