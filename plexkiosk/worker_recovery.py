"""Give a whole dead worker's messages back within a minute, not after the visibility timeout.

With acks-late on Redis, a message a worker took waits in kombu's `unacked` hash until the
worker acknowledges it. If the worker's pool process dies, the worker rejects the message
and it comes back at once; if the whole worker dies (a power cut, an OOM kill of the
group) nothing is left to do that, and kombu restores the message only after
`visibility_timeout` (2 hours here, since it must exceed the longest task).

So each worker says which messages it holds and that it is alive:

- every worker start is one *incarnation* (hostname, pid and a random part: a restarted
  worker keeps its hostname, and must not pass for its dead predecessor);
- its main process (which receives and acknowledges messages) refreshes
  `plexkiosk:worker:<incarnation>:alive` every WORKER_HEARTBEAT_SECONDS with a time to
  live of WORKER_DEAD_AFTER_SECONDS, from a thread of its own, and lists itself in
  `plexkiosk:workers`;
- the transport below adds each delivery tag to `plexkiosk:worker:<incarnation>:held`
  before kombu records the message as unacknowledged, and removes it in the same
  transaction as kombu's own ack, reject or restore: the set is never smaller than what
  the worker holds;
- at start, and then at least every minute, each worker restores the held messages of
  every listed incarnation whose heartbeat key is gone, one Redis transaction per tag
  that re-checks under WATCH that the owner is still silent, that the tag is still the
  owner's, and that no live worker lists it. A second worker restoring at the same
  moment makes the first one's transaction fail and retry, and the retry finds nothing
  left to do: no message is restored twice, and a live worker's is never touched.

When Redis itself was down or unreachable nobody could beat, so a worker judges others
only after it has reached Redis for WORKER_DEAD_AFTER_SECONDS on end (or, at its start,
once Redis has been up that long): the live ones have beaten again by then.

A live worker's message is restored only if that one process could not reach Redis (or
was frozen) for WORKER_DEAD_AFTER_SECONDS while the others could; it logs that when it
can again. The tasks' claims (see requests_app.tasks) keep even that case from doing the
work twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_ready, worker_shutdown
from django.conf import settings
from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES, get_transport_cls
from kombu.transport import redis as kombu_redis
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads
from redis import Redis, RedisError
from redis.client import Pipeline

logger = logging.getLogger(__name__)

REGISTRY_KEY = "plexkiosk:workers"
# A worker that died whole is noticed at the next check: at start, then this often (or
# sooner, when a silent worker's heartbeat key is about to expire).
CHECK_EVERY_SECONDS = 60.0
# This module's own connections give up at once (kombu's default retries for ever, its
# pauses growing to 30 s) and never wait long on a Redis that stopped answering: the
# heartbeat tries again at its next beat, and a stopping worker is not held up.
OWN_CONNECTION = {"max_retries": 1, "socket_timeout": 10, "socket_connect_timeout": 10}


@dataclass(frozen=True)
class Incarnation:
    """One start of one worker, and the names of its keys in Redis."""

    name: str

    @classmethod
    def new(cls, hostname: str) -> Incarnation:
        """Name a new start of the worker `hostname`."""
        return cls(f"{hostname}:{os.getpid()}:{uuid.uuid4().hex[:12]}")

    @property
    def alive_key(self) -> str:
        return f"plexkiosk:worker:{self.name}:alive"

    @property
    def held_key(self) -> str:
        return f"plexkiosk:worker:{self.name}:held"


# The incarnation this process's consumer receives messages for (set at worker start).
_current: Incarnation | None = None
# Delivery tags of messages this process took on a connection since lost (see
# TrackingQoS.restore_unacked), waiting for Redis to answer to be restored.
_orphaned: set[str] = set()


def current() -> Incarnation | None:
    """Return the incarnation whose messages this process's consumer records, if any."""
    return _current


def set_current(incarnation: Incarnation | None) -> None:
    """Record (or stop recording) the messages this process receives as `incarnation`'s."""
    global _current
    _current = incarnation


