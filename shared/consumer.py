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
import random
import socket
import time
from dataclasses import dataclass, field

from kombu import Producer
from kombu.mixins import ConsumerMixin
from sqlalchemy import bindparam

from .config import Config
from .context import request_id_var
from .db import Database, database_unavailable, dialect_insert, transaction_conflict, utcnow
from .events import Envelope, broker_connection, service_queues

log = logging.getLogger("zhibu.consumer")


class Handlers:
    """Event type -> function(session, event). ``context`` (set by the kit to the service app's
    ``app_context``) is entered around the handlers, so that they read the service's configuration as
    a request does."""

    def __init__(self):
        self._by_type: dict[str, list] = {}
        #: ``fn(session)`` run once per transaction of events, after their handlers, before the commit
        self.committing: list = []
        self.context = contextlib.nullcontext

    def on(self, *event_types: str):
        def register(fn):
            for event_type in event_types:
                self._by_type.setdefault(event_type, []).append(fn)
            return fn

        return register

    def before_commit(self, fn):
        """Register ``fn(session)`` to run once per transaction of events (a run, or one event alone), after
        their handlers and before the commit: the place for work a run needs once rather than per event,
        such as recounting what its events touched (the handlers note it in ``session.info``)."""
        self.committing.append(fn)
        return fn

    def include(self, other: "Handlers") -> None:
        for event_type, fns in other._by_type.items():
            self._by_type.setdefault(event_type, []).extend(fns)
        self.committing.extend(other.committing)

    @property
    def event_types(self) -> set[str]:
        return set(self._by_type)

    def for_type(self, event_type: str) -> list:
        return self._by_type.get(event_type, [])


def apply_event(db: Database, handlers: Handlers, inbox_model, envelope: Envelope) -> bool:
    """Apply one event exactly once. Returns False when it was already applied (or nobody handles it)."""
    try:
        return apply_events(db, handlers, inbox_model, [envelope]) == 1
    except RunFailed as failed:
        raise failed.error


class RunFailed(Exception):
    """A handler of the run's event at ``position`` raised ``error``; the run was rolled back, nothing of it
    is kept."""

    def __init__(self, position: int, error: Exception):
        super().__init__(f"event {position} of the run: {type(error).__name__}: {error}")
        self.position = position
        self.error = error


def apply_events(db: Database, handlers: Handlers, inbox_model, envelopes: list[Envelope]) -> int:
    """Apply a run of events in one transaction, in their order, each exactly once: one inbox statement claims
    them all, each claimed event's handlers run as if alone (its correlation id set; with others in the run,
    the session flushed and its objects expired after it, so that the next event reads what the database
    holds, as in a transaction of its own), then the ``before_commit`` functions, then one commit. Returns
    how many were applied; an event already applied, repeated in the run or handled by nobody is skipped. A
    handler's failure rolls the whole run back and raises ``RunFailed`` with the position of the event at
    fault; a failure to claim or to commit raises as it is (no event is at fault)."""
    handled = [envelope for envelope in envelopes if handlers.for_type(envelope.type)]
    if not handled:
        return 0
    alone = len(handled) == 1
    applied = 0
    with db.Session() as session:
        claimed = _claim(session, inbox_model, handled)
        if not claimed:
            session.rollback()
            return 0
        with handlers.context():
            for position, envelope in enumerate(envelopes):
                if envelope.id not in claimed:
                    continue
                claimed.discard(envelope.id)
                token = request_id_var.set(envelope.correlation_id)
                try:
                    for fn in handlers.for_type(envelope.type):
                        fn(session, envelope)
                    if not alone:
                        session.flush()
                        session.expire_all()
                except Exception as exc:
                    session.rollback()
                    raise RunFailed(position, exc) from exc
                finally:
                    request_id_var.reset(token)
                applied += 1
            for fn in handlers.committing:
                fn(session)
        session.commit()
    return applied


def _claim(session, inbox_model, envelopes: list[Envelope]) -> set[str]:
    """The inbox rows, in one statement: ``INSERT ... ON CONFLICT DO NOTHING RETURNING``; the ids it wrote,
    without the events that are there already. A consumer applying one of the same events at this moment
    holds its key, so this one waits for its commit (then that event is not claimed) or its rollback."""
    now = utcnow()
    statement = _claim_statement(inbox_model.__table__, session.get_bind().dialect.name)
    rows = [{"event_id": envelope.id, "type": envelope.type, "processed_at": now} for envelope in envelopes]
    if len(rows) == 1:
        return {event_id for event_id, in session.execute(statement, rows[0])}
    return set(session.scalars(statement, rows))


@functools.lru_cache(maxsize=None)
def _claim_statement(table, dialect: str):
    """Built once per inbox table: building a statement costs more than running it."""
    return (dialect_insert(dialect, table).values(event_id=bindparam("event_id"), type=bindparam("type"),
                                                  processed_at=bindparam("processed_at"))
            .on_conflict_do_nothing().returning(table.c.event_id))


