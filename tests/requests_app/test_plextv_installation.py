"""One plex.tv client identifier per installation, whoever asks first and however many at once."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from django.db import connection

from requests_app import plextv
from requests_app.models import PlexInstallation
from tests.conftest import ROOT, process_env, requires_services

ASK = (
    "import django; django.setup(); "
    "from requests_app.plextv import client_identifier; print(client_identifier())"
)


@pytest.mark.django_db(transaction=True)
def test_threads_asking_at_once_on_a_new_installation_all_get_the_same_identifier() -> None:
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def ask() -> None:
        try:
            barrier.wait()
            answers.append(plextv.client_identifier())
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 8 and len(set(answers)) == 1
    assert PlexInstallation.objects.get().client_identifier == answers[0]


@requires_services
@pytest.mark.django_db(transaction=True)
def test_separate_processes_started_together_share_one_identifier_that_stays() -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", ASK],
            cwd=ROOT,
            env=process_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    answers = {out.strip().splitlines()[-1] for out, _ in outputs if out.strip()}
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    assert len(answers) == 1
    assert plextv.client_identifier() == answers.pop()
    assert PlexInstallation.objects.count() == 1
