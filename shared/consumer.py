"""Consuming events: a handler registry, the inbox, retries, the dead-letter queue.

A service declares what it listens to next to each handler::

    handlers = Handlers()

    @handlers.on("members.stage.changed")
    def count_members(session, event): ...

The kit does the rest: the queue and its bindings, the inbox row written in the
same transaction as the handler's effect (a second delivery changes nothing),
bounded retries with backoff while other messages keep flowing, then the
dead-letter queue. An event is not blamed for its service's database: while the
database does not answer, the event waits (unacknowledged, its attempts not
counted) and is applied once the database is back. ``dead_letters`` lists the
dead-lettered events with their errors and moves them back to the work queue
once the cause is mended (``zhibu dead-letters <service> [--requeue]``).
"""
from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import logging
import time
from dataclasses import dataclass, field

from kombu import Producer
from kombu.mixins import ConsumerMixin
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .config import Config
from .context import request_id_var
from .db import Database, database_unavailable, utcnow
from .events import Envelope, broker_connection, service_queues

log = logging.getLogger("zhibu.consumer")


class Handlers:
    """Event type -> function(session, event). ``context`` (set by the kit to the service app's
    ``app_context``) is entered around the handlers, so that they read the service's configuration as
    a request does."""

    def __init__(self):
        self._by_type: dict[str, list] = {}
        self.context = contextlib.nullcontext

    def on(self, *event_types: str):
        def register(fn):
            for event_type in event_types:
                self._by_type.setdefault(event_type, []).append(fn)
            return fn

        return register

    def include(self, other: "Handlers") -> None:
        for event_type, fns in other._by_type.items():
            self._by_type.setdefault(event_type, []).extend(fns)

    @property
    def event_types(self) -> set[str]:
        return set(self._by_type)

    def for_type(self, event_type: str) -> list:
        return self._by_type.get(event_type, [])


def apply_event(db: Database, handlers: Handlers, inbox_model, envelope: Envelope) -> bool:
    """Apply one event exactly once. Returns False when it was already applied (or nobody handles it)."""
    fns = handlers.for_type(envelope.type)
    if not fns:
        return False
    token = request_id_var.set(envelope.correlation_id)
    try:
        with db.Session() as session:
            if not _claim(session, inbox_model, envelope):
                session.rollback()
                return False
            with handlers.context():
                for fn in fns:
                    fn(session, envelope)
            session.commit()
            return True
    finally:
        request_id_var.reset(token)


def _claim(session, inbox_model, envelope: Envelope) -> bool:
    """The inbox row, in one statement: ``INSERT ... ON CONFLICT DO NOTHING``. False when the event is there
    already; a consumer applying the same event at this moment holds the key, so this one waits for its
    commit (then False) or its rollback (then True)."""
    claimed = session.execute(_claim_statement(inbox_model.__table__, session.get_bind().dialect.name),
                              {"event_id": envelope.id, "type": envelope.type, "processed_at": utcnow()})
    return claimed.first() is not None


