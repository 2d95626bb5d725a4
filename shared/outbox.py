"""The transactional outbox: events written in the writer's transaction, and the relay that publishes them.

A request handler never talks to the broker. ``Outbox.emit`` writes the event into the outbox table in
the caller's transaction; after the commit the web process's ``BackgroundPublisher`` sends it at once, and
the worker's ``Relay`` sweeps whatever that missed (broker down, process killed). Publishing uses publisher
confirms on RabbitMQ, so a row is marked sent only once the broker has it.

``EventBatch`` + ``Outbox.emit_many``: the outbox events of many changes of one type. The first event's
data is checked against the catalog; the others must carry the same fields (the same code built them) and
are rendered as the catalog schema dumps them (orjson), because one envelope at a time costs tens of
microseconds and an import writes tens of thousands a second. They are written packed, up to ``PACK``
events an outbox row with the members they share stored once (the relay publishes each as a whole
envelope): one row per event cost the database as much as the people rows themselves.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import datetime, timezone
from typing import NamedTuple

import orjson
from kombu import Connection, Producer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .bulk import copy_rows, new_ids
from .config import Config
from .db import Database, utcnow
from .events import (Envelope, broker_connection, checked_data, envelope_head, events_exchange, make_envelope,
                     publish_envelope, stored_envelopes)

log = logging.getLogger("zhibu.events")


class Outbox:
    """Writes events into a service's outbox table, inside the caller's transaction."""

    def __init__(self, model, service: str):
        self.model = model
        self.service = service

    def emit(self, session: Session, type_: str, data: dict, *, org_path: str | None,
             actor: str | None = None) -> Envelope:
        envelope = make_envelope(type_, data, source=self.service, org_path=org_path, actor=actor)
        if envelope.source != self.service:
            raise ValueError(f"{self.service} may not publish {type_}: it belongs to {envelope.source}")
        session.add(self.model(event_id=envelope.id, type=type_, org_path=org_path, envelope=envelope.as_dict()))
        session.info["outbox_written"] = True
        return envelope

    def emit_many(self, session, type_: str, items) -> int:
        """One event per ``(data, org_path)`` of ``items``, written set-wise (COPY on PostgreSQL)."""
        batch = EventBatch(type_)
        if batch.type.split(".", 1)[0] != self.service:
            raise ValueError(f"{self.service} may not publish {type_}")
        for data, org_path in items:
            batch.add(data, org_path)
        return write_events(session, self.model, batch)


PACK = 1000


class Pack(NamedTuple):
    """Envelopes of one type as one outbox row: the first one's id (the row's ``event_id``), how many, the JSON,
    and the unit path they share (``common_path``: the row's ``org_path``, by which the change feed filters)."""

    first_id: str
    count: int
    json: str
    org_path: str | None = None


def common_path(paths) -> str | None:
    """The deepest unit path every one of ``paths`` lies under ("/" when they share none or some have none;
    None when none has one)."""
    paths = list(paths)
    if all(path is None for path in paths):
        return None
    if any(path is None for path in paths):
        return "/"
    shortest, longest = min(paths), max(paths)
    shared = 0
    for a, b in zip(shortest, longest):
        if a != b:
            break
        shared += 1
    prefix = shortest[:shared]
    return prefix[:prefix.rfind("/") + 1] or "/"


class EventBatch:
    """Events of one type for many changes: ``add(data, org_path)`` with Python values as for ``emit``
    (the batch keeps ``data`` as it is: pass a fresh dict).

    ``head`` (``events.envelope_head``) carries the request's actor and id: build it in the request and
    hand it to whoever fills the batch (a worker process, say); the batch is plain data and pickles."""

    def __init__(self, type_: str, head: dict | None = None):
        self.type = type_
        self.head = head if head is not None else envelope_head(type_)
        self.fields = None
        self.rows: list[tuple[str, str | None, dict]] = []
        self._ids: list[str] = []

    def add(self, data: dict, org_path: str | None) -> None:
        if self.fields is None:
            self.fields = data.keys()
            data = checked_data(self.type, data)
        elif data.keys() != self.fields:
            raise ValueError(f"{self.type}: every event of a batch has the same fields")
        if not self._ids:
            self._ids = new_ids(PACK)[::-1]
        self.rows.append((self._ids.pop(), org_path, data))

    def __len__(self) -> int:
        return len(self.rows)

    def packs(self, size: int = PACK) -> list[Pack]:
        """The events, ``size`` to a pack (one outbox row each), as JSON text: the members they share once
        (``head``), then each one's ``[id, org_path, data]`` (``events.stored_envelopes`` unpacks them)."""
        return _packed(self.head, self.rows, size)


def repack(packs: list[Pack], keep, size: int = PACK) -> list[Pack]:
    """The events of ``packs`` whose envelope ``keep(envelope)`` accepts, packed again."""
    if not packs:
        return []
    stored = [json.loads(pack.json) for pack in packs]
    rows = [tuple(row) for pack in stored for row, envelope in zip(pack["events"], stored_envelopes(pack))
            if keep(envelope)]
    return _packed(stored[0]["head"], rows, size)


def _packed(head: dict, rows: list, size: int) -> list[Pack]:
    # orjson: dates, datetimes and UUIDs as the catalog dumps them, seven times faster than the json module
    return [Pack(part[0][0], len(part), orjson.dumps({"head": head, "events": part}).decode(),
                 common_path(row[1] for row in part))
            for part in (rows[start:start + size] for start in range(0, len(rows), size))]


OUTBOX_COLUMNS = ("event_id", "type", "org_path", "envelope", "created_at", "attempts")


def write_events(session, outbox_model, batch: EventBatch) -> int:
    """Add the batch to the outbox in the session's transaction; it is published after the commit."""
    return write_packs(session, outbox_model, batch.type, batch.packs())


def write_packs(session, outbox_model, type_: str, packs: list[Pack]) -> int:
    """Add packs of envelopes (``EventBatch.packs``) to the outbox, one row each; returns the count of events."""
    if not packs:
        return 0
    now = datetime.now(timezone.utc)
    rows = [(pack.first_id, type_, pack.org_path, pack.json, now, 0) for pack in packs]
    copy_rows(session, outbox_model.__table__, OUTBOX_COLUMNS, rows)
    session.info["outbox_written"] = True  # wakes the web process's background publisher after the commit
    return sum(pack.count for pack in packs)


class Relay:
    """Publishes unsent outbox rows, oldest first, and marks each sent once confirmed.

    A row packed by a bulk write holds many envelopes: it is marked sent once all are confirmed (a
    failure half-way publishes the whole pack again later; the inboxes drop the repeats).

    Several publishers may sweep at once (each web process and the worker); on
    PostgreSQL they skip each other's locked rows, on SQLite the write lock
    serializes them. A duplicate publish is harmless: consumers keep an inbox.
    """

    def __init__(self, db: Database, outbox_model, config: Config):
        self.db = db
        self.model = outbox_model
        self.config = config
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _producer_ready(self) -> Producer:
        if self._producer is None:
            self._connection = broker_connection(self.config)
            self._connection.ensure_connection(max_retries=1)
            self._producer = Producer(self._connection.channel())
            self._exchange = events_exchange(self.config)
            self._exchange.declare(channel=self._producer.channel)
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._connection = None
        self._producer = None

    def sweep(self, limit: int | None = None) -> int:
        """Publish up to ``limit`` unsent rows; return how many events went out. Raises if the broker fails."""
        return self._sweep(limit)[1]

    def _sweep(self, limit: int | None = None) -> tuple[int, int]:
        """(rows marked sent, events published). Plain statements, not the ORM: this runs after every commit
        that wrote an event, and the unit of work's bookkeeping for rows read only to be marked cost more
        than reading and marking them."""
        limit = limit or self.config.relay_batch
        table = self.model.__table__
        sent = published = 0
        with self.db.Session() as session:
            stmt = select(table.c.id, table.c.envelope).where(table.c.sent_at.is_(None)).order_by(table.c.id)
            stmt = stmt.limit(limit)
            if self.db.is_postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            rows = session.execute(stmt).all()
            if not rows:
                session.rollback()
                return 0, 0
            try:
                producer = self._producer_ready()
                for _, envelope in rows:
                    for each in stored_envelopes(envelope):
                        publish_envelope(producer, self._exchange, each)
                        published += 1
                    sent += 1
            except Exception as exc:
                self.close()
                if sent < len(rows):
                    session.execute(update(table).where(table.c.id == rows[sent][0]).values(
                        attempts=table.c.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500]))
                self._mark_sent(session, rows[:sent])
                log.warning("publish failed after %d of %d outbox rows: %s", sent, len(rows), exc)
                session.commit()
                raise
            self._mark_sent(session, rows)
            session.commit()
        return sent, published

    def _mark_sent(self, session: Session, rows) -> None:
        if rows:
            table = self.model.__table__
            session.execute(update(table).where(table.c.id.in_([row[0] for row in rows])).values(sent_at=utcnow()))

    def drain(self) -> int:
        """Publish every unsent row; return how many events went out."""
        total = 0
        while True:
            rows, published = self._sweep()
            total += published
            if rows < self.config.relay_batch:
                return total


class BackgroundPublisher:
    """Publishes fresh outbox rows right after a commit, off the committing thread (a request's in the web
    process, a handler's or a job's in the worker). It owns its relay: the worker's relay loop sweeps with
    another, and a kombu channel is never shared between threads."""

    def __init__(self, relay: Relay):
        self.relay = relay
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = None
        # request threads commit at once (gunicorn's gthread workers): one of them starts the publisher, the
        # others only wake it; two publishers would share the relay's one channel and publish rows twice
        self._starting = threading.Lock()

    def notify(self) -> None:
        with self._starting:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._start()
        self._wake.set()

    def _start(self) -> None:
        self._pid = os.getpid()
        self.relay._connection = None
        self.relay._producer = None
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.relay.drain()
            except Exception as exc:  # noqa: BLE001 - the worker's relay retries these rows
                log.info("background publish deferred to the relay: %s", exc)
                time.sleep(1.0)
