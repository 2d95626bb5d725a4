"""``GET /api/<service>/v1/changes``: the service's own events in commit order, from its outbox history.

Every service has it (the kit registers it, as it does the audit log): a platform behind a firewall pulls
what a webhook subscription would have pushed. ``?after=<cursor>&types=<globs>&under=<unit id>&limit=``;
each event is the envelope the broker carried, filtered by its ``org_path`` against the caller's scope
(and ``under``), by its type against the globs (``org.unit.*``).

Commit order, not id order. Two transactions on PostgreSQL take outbox ids 7 and 8, and 8 commits first: a
reader that handed out 8 and moved its cursor past it would never see 7. So each outbox row carries the id
of the transaction that wrote it (``txid``: ``pg_current_xact_id()``, a 64-bit ``xid8`` that never wraps) and
the feed is ordered by ``(txid, id)``, handing out only rows whose transaction is older than the oldest one
still running (``txid < pg_snapshot_xmin(pg_current_snapshot())``): every such transaction has committed or
rolled back, so no row can appear behind a cursor any more. A long transaction holds the feed back (never
loses an event) until it ends. SQLite runs one writing transaction at a time (``BEGIN IMMEDIATE``), so there
the id order is the commit order (``txid`` stays 0).

A row packed by a bulk write (``outbox.EventBatch``, up to 1,000 events) is unpacked: the cursor is the
row's position and the event's index in it, so it stays stable wherever a page ends.

History: rows are kept ``ZHIBU_CHANGES_RETENTION_DAYS`` (30) after they were written and sent; the daily job
``changes-purge`` deletes older ones as a prefix of the feed's order and keeps the newest of them as the mark
of where the history begins. A cursor before that mark answers 410: events after it may be gone, so the
client re-syncs from the list endpoints and starts again without ``after``.
"""
from __future__ import annotations

from datetime import time as clock
from datetime import timedelta

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList
from sqlalchemy import and_, delete, func, literal, or_, select, text, tuple_

from .db import utcnow
from .errors import Problem, invalid, not_found
from .events import EVENT_TYPE_GLOB, matches, stored_envelopes
from .http import decode_cursor, encode_cursor, path_upper_bound
from .messages import msg
from .openapi import answers_gone
from .parsing import Blueprint
from .request import current_kit, current_principal, db_session, require
from .worker import DailyJob

#: who reads a feed: who may subscribe to the same events (a registered platform, or an admin for it)
READERS = ("admin", "integration")
#: events a request looks at, at most (matching or not): a page may hold fewer than ``limit`` when the
#: filters skip many; ``more`` then says to call again at once
SCAN_EVENTS = 20_000
#: outbox rows read from the database at a time while a page fills
ROWS_AT_A_TIME = 100
#: the horizon: rows of transactions that may still be running are not handed out (PostgreSQL)
_VISIBLE = text("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")


