"""Writing many rows in one statement: COPY through psycopg's ``cursor.copy`` on PostgreSQL, executemany
elsewhere; and the outbox events of many changes at once (imports, a dissolved unit's members).

``events`` builds every envelope through the kit's ``make_envelope`` for the first item (the catalog
check, the request id, the actor) and reuses one instance of the catalog schema for the rest, because
building an envelope one by one costs ~200 µs (a new schema each time) and an import writes tens of
thousands a second. It belongs in the kit as ``Outbox.emit_many`` (see docs/members.md).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from marshmallow import ValidationError

from shared import catalog
from shared.events import make_envelope

from .models import kit


def copy_rows(session, table, columns: tuple[str, ...], rows: list[tuple]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction."""
    if not rows:
        return 0
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        connection.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
    return len(rows)


def events(type_: str, items: list[tuple[dict, str | None]]) -> list[dict]:
    """Envelopes (as dicts) for ``items`` = [(data, org_path)], each checked against the catalog."""
    if not items:
        return []
    first = make_envelope(type_, items[0][0], source=type_.split(".", 1)[0], org_path=items[0][1]).as_dict()
    schema = catalog.lookup(type_).schema()
    out = [first]
    occurred_at = datetime.now(timezone.utc).isoformat()
    for data, org_path in items[1:]:
        dumped = schema.dump(data)
        errors = schema.validate(dumped)
        if errors:
            raise ValidationError({"event": type_, "errors": errors})
        out.append({**first, "id": str(uuid.uuid4()), "occurred_at": occurred_at, "org_path": org_path,
                    "data": dumped})
    return out


OUTBOX_COLUMNS = ("event_id", "type", "envelope", "created_at", "attempts")


def write_events(session, envelopes: list[dict]) -> int:
    """Add the envelopes to the outbox in the session's transaction; the relay publishes them after commit."""
    if not envelopes:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    now = datetime.now(timezone.utc)
    rows = [(e["id"], e["type"], json.dumps(e, ensure_ascii=False) if postgres else e, now, 0) for e in envelopes]
    copy_rows(session, kit.OutboxEvent.__table__, OUTBOX_COLUMNS, rows)
    session.info["outbox_written"] = True  # wakes the web process's background publisher after the commit
    return len(rows)
