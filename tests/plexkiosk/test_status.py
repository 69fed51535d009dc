"""/status/'s queues, on the real brokers: 0 when empty, the real count, unknown only when down."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from kombu import Connection, Exchange, Queue

from plexkiosk.celery import QUEUES, app
from plexkiosk.service_checks import queue_lengths
from plexkiosk.tasks import ping_task
from tests.conftest import requires_services
from tests.processes import free_port

# RabbitMQ runs beside PostgreSQL and Redis on the project's machines (and CI's).
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def purge_app_queues() -> None:
    with app.connection_for_write() as conn, conn.channel() as channel:
        for queue in QUEUES:
            Queue(queue, channel=channel).purge()


@pytest.fixture
def empty_app_queues() -> Iterator[None]:
    """The app's queues on this test run's own broker, empty before and after the test."""
    purge_app_queues()
    yield
    purge_app_queues()


def queue_rows(page: str) -> dict[str, str]:
    """The Queues table of the status page: queue name → what the page says is waiting."""
    table = re.split(r"<h2[^>]*>Queues</h2>", page, maxsplit=1)[1].split("</table>", 1)[0]
    return dict(re.findall(r"<tr><td>([\w-]+)</td><td>([^<]*)</td></tr>", table))


@requires_services
@pytest.mark.django_db
def test_the_status_page_counts_waiting_messages_on_redis_and_shows_0_for_empty_queues(
    client: Client, empty_app_queues: None
) -> None:
    staff = get_user_model().objects.create_user("sam", password="pw", is_staff=True)
    client.force_login(staff)
    assert queue_rows(client.get("/status/").content.decode()) == dict.fromkeys(QUEUES, "0")

    # Sent as the web process sends tasks; no worker consumes this broker during the test.
    for _ in range(3):
        ping_task.apply_async(queue="plex_sync")
    ping_task.apply_async(queue="downloads")

    assert queue_rows(client.get("/status/").content.decode()) == {
        "default": "0",
        "priority": "0",
        "plex_sync": "3",
        "downloads": "1",
    }


@pytest.fixture
def rabbitmq() -> Iterator[tuple[Connection, list[str]]]:
    """A connection to RabbitMQ and three queue names of this test's own, deleted afterwards."""
    conn = Connection(AMQP_URL, connect_timeout=5, transport_options={"confirm_publish": True})
    try:
        conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ does not answer at {AMQP_URL} ({type(exc).__name__}): start it")
    names = [f"pk-test-{uuid.uuid4().hex[:12]}-{what}" for what in ("busy", "empty", "never")]
    yield conn, names
    with conn.channel() as channel:
        for name in names[:2]:
            channel.queue_delete(name)
    conn.release()


def test_queue_lengths_on_rabbitmq_count_waiting_messages_and_0_for_empty_or_new_queues(
    rabbitmq: tuple[Connection, list[str]],
) -> None:
    conn, (busy, empty, never) = rabbitmq
    exchange = Exchange("", type="direct")
    with conn.channel() as channel:
        for name in (busy, empty):
            Queue(name, exchange, routing_key=name, channel=channel).declare()
    producer = conn.Producer()
    for n in range(5):
        producer.publish({"n": n}, exchange=exchange, routing_key=busy, serializer="json")

    assert queue_lengths([busy, empty, never], broker_url=AMQP_URL) == {
        busy: 5,
        empty: 0,
        never: 0,  # no worker or sender declared it yet: nothing can be waiting in it
    }


@pytest.mark.parametrize(
    "scheme", ["redis://127.0.0.1:{port}/0", "amqp://guest:guest@127.0.0.1:{port}//"]
)
def test_queue_lengths_are_unknown_only_when_the_broker_does_not_answer(scheme: str) -> None:
    url = scheme.format(port=free_port())  # nothing listens there
    assert queue_lengths(broker_url=url) == dict.fromkeys(QUEUES)
