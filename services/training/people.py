"""People as training knows them: kept from members and org events, read within scope.

The members service tells us who a person is and where (each event carries the whole state
and ``person_version``); org committee events tell us who is a branch secretary or committee
member. From both we keep one ``category`` per person (rules.person_category), copied onto the
person's yearly hours rows so that coverage counts them without a join.
"""
from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, exists, insert, literal, or_, select, update

from shared.request import current_principal, db_session
from shared.db import expire_if_loaded
from shared.errors import not_found
from shared.http import require_in_scope, under_clause

from . import rules
from .models import Committee, Course, OrgUnitView, Person, PersonYearHours, RotationPlan, Seat, TrainingClass

# ----------------------------------------------------------------------------- members events


def apply_person_state(session, state: dict, event_path: str | None) -> None:
    """Upsert a person from a members event; an event older than what we hold changes nothing. One read (what
    we hold of the person, the unit's path, whether the person holds a seat) and one write: a person is
    registered many times a second and this runs for each."""
    person_id, unit_id = str(state["id"]), str(state["unit_id"])
    held = session.execute(_held_statement(), {"person": person_id, "unit": unit_id}).one()
    if held.person_version is not None and held.person_version >= state["person_version"]:
        return
    known = held.person_version is not None
    path = held.unit_path or event_path or (held.org_path if known and held.unit_id == unit_id else "")
    if known:
        role, secretary_since = held.leader_role, held.secretary_since
    else:  # seated before members told us of the person: the role is read from the seats now
        role, secretary_since = _role_from_seats(session, person_id) if held.seated else (None, None)
    values = {"unit_id": unit_id, "org_path": path, "name": state["name"], "stage": state["stage"],
              "status": state["status"], "full_member_since": state.get("full_member_since"),
              "probationary_since": state.get("probationary_since"), "person_version": state["person_version"],
              "leader_role": role, "secretary_since": secretary_since,
              "category": rules.person_category(state["stage"], state["status"], role)}
    table = Person.__table__
    if known:
        session.execute(update(table).where(table.c.id == person_id).values(values))
        expire_if_loaded(session, Person, person_id)  # as a committee event's role refresh may have loaded it
        # hours rows follow a person known here (a new one has none yet)
        _copy_to_year_rows(session, person_id, unit_id=unit_id, org_path=path, category=values["category"])
    else:
        session.execute(insert(table).values(id=person_id, **values))


@functools.lru_cache(maxsize=None)
def _held_statement():
    """What ``apply_person_state`` reads, in one statement: the person's row as held (all NULL when unknown),
    the path of the unit the event names, and whether the person holds any seat."""
    person = Person.__table__
    one = select(literal(1).label("one")).subquery()
    return (select(person.c.person_version, person.c.leader_role, person.c.secretary_since, person.c.unit_id,
                   person.c.org_path,
                   select(OrgUnitView.path).where(OrgUnitView.id == bindparam("unit")).scalar_subquery()
                   .label("unit_path"),
                   exists().where(Seat.person_id == bindparam("person")).label("seated"))
            .select_from(one.outerjoin(person, person.c.id == bindparam("person"))))


def _copy_to_year_rows(session, person_id: str, *, unit_id: str, org_path: str, category: str | None) -> None:
    """The person's hours rows (every year) follow the person: place and category."""
    session.execute(update(PersonYearHours).where(PersonYearHours.person_id == person_id)
                    .values(unit_id=unit_id, org_path=org_path, category=category)
                    .execution_options(synchronize_session=False))


# ----------------------------------------------------------------------------- org committee events


def apply_committee(session, data: dict) -> None:
    """Replace a unit's seats with the committee's full state; keep each holder's since-date.

    A unit has one current committee: a newer version of it, or a later-elected committee,
    replaces what we hold; an older event changes nothing.
    """
    unit_id = str(data["unit_id"])
    committee_id = str(data["committee_id"])
    current = session.get(Committee, unit_id)
    if current is not None:
        if current.committee_id == committee_id:
            if current.committee_version >= data["committee_version"]:
                return
        elif (current.elected_on, current.committee_id) > (data["elected_on"], committee_id):
            return
    old_seats = session.scalars(select(Seat).where(Seat.unit_id == unit_id)).all()
    held_since = {(s.role, s.person_id): s.since for s in old_seats}
    for seat in old_seats:
        session.delete(seat)
    unit_kind = session.scalar(select(OrgUnitView.kind).where(OrgUnitView.id == unit_id))
    if current is None:
        current = Committee(unit_id=unit_id)
        session.add(current)
    current.committee_id = committee_id
    current.unit_kind = unit_kind or current.unit_kind
    current.elected_on = data["elected_on"]
    current.committee_version = data["committee_version"]
    session.flush()
    affected = {s.person_id for s in old_seats}
    for seat in data["seats"]:
        if seat.get("person_id") is None:
            continue
        person_id = str(seat["person_id"])
        since = seat.get("since") or data["elected_on"]
        earlier = held_since.get((seat["role"], person_id))
        session.add(Seat(unit_id=unit_id, role=seat["role"], person_id=person_id,
                         since=min(since, earlier) if earlier else since))
        affected.add(person_id)
    session.flush()
    refresh_roles(session, affected)


