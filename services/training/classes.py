"""Classes, their sessions and who is enrolled in them.

A class belongs to its organizing unit (a province, city, county or township) and is seen only
within that unit's scope; it enrols people of the organizer's subtree, up to its capacity
(TRAIN.CAPACITY). Rotation classes for secretaries are run at county level or higher
(TRAIN.SECRETARY_ROTATION).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared.request import audit, current_principal, db_session, emit, rule_config, unit_in_scope
from shared.db import utcnow
from shared.errors import Problem, not_found
from shared.http import paginate, require_in_scope, subtree_path, under_clause
from shared.violations import RuleViolation

from . import courses, people, rules, units
from .models import ClassSession, Enrollment, Person, TrainingClass


def get_in_scope(class_id, *, for_update: bool = False) -> TrainingClass:
    """The class, if the caller sees it (404 otherwise); ``for_update`` locks its row on PostgreSQL
    so that two enrolments at once cannot both take the last place."""
    cls = db_session().get(TrainingClass, str(class_id), with_for_update=for_update or None)
    if cls is None:
        raise not_found("class")
    require_in_scope(current_principal(), cls.org_path, "class")
    return cls


def _new_session(cls: TrainingClass, fields: dict) -> ClassSession:
    held_on = rules.session_day(fields["starts_at"])
    return ClassSession(class_id=cls.id, title=fields.get("title"), starts_at=fields["starts_at"],
                        ends_at=fields["ends_at"], held_on=held_on, year=held_on.year, hours=fields["hours"])


def create(fields: dict) -> TrainingClass:
    session = db_session()
    organizer = units.organizer_in_scope(fields["organizer_unit_id"])
    course = courses.get_in_scope(fields["course_id"]) if fields.get("course_id") else None
    violation = rules.rotation_organizer(fields["kind"], organizer.kind,
                                         rule_config()["rotation_levels"])
    if violation:
        raise RuleViolation(violation)
    cls = TrainingClass(kind=fields["kind"], title=fields["title"], course_id=course.id if course else None,
                        organizer_unit_id=organizer.id, org_path=organizer.path, level=organizer.kind,
                        starts_on=fields["starts_on"], ends_on=fields["ends_on"], capacity=fields["capacity"],
                        enrolled=0, place=fields.get("place"), online=fields["online"])
    session.add(cls)
    session.flush()
    for spec in fields["sessions"]:
        cls.sessions.append(_new_session(cls, spec))
    session.flush()
    audit("class", cls.id, "created", {"kind": cls.kind, "organizer_unit_id": organizer.id,
                                       "starts_on": cls.starts_on, "ends_on": cls.ends_on,
                                       "capacity": cls.capacity, "sessions": len(cls.sessions)})
    emit("training.class.created", {"class_id": cls.id, "kind": cls.kind, "organizer_unit_id": organizer.id,
                                    "level": cls.level, "starts_on": cls.starts_on, "ends_on": cls.ends_on,
                                    "capacity": cls.capacity}, org_path=cls.org_path)
    return cls


def update(cls: TrainingClass, changes: dict) -> TrainingClass:
    """Title, capacity, place, online. Capacity never drops below the people enrolled."""
    if "capacity" in changes:
        violation = rules.capacity(cls.enrolled, 0, changes["capacity"])
        if violation:
            raise RuleViolation(violation)
    online = changes.get("online", cls.online)
    place = changes.get("place", cls.place)
    if not online and not place:
        raise Problem(422, "Unprocessable Content", "an offline class needs a place", kind="validation",
                      errors={"json": {"place": ["an offline class needs a place"]}})
    before = {k: getattr(cls, k) for k in changes}
    for key, value in changes.items():
        setattr(cls, key, value)
    cls.version += 1
    db_session().flush()
    audit("class", cls.id, "updated", {k: [before[k], v] for k, v in changes.items() if before[k] != v})
    return cls


def add_session(cls: TrainingClass, fields: dict) -> TrainingClass:
    day = rules.session_day(fields["starts_at"])
    if not cls.starts_on <= day <= cls.ends_on:
        raise Problem(422, "Unprocessable Content", "the session lies outside the class dates", kind="validation",
                      errors={"json": {"starts_at": [f"the session starts on {day}, outside the class dates "
                                                     f"{cls.starts_on} to {cls.ends_on}"]}})
    cls.sessions.append(_new_session(cls, fields))
    cls.version += 1
    db_session().flush()
    audit("class", cls.id, "session_added", {"starts_at": fields["starts_at"], "hours": fields["hours"]})
    return cls


def list_classes(args: dict) -> dict:
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(TrainingClass).where(
        under_clause(TrainingClass.org_path, subtree_path(current_principal(), under_path)))
    if args.get("kind"):
        stmt = stmt.where(TrainingClass.kind == args["kind"])
    if args.get("year"):
        stmt = stmt.where(TrainingClass.starts_on.between(date(args["year"], 1, 1), date(args["year"], 12, 31)))
    return paginate(db_session(), stmt, [TrainingClass.org_path, TrainingClass.id], cursor=args.get("cursor"),
                    limit=args["limit"])


# ----------------------------------------------------------------------------- enrolment


def people_of_class(cls: TrainingClass, person_ids, *, active_only: bool = True) -> list[Person]:
    """The people named, each of whom must lie in the organizer's subtree (else 404: one cannot
    even learn that a person of another county exists) and, for an enrolment, be active."""
    wanted = list(dict.fromkeys(str(p) for p in person_ids))
    found = people.in_subtree(wanted, cls.org_path)
    if len(found) != len(wanted):
        raise not_found("person")
    inactive = [pid for pid in wanted if active_only and found[pid].status != "active"]
    if inactive:
        raise Problem(422, "Unprocessable Content", "some people are not active members of the party",
                      kind="validation",
                      errors={"json": {"person_ids": [f"{pid} is {found[pid].status}" for pid in inactive]}})
    return [found[pid] for pid in wanted]


def enrol_people(cls: TrainingClass, persons: list[Person], *, source: str = "manual",
                 plan_id: str | None = None) -> tuple[list[Enrollment], int]:
    """Enrol these people (those already enrolled stay as they are); all or nothing against capacity."""
    session = db_session()
    existing = {e.person_id: e for e in session.scalars(
        select(Enrollment).where(Enrollment.class_id == cls.id,
                                 Enrollment.person_id.in_([p.id for p in persons])))}
    adding = [p for p in persons if p.id not in existing or existing[p.id].status != "enrolled"]
    violation = rules.capacity(cls.enrolled, len(adding), cls.capacity)
    if violation:
        raise RuleViolation(violation)
    now = utcnow()
    for person in adding:
        enrollment = existing.get(person.id)
        if enrollment is None:
            enrollment = Enrollment(class_id=cls.id, person_id=person.id)
            session.add(enrollment)
            existing[person.id] = enrollment
        enrollment.unit_id = person.unit_id
        enrollment.status = "enrolled"
        enrollment.source = source
        enrollment.plan_id = plan_id
        enrollment.changed_at = now
        emit("training.enrollment.changed", {"class_id": cls.id, "person_id": person.id, "unit_id": person.unit_id,
                                             "enrolled": True}, org_path=person.org_path)
    cls.enrolled += len(adding)
    session.flush()
    if adding:
        audit("class", cls.id, "enrolled", {"person_ids": [p.id for p in adding], "source": source,
                                            "plan_id": plan_id})
    return [existing[p.id] for p in persons], len(adding)


def enrol(class_id, person_ids) -> dict:
    cls = get_in_scope(class_id, for_update=True)
    persons = people_of_class(cls, person_ids)
    enrollments, added = enrol_people(cls, persons)
    names = {p.id: p.name for p in persons}
    return {"items": [enrollment_out(e, names.get(e.person_id)) for e in enrollments], "added": added}


def withdraw(class_id, person_id) -> None:
    cls = get_in_scope(class_id, for_update=True)
    person = people.get_in_scope(person_id)
    enrollment = db_session().get(Enrollment, (cls.id, person.id))
    if enrollment is None or enrollment.status != "enrolled":
        raise not_found("enrollment")
    enrollment.status = "withdrawn"
    enrollment.changed_at = utcnow()
    cls.enrolled -= 1
    db_session().flush()
    audit("class", cls.id, "withdrawn", {"person_id": person.id})
    emit("training.enrollment.changed", {"class_id": cls.id, "person_id": person.id, "unit_id": person.unit_id,
                                         "enrolled": False}, org_path=person.org_path)


def enrollment_out(enrollment: Enrollment, name: str | None) -> dict:
    return {"class_id": enrollment.class_id, "person_id": enrollment.person_id, "unit_id": enrollment.unit_id,
            "name": name, "status": enrollment.status, "source": enrollment.source,
            "plan_id": enrollment.plan_id, "changed_at": enrollment.changed_at}


def list_enrollments(class_id, args: dict) -> dict:
    """The class's enrolments; people who moved out of the caller's scope are not shown."""
    cls = get_in_scope(class_id)
    principal = current_principal()
    stmt = (select(Enrollment, Person.name)
            .join(Person, Person.id == Enrollment.person_id)
            .where(Enrollment.class_id == cls.id, Enrollment.status == args["status"],
                   under_clause(Person.org_path, principal.scope_path)))
    page = paginate(db_session(), stmt, [Enrollment.person_id], cursor=args.get("cursor"), limit=args["limit"],
                    row_key=lambda row: (row[0].person_id,))
    return {"items": [enrollment_out(e, name) for e, name in page["items"]], "next_cursor": page["next_cursor"]}
