"""Uncovered entities (ORG.UNCOVERED): each entity that should have a party organization, the
party-building instructor assigned to it, and its status until a branch is set up."""
from __future__ import annotations

from sqlalchemy import select

from shared.request import audit, current_principal, db_session
from shared.audit import diff
from shared.errors import Problem, invalid, not_found
from shared.http import if_match, paginate, require_in_scope, under_clause

from . import rules
from .models import UncoveredEntity
from .units import active_in_scope, subtree_path_for

FIELDS = ("name", "employees", "party_members", "instructor_name", "instructor_title", "instructor_assigned_on",
          "status", "covered_by_unit_id", "covered_on", "closed_on")


def get_in_scope(entity_id) -> UncoveredEntity:
    entity = db_session().get(UncoveredEntity, str(entity_id))
    if entity is None:
        raise not_found("uncovered entity")
    require_in_scope(current_principal(), entity.path, "uncovered entity")
    return entity


def create(fields: dict) -> UncoveredEntity:
    session = db_session()
    unit = active_in_scope(fields["unit_id"], "unit_id")
    if fields.get("credit_code") and session.scalar(
            select(UncoveredEntity.id).where(UncoveredEntity.credit_code == fields["credit_code"])):
        raise invalid("credit_code", "an entity with this credit code is already listed")
    _instructor_complete(fields)
    entity = UncoveredEntity(unit_id=unit.id, path=unit.path, status="uncovered",
                             **{k: fields.get(k) for k in ("name", "domain", "credit_code", "employees",
                                                           "party_members", "instructor_name", "instructor_title",
                                                           "instructor_assigned_on")})
    session.add(entity)
    session.flush()
    audit("uncovered_entity", entity.id, "created", {k: fields.get(k) for k in ("name", "domain", "instructor_name")})
    return entity


def _instructor_complete(fields: dict) -> None:
    if fields.get("instructor_name") and not fields.get("instructor_assigned_on"):
        raise invalid("instructor_assigned_on", "give the date the instructor was assigned")


def update(entity_id, fields: dict) -> UncoveredEntity:
    """Assign or change the instructor; record that a branch now covers it, or that it closed (If-Match)."""
    entity = if_match(get_in_scope(entity_id))
    session = db_session()
    if entity.status != "uncovered":
        raise Problem(409, "Conflict", f"the entity is {entity.status}; its record is closed", kind="closed")
    before = {k: getattr(entity, k) for k in FIELDS}
    if "instructor_name" in fields:
        merged = {"instructor_name": fields["instructor_name"],
                  "instructor_assigned_on": fields.get("instructor_assigned_on", entity.instructor_assigned_on)}
        _instructor_complete(merged)
    if "covered_by_unit_id" in fields:
        branch = active_in_scope(fields["covered_by_unit_id"], "covered_by_unit_id")
        if branch.kind not in rules.COMMITTEE_KINDS:
            raise invalid("covered_by_unit_id", f"a {branch.kind} does not cover an entity; name its branch")
        if not fields.get("covered_on"):
            raise invalid("covered_on", "give the date the branch was set up")
        fields = {**fields, "covered_by_unit_id": branch.id, "status": "covered"}
    elif "covered_on" in fields:
        raise invalid("covered_by_unit_id", "name the branch that now covers the entity")
    if "closed_on" in fields:
        fields = {**fields, "status": "closed"}
    for key, value in fields.items():
        setattr(entity, key, value)
    change = diff(before, {k: getattr(entity, k) for k in FIELDS})
    if change:
        entity.version += 1
        session.flush()
        audit("uncovered_entity", entity.id, "updated", change)
    return entity


def list_entities(args: dict) -> dict:
    stmt = select(UncoveredEntity).where(under_clause(UncoveredEntity.path, subtree_path_for(args.get("under"))))
    if args.get("status"):
        stmt = stmt.where(UncoveredEntity.status == args["status"])
    if args.get("instructor") is True:
        stmt = stmt.where(UncoveredEntity.instructor_name.is_not(None))
    elif args.get("instructor") is False:
        stmt = stmt.where(UncoveredEntity.instructor_name.is_(None))
    return paginate(db_session(), stmt, [UncoveredEntity.path, UncoveredEntity.id], cursor=args.get("cursor"),
                    limit=args["limit"])