def _role_from_seats(session, person_id: str):
    rows = session.execute(select(Seat.role, Committee.unit_kind, Seat.since)
                           .join(Committee, Committee.unit_id == Seat.unit_id)
                           .where(Seat.person_id == person_id)).all()
    role = rules.leader_role([(r.role, r.unit_kind) for r in rows])
    secretary_dates = [r.since for r in rows
                       if r.role == "secretary" and r.unit_kind not in rules.LEVEL_UNIT_KINDS and r.since]
    return role, (min(secretary_dates) if role == "secretary" and secretary_dates else None)


def refresh_roles(session, person_ids) -> None:
    """Recompute the committee role of these people from their seats."""
    for person_id in sorted(person_ids):
        person = session.get(Person, person_id)
        if person is None:
            continue  # seated before members told us of the person: the role is read when they arrive
        person.leader_role, person.secretary_since = _role_from_seats(session, person_id)
        person.category = rules.person_category(person.stage, person.status, person.leader_role)
        session.flush()
        _copy_to_year_rows(session, person_id, unit_id=person.unit_id, org_path=person.org_path,
                           category=person.category)


# ----------------------------------------------------------------------------- org unit events


def follow_units(session, unit_ids_stmt) -> None:
    """Give the people, hours rows, courses, classes and plans of these units their units' current
    paths (after a move, or when a unit becomes known after the people in it)."""
    def view_path(column):
        return select(OrgUnitView.path).where(OrgUnitView.id == column).scalar_subquery()

    moved_people = select(Person.id).where(Person.unit_id.in_(unit_ids_stmt))
    session.execute(update(Person).where(Person.unit_id.in_(unit_ids_stmt),
                                         Person.org_path != view_path(Person.unit_id))
                    .values(org_path=view_path(Person.unit_id)).execution_options(synchronize_session=False))
    person_path = select(Person.org_path).where(Person.id == PersonYearHours.person_id).scalar_subquery()
    session.execute(update(PersonYearHours).where(PersonYearHours.person_id.in_(moved_people),
                                                  PersonYearHours.org_path != person_path)
                    .values(org_path=person_path).execution_options(synchronize_session=False))
    for model, column in ((Course, Course.organizer_unit_id), (TrainingClass, TrainingClass.organizer_unit_id),
                          (RotationPlan, RotationPlan.county_id)):
        session.execute(update(model).where(column.in_(unit_ids_stmt), model.org_path != view_path(column))
                        .values(org_path=view_path(column)).execution_options(synchronize_session=False))
    session.expire_all()


_unit = bindparam("unit_id")
#: whether anything here names a unit, and whether it has a committee (built once: it runs for every new unit)
_UNIT_NAMED = select(
    or_(exists().where(Person.unit_id == _unit), exists().where(Course.organizer_unit_id == _unit),
        exists().where(TrainingClass.organizer_unit_id == _unit), exists().where(RotationPlan.county_id == _unit)),
    exists().where(Committee.unit_id == _unit))


def unit_known(session, unit_id: str) -> None:
    """A unit arrived: people placed in it before it was known take its path; a committee whose
    unit kind was unknown learns it (level committees give no branch role). One query first asks whether
    anything here names the unit (a new unit: nothing does), and the paths are rewritten only then."""
    named, has_committee = session.execute(_UNIT_NAMED, {"unit_id": unit_id}).one()
    if named:
        follow_units(session, select(OrgUnitView.id).where(OrgUnitView.id == unit_id))
    committee = session.get(Committee, unit_id) if has_committee else None
    if committee is None:
        return
    kind = session.scalar(select(OrgUnitView.kind).where(OrgUnitView.id == unit_id))
    if kind and committee.unit_kind != kind:
        committee.unit_kind = kind
        session.flush()
        refresh_roles(session, session.scalars(select(Seat.person_id).where(Seat.unit_id == unit_id)).all())


def subtree_moved(session, unit_id: str) -> None:
    path = session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == unit_id))
    if path:
        follow_units(session, select(OrgUnitView.id).where(under_clause(OrgUnitView.path, path)))


def unit_dissolved(session, unit_id: str, moved_to: str | None) -> None:
    """The members of a dissolved unit belong to ``moved_to`` from now on (org.unit.dissolved)."""
    if not moved_to:
        return
    people = session.scalars(select(Person).where(Person.unit_id == unit_id)).all()
    path = session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == moved_to))
    for person in people:
        person.unit_id = moved_to
        person.org_path = path or person.org_path
        session.flush()
        _copy_to_year_rows(session, person.id, unit_id=person.unit_id, org_path=person.org_path,
                           category=person.category)


# ----------------------------------------------------------------------------- reads


def get_in_scope(person_id) -> Person:
    person = db_session().get(Person, str(person_id))
    if person is None:
        raise not_found("person")
    require_in_scope(current_principal(), person.org_path, "person")
    return person


def in_subtree(person_ids: list[str], path: str) -> dict[str, Person]:
    """The people among ``person_ids`` whose unit lies in the subtree at ``path``."""
    if not person_ids:
        return {}
    rows = db_session().scalars(select(Person).where(and_(Person.id.in_(person_ids),
                                                          under_clause(Person.org_path, path)))).all()
    return {p.id: p for p in rows}
