"""Events: the envelope, the transactional outbox, the relay that publishes it.

A request handler never talks to the broker. ``emit`` writes the event into the
outbox table in the caller's transaction; after the commit the web process's
background publisher sends it at once, and the worker's relay sweeps whatever
that missed (broker down, process killed). Publishing uses publisher confirms
on RabbitMQ, so a row is marked sent only once the broker has it.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue, binding
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import catalog
from .config import Config
from .context import current_actor, current_request_id
from .db import Database, utcnow

log = logging.getLogger("zhibu.events")



def events_exchange(config: Config) -> Exchange:
    """The one durable topic exchange; routing key = event type."""
    return Exchange(config.events_exchange_name, type="topic", durable=True)


def dead_letter_exchange(config: Config) -> Exchange:
    return Exchange(config.dead_letter_exchange_name, type="direct", durable=True)


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    version: int
    occurred_at: str
    source: str
    org_path: str | None
    correlation_id: str | None
    actor: str | None
    data: dict

    @classmethod
    def from_dict(cls, body: dict) -> "Envelope":
        missing = {"id", "type", "version", "occurred_at", "source", "data"} - set(body)
        if missing:
            raise ValueError(f"envelope lacks {sorted(missing)}")
        return cls(
            id=str(body["id"]), type=body["type"], version=int(body["version"]),
            occurred_at=body["occurred_at"], source=body["source"], org_path=body.get("org_path"),
            correlation_id=body.get("correlation_id"), actor=body.get("actor"), data=body["data"],
        )

    def as_dict(self) -> dict:
        return {
            "id": self.id, "type": self.type, "version": self.version, "occurred_at": self.occurred_at,
            "source": self.source, "org_path": self.org_path, "correlation_id": self.correlation_id,
            "actor": self.actor, "data": self.data,
        }

    @property
    def occurred(self) -> datetime:
        return datetime.fromisoformat(self.occurred_at)

    def loaded(self) -> dict:
        """``data`` through the catalog schema: UUIDs, dates and numbers as Python values."""
        return _schema_of(self.type).load(self.data)


@functools.lru_cache(maxsize=None)
def _schema_of(type_: str):
    """One schema instance per event type: building a marshmallow schema (a deep copy of its
    fields) costs several times more than dumping and validating with it, and instances are reusable."""
    return catalog.lookup(type_).schema()


def checked_data(type_: str, data: dict) -> dict:
    """``data`` as the catalog schema dumps it, validated (a mismatch is a bug: it raises)."""
    schema = _schema_of(type_)
    dumped = schema.dump(data)
    errors = schema.validate(dumped)
    if errors:
        raise ValidationError({"event": type_, "errors": errors})
    return dumped


def envelope_head(type_: str, *, actor: str | None = None, correlation_id: str | None = None,
                  occurred_at: datetime | None = None) -> dict:
    """The members every envelope of one change shares: all but ``id``, ``org_path`` and ``data``."""
    event_type = catalog.lookup(type_)
    return {
        "type": type_,
        "version": event_type.version,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).isoformat(),
        "source": event_type.service,
        "correlation_id": correlation_id if correlation_id is not None else current_request_id(),
        "actor": actor if actor is not None else current_actor(),
    }


def make_envelope(type_: str, data: dict, *, source: str, org_path: str | None,
                  actor: str | None = None, correlation_id: str | None = None,
                  occurred_at: datetime | None = None) -> Envelope:
    """Build an envelope whose ``data`` is checked against the catalog (a mismatch is a bug: it raises)."""
    head = envelope_head(type_, actor=actor, correlation_id=correlation_id, occurred_at=occurred_at)
    return Envelope(id=str(uuid.uuid4()), org_path=org_path, data=checked_data(type_, data), **head)


def stored_envelopes(stored: dict) -> list[dict]:
    """The envelopes of one outbox row: a change writes one envelope; a bulk write packs many events of one
    type into a row (``bulk.EventBatch.packs``): ``{"head": shared members, "events": [[id, org_path, data]]}``."""
    if "events" not in stored:
        return [stored]
    head = stored["head"]
    return [{**head, "id": event_id, "org_path": org_path, "data": data} for event_id, org_path, data in stored["events"]]


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
        session.add(self.model(event_id=envelope.id, type=type_, envelope=envelope.as_dict()))
        session.info["outbox_written"] = True
        return envelope

    def emit_many(self, session, type_: str, items) -> int:
        """One event per ``(data, org_path)`` of ``items``, written set-wise (COPY on PostgreSQL)."""
        from .bulk import EventBatch, write_events

        batch = EventBatch(type_)
        if batch.type.split(".", 1)[0] != self.service:
            raise ValueError(f"{self.service} may not publish {type_}")
        for data, org_path in items:
            batch.add(data, org_path)
        return write_events(session, self.model, batch)


# --------------------------------------------------------------------------- broker

def broker_connection(config: Config) -> Connection:
    """A kombu connection: RabbitMQ with publisher confirms, or the embedded filesystem bus."""
    url = config.broker_url
    if url.startswith("filesystem"):
        folder = Path(config.bus_folder).resolve()
        for sub in ("messages", "control", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        from .bus import Transport

        return Connection(url, transport=Transport, transport_options={
            "data_folder_in": str(folder / "messages"),
            "data_folder_out": str(folder / "messages"),
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
            "polling_interval": 0.02,
        })
    if url.startswith("memory"):
        return Connection(url)
    return Connection(url, heartbeat=30, transport_options={"confirm_publish": True},
                      connect_timeout=5)


def service_queues(config: Config, event_types) -> tuple[Queue, Queue]:
    """The service's work queue (bound to every type it handles) and its dead-letter queue."""
    exchange = events_exchange(config)
    name = f"{config.bus_namespace}.{config.service}"
    work = Queue(name, exchange=exchange,
                 bindings=[binding(exchange, routing_key=t) for t in sorted(event_types)], durable=True)
    dead = Queue(f"{name}.dead", exchange=dead_letter_exchange(config), routing_key=f"{name}.dead", durable=True)
    return work, dead


