"""The life of an org unit: created, changed, moved with its whole subtree, dissolved; read and
listed within the caller's scope."""
from __future__ import annotations

from sqlalchemy import String, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from shared.request import audit, current_principal, db_session, emit
from shared.audit import diff
from shared.errors import Problem, invalid, not_found
from shared.db import advisory_lock, is_unique_violation
from shared.http import if_match, locked, paginate, require_in_scope, subtree_path, under_clause
from shared.violations import RuleViolation

from . import rules
from .models import (Committee, Fund, GroupMember, Hearing, Leader, LiaisonPoint, LifeYear, Meeting, ReserveCandidate,
                     RosterPerson, ScreeningCampaign, ScreeningRecord, SecretaryReport, Support, UncoveredEntity, Unit)

#: every table whose rows carry a unit's path: a move rewrites them all under the old prefix
PATH_TABLES = (Unit, Committee, GroupMember, Meeting, LifeYear, UncoveredEntity, Leader, LiaisonPoint, Support, Fund,
               Hearing, ScreeningCampaign, ScreeningRecord, SecretaryReport, ReserveCandidate)
#: units that people can be registered in (and so can take over a dissolved unit's roll)
MEMBER_KINDS = ("grassroots_committee", "general_branch", "branch", "joint_branch")
EDITABLE = ("kind", "domain", "name", "code", "external_id", "established_on", "covered_units")


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


#: the org service resolves a token's scope in its own tree (the others in their copy of it)
SCOPE_RESOLVER = scope_path


def get_in_scope(unit_id, what: str = "unit") -> Unit:
    unit = db_session().scalar(select(Unit).where(Unit.id == str(unit_id)))
    if unit is None:
        raise not_found(what)
    require_in_scope(current_principal(), unit.path, what)
    return unit


def active_in_scope(unit_id, field: str) -> Unit:
    """A unit named in a request body: in scope (else 404) and active (else 422 on that field)."""
    unit = get_in_scope(unit_id)
    if unit.status != "active":
        raise invalid(field, "the unit is dissolved")
    return unit



def lock_tree(*, shared: bool = False) -> None:
    """Changes to the tree's shape (move, dissolve, import) run one at a time: each reads the paths and
    parents it builds on only after the one before it has committed, so two moves can never leave a unit's
    path under one parent and its ``parent_id`` under another, nor make a cycle. A creation only adds a leaf
    under a parent it reads: creations take the lock ``shared`` and run side by side, each still after (or
    before) every move and dissolution, never during one."""
    advisory_lock(db_session(), "org.tree", shared=shared)


def for_tree_change(unit_id) -> Unit:
    """The unit a move or dissolve changes: the tree locked first, then the unit's row, then If-Match."""
    lock_tree()
    return if_match(get_in_scope(unit_id))


def require_active(unit: Unit) -> None:
    if unit.status != "active":
        raise Problem(409, "Conflict", f"the unit was dissolved on {unit.dissolved_on}", kind="dissolved")


def subtree_path_for(under_id) -> str:
    """The subtree a list or report covers: ``under`` (inside the caller's scope) or the whole scope."""
    under_path = get_in_scope(under_id).path if under_id else None
    return subtree_path(current_principal(), under_path)


def create(fields: dict, *, parent: Unit | None = None) -> Unit:
    session = db_session()
    principal = current_principal()
    lock_tree(shared=True)
    if parent is not None:
        parent = locked(parent)
    if parent is None and fields.get("parent_id") is not None:
        parent = active_in_scope(fields["parent_id"], "parent_id")
    elif parent is None and not principal.province_wide:
        raise not_found("unit")  # only a province-wide admin may create a root
    violation = rules.unit_nesting(fields["kind"], parent.kind if parent else None)
    if violation:
        raise RuleViolation(violation)
    _code_is_free(fields["code"])
    unit = Unit(kind=fields["kind"], domain=fields.get("domain"), name=fields["name"], code=fields["code"],
                external_id=fields.get("external_id"), parent_id=parent.id if parent else None,
                established_on=fields.get("established_on"), covered_units=fields.get("covered_units"),
                status="active")
    session.add(unit)
    _flush_claiming_code(session)
    unit.key = to_base36(unit.seq)
    unit.path = (parent.path if parent else "/") + unit.key + "/"
    session.flush()
    audit("unit", unit.id, "created", {"kind": unit.kind, "name": unit.name, "code": unit.code,
                                       "parent_id": unit.parent_id})
    emit("org.unit.created", event_data(unit), org_path=unit.path)
    return unit


def _code_is_free(code: str, unit_id: str | None = None) -> None:
    owner = db_session().scalar(select(Unit.id).where(Unit.code == code))
    if owner is not None and owner != unit_id:
        raise invalid("code", "another unit already has this code")