class ChangesArgs(Schema):
    after = fields.String(load_default=None, validate=validate.Length(max=200),
                          metadata={"description": "next_cursor of the previous answer; none: from the start of "
                                                   "the history (30 days)"})
    types = DelimitedList(fields.String(validate=EVENT_TYPE_GLOB), validate=validate.Length(max=20),
                          metadata={"description": "globs over event types, separated by commas "
                                                   "(org.unit.*,members.stage.*)"})
    under = fields.UUID(load_default=None, metadata={"description": "only events of this unit's subtree"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class EnvelopeOut(Schema):
    """An event as the broker carries it and a webhook receives it (docs/events.md)."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    occurred_at = fields.String(required=True, metadata={"description": "ISO 8601 with its offset"})
    source = fields.String(required=True)
    org_path = fields.String(allow_none=True, required=True)
    correlation_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "as the catalog's schema of the type and "
                                                              "version says"})


class ChangesPage(Schema):
    items = fields.List(fields.Nested(EnvelopeOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "where the next call starts (after=); null only when "
                                                         "the history is empty and no cursor was given"})
    more = fields.Boolean(required=True, metadata={"description": "true: more events are ready, call again now; "
                                                                 "false: this is the head, poll later"})


def changes_blueprint(service: str) -> Blueprint:
    blp = Blueprint("changes", __name__, url_prefix=f"/api/{service}/v1",
                    description="The change feed: this service's events in commit order, from its outbox "
                                "history (a platform pulls instead of being called)")

    @blp.route("/changes")
    class Changes(MethodView):
        @answers_gone
        @blp.doc(operationId=f"list{service.title()}Changes")  # unique in the gateway's merged document
        @blp.arguments(ChangesArgs, location="query")
        @blp.response(200, ChangesPage)
        def get(self, args):
            """The service's events after the cursor, in commit order, inside the caller's scope (and
            ``under``), of the given types. 410 when the cursor lies before the kept history."""
            require(*READERS)
            return read(args)

    return blp


# ----------------------------------------------------------------------------- reading

def _glob_like(glob: str) -> str:
    return glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")


def _position(row) -> tuple[int, int]:
    return (row.txid, row.id)


def read(args: dict) -> dict:
    kit = current_kit()
    Outbox = kit.models.OutboxEvent
    session = db_session()
    principal = current_principal()
    if principal.scope_path is None:  # a token scoped to a unit this service does not know (yet)
        raise not_found("unit")
    path = _under_path(kit, session, principal, args["under"]) if args.get("under") else principal.scope_path
    after = _cursor(args.get("after"))
    if after is not None:
        _check_kept(session, Outbox, after)
    stmt = select(Outbox.txid, Outbox.id, Outbox.envelope).where(*_filters(Outbox, path, args.get("types")))
    if kit.db.is_postgres:
        stmt = stmt.where(Outbox.txid < _VISIBLE)
    limit = args["limit"]
    items: list[dict] = []
    position = after
    scanned = 0
    more = False
    start = after[:2] if after is not None else None
    while True:
        chunk = stmt
        if start is not None:
            chunk = chunk.where(tuple_(Outbox.txid, Outbox.id) >= tuple_(*start))
        rows = session.execute(chunk.order_by(Outbox.txid, Outbox.id).limit(ROWS_AT_A_TIME)).all()
        for row in rows:
            envelopes = stored_envelopes(row.envelope)
            first = after[2] + 1 if after is not None and _position(row) == after[:2] else 0
            for index in range(first, len(envelopes)):
                if len(items) >= limit or scanned >= SCAN_EVENTS:
                    more = True
                    break
                scanned += 1
                position = (row.txid, row.id, index)
                envelope = envelopes[index]
                if _inside(envelope.get("org_path"), path) and _wanted(envelope["type"], args.get("types")):
                    items.append(envelope)
            if more:
                break
        if more or len(rows) < ROWS_AT_A_TIME:
            break
        start = (rows[-1].txid, rows[-1].id + 1)
    return {"items": items, "more": more,
            "next_cursor": encode_cursor(position) if position is not None else None}


def _under_path(kit, session, principal, unit_id) -> str:
    """The ``under`` unit's path, by the service's own way to a unit (org: its tree; the others: their copy
    of it); 404 unknown or outside the scope."""
    path = kit.scope_resolver(session, str(unit_id))
    if path is None or not principal.sees(path):
        raise not_found("unit")
    return path


def _cursor(after: str | None) -> tuple[int, int, int] | None:
    if not after:
        return None
    values = decode_cursor(after, 3)
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 63 for v in values):
        raise invalid("after", str(msg("changes-cursor-invalid")), location="query")
    return tuple(values)


def _check_kept(session, Outbox, after: tuple[int, int, int]) -> None:
    """410 when the cursor lies before the first row kept: events after it may have been purged."""
    first = session.execute(select(Outbox.txid, Outbox.id).order_by(Outbox.txid, Outbox.id).limit(1)).first()
    if first is not None and tuple(after[:2]) < _position(first):
        raise Problem(410, "Gone", msg("changes-cursor-expired", days=_days(current_kit().config)),
                      kind="changes-cursor-expired")


def _filters(Outbox, path: str, types: list[str] | None) -> list:
    """What the database can drop before the rows are read: other types, other subtrees. A packed row's
    ``org_path`` is its events' common ancestor: it may hold events of ``path`` when it lies above it."""
    filters = []
    if types:
        filters.append(or_(*(Outbox.type.like(_glob_like(glob), escape="\\") for glob in types)))
    if path != "/":
        filters.append(or_(and_(Outbox.org_path >= path, Outbox.org_path < path_upper_bound(path)),
                           func.substr(literal(path), 1, func.length(Outbox.org_path)) == Outbox.org_path))
    return filters


def _inside(org_path: str | None, path: str) -> bool:
    """An event of no unit is seen province-wide only (as a webhook subscription gets it)."""
    if org_path is None:
        return path == "/"
    return org_path.startswith(path)


def _wanted(type_: str, types: list[str] | None) -> bool:
    if not types:
        return True
    return any(matches(glob, type_) for glob in types)


def _days(config) -> int | float:
    days = config.changes_retention_days
    return int(days) if float(days).is_integer() else days


# ----------------------------------------------------------------------------- the history's end

def purge_history(app) -> dict:
    """The daily job: outbox rows written and sent more than the retention ago go, as a prefix of the feed's
    order (a row still unsent, or written since, stops it); the newest of them stays as the mark of where the
    history begins (a client whose cursor is on it missed nothing)."""
    kit = app.extensions["zhibu"]
    Outbox = kit.models.OutboxEvent
    cutoff = utcnow() - timedelta(days=kit.config.changes_retention_days)
    order = (Outbox.txid, Outbox.id)
    with kit.db.transaction() as session:
        kept = session.execute(select(*order).where(or_(Outbox.created_at >= cutoff, Outbox.sent_at.is_(None)))
                               .order_by(*order).limit(1)).first()
        old = select(*order).order_by(Outbox.txid.desc(), Outbox.id.desc()).limit(1)
        if kept is not None:
            old = old.where(tuple_(*order) < tuple_(*kept))
        mark = session.execute(old).first()
        if mark is None:
            return {"deleted": 0}
        deleted = session.execute(delete(Outbox).where(tuple_(*order) < tuple_(*mark))
                                  .execution_options(synchronize_session=False)).rowcount or 0
    return {"deleted": deleted}


PURGE_JOB = DailyJob("changes-purge", clock(3, 30), purge_history)