def publish_envelope(producer: Producer, exchange: Exchange, envelope: dict) -> None:
    producer.publish(
        envelope, exchange=exchange, routing_key=envelope["type"], serializer="json",
        delivery_mode=2, message_id=envelope["id"],
        retry=True, retry_policy={"max_retries": 3, "interval_start": 0.1, "interval_step": 0.5,
                                  "interval_max": 2},
        declare=[exchange],
    )


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
        """(rows marked sent, events published)."""
        limit = limit or self.config.relay_batch
        sent = published = 0
        with self.db.Session() as session:
            stmt = select(self.model).where(self.model.sent_at.is_(None)).order_by(self.model.id).limit(limit)
            if self.db.is_postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            rows = session.scalars(stmt).all()
            if not rows:
                session.rollback()
                return 0, 0
            try:
                producer = self._producer_ready()
                for row in rows:
                    for envelope in stored_envelopes(row.envelope):
                        publish_envelope(producer, self._exchange, envelope)
                        published += 1
                    row.sent_at = utcnow()
                    sent += 1
            except Exception as exc:
                self.close()
                for row in rows[sent:sent + 1]:
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("publish failed after %d of %d outbox rows: %s", sent, len(rows), exc)
                session.commit()
                raise
            session.commit()
        return sent, published

    def drain(self) -> int:
        """Publish every unsent row; return how many events went out."""
        total = 0
        while True:
            rows, published = self._sweep()
            total += published
            if rows < self.config.relay_batch:
                return total


class BackgroundPublisher:
    """In the web process: publishes fresh outbox rows right after a commit, off the request thread."""

    def __init__(self, relay: Relay):
        self.relay = relay
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = None

    def notify(self) -> None:
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
