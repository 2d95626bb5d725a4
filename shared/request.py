"""What a view or a service function reaches during a request: the service's kit, the request's
database session, the caller, and the acts that join the request's transaction (events, audit entries).

Below ``app.py`` (which builds the app and runs the request cycle) and above the plumbing modules: it
imports ``errors``, ``auth`` and ``pii`` only, so that every kit module a view calls may import it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g, request

from .auth import Principal
from .audit import record
from .errors import Problem, not_found
from .pii import PiiCipher

if TYPE_CHECKING:
    from .app import ServiceKit


def current_kit() -> "ServiceKit":
    return current_app.extensions["zhibu"]


def rule_config() -> dict:
    """The *config* values of the rules (docs/rules.md) this service reads: the service's ``DEFAULTS`` in
    ``rules.py``, overridden by its section of ``ZHIBU_RULES_FILE``. Passed to the pure rule functions."""
    return current_app.config["RULES"]


#: requests that only read: their session never takes SQLite's write lock (``Database.ReadSession``)
READ_METHODS = frozenset({"GET", "HEAD"})


def db_session():
    """The request's session. The kit commits it after a successful view, else rolls it back. A GET's only
    reads: on SQLite it does not queue behind a writer (an import, a worker's batch) for the write lock."""
    if "db_session" not in g:
        db = current_kit().db
        g.db_session = (db.ReadSession if request.method in READ_METHODS else db.Session)()
    return g.db_session


def pii_cipher() -> PiiCipher:
    """The service's cipher for personal data at rest (AES-GCM under ``ZHIBU_PII_KEY``), made once."""
    kit = current_kit()
    if "pii" not in kit.extras:
        kit.extras["pii"] = PiiCipher(kit.config.pii_key)
    return kit.extras["pii"]


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise Problem(401, "Unauthorized", "an Authorization: Bearer token is required", kind="unauthorized")
    return principal


def unit_in_scope(unit_id, what: str = "unit"):
    """An org unit from this service's read-model, inside the caller's subtree; 404 when it is unknown here
    or outside the scope (the same answer for both)."""
    unit = db_session().get(current_kit().models.OrgUnitView, str(unit_id))
    if unit is None or not current_principal().sees(unit.path):
        raise not_found(what)
    return unit


def emit(type_: str, data: dict, *, org_path: str | None):
    """Write an event to the outbox in the request's transaction."""
    return current_kit().outbox.emit(db_session(), type_, data, org_path=org_path)


def emit_many(type_: str, items) -> int:
    """Many events of one type, ``items`` = [(data, org_path)], into the outbox in the request's transaction."""
    return current_kit().outbox.emit_many(db_session(), type_, items)


def require(*roles: str):
    """The caller must hold one of ``roles`` (403 otherwise)."""
    principal = current_principal()
    if not principal.has(*roles):
        raise Problem(403, "Forbidden", f"this needs one of the roles: {', '.join(roles)}", kind="forbidden")
    return principal


def audit(entity: str, entity_id, action: str, change: dict | None = None) -> None:
    """Record this request's write in the audit log, in the request's transaction."""
    record(db_session(), current_kit().models.AuditEntry, entity=entity, entity_id=entity_id,
           action=action, change=change)
