"""Every write records who, when, what entity and what changed."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from .context import current_actor, current_request_id


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def record(session, AuditEntry, *, entity: str, entity_id, action: str, change: dict | None = None,
           actor: str | None = None) -> None:
    """Add an audit entry to ``session`` (the same transaction as the write it describes)."""
    session.add(AuditEntry(actor=actor or current_actor() or "system", entity=entity, entity_id=str(entity_id),
                           action=action, change=_plain(change or {}), request_id=current_request_id()))


def diff(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields that changed."""
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if before.get(k) != v}
