"""The life of an org unit: created, read, listed within the caller's scope."""
from __future__ import annotations

from sqlalchemy import select

from shared.app import audit, current_principal, db_session, emit
from shared.errors import not_found
from shared.http import paginate, require_in_scope, subtree_path, under_clause
from shared.violations import RuleViolation

from . import rules
from .models import Unit


def to_base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
        if number == 0:
            return out


def event_data(unit: Unit) -> dict:
    return {"id": unit.id, "key": unit.key, "path": unit.path, "parent_id": unit.parent_id, "kind": unit.kind,
            "domain": unit.domain, "name": unit.name, "code": unit.code, "status": unit.status,
            "established_on": unit.established_on, "unit_version": unit.version}


def scope_path(session, unit_id: str) -> str | None:
    """The path of the unit a token is scoped to (the org service reads its own tree)."""
    return session.scalar(select(Unit.path).where(Unit.id == str(unit_id)))


def get_in_scope(unit_id) -> Unit:
    unit = db_session().scalar(select(Unit).where(Unit.id == str(unit_id)))
    if unit is None:
        raise not_found("unit")
    require_in_scope(current_principal(), unit.path, "unit")
    return unit


def create(fields: dict) -> Unit:
    session = db_session()
    principal = current_principal()
    parent = None
    if fields.get("parent_id") is not None:
        parent = get_in_scope(fields["parent_id"])
    elif not principal.province_wide:
        raise not_found("unit")  # only a province-wide admin may create a root
    violation = rules.unit_nesting(fields["kind"], parent.kind if parent else None)
    if violation:
        raise RuleViolation(violation)
    unit = Unit(kind=fields["kind"], domain=fields.get("domain"), name=fields["name"], code=fields["code"],
                external_id=fields.get("external_id"), parent_id=parent.id if parent else None,
                established_on=fields.get("established_on"), status="active")
    session.add(unit)
    session.flush()
    unit.key = to_base36(unit.seq)
    unit.path = (parent.path if parent else "/") + unit.key + "/"
    session.flush()
    audit("unit", unit.id, "created", {"kind": unit.kind, "name": unit.name, "code": unit.code,
                                       "parent_id": unit.parent_id})
    emit("org.unit.created", event_data(unit), org_path=unit.path)
    return unit


def list_units(args: dict) -> dict:
    session = db_session()
    principal = current_principal()
    under_path = get_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(Unit).where(under_clause(Unit.path, subtree_path(principal, under_path)))
    if args.get("kind"):
        stmt = stmt.where(Unit.kind == args["kind"])
    if args.get("status"):
        stmt = stmt.where(Unit.status == args["status"])
    return paginate(session, stmt, [Unit.path], cursor=args.get("cursor"), limit=args["limit"])