@functools.lru_cache(maxsize=None)
def _claim_statement(table, dialect: str):
    """Built once per inbox table: building a statement costs more than running it."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (insert(table).values(event_id=bindparam("event_id"), type=bindparam("type"),
                                 processed_at=bindparam("processed_at"))
            .on_conflict_do_nothing().returning(table.c.event_id))


#: failed events whose attempts a consumer remembers (a prefetch's worth is what it can hold at once)
MAX_COUNTED = 10_000


@dataclass(order=True)
class _Retry:
    due: float
    seq: int
    message: object = field(compare=False)
    attempts: int = field(compare=False)


class EventConsumer(ConsumerMixin):
    """Consumes a service's queue. Failed messages stay unacknowledged while they wait
    for their retry, so prefetch bounds them and later messages keep flowing."""

    def __init__(self, config: Config, db: Database, handlers: Handlers, inbox_model):
        self.config = config
        self.db = db
        self.handlers = handlers
        self.inbox_model = inbox_model
        self.connection = broker_connection(config)
        self.work_queue, self.dead_queue = service_queues(config, handlers.event_types)
        self._retries: list[_Retry] = []
        self._seq = itertools.count()
        #: failed attempts per event id: kept across reconnects (the broker gives the unacknowledged messages
        #: back, and a message must not start its count again), dropped once the event is applied or dead
        self._attempts: dict[str, int] = {}
        self.processed = 0
        self.dead_lettered = 0

    def get_consumers(self, Consumer, channel):
        self.dead_queue(channel).declare()
        consumer = Consumer(queues=[self.work_queue], callbacks=[self.on_message], accept=["json"],
                            prefetch_count=self.config.prefetch)
        return [consumer]

    def on_connection_revived(self):
        # unacknowledged messages come back from the broker after a reconnect (their attempts stay counted)
        self._retries.clear()

    def on_message(self, body, message):
        self._handle(body, message, attempts=self._attempts_of(body, message))

    def _attempts_of(self, body, message) -> int:
        """How often this event failed already: in this process, or (quorum queues count every return to the
        queue in ``x-delivery-count``) in a consumer that lost its connection or died holding it: an event
        that kills its worker ends in the dead-letter queue instead of coming back forever."""
        returned = (message.headers or {}).get("x-delivery-count") or 0
        event_id = body.get("id") if isinstance(body, dict) else None
        return max(self._attempts.get(event_id, 0), int(returned) if isinstance(returned, int) else 0)

    def _settled(self, body) -> None:
        if isinstance(body, dict):
            self._attempts.pop(body.get("id"), None)

    def _handle(self, body, message, attempts: int):
        try:
            envelope = Envelope.from_dict(body)
        except (ValueError, TypeError, KeyError) as exc:
            self._dead_letter(body, message, f"malformed envelope: {exc}", attempts + 1)
            return
        try:
            apply_event(self.db, self.handlers, self.inbox_model, envelope)
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            if database_unavailable(exc):
                # not the event's fault: it waits, unacknowledged and uncounted, until the database answers
                self._database_wait = min(self._database_wait * 2 or self.config.retry_backoff_seconds, 30.0)
                log.warning("event %s (%s) waits %.1fs: the database is unavailable (%s)",
                            envelope.id, envelope.type, self._database_wait, type(exc).__name__)
                heapq.heappush(self._retries, _Retry(time.monotonic() + self._database_wait, next(self._seq),
                                                     message, attempts))
                return
            attempts += 1
            if attempts >= self.config.max_attempts:
                log.error("event %s (%s) failed %d times, dead-lettered: %s",
                          envelope.id, envelope.type, attempts, exc)
                self._dead_letter(body, message, f"{type(exc).__name__}: {exc}", attempts)
                return
            delay = self.config.retry_backoff_seconds * (2 ** (attempts - 1))
            log.warning("event %s (%s) failed (attempt %d), retry in %.1fs: %s",
                        envelope.id, envelope.type, attempts, delay, exc)
            if len(self._attempts) >= MAX_COUNTED and envelope.id not in self._attempts:
                self._attempts.pop(next(iter(self._attempts)))  # the oldest count goes first
            self._attempts[envelope.id] = attempts
            heapq.heappush(self._retries, _Retry(time.monotonic() + delay, next(self._seq), message, attempts))
            return
        message.ack()
        self._settled(body)
        self.processed += 1
        self._database_wait = 0.0

    def _dead_letter(self, body, message, reason: str, attempts: int) -> None:
        producer = Producer(message.channel)
        producer.publish(
            body, exchange=self.dead_queue.exchange, routing_key=self.dead_queue.routing_key,
            serializer="json", delivery_mode=2, declare=[self.dead_queue.exchange, self.dead_queue],
            headers={"x-zhibu-error": reason[:1000], "x-zhibu-attempts": attempts,
                     "x-zhibu-queue": self.work_queue.name},
        )
        message.ack()
        self._settled(body)
        self.dead_lettered += 1

    def on_iteration(self):
        now = time.monotonic()
        while self._retries and self._retries[0].due <= now:
            retry = heapq.heappop(self._retries)
            self._handle(retry.message.payload, retry.message, retry.attempts)
        if self._deadline is not None and now >= self._deadline:
            self.should_stop = True
        if self._until is not None and self._until():
            self.should_stop = True

    _deadline: float | None = None
    _until = None
    _database_wait: float = 0.0

    def run_forever(self) -> None:
        self.run(safety_interval=0.1)

    def consume_for(self, seconds: float, until=None) -> bool:
        """Run the consumer for a while, or until ``until()`` holds, on one connection (its retries waiting
        in between), then return whether ``until()`` held (tests and one-shot tools)."""
        self._deadline = time.monotonic() + seconds
        self._until = until
        self.should_stop = False
        try:
            for _ in self.consume(safety_interval=0.05):
                pass
        finally:
            self._deadline = None
            self._until = None
            self.should_stop = False
        return until is not None and until()


# ----------------------------------------------------------------------------- the dead-letter queue

def dead_letters(config: Config, event_types, *, requeue: bool = False, limit: int = 100) -> list[dict]:
    """The first ``limit`` events in the service's dead-letter queue, with the error and attempts each ended
    with. With ``requeue`` each goes back to the work queue (the consumer applies it afresh; the inbox drops
    it if it was applied meanwhile) and leaves the dead-letter queue once the broker has it; without, all stay
    where they are."""
    work, dead = service_queues(config, event_types)
    listed = []
    with broker_connection(config) as conn:
        channel = conn.channel()
        work(channel).declare()
        queue = dead(channel)
        queue.declare()
        producer = Producer(channel)
        held = []
        try:
            while len(listed) < limit:
                message = queue.get(no_ack=False, accept=["json"])
                if message is None:
                    break
                body, headers = message.payload, message.headers or {}
                body = body if isinstance(body, dict) else {"data": body}
                listed.append({"id": body.get("id"), "type": body.get("type"), "occurred_at": body.get("occurred_at"),
                               "error": headers.get("x-zhibu-error"), "attempts": headers.get("x-zhibu-attempts"),
                               "requeued": requeue})
                if requeue:
                    producer.publish(body, exchange="", routing_key=work.name, serializer="json", delivery_mode=2,
                                     headers={"x-zhibu-requeued-from": queue.name})
                    message.ack()
                else:
                    held.append(message)  # taken back once all are read, or the next get would return it again
        finally:
            for message in held:
                message.requeue()
            channel.close()
    return listed
