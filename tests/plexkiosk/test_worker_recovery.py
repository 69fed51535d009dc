"""The held-message records and their recovery, against the test run's real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kombu import Connection, Exchange, Message, Producer, Queue
from kombu.transport import filesystem, get_transport_cls, pyamqp

from plexkiosk import worker_recovery
from plexkiosk.celery import app
from plexkiosk.worker_recovery import Incarnation, restore_dead_workers
from tests.conftest import requires_services

pytestmark = requires_services

QUEUE = Queue("worker-recovery-test", Exchange("worker-recovery-test"), "worker-recovery-test")
TTL = 30


@pytest.fixture
def connection() -> Iterator[Connection]:
    conn = app.connection_for_write()
    channel = conn.default_channel
    QUEUE(channel).declare()
    client = channel.client

    def clean() -> None:
        names = [n.decode() for n in client.smembers(worker_recovery.REGISTRY_KEY)]
        for name in names:
            client.delete(Incarnation(name).alive_key, Incarnation(name).held_key)
        client.delete(worker_recovery.REGISTRY_KEY, "unacked", "unacked_index", QUEUE.name)

    clean()
    yield conn
    worker_recovery.set_current(None)
    clean()
    conn.release()


@contextmanager
def as_worker(incarnation: Incarnation) -> Iterator[None]:
    """Receive and acknowledge as the consumer of worker `incarnation` does."""
    worker_recovery.set_current(incarnation)
    try:
        yield
    finally:
        worker_recovery.set_current(None)


def start_worker(conn: Connection, name: str) -> Incarnation:
    incarnation = Incarnation.new(name)
    worker_recovery.register(conn.default_channel.client, incarnation, ttl=TTL)
    return incarnation


def deliver(conn: Connection, worker: Incarnation, *bodies: str) -> list[Message]:
    """Queue each body and hand it to `worker`, which keeps it unacknowledged."""
    channel = conn.default_channel
    producer = Producer(channel)
    messages = []
    for body in bodies:
        producer.publish(body, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key)
        with as_worker(worker):
            message = QUEUE(channel).get(no_ack=False)
        assert message is not None
        messages.append(message)
    return messages


def die(conn: Connection, worker: Incarnation) -> None:
    """The whole worker is gone: its heartbeat key has expired."""
    conn.default_channel.client.delete(worker.alive_key)


def queued(conn: Connection) -> list[Message]:
    """Take every message waiting in the test queue (acknowledged, nobody holds them)."""
    found = []
    while (message := QUEUE(conn.default_channel).get(no_ack=True)) is not None:
        found.append(message)
    return found


def unacked_tags(conn: Connection) -> set[str]:
    return {t.decode() for t in conn.default_channel.client.hkeys("unacked")}


def test_the_app_uses_the_recording_transport_on_redis() -> None:
    assert worker_recovery.enabled(app)
    with app.connection_for_write() as conn:
        assert isinstance(conn.default_channel.qos, worker_recovery.TrackingQoS)


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("redis://127.0.0.1:6379/7", worker_recovery.Transport),
        ("rediss://redis.lan:6380/0", worker_recovery.Transport),
        ("amqp://guest:guest@127.0.0.1:5672//", pyamqp.Transport),
        ("filesystem://", filesystem.Transport),
    ],
)
def test_only_redis_urls_use_the_recording_transport(url: str, transport: type) -> None:
    with app.connection_for_write(url) as conn:
        assert get_transport_cls(conn.transport_cls) is transport
        # kombu still turns TLS on for rediss:// (by that name), and nothing else.
        assert bool(conn.ssl) is url.startswith("rediss://")


def test_a_delivered_message_is_in_its_workers_held_set_until_acknowledged(
    connection: Connection,
) -> None:
    worker = start_worker(connection, "a@host")
    (message,) = deliver(connection, worker, "dune")
    client = connection.default_channel.client
    assert client.smembers(worker.held_key) == {message.delivery_tag.encode()}
    assert unacked_tags(connection) == {message.delivery_tag}

    with as_worker(worker):
        message.ack()
    assert client.smembers(worker.held_key) == set()
    assert unacked_tags(connection) == set()


def test_a_dead_workers_message_goes_back_to_its_queue_at_once(connection: Connection) -> None:
    dead, survivor = start_worker(connection, "a@host"), start_worker(connection, "b@host")
    (message,) = deliver(connection, dead, "dune")
    die(connection, dead)

    found = restore_dead_workers(connection.default_channel, me=survivor)

    assert found.restored == {dead.name: [message.delivery_tag]}
    (again,) = queued(connection)
    assert again.payload == "dune"
    assert again.delivery_info["redelivered"] is True
    assert unacked_tags(connection) == set()
    # The dead incarnation is forgotten; the survivor is still listed.
    client = connection.default_channel.client
    assert client.smembers(worker_recovery.REGISTRY_KEY) == {survivor.name.encode()}
    assert not client.exists(dead.held_key)


def test_a_live_workers_message_is_never_touched(connection: Connection) -> None:
    live, other = start_worker(connection, "a@host"), start_worker(connection, "b@host")
    (message,) = deliver(connection, live, "dune")

    found = restore_dead_workers(connection.default_channel, me=other)

    assert found.restored == {}
    assert queued(connection) == []
    assert unacked_tags(connection) == {message.delivery_tag}
    # The next look comes when that heartbeat would expire if it stopped now.
    assert found.next_expiry is not None and 0 < found.next_expiry <= TTL


def test_a_worker_restarted_under_the_same_hostname_gets_its_predecessors_messages(
    connection: Connection,
) -> None:
    before = start_worker(connection, "celery@kiosk")
    (message,) = deliver(connection, before, "dune")
    die(connection, before)
    after = start_worker(connection, "celery@kiosk")

    found = restore_dead_workers(connection.default_channel, me=after)

    assert found.restored == {before.name: [message.delivery_tag]}
    assert [m.payload for m in queued(connection)] == ["dune"]


def test_only_the_unacknowledged_messages_of_a_dead_worker_come_back(
    connection: Connection,
) -> None:
    dead = start_worker(connection, "a@host")
    done, pending = deliver(connection, dead, "done", "pending")
    with as_worker(dead):
        done.ack()
    # Died after recording a tag and before kombu wrote its message to `unacked`.
    connection.default_channel.client.sadd(dead.held_key, "never-written")
    die(connection, dead)

    found = restore_dead_workers(connection.default_channel)

    assert found.restored == {dead.name: [pending.delivery_tag]}
    assert [m.payload for m in queued(connection)] == ["pending"]
    assert not connection.default_channel.client.exists(dead.held_key)


def test_a_tag_a_live_worker_took_back_since_is_left_to_it(connection: Connection) -> None:
    dead, live = start_worker(connection, "a@host"), start_worker(connection, "b@host")
    (message,) = deliver(connection, live, "dune")
    # The visibility timeout gave the message of `dead` to `live`, under the same tag.
    connection.default_channel.client.sadd(dead.held_key, message.delivery_tag)
    die(connection, dead)

    found = restore_dead_workers(connection.default_channel)

    assert found.restored == {}
    assert queued(connection) == []
    assert unacked_tags(connection) == {message.delivery_tag}


def test_two_workers_recovering_at_once_restore_each_message_exactly_once(
    connection: Connection,
) -> None:
    dead = start_worker(connection, "a@host")
    bodies = [f"film-{n}" for n in range(40)]
    deliver(connection, dead, *bodies)
    die(connection, dead)
    start = threading.Barrier(3)
    results: list[dict[str, list[str]]] = []

    def recover() -> None:
        with app.connection_for_write() as own:
            start.wait()
            results.append(restore_dead_workers(own.default_channel).restored)

    threads = [threading.Thread(target=recover) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    restored = [tag for result in results for tag in result.get(dead.name, [])]
    assert len(restored) == len(set(restored)) == 40
    assert sorted(m.payload for m in queued(connection)) == sorted(bodies)
    assert unacked_tags(connection) == set()


def test_a_lapsed_heartbeat_is_noticed_and_renewed(connection: Connection) -> None:
    worker = start_worker(connection, "a@host")
    client = connection.default_channel.client
    assert worker_recovery.heartbeat(client, worker, ttl=TTL) is True
    die(connection, worker)
    client.srem(worker_recovery.REGISTRY_KEY, worker.name)  # another worker forgot it

    assert worker_recovery.heartbeat(client, worker, ttl=TTL) is False
    assert client.ttl(worker.alive_key) > 0
    assert worker.name.encode() in client.smembers(worker_recovery.REGISTRY_KEY)


def test_a_stopping_worker_leaves_only_if_it_holds_nothing(connection: Connection) -> None:
    worker = start_worker(connection, "a@host")
    (message,) = deliver(connection, worker, "dune")
    client = connection.default_channel.client

    assert worker_recovery.unregister(client, worker) is False
    assert client.exists(worker.alive_key)

    with as_worker(worker):
        message.ack()
    assert worker_recovery.unregister(client, worker) is True
    assert not client.exists(worker.alive_key)
    assert worker.name.encode() not in client.smembers(worker_recovery.REGISTRY_KEY)


@pytest.mark.parametrize(
    ("in_contact_for", "lost_contact", "redis_up_for", "wait"),
    [
        (0, False, 86_400, 0),  # a worker starting next to a Redis that stayed up
        (0, False, 5, 25),  # after a power cut Redis is back too: its keys say nothing yet
        (10, True, 86_400, 20),  # this worker lost Redis a while: so may the others have
        (30, True, 86_400, 0),
    ],
)
def test_missing_heartbeats_are_judged_only_once_live_workers_could_beat_again(
    in_contact_for: float, lost_contact: bool, redis_up_for: float, wait: float
) -> None:
    assert (
        worker_recovery.wait_before_judging(
            in_contact_for=in_contact_for,
            lost_contact=lost_contact,
            redis_up_for=redis_up_for,
            dead_after=30,
        )
        == wait
    )


def test_a_workers_heartbeat_thread_keeps_it_alive_and_restores_the_dead(
    connection: Connection,
) -> None:
    dead = start_worker(connection, "a@host")
    deliver(connection, dead, "dune")
    die(connection, dead)
    me = Incarnation.new("b@host")
    monitor = worker_recovery.Monitor(app, me, heartbeat_seconds=0.2, dead_after_seconds=1)
    monitor.start()
    try:
        client = connection.default_channel.client
        deadline = time.monotonic() + 10
        while not client.llen(QUEUE.name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m.payload for m in queued(connection)] == ["dune"]
        time.sleep(1.5)  # longer than its time to live: only the thread keeps it
        assert client.exists(me.alive_key)
        assert me.name.encode() in client.smembers(worker_recovery.REGISTRY_KEY)
    finally:
        monitor.stop()
    assert not monitor.is_alive()