class TrackingQoS(kombu_redis.QoS):
    """kombu's Redis ack emulation that also keeps the worker's held set."""

    def append(self, message: Any, delivery_tag: str) -> None:
        held = _current
        if held is not None:
            # First: if the process dies between the two writes, the held set names a
            # tag that is not in `unacked` (skipped), never the reverse (lost for hours).
            with self.channel.conn_or_acquire() as client:
                client.sadd(held.held_key, delivery_tag)
        super().append(message, delivery_tag)

    def restore_unacked(self, client: Redis | None = None) -> Any:
        """Restore the channel's messages at its close; if Redis is away, do it once back."""
        try:
            return super().restore_unacked(client)
        except (RedisError, OSError, AttributeError) as exc:
            # The channel closes because its connection was lost: Redis is away, or
            # Celery collected the connection first (kombu then has no address to build
            # a client from: AttributeError, which stopped the worker's consumer for good).
            # kombu would leave these messages in `unacked` until the visibility timeout,
            # and this worker, alive, keeps them in its held set: the heartbeat thread
            # restores them as soon as Redis answers.
            _orphaned.update(self._delivered)
            logger.warning(
                "%d message(s) of a lost broker connection restored once Redis answers (%s)",
                len(self._delivered),
                type(exc).__name__,
            )
            self._delivered.clear()
            return []

    def _remove_from_indices(self, delivery_tag: str, pipe: Pipeline | None = None) -> Any:
        # kombu's ack, reject and restore all remove the tag here, in their transaction.
        pipe = super()._remove_from_indices(delivery_tag, pipe)
        held = _current
        return pipe.srem(held.held_key, delivery_tag) if held is not None else pipe


class Channel(kombu_redis.Channel):
    """kombu's Redis channel with the held-set QoS."""

    QoS = TrackingQoS


class Transport(kombu_redis.Transport):
    """The Redis transport, telling which worker holds each unacknowledged message."""

    Channel = Channel


def install() -> None:
    """Make this process's redis:// and rediss:// connections use the recording transport."""
    # By alias, not Celery's broker_transport setting: that one would apply to every URL
    # the app connects to (an amqp:// one too), and kombu turns TLS on by the name rediss.
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"


def enabled(app: Celery) -> bool:
    """Tell whether the app's broker is Redis through this module's transport."""
    if (app.conf.broker_transport_options or {}).get("global_keyprefix"):
        # kombu prefixes only the commands it uses itself (not EXISTS, SISMEMBER, PTTL).
        logger.warning("Worker recovery is off: it does not support global_keyprefix")
        return False
    # Building a Connection does not connect: this only resolves the URL's transport.
    with app.connection_for_write() as connection:
        return get_transport_cls(connection.transport_cls) is Transport


def register(client: Redis, incarnation: Incarnation, *, ttl: int) -> None:
    """List `incarnation` as a live worker (its heartbeat first, so it is never seen dead)."""
    client.set(incarnation.alive_key, "1", ex=ttl)
    client.sadd(REGISTRY_KEY, incarnation.name)


def heartbeat(client: Redis, incarnation: Incarnation, *, ttl: int) -> bool:
    """Refresh the heartbeat; return False when it had lapsed (and say so in the log)."""
    if client.set(incarnation.alive_key, "1", ex=ttl, xx=True):
        return True
    logger.warning(
        "Worker %s was silent for over %s s (Redis unreachable, or the process frozen): "
        "other workers may have given its messages back to the queues",
        incarnation.name,
        ttl,
    )
    register(client, incarnation, ttl=ttl)
    return False


def unregister(client: Redis, incarnation: Incarnation) -> bool:
    """Remove a stopping worker's keys if it holds nothing; return whether it did."""

    def remove(pipe: Pipeline) -> bool:
        if pipe.scard(incarnation.held_key):
            pipe.multi()
            return False
        pipe.multi()
        pipe.delete(incarnation.alive_key, incarnation.held_key)
        pipe.srem(REGISTRY_KEY, incarnation.name)
        return True

    return client.transaction(remove, incarnation.held_key, value_from_callable=True)


