"""Messages a live worker held on a broker connection it lost come back once Redis answers.

Celery forgets them on a connection loss (their delivery tags belong to the dead channel)
and kombu's restore at the channel's close cannot reach Redis then; this worker, alive,
keeps beating, so no other worker restores them either: they waited for the 2-hour
visibility timeout, and Celery 5.7's close of a collected connection even stopped the
worker's consumer for good (AttributeError from kombu).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombu import Connection

from plexkiosk import worker_recovery
from plexkiosk.celery import app
from plexkiosk.worker_recovery import restore_orphans
from tests.conftest import requires_services
from tests.plexkiosk.test_worker_recovery import (  # noqa: F401 - the fixture
    QUEUE,
    as_worker,
    connection,
    deliver,
    queued,
    start_worker,
    unacked_tags,
)

pytestmark = requires_services


def test_a_lost_connections_messages_are_restored_once_redis_answers(
    connection: Connection,  # noqa: F811
) -> None:
    me = start_worker(connection, "a@host")
    lost = app.connection_for_write()
    QUEUE(lost.default_channel).declare()
    done, *waiting = deliver(lost, me, "dune", "alien", "arrival")
    with as_worker(me):
        done.ack()  # ran and acknowledged before the connection went
    assert unacked_tags(connection) == {m.delivery_tag for m in waiting}

    # The connection is lost: Celery collects it (its transport forgets the address),
    # then closes it, and kombu's restore at the close has no client to build.
    with as_worker(me):
        lost.default_channel.connection.client = None
        lost.close()
    assert not queued(connection)
    assert unacked_tags(connection) == {m.delivery_tag for m in waiting}

    # Redis answers the heartbeat thread again: the two come back to their queue, once.
    client = connection.default_channel.client
    with as_worker(me):
        restored = restore_orphans(connection.default_channel, client)
        assert restore_orphans(connection.default_channel, client) == []
    assert sorted(restored) == sorted(m.delivery_tag for m in waiting)
    again = queued(connection)
    assert sorted(m.payload for m in again) == ["alien", "arrival"]
    assert all(m.delivery_info["redelivered"] for m in again)
    assert unacked_tags(connection) == set()
    assert not client.smembers(me.held_key)


@pytest.fixture(autouse=True)
def _no_orphans_left() -> Iterator[None]:
    yield
    worker_recovery._orphaned.clear()
