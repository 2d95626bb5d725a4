"""People: registered in a unit known from org events, read and listed within scope."""
from __future__ import annotations

from sqlalchemy import select

from shared.app import audit, current_principal, db_session, emit
from shared.errors import Problem, not_found
from shared.http import paginate, require_in_scope, subtree_path, under_clause

from .models import OrgUnitView, Person


def unit_in_scope(unit_id) -> OrgUnitView:
    unit = db_session().get(OrgUnitView, str(unit_id))
    if unit is None or not current_principal().sees(unit.path):
        raise not_found("unit")
    return unit


def get_in_scope(person_id) -> Person:
    person = db_session().get(Person, str(person_id))
    if person is None:
        raise not_found("person")
    require_in_scope(current_principal(), person.org_path, "person")
    return person


def create(fields: dict) -> Person:
    session = db_session()
    unit = unit_in_scope(fields["unit_id"])
    if unit.status != "active":
        raise Problem(422, "Unprocessable Content", "the unit is dissolved", kind="validation",
                      errors={"json": {"unit_id": ["the unit is dissolved"]}})
    person = Person(unit_id=unit.id, org_path=unit.path, name=fields["name"], gender=fields["gender"],
                    birth_date=fields["birth_date"], stage=fields["stage"], status="active")
    session.add(person)
    session.flush()
    audit("person", person.id, "created", {"unit_id": unit.id, "stage": person.stage})
    emit("members.person.created", {"id": person.id, "unit_id": unit.id, "name": person.name,
                                    "stage": person.stage, "status": person.status, "full_member_since": None,
                                    "probationary_since": None, "classification": None,
                                    "person_version": person.version}, org_path=unit.path)
    return person


def list_people(args: dict) -> dict:
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(Person).where(under_clause(Person.org_path, subtree_path(principal, under_path)))
    if args.get("stage"):
        stmt = stmt.where(Person.stage == args["stage"])
    return paginate(db_session(), stmt, [Person.org_path, Person.id], cursor=args.get("cursor"),
                    limit=args["limit"])