@dataclass
class Recovery:
    """What one pass found: messages restored per dead worker, and when to look again."""

    restored: dict[str, list[str]] = field(default_factory=dict)
    # Seconds until the heartbeat of a worker holding messages expires, if one does.
    next_expiry: float | None = None


def restore_dead_workers(channel: Channel, *, me: Incarnation | None = None) -> Recovery:
    """Restore to their queues the messages held by listed workers whose heartbeat is gone."""
    recovery = Recovery()
    with channel.conn_or_acquire() as client:
        for name in sorted(bytes_to_str(n) for n in client.smembers(REGISTRY_KEY)):
            worker = Incarnation(name)
            if worker == me:
                continue
            ttl_ms = client.pttl(worker.alive_key)
            if ttl_ms == -2:  # no such key: the worker stopped beating
                restored = _drain(channel, client, worker)
                if restored:
                    recovery.restored[name] = restored
            elif ttl_ms > 0 and client.scard(worker.held_key):
                expiry = ttl_ms / 1000
                if recovery.next_expiry is None or expiry < recovery.next_expiry:
                    recovery.next_expiry = expiry
    return recovery


def _drain(channel: Channel, client: Redis, dead: Incarnation) -> list[str]:
    """Restore each message the dead worker held, then forget the worker."""
    restored, tasks = [], []
    for raw in client.smembers(dead.held_key):
        tag = bytes_to_str(raw)
        if (task := _restore_tag(channel, client, dead, tag)) is not None:
            restored.append(tag)
            tasks.append(task)
    _forget(client, dead)
    if restored:
        logger.warning(
            "Worker %s stopped without acknowledging %d message(s); restored them to "
            "their queues: %s",
            dead.name,
            len(restored),
            ", ".join(tasks),
        )
    return restored


def _restore_tag(channel: Channel, client: Redis, dead: Incarnation, tag: str) -> str | None:
    """Restore one held message if its owner is still silent and no live worker holds it.

    Return what was restored, as `task[id]` (the tag, for a message that is no task).
    """
    unacked, index = channel.unacked_key, channel.unacked_index_key

    def restore(pipe: Pipeline) -> str | None:
        # Watched: the owner's heartbeat and held set, `unacked` and the list of workers.
        if pipe.exists(dead.alive_key) or not pipe.sismember(dead.held_key, tag):
            pipe.multi()
            return None
        payload = pipe.hget(unacked, tag)
        for raw in pipe.smembers(REGISTRY_KEY):
            other = Incarnation(bytes_to_str(raw))
            if other == dead:
                continue
            pipe.watch(other.alive_key, other.held_key)
            # A message restored by the visibility timeout comes back with the same tag:
            # if a live worker took it since, the dead worker's entry is a stale one.
            if pipe.exists(other.alive_key) and pipe.sismember(other.held_key, tag):
                payload = None
                break
        pipe.multi()
        pipe.srem(dead.held_key, tag)
        if payload is None:
            return None
        pipe.zrem(index, tag)
        pipe.hdel(unacked, tag)
        message, exchange, routing_key = loads(bytes_to_str(payload))
        channel._do_restore_message(message, exchange, routing_key, pipe)
        headers = message.get("headers") or {}
        return f"{headers['task']}[{headers.get('id')}]" if "task" in headers else tag

    return client.transaction(
        restore,
        dead.alive_key,
        dead.held_key,
        unacked,
        REGISTRY_KEY,
        value_from_callable=True,
    )


