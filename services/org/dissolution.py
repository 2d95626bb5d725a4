"""Dissolving a unit (撤销): its party groups go with it, its committee's term and its liaison points end,
and whoever is on its roll moves in the same act to ``members_moved_to``."""
from __future__ import annotations

from sqlalchemy import func, select

from shared.errors import Problem, invalid
from shared.request import audit, current_principal, db_session, emit
from shared.violations import RuleViolation

from . import committees, liaison, rules
from .models import GroupMember, RosterPerson, Unit
from .units import MEMBER_KINDS, active_in_scope, event_data, require_active


def people_on_roll(session, unit_id: str) -> int:
    return session.scalar(select(func.count()).select_from(RosterPerson)
                          .where(RosterPerson.unit_id == unit_id, RosterPerson.status != "left")) or 0


def dissolve(unit: Unit, fields: dict) -> Unit:
    """Dissolve a unit; whoever is on its roll moves in the same act to ``members_moved_to`` (the
    members service moves the people when it reads org.unit.dissolved)."""
    session = db_session()
    principal = current_principal()
    require_active(unit)
    if unit.path == principal.scope_path:
        raise Problem(403, "Forbidden", "the unit your scope is rooted at is dissolved from above", kind="forbidden")
    target = None
    if fields.get("members_moved_to") is not None:
        target = active_in_scope(fields["members_moved_to"], "members_moved_to")
        if target.path.startswith(unit.path):
            raise invalid("members_moved_to", "the members must move out of the dissolved unit's subtree")
        if target.kind not in MEMBER_KINDS:
            raise invalid("members_moved_to", f"a {target.kind} keeps no members; name a branch or a committee")
    sub_units = session.scalar(select(func.count()).select_from(Unit).where(
        Unit.parent_id == unit.id, Unit.status == "active", Unit.kind != "party_group")) or 0
    violations = [rules.dissolve_with_sub_units(unit.kind, sub_units),
                  rules.dissolve_members(people_on_roll(session, unit.id), target.id if target else None)]
    violations = [v for v in violations if v]
    if violations:
        raise RuleViolation(*violations)

    groups = session.scalars(select(Unit).where(Unit.parent_id == unit.id, Unit.kind == "party_group",
                                                Unit.status == "active")).all()
    for group in groups:
        _mark_dissolved(session, group, fields["dissolved_on"], None)
    _mark_dissolved(session, unit, fields["dissolved_on"], target)
    committees.end_with_unit(unit, fields["dissolved_on"])
    liaison.end_with_unit(unit, fields["dissolved_on"])
    audit("unit", unit.id, "dissolved", {"dissolved_on": fields["dissolved_on"], "reason": fields.get("reason"),
                                         "members_moved_to": target.id if target else None,
                                         "party_groups_dissolved": [g.id for g in groups]})
    return unit


def _mark_dissolved(session, unit: Unit, on, target: Unit | None) -> None:
    unit.status = "dissolved"
    unit.dissolved_on = on
    unit.version += 1
    session.execute(GroupMember.__table__.delete().where(GroupMember.group_id == unit.id))
    session.flush()
    emit("org.unit.dissolved", {**event_data(unit), "members_moved_to": target.id if target else None},
         org_path=unit.path)