def _flush_claiming_code(session) -> None:
    """Flush the unit; a code that a transaction running beside this one took after ``_code_is_free`` looked
    is refused as that check refuses it (422 on ``code``), not as a bare conflict."""
    try:
        session.flush()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise invalid("code", "another unit already has this code") from exc
        raise


def change(unit_id, fields: dict) -> Unit:
    """Change a unit's own fields (If-Match); a new kind must still nest under the parent and over the
    sub-units."""
    if "kind" in fields:  # first the tree, then the unit's row, as a move takes them: no unit is created
        lock_tree()       # under it (nor it moved) between the nesting checks below and the commit
    unit = if_match(get_in_scope(unit_id))
    session = db_session()
    require_active(unit)
    if "code" in fields:
        _code_is_free(fields["code"], unit.id)
    if "kind" in fields and fields["kind"] != unit.kind:
        parent_kind = session.scalar(select(Unit.kind).where(Unit.id == unit.parent_id)) if unit.parent_id else None
        violations = [rules.unit_nesting(fields["kind"], parent_kind)]
        child_kinds = session.scalars(select(Unit.kind).distinct().where(Unit.parent_id == unit.id,
                                                                          Unit.status == "active")).all()
        violations += [rules.unit_nesting(child_kind, fields["kind"]) for child_kind in sorted(child_kinds)]
        violations = [v for v in violations if v]
        if violations:
            raise RuleViolation(*violations)
    before = {name: getattr(unit, name) for name in EDITABLE}
    for name, value in fields.items():
        setattr(unit, name, value)
    change = diff(before, {name: getattr(unit, name) for name in EDITABLE})
    if not change:
        return unit
    unit.version += 1
    _flush_claiming_code(session)
    audit("unit", unit.id, "updated", change)
    emit("org.unit.updated", event_data(unit), org_path=unit.path)
    return unit


def move(unit: Unit, parent_id) -> Unit:
    """Re-parent a unit: every path in its subtree, in every table, changes in this one transaction."""
    session = db_session()
    principal = current_principal()
    require_active(unit)
    if unit.path == principal.scope_path:
        raise Problem(403, "Forbidden", "the unit your scope is rooted at is moved from above", kind="forbidden")
    if unit.kind == "party_group":
        raise invalid("parent_id", "a party group stays in its branch; set up a new group in the other branch")
    parent = active_in_scope(parent_id, "parent_id")
    if parent.path.startswith(unit.path):
        raise invalid("parent_id", "a unit cannot move under itself or its own sub-units")
    if parent.id == unit.parent_id:
        return unit
    violation = rules.unit_nesting(unit.kind, parent.kind)
    if violation:
        raise RuleViolation(violation)
    old_path, old_parent = unit.path, unit.parent_id
    new_path = parent.path + unit.key + "/"
    moved = rewrite_paths(session, old_path, new_path)
    unit = session.get(Unit, unit.seq)
    unit.parent_id = parent.id
    unit.version += 1
    session.flush()
    audit("unit", unit.id, "moved", {"parent_id": [old_parent, parent.id], "path": [old_path, new_path],
                                     "units_moved": moved})
    emit("org.unit.moved", {**event_data(unit), "old_path": old_path}, org_path=unit.path)
    return unit


def rewrite_paths(session, old_path: str, new_path: str) -> int:
    """One set-wise UPDATE per table: each path under ``old_path`` now starts with ``new_path``."""
    moved = 0
    for model in PATH_TABLES:
        result = session.execute(
            update(model)
            .where(under_clause(model.path, old_path))
            .values(path=literal(new_path, String).concat(func.substr(model.path, len(old_path) + 1)))
            .execution_options(synchronize_session=False)
        )
        if model is Unit:
            moved = result.rowcount
    session.expire_all()
    return moved


def list_units(args: dict) -> dict:
    session = db_session()
    stmt = select(Unit).where(under_clause(Unit.path, subtree_path_for(args.get("under"))))
    for name in ("kind", "status", "domain", "code"):
        if args.get(name):
            stmt = stmt.where(getattr(Unit, name) == args[name])
    return paginate(session, stmt, [Unit.path], cursor=args.get("cursor"), limit=args["limit"])


def roster(unit: Unit, args: dict) -> dict:
    """The people the org service knows on this unit's roll (from members events)."""
    stmt = select(RosterPerson).where(RosterPerson.unit_id == unit.id, RosterPerson.status != "left")
    return paginate(db_session(), stmt, [RosterPerson.person_id], cursor=args.get("cursor"), limit=args["limit"])
