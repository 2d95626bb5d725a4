"""Events: the envelope checked against the catalog, and the broker it travels on.

A request handler never talks to the broker. ``emit`` writes the event into the
outbox table in the caller's transaction; after the commit the web process's
background publisher sends it at once, and the worker's relay sweeps whatever
that missed (broker down, process killed). Publishing uses publisher confirms
on RabbitMQ, so a row is marked sent only once the broker has it.
"""
from __future__ import annotations

import fnmatch
import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue, binding
from marshmallow import ValidationError, validate

from . import catalog
from .bus import Transport
from .config import Config
from .context import current_actor, current_request_id

log = logging.getLogger("zhibu.events")



#: a glob over event types (a webhook subscription's, the change feed's ``types``): segments of lower-case
#: letters, digits, _ and *, as ``members.stage.*``
#: ``*``, or a service (or ``*``) then one or two parts (``members.*``, ``members.stage.*``, ``*.deadline.*``): a
#: word without a dot matches no type, so it is refused rather than taken as a filter that lets nothing through
EVENT_TYPE_GLOB = validate.Regexp(r"^(\*|[a-z*][a-z0-9_*]{0,39}(\.[a-z0-9_*]{1,40}){1,2})$",
                                  error="a glob over event types such as members.stage.* or * (letters, digits, _, *, "
                                        "dots)")


def matches(glob: str, event_type: str) -> bool:
    """``members.stage.*`` matches ``members.stage.changed``; ``*`` matches every type."""
    return fnmatch.fnmatchcase(event_type, glob)


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


# --------------------------------------------------------------------------- broker

def broker_connection(config: Config) -> Connection:
    """A kombu connection: RabbitMQ with publisher confirms, or the embedded filesystem bus."""
    url = config.broker_url
    if url.startswith("filesystem"):
        folder = Path(config.bus_folder).resolve()
        for sub in ("messages", "control", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
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
    arguments = config.queue_arguments
    work = Queue(name, exchange=exchange, queue_arguments=arguments,
                 bindings=[binding(exchange, routing_key=t) for t in sorted(event_types)], durable=True)
    dead = Queue(f"{name}.dead", exchange=dead_letter_exchange(config), routing_key=f"{name}.dead", durable=True,
                 queue_arguments=arguments)
    return work, dead


def publish_envelope(producer: Producer, exchange: Exchange, envelope: dict) -> None:
    producer.publish(
        envelope, exchange=exchange, routing_key=envelope["type"], serializer="json",
        delivery_mode=2, message_id=envelope["id"],
        retry=True, retry_policy={"max_retries": 3, "interval_start": 0.1, "interval_step": 0.5,
                                  "interval_max": 2},
        declare=[exchange],
    )
