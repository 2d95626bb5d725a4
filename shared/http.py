"""The HTTP conventions (docs/architecture.md) as helpers every service uses.

- scope: a principal reads and writes only inside its subtree; outside it, 404;
- ``under=<unit id>`` subtree filters;
- cursor (keyset) pagination;
- ETag on reads and If-Match on updates;
"""
from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, tuple_
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import object_session

from .errors import Problem, not_found

# ----------------------------------------------------------------------------- scope and subtrees


def path_upper_bound(path: str) -> str:
    """The smallest string greater than every path that starts with ``path`` (which ends in '/')."""
    return path[:-1] + chr(ord(path[-1]) + 1)


def under_clause(column, path: str):
    """``column`` lies in the subtree at ``path``: a range scan on a byte-ordered index."""
    if path == "/":
        return column.is_not(None)
    return and_(column >= path, column < path_upper_bound(path))


def scope_clause(column, principal):
    if principal.scope_path is None:
        return column.is_(None) & column.is_not(None)  # sees nothing
    return under_clause(column, principal.scope_path)


def require_in_scope(principal, path: str | None, what: str = "resource") -> None:
    if not principal.sees(path):
        raise not_found(what)


def subtree_path(principal, under_path: str | None) -> str:
    """The path a list should cover: ``under`` if given (and inside scope), else the whole scope."""
    if principal.scope_path is None:
        raise not_found("unit")
    if under_path is None:
        return principal.scope_path
    if not under_path.startswith(principal.scope_path):
        raise not_found("unit")
    return under_path


# ----------------------------------------------------------------------------- cursor pagination

class PageArgs(Schema):
    cursor = fields.String(load_default=None, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


def encode_cursor(values: tuple) -> str:
    raw = json.dumps([v if isinstance(v, (int, float, str)) or v is None
                      else v.isoformat() if isinstance(v, (date, datetime)) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise Problem(422, "Unprocessable Content", "the cursor is not one this list gave out",
                      kind="validation", errors={"query": {"cursor": ["invalid cursor"]}})
    return values


def _typed(column, value):
    """A cursor value back in its column's Python type (dates travel as ISO text)."""
    if value is None:
        return None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is date:
            return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Problem(422, "Unprocessable Content", "the cursor is not one this list gave out",
                      kind="validation", errors={"query": {"cursor": ["invalid cursor"]}}) from None
    return value


def paginate(session, stmt, order_columns: list, *, cursor: str | None, limit: int,
             row_key=None) -> dict:
    """Keyset pagination over ``order_columns`` (ascending, the last one unique).

    Returns ``{"items": [...], "next_cursor": str | None}``; a cursor stays valid
    while rows are inserted or deleted elsewhere in the list.
    """
    if cursor:
        values = [_typed(column, value) for column, value in zip(order_columns,
                                                                  decode_cursor(cursor, len(order_columns)))]
        stmt = stmt.where(tuple_(*order_columns) > tuple_(*values))
    stmt = stmt.order_by(*order_columns).limit(limit + 1)
    rows = session.execute(stmt).scalars().all() if row_key is None else session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        key = row_key(last) if row_key else tuple(getattr(last, c.key) for c in order_columns)
        next_cursor = encode_cursor(key)
    return {"items": rows, "next_cursor": next_cursor}


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    name = item_schema.__name__.removesuffix("Schema").removesuffix("Out") + "Page"
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True, required=True),
    })


# ----------------------------------------------------------------------------- ETag / If-Match

def etag_of(entity_id: Any, version: int) -> str:
    return f'"{entity_id}.{version}"'


def check_if_match(entity_id: Any, version: int | None) -> None:
    """Updates must name the version they change: 428 without If-Match, 412 when it is stale, or when the
    record is gone (``version`` None: deleted by the writer that held its lock first; no ``current_etag``)."""
    given = request.headers.get("If-Match")
    if not given:
        raise Problem(428, "Precondition Required",
                      "send If-Match with the ETag you read, so that no one's change is overwritten",
                      kind="precondition-required")
    current = None if version is None else etag_of(entity_id, version)
    candidates = {t.strip().removeprefix("W/") for t in given.split(",")}
    if current is None or ("*" not in candidates and current not in candidates):
        raise Problem(412, "Precondition Failed",
                      "the record changed since you read it; read it again and re-apply your change",
                      kind="precondition-failed", **({} if current is None else {"current_etag": current}))


def locked(entity):
    """``entity`` read again under its row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the
    writing transaction already holds the database), fresh from the database: writers of one row queue
    here, so what the caller checks next is what its write will change."""
    session = object_session(entity)
    identity = sa_inspect(entity).identity
    # what this session read before is forgotten, so a newer committed version is loaded as it is (the
    # version check of a versioned row would refuse it as stale, without the ETag the client must read)
    session.expire(entity)
    return session.get(type(entity), identity[0] if len(identity) == 1 else identity,
                       with_for_update=True, populate_existing=True)


def if_match(entity, *, etag_id: Any = None, version_of=None):
    """The one way an update names what it changes: lock ``entity``'s row, then require ``If-Match`` to
    carry its current ETag (428 without, 412 when stale). Of N writers sending the same ETag at once,
    exactly one passes; the others wait for it here and then get 412 (a deletion's losers too: the row is
    gone). Returns the fresh entity.

    ``etag_id`` and ``version_of(entity)`` give the ETag of an entity whose tag is not its own id and
    version (a unit's support record answers under the unit's id)."""
    entity = locked(entity)
    if entity is None:  # deleted while this writer waited for the lock: what its ETag named is gone
        check_if_match(etag_id, None)
    check_if_match(entity.id if etag_id is None else etag_id,
                   entity.version if version_of is None else version_of(entity))
    return entity


def with_etag(entity, entity_id: Any = None, version: int | None = None):
    """A view's return value carrying the entity's ETag (flask-smorest accepts (data, headers)). The
    entity is a row or the dict a service presents it as (``id`` and ``version`` among its keys);
    ``entity_id`` and ``version`` name another tag (a unit's support record answers under the unit)."""
    if isinstance(entity, dict):
        entity_id = entity["id"] if entity_id is None else entity_id
        version = entity["version"] if version is None else version
    return entity, {"ETag": etag_of(entity_id if entity_id is not None else entity.id,
                                    version if version is not None else entity.version)}
