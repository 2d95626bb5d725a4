"""People: read and listed within scope, shown with their PII masked unless the role may see it, and
described in events by their whole state (``PersonState``)."""
from __future__ import annotations

from sqlalchemy import select

from shared import dates
from shared.request import current_principal, db_session, emit, unit_in_scope
from shared.request import pii_cipher as cipher  # noqa: F401 - the members modules reach it as people.cipher
from shared.errors import Problem, invalid_fields, not_found
from shared.http import paginate, require_in_scope, subtree_path, under_clause

from . import rules
from .models import Person

#: the columns a response shows as they are (PII is added by ``present``)
SHOWN = ("id", "unit_id", "org_path", "name", "gender", "ethnicity", "birth_date", "education", "occupation",
         "stage", "status", "classification", "reached_step", "applied_on", "activist_since", "target_since",
         "probationary_since", "probation_ends_on", "extensions", "full_member_since", "party_group",
         "out_of_contact_since", "suspended_on", "party_probation_since", "party_probation_until",
         "rights_restored_on", "correction_until", "left_on", "left_reason", "version")


def invalid(location: str = "json", **errors) -> Problem:
    """422 with field errors: ``invalid(date=["..."])``."""
    return invalid_fields(errors, location)


def get_in_scope(person_id, *, for_update: bool = False) -> Person:
    stmt = select(Person).where(Person.id == str(person_id))
    if for_update:
        stmt = stmt.with_for_update()
    person = db_session().scalar(stmt)
    if person is None:
        raise not_found("person")
    require_in_scope(current_principal(), person.org_path, "person")
    return person


def present(person: Person, today=None) -> dict:
    """A person as a response shows it: the national ID number and the phone masked unless the role may see PII."""
    view = {name: getattr(person, name) for name in SHOWN}
    clear = current_principal().may_see_pii
    if clear:
        view["id_number"] = cipher().decrypt(person.id_number_enc)
        view["phone"] = cipher().decrypt(person.phone_enc)
    else:
        view["id_number"] = person.id_number_masked
        view["phone"] = person.phone_masked
    view["pii_masked"] = not clear
    view["party_standing"] = {
        "since": person.full_member_since,
        "years": rules.party_standing_years(person.full_member_since, today or dates.today()),
    }
    return view


LISTED = ("id", "unit_id", "org_path", "name", "gender", "birth_date", "stage", "status", "classification",
          "reached_step", "probationary_since", "full_member_since", "version")


def summary(person: Person, clear: bool) -> dict:
    """A person as a list shows them (fewer fields than ``present``), PII masked unless ``clear``."""
    view = {name: getattr(person, name) for name in LISTED}
    if clear:
        pii = cipher()
        view["id_number"], view["phone"] = pii.decrypt(person.id_number_enc), pii.decrypt(person.phone_enc)
    else:
        view["id_number"], view["phone"] = person.id_number_masked, person.phone_masked
    view["pii_masked"] = not clear
    return view


def person_state(person: Person) -> dict:
    """The person's whole state, as every person event carries it (shared/catalog/members.py PersonState)."""
    return {"id": person.id, "unit_id": person.unit_id, "name": person.name, "stage": person.stage,
            "status": person.status, "full_member_since": person.full_member_since,
            "probationary_since": person.probationary_since, "classification": person.classification,
            "person_version": person.version}


def emit_person(type_: str, person: Person, **extra) -> None:
    emit(type_, {**person_state(person), **extra}, org_path=person.org_path)


def list_people(args: dict) -> dict:
    """One page of people in a subtree, in (org_path, id) order: a range scan of ix_people_org_path_id."""
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(Person).where(under_clause(Person.org_path, subtree_path(principal, under_path)))
    if args.get("stage"):
        stmt = stmt.where(Person.stage == args["stage"])
    if args.get("status"):
        stmt = stmt.where(Person.status == args["status"])
    page = paginate(db_session(), stmt, [Person.org_path, Person.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    clear = principal.may_see_pii
    page["items"] = [summary(p, clear) for p in page["items"]]
    return page