#: how long the consumer waits for the next message of a run before it applies what it holds (the messages
#: of a backlog are in the connection's buffer already: this only bounds the wait for a lone message's next)
GATHER_SECONDS = 0.001

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
    for their retry, so prefetch bounds them and later messages keep flowing.

    Messages that arrive together (a backlog, an import's thousands of events) are applied in runs of up to
    ``consume_batch`` in one transaction (``apply_events``) and acknowledged after its commit; when a handler
    fails, the run is applied again around the event at fault, which alone counts the attempt, waits for its
    retry and ends in the dead letters (a failure no event is at fault for: one event at a time). A lone
    message is applied at once: the consumer takes what the connection already holds, it does not wait for
    more."""

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
        #: (envelope, body, message, attempts) delivered and not yet applied: the run being gathered
        self._run: list[tuple] = []
        self._live = None
        self.batch = max(1, min(config.consume_batch, config.prefetch))
        self.processed = 0
        self.dead_lettered = 0
        self.runs = 0
        self.conflicts = 0

    def get_consumers(self, Consumer, channel):
        self.dead_queue(channel).declare()
        consumer = Consumer(queues=[self.work_queue], callbacks=[self.on_message], accept=["json"],
                            prefetch_count=self.config.prefetch)
        return [consumer]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._live = connection

    def on_connection_revived(self):
        # unacknowledged messages come back from the broker after a reconnect (their attempts stay counted)
        self._retries.clear()
        self._run.clear()

    def on_message(self, body, message):
        attempts = self._attempts_of(body, message)
        try:
            envelope = Envelope.from_dict(body)
        except (ValueError, TypeError, KeyError) as exc:
            self._dead_letter(body, message, f"malformed envelope: {exc}", attempts + 1)
            return
        if attempts:  # it failed before: alone, so that its failure is counted and retried as its own
            self._apply_run()
            self._handle(body, message, attempts, envelope)
            return
        self._run.append((envelope, body, message, attempts))
        if len(self._run) >= self.batch:
            self._apply_run()

    def _gather(self) -> None:
        """Take the messages the connection holds already (the broker sent them within the prefetch), up to a
        run; return as soon as none is waiting."""
        while self._live is not None and 0 < len(self._run) < self.batch:
            before = len(self._run)
            try:
                self._live.drain_events(timeout=GATHER_SECONDS)
            except socket.timeout:
                return
            if len(self._run) <= before:  # a message that was not added to the run (dead-lettered, retried)
                return

    def _apply_run(self, run: list[tuple] | None = None) -> None:
        """Apply the gathered run (or ``run``): in one transaction, or around the event at fault."""
        if run is None:
            run, self._run = self._run, []
        while len(run) > 1:
            try:
                apply_events(self.db, self.handlers, self.inbox_model, [envelope for envelope, *_ in run])
            except RunFailed as failed:
                # the events before the one at fault go again as a run; that one's failure is its attempt
                position = failed.position
                log.info("event %d of a run of %d failed; the run is applied around it", position + 1, len(run))
                before, (envelope, body, message, attempts), run = run[:position], run[position], run[position + 1:]
                self._apply_run(before)
                self._failed(envelope, body, message, attempts, failed.error)
                continue
            except Exception as exc:  # noqa: BLE001 - the claim or the commit: no event at fault
                log.info("a run of %d events failed (%s: %s); applying them one by one", len(run),
                         type(exc).__name__, exc)
                for envelope, body, message, attempts in run:
                    self._handle(body, message, attempts, envelope)
                return
            for _envelope, body, message, _attempts in run:
                message.ack()
                self._settled(body)
            self.processed += len(run)
            self.runs += 1
            self._database_wait = 0.0
            return
        for envelope, body, message, attempts in run:
            self._handle(body, message, attempts, envelope)

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

    def _handle(self, body, message, attempts: int, envelope: Envelope | None = None):
        if envelope is None:
            try:
                envelope = Envelope.from_dict(body)
            except (ValueError, TypeError, KeyError) as exc:
                self._dead_letter(body, message, f"malformed envelope: {exc}", attempts + 1)
                return
        try:
            apply_event(self.db, self.handlers, self.inbox_model, envelope)
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            self._failed(envelope, body, message, attempts, exc)
            return
        message.ack()
        self._settled(body)
        self.processed += 1
        self._database_wait = 0.0

    def _failed(self, envelope: Envelope, body, message, attempts: int, exc: Exception) -> None:
        """The event's attempt failed: it goes again soon (a conflict with a concurrent transaction), or waits for
        the database, or for its retry, or goes to the dead letters."""
        if transaction_conflict(exc):
            # a deadlock with another replica's run, say: PostgreSQL chose this transaction to roll back. Not
            # counted; applied again after a random moment, so that the two do not meet the same way again
            self.conflicts += 1
            delay = random.uniform(0.1, 1.0) * self.config.retry_backoff_seconds
            log.info("event %s (%s) conflicted with a concurrent transaction (%s), applied again in %.2fs",
                     envelope.id, envelope.type, type(getattr(exc, "orig", exc)).__name__, delay)
            heapq.heappush(self._retries, _Retry(time.monotonic() + delay, next(self._seq), message, attempts))
            return
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
        self._gather()
        self._apply_run()
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
