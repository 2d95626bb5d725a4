"""Writing many rows at once, in the caller's transaction (imports, set-wise changes).

- ``copy_rows``: COPY through psycopg's ``cursor.copy`` on PostgreSQL, executemany elsewhere;
- ``existing``: which of many values a unique column already holds, in one query;
- ``BackgroundWriter``: the database writes one batch while the caller checks the next;
- ``EventBatch`` + ``Outbox.emit_many``: the outbox events of many changes of one type. The first
  envelope goes through ``make_envelope`` (the catalog checks its data, the request id and actor are
  taken); the others must carry the same fields (the same code built them) and are made JSON-ready as
  the catalog schema dumps them, because one envelope at a time costs tens of microseconds and an
  import writes tens of thousands a second.
"""
from __future__ import annotations

import contextvars
import json
import os
import queue
import threading
import uuid
from datetime import date, datetime, timezone

from marshmallow import fields
from sqlalchemy import ARRAY, JSON, any_, bindparam, select, text
from sqlalchemy.exc import IntegrityError

from . import catalog
from .events import make_envelope
from .http import is_unique_violation


def new_ids(n: int) -> list[str]:
    """``n`` random (version 4) UUIDs as text from one read of the system's randomness: one call instead of
    ``n``, because every system call hands the interpreter lock to the other thread of an import."""
    pool = bytearray(os.urandom(16 * n))
    out = []
    for start in range(0, 16 * n, 16):
        pool[start + 6] = (pool[start + 6] & 0x0F) | 0x40
        pool[start + 8] = (pool[start + 8] & 0x3F) | 0x80
        h = pool[start:start + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def copy_rows(session, table, columns: tuple[str, ...], rows: list[tuple]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction: a binary COPY
    on PostgreSQL (the cheapest way in for both sides), executemany elsewhere. A JSON column takes a
    Python value, or on PostgreSQL its ready JSON text."""
    if not rows:
        return 0
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        types = _copy_types(raw, table.name, columns)
        json_positions = [i for i, name in enumerate(columns) if _is_json(table.c[name].type)]
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    if json_positions:
                        row = list(row)
                        for i in json_positions:
                            if row[i] is not None and not isinstance(row[i], str):
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
    else:
        connection.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
    return len(rows)


def _is_json(column_type) -> bool:
    return isinstance(column_type, JSON)


_TYPES: dict[tuple, list[str]] = {}


def _copy_types(raw, table: str, columns: tuple[str, ...]) -> list[str]:
    """The columns' types as the server names them (a json column takes its text as it is)."""
    key = (table, columns)
    if key not in _TYPES:
        found = dict(raw.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (table,)).fetchall())
        _TYPES[key] = ["text" if found[c] == "json" else found[c] for c in columns]
    return _TYPES[key]


def unique_violation(exc: BaseException) -> bool:
    """A unique index refused a row (SQLAlchemy's IntegrityError, or psycopg's own error from a COPY)."""
    if isinstance(exc, IntegrityError):
        return is_unique_violation(exc)
    return getattr(exc, "sqlstate", None) == "23505"


def existing(session, column, values: list) -> set:
    """The ``values`` already in ``column`` (one query; one array parameter on PostgreSQL)."""
    if not values:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        found: set = set()
        for i in range(0, len(values), 900):  # SQLite's limit on bound parameters
            found.update(session.scalars(select(column).where(column.in_(values[i:i + 900]))))
        return found
    # the planner has no statistics on rows this transaction wrote and could scan the whole table for every
    # batch; each value is one probe of a unique index
    session.execute(text("SET LOCAL enable_seqscan = off"))
    found = set(session.scalars(select(column).where(
        column == any_(bindparam("values", values, type_=ARRAY(column.type))))))
    session.execute(text("SET LOCAL enable_seqscan = on"))
    return found


class EventBatch:
    """Events of one type for many changes: ``add(data, org_path)`` with Python values as for ``emit``."""

    VARYING = ("id", "org_path", "data")

    def __init__(self, type_: str):
        self.type = type_
        self.common: dict | None = None
        self.fields = None
        self.textual = [name for name, field in catalog.lookup(type_).schema._declared_fields.items()
                        if isinstance(field, (fields.Date, fields.DateTime, fields.UUID))]
        self.rows: list[tuple[str, str | None, dict]] = []

    def add(self, data: dict, org_path: str | None) -> None:
        if self.common is None:
            envelope = make_envelope(self.type, data, source=self.type.split(".", 1)[0], org_path=org_path).as_dict()
            self.common = {k: v for k, v in envelope.items() if k not in self.VARYING}
            self.fields = data.keys()
            self.rows.append((envelope["id"], org_path, envelope["data"]))
            return
        if data.keys() != self.fields:
            raise ValueError(f"{self.type}: every event of a batch has the same fields")
        data = dict(data)
        for name in self.textual:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                data[name] = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
        self.rows.append((str(uuid.uuid4()), org_path, data))

    def __len__(self) -> int:
        return len(self.rows)

    def envelopes(self) -> list[dict]:
        return [{**self.common, "id": event_id, "org_path": org_path, "data": data}
                for event_id, org_path, data in self.rows]


OUTBOX_COLUMNS = ("event_id", "type", "envelope", "created_at", "attempts")


def write_events(session, outbox_model, batch: EventBatch) -> int:
    """Add the batch to the outbox in the session's transaction; it is published after the commit."""
    if not batch.rows:
        return 0
    now = datetime.now(timezone.utc)
    if session.get_bind().dialect.name == "postgresql":
        # the envelope as JSON text: the common members rendered once, the varying ones per event
        head = json.dumps(batch.common, ensure_ascii=False)[:-1]
        dumps = json.dumps
        rows = [(event_id, batch.type,
                 f'{head}, "id": "{event_id}", "org_path": {dumps(org_path)}, "data": {dumps(data)}}}', now, 0)
                for event_id, org_path, data in batch.rows]
    else:
        rows = [(e["id"], batch.type, e, now, 0) for e in batch.envelopes()]
    copy_rows(session, outbox_model.__table__, OUTBOX_COLUMNS, rows)
    session.info["outbox_written"] = True  # wakes the web process's background publisher after the commit
    return len(rows)


class BackgroundWriter:
    """Runs ``write(batch)`` for each batch handed over, one at a time, in a thread that carries the
    request's context (request id, actor): the database works on one batch while the caller checks the
    next. The caller must not use the session between the first ``put`` and ``close``."""

    def __init__(self, write):
        self.write = write
        self.failure: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="import-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self.failure is None:
                try:
                    self.write(batch)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller by ``close``
                    self.failure = exc

    def put(self, batch) -> None:
        if self.failure is not None:
            raise self.failure
        self._queue.put(batch)

    def close(self) -> None:
        """Wait for every batch to be written; re-raise the first failure in the caller's thread."""
        self._queue.put(None)
        self._thread.join()
        if self.failure is not None:
            raise self.failure