def restore_orphans(channel: Channel, client: Redis) -> list[str]:
    """Restore to their queues the messages of this process's lost connections."""
    restored = []
    while _orphaned:
        try:
            tag = _orphaned.pop()
        except KeyError:  # the set emptied between the test and the pop
            break
        try:
            if _restore_orphan(channel, client, tag):
                restored.append(tag)
        except Exception:
            _orphaned.add(tag)
            raise
    if restored:
        logger.warning(
            "Restored %d message(s) of a lost broker connection: %s",
            len(restored),
            ", ".join(restored),
        )
    return restored


def _restore_orphan(channel: Channel, client: Redis, tag: str) -> bool:
    """Restore one message if it is still unacknowledged (not acked or restored since)."""
    unacked, index = channel.unacked_key, channel.unacked_index_key

    def restore(pipe: Pipeline) -> bool:
        payload = pipe.hget(unacked, tag)
        pipe.multi()
        if payload is None:
            return False
        pipe.zrem(index, tag)
        pipe.hdel(unacked, tag)
        held = _current
        if held is not None:
            pipe.srem(held.held_key, tag)
        message, exchange, routing_key = loads(bytes_to_str(payload))
        channel._do_restore_message(message, exchange, routing_key, pipe)
        return True

    return client.transaction(restore, unacked, value_from_callable=True)


def _forget(client: Redis, dead: Incarnation) -> None:
    """Remove a dead worker's keys once it holds nothing (and has not come back)."""

    def forget(pipe: Pipeline) -> None:
        gone = not pipe.exists(dead.alive_key) and not pipe.scard(dead.held_key)
        pipe.multi()
        if gone:
            pipe.delete(dead.held_key)
            pipe.srem(REGISTRY_KEY, dead.name)

    client.transaction(forget, dead.alive_key, dead.held_key)


def wait_before_judging(
    *, in_contact_for: float, lost_contact: bool, redis_up_for: float, dead_after: float
) -> float:
    """Return how long to wait before a missing heartbeat can only mean a dead worker.

    While Redis was down or unreachable, no worker could beat, and the live ones beat
    again within WORKER_HEARTBEAT_SECONDS of it answering. So judge only once this worker
    has reached Redis for WORKER_DEAD_AFTER_SECONDS on end, or, at start (it never lost
    Redis), once Redis itself has been up that long (after a power cut Redis restarts too).
    """
    waits = [dead_after - in_contact_for]
    if not lost_contact:
        waits.append(dead_after - redis_up_for)
    return max(0.0, min(waits))


class Monitor(threading.Thread):
    """The worker's heartbeat, and its checks for dead workers, on a thread of their own.

    A thread and not the worker's event loop: the heartbeat must keep saying "alive" for
    as long as the process is, whatever the loop is busy with.
    """

    def __init__(
        self,
        app: Celery,
        incarnation: Incarnation,
        *,
        heartbeat_seconds: float,
        dead_after_seconds: int,
        check_every: float = CHECK_EVERY_SECONDS,
    ) -> None:
        super().__init__(name="plexkiosk-worker-heartbeat", daemon=True)
        self.app = app
        self.incarnation = incarnation
        self.heartbeat_seconds = heartbeat_seconds
        self.dead_after_seconds = dead_after_seconds
        self.check_every = check_every
        self.stopping = threading.Event()
        self._connection: Connection | None = None

    @contextmanager
    def channel(self) -> Iterator[Channel]:
        """Yield this thread's own channel (kombu's are not shared between threads)."""
        if self._connection is None:
            self._connection = self.app.connection_for_write(transport_options=OWN_CONNECTION)
        try:
            yield self._connection.default_channel
        except Exception:
            self._close()
            raise

    def _close(self) -> None:
        if self._connection is not None:
            # A broken connection has nothing more to release.
            with suppress(Exception):
                self._connection.release()
            self._connection = None

    def run(self) -> None:
        next_check = 0.0
        in_contact_since: float | None = None
        lost_contact = False
        while not self.stopping.is_set():
            now = time.monotonic()
            try:
                with self.channel() as channel, channel.conn_or_acquire() as client:
                    heartbeat(client, self.incarnation, ttl=self.dead_after_seconds)
                    restore_orphans(channel, client)
                    if in_contact_since is None:
                        in_contact_since = now
                        if lost_contact:
                            logger.info("Worker %s reaches Redis again", self.incarnation.name)
                    if now >= next_check:
                        wait = wait_before_judging(
                            in_contact_for=now - in_contact_since,
                            lost_contact=lost_contact,
                            redis_up_for=client.info("server")["uptime_in_seconds"],
                            dead_after=self.dead_after_seconds,
                        )
                        if not wait:
                            found = restore_dead_workers(channel, me=self.incarnation)
                            wait = self.check_every
                            if found.next_expiry is not None:
                                wait = min(wait, found.next_expiry + 0.5)
                        next_check = now + wait
            except Exception as exc:
                if in_contact_since is not None or not lost_contact:
                    # Once an outage: the type only, as an error's text may carry the URL.
                    logger.warning(
                        "Worker %s cannot reach Redis for its heartbeat (%s); trying again",
                        self.incarnation.name,
                        type(exc).__name__,
                    )
                logger.debug("Heartbeat failure", exc_info=True)
                in_contact_since, lost_contact = None, True
                next_check = min(next_check, now + self.heartbeat_seconds)
            pause = min(self.heartbeat_seconds, max(next_check - time.monotonic(), 0.05))
            self.stopping.wait(pause)
        self._close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.heartbeat_seconds + 15)


_monitor: Monitor | None = None


@contextmanager
def _client(app: Celery) -> Iterator[Redis]:
    """Yield a Redis client on a connection of its own, released afterwards."""
    with app.connection_for_write(transport_options=OWN_CONNECTION) as connection:
        client: Redis = connection.default_channel.client
        yield client


def _on_worker_init(sender: Any, **kwargs: Any) -> None:
    """Register this worker before its consumer takes a message."""
    app = sender.app
    if not enabled(app):
        return
    incarnation = Incarnation.new(sender.hostname)
    set_current(incarnation)
    try:
        with _client(app) as client:
            register(client, incarnation, ttl=settings.WORKER_DEAD_AFTER_SECONDS)
    except Exception:
        # Unlisted, its held messages are invisible to others, never restored early;
        # the heartbeat thread lists it as soon as Redis answers.
        logger.exception("Could not register worker %s yet", incarnation.name)


def _on_worker_ready(sender: Any, **kwargs: Any) -> None:
    """Start the heartbeat thread, whose first pass restores the dead workers' messages."""
    global _monitor
    incarnation = current()
    if incarnation is None or _monitor is not None:
        return
    # After the pool's processes are forked: they need no copy of this thread.
    _monitor = Monitor(
        sender.app,
        incarnation,
        heartbeat_seconds=settings.WORKER_HEARTBEAT_SECONDS,
        dead_after_seconds=settings.WORKER_DEAD_AFTER_SECONDS,
    )
    _monitor.start()


def _on_worker_shutdown(sender: Any, **kwargs: Any) -> None:
    """Unregister a worker that stops holding nothing; otherwise let its heartbeat lapse."""
    global _monitor
    incarnation = current()
    if incarnation is None:
        return
    try:
        with _client(sender.app) as client:
            done = unregister(client, incarnation)
    except Exception:
        logger.exception("Could not unregister worker %s", incarnation.name)
        return
    # Still holding messages (a shutdown that did not wait for its tasks): the thread
    # keeps beating until the process ends, and the others restore them after that.
    if done and _monitor is not None:
        _monitor.stop()
        _monitor = None
        set_current(None)


def connect(app: Celery) -> None:
    """Wire heartbeats and recovery into `app`'s workers (they act only on Redis)."""
    install()
    uid = f"plexkiosk.worker_recovery:{app.main}"
    worker_init.connect(_on_worker_init, weak=False, dispatch_uid=f"{uid}:init")
    worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid=f"{uid}:ready")
    worker_shutdown.connect(_on_worker_shutdown, weak=False, dispatch_uid=f"{uid}:shutdown")
