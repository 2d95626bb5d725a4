"""Attendance: a session's class hours credited to each enrolled person who came, once.

One request does, in one transaction:
1. write one attendance row per person with ``ON CONFLICT DO NOTHING`` on (session, person):
   whoever was recorded before (or by a concurrent request) is not credited again;
2. add the session's hours to each newly credited person's yearly row (an upsert, so the year's
   total is always the sum of distinct sessions) in the year of the session's start date;
3. publish training.attendance.recorded with the year's total, and training.requirement.met
   for each requirement this attendance completes (each once: its row is the guard).

A class's completion (结业) and its assessment are recorded per person (``complete``): a development
target's centralized training is reported to members once it is completed and passed.
"""
from __future__ import annotations

from sqlalchemy import distinct, func, or_, select

from shared.request import audit, current_principal, db_session, emit, rule_config
from shared.dates import add_months, today
from shared.db import insert_for, utcnow
from shared.errors import invalid
from shared.messages import msg
from shared.http import paginate, under_clause

from . import classes, rules
from .models import (Attendance, ClassSession, Completion, Enrollment, Person, PersonYearHours, RequirementMet,
                     TrainingClass)

#: rows per INSERT (SQLite allows 32,766 bound values in one statement)
CHUNK = 1000


def record(class_id, fields: dict) -> tuple[dict, bool]:
    """Record who attended a session; returns the result and whether anyone was newly credited."""
    session = db_session()
    cls = classes.get_in_scope(class_id)
    class_session = session.get(ClassSession, str(fields["session_id"]))
    if class_session is None or class_session.class_id != cls.id:
        raise invalid("session_id", "not a session of this class")
    if class_session.starts_at > utcnow():
        raise invalid("session_id", f"the session has not begun (it starts at {class_session.starts_at.isoformat()})")
    persons = classes.people_of_class(cls, fields["person_ids"], active_only=False)
    enrolled = set(session.scalars(select(Enrollment.person_id).where(
        Enrollment.class_id == cls.id, Enrollment.status == "enrolled",
        Enrollment.person_id.in_([p.id for p in persons]))))
    strangers = [p.id for p in persons if p.id not in enrolled]
    if strangers:
        raise invalid("person_ids", *[f"{pid} is not enrolled in this class" for pid in strangers])

    # every row this writes (attendance, yearly hours, requirements met) in the people's id order: two
    # records of the same people listed in other orders wait for each other instead of deadlocking
    in_lock_order = sorted(persons, key=lambda p: p.id)
    credited_ids = _write_attendance(session, cls, class_session, in_lock_order)
    credited = [p for p in in_lock_order if p.id in credited_ids]
    totals = _add_hours(session, cls, class_session, credited)
    for person in credited:
        emit("training.attendance.recorded", {
            "class_id": cls.id, "session_id": class_session.id, "kind": cls.kind, "person_id": person.id,
            "unit_id": person.unit_id, "attended_on": class_session.held_on, "year": class_session.year,
            "hours": class_session.hours, "year_hours": totals[person.id][0]}, org_path=person.org_path)
        _requirements_met(session, cls, class_session, person, *totals[person.id])
    if credited:
        audit("attendance", class_session.id, "recorded", {"class_id": cls.id, "hours": class_session.hours,
                                                          "person_ids": [p.id for p in credited]})
    result = {"class_id": cls.id, "session_id": class_session.id, "year": class_session.year,
              "hours": class_session.hours,
              "credited": [{"person_id": p.id, "year_hours": totals[p.id][0]} for p in persons if p.id in credited_ids],
              "already_recorded": [p.id for p in persons if p.id not in credited_ids]}
    return result, bool(credited)



def _write_attendance(session, cls: TrainingClass, class_session: ClassSession, persons: list[Person]) -> set[str]:
    """Insert the attendance rows; the ids returned are the people credited by this call only."""
    now = utcnow()
    credited: set[str] = set()
    for start in range(0, len(persons), CHUNK):
        rows = [{"session_id": class_session.id, "class_id": cls.id, "kind": cls.kind, "person_id": p.id,
                 "unit_id": p.unit_id, "attended_on": class_session.held_on, "year": class_session.year,
                 "hours": class_session.hours, "recorded_at": now} for p in persons[start:start + CHUNK]]
        stmt = (insert_for(session, Attendance).values(rows)
                .on_conflict_do_nothing(index_elements=["session_id", "person_id"])
                .returning(Attendance.person_id))
        credited.update(session.execute(stmt).scalars())
    return credited


def _add_hours(session, cls: TrainingClass, class_session: ClassSession,
               persons: list[Person]) -> dict[str, tuple[float, bool]]:
    """Add the session's hours to each person's row for its year: {person: (year hours, trained)}."""
    table = PersonYearHours.__table__
    totals: dict[str, tuple[float, bool]] = {}
    trained = cls.kind not in rules.NOT_MEMBER_TRAINING
    for start in range(0, len(persons), CHUNK):
        rows = [{"person_id": p.id, "year": class_session.year, "unit_id": p.unit_id, "org_path": p.org_path,
                 "category": p.category, "hours": class_session.hours, "sessions": 1, "trained": trained,
                 "rotated": cls.kind == "secretary_rotation"} for p in persons[start:start + CHUNK]]
        if not rows:
            break
        stmt = insert_for(session, table).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["person_id", "year"],
            set_={"hours": table.c.hours + stmt.excluded.hours, "sessions": table.c.sessions + 1,
                  "trained": or_(table.c.trained, stmt.excluded.trained),
                  "rotated": or_(table.c.rotated, stmt.excluded.rotated)},
        ).returning(table.c.person_id, table.c.hours, table.c.trained)
        for person_id, hours, was_trained in session.execute(stmt):
            totals[person_id] = (hours, bool(was_trained))
    return totals


# ----------------------------------------------------------------------------- requirements met


def _requirements_met(session, cls: TrainingClass, class_session: ClassSession, person: Person,
                      year_hours: float, trained: bool) -> None:
    """Publish training.requirement.met for what this attendance completes (each requirement once)."""
    config = rule_config()
    day, year = class_session.held_on, class_session.year
    before = year_hours - class_session.hours
    category = person.category
    if category is not None and before < config["member_hours"] <= year_hours:
        _met(session, person, "member_hours", str(year), year, day, year_hours)
    if (category in ("secretary", "leader") and before < config["leader_hours"]
            and rules.leader_hours(year_hours, config["leader_hours"], year, trained) is None):
        _met(session, person, "leader_hours", str(year), year, day, year_hours)
    if cls.kind == "secretary_rotation" and category == "secretary" and cls.level in config["rotation_levels"]:
        _met(session, person, "secretary_rotation", str(year), year, day, year_hours)
    since = person.secretary_since
    if cls.kind in rules.NEW_SECRETARY_KINDS and category == "secretary" and since and day >= since:
        months = config["new_secretary_months"]
        late = rules.new_secretary(since, day, today(), months)
        _met(session, person, "new_secretary", f"post:{since.isoformat()}", year, day, year_hours,
             due_on=add_months(since, months), breach=late.code if late else None)
    admitted = person.probationary_since
    if cls.kind in rules.NEW_MEMBER_KINDS and admitted and day >= admitted:
        months = config["new_member_months"]
        late = rules.new_member(admitted, day, today(), months)
        _met(session, person, "new_member", "once", year, day, year_hours,
             due_on=add_months(admitted, months), breach=late.code if late else None)
    if cls.kind == "target_training":
        _target_training(session, person, year, day, config)


def _target_training(session, person: Person, year: int, day, config) -> None:
    """MEMBERS.TARGET_TRAINING is the members service's gate; training tells it, once, that a
    development target's centralized training was completed and passed (结业) and reached 3 days or
    24 class hours; the day it reports is the completion's."""
    done = session.scalar(select(RequirementMet.person_id).where(
        RequirementMet.person_id == person.id, RequirementMet.requirement == "target_training"))
    if done:
        return
    completed_on = session.scalar(select(func.max(Completion.completed_on)).where(
        Completion.person_id == person.id, Completion.kind == "target_training", Completion.assessment == "passed"))
    hours, days = session.execute(
        select(func.coalesce(func.sum(Attendance.hours), 0.0), func.count(distinct(Attendance.attended_on)))
        .where(Attendance.person_id == person.id, Attendance.kind == "target_training")).one()
    if rules.target_training_passed(completed_on is not None, hours, days, config["target_training_hours"],
                                    config["target_training_days"]):
        on = max(completed_on, day)
        _met(session, person, "target_training", "once", on.year, on, hours, days=days)


# ----------------------------------------------------------------------------- completions (结业)


def complete(class_id, fields: dict) -> dict:
    """Record who completed the class and how their assessment went; a make-up assessment replaces the
    one before. A passed development-target class tells members (training.requirement.met)."""
    session = db_session()
    cls = classes.get_in_scope(class_id, for_update=True)
    items = {str(i["person_id"]): i for i in fields["items"]}
    persons = sorted(classes.people_of_class(cls, list(items), active_only=False), key=lambda p: p.id)
    attended = set(session.scalars(select(Attendance.person_id).distinct().where(
        Attendance.class_id == cls.id, Attendance.person_id.in_(list(items)))))
    errors = []
    for person in persons:
        item = items[person.id]
        if person.id not in attended:
            errors.append(str(msg("training-completion-not-attended", person_id=person.id)))
        if not cls.starts_on <= item["completed_on"] <= today():
            errors.append(str(msg("training-completion-date", person_id=person.id, starts_on=cls.starts_on,
                                  today=today())))
    if errors:
        raise invalid("items", *errors)
    recorded = []
    for person in persons:
        item = items[person.id]
        row = session.get(Completion, (cls.id, person.id))
        before = {"completed_on": row.completed_on, "assessment": row.assessment} if row else None
        if row is None:
            row = Completion(class_id=cls.id, person_id=person.id, kind=cls.kind)
            session.add(row)
        row.unit_id = person.unit_id
        row.completed_on = item["completed_on"]
        row.assessment = item["assessment"]
        row.note = item.get("note")
        row.recorded_by = current_principal().subject
        row.recorded_at = utcnow()
        session.flush()
        audit("completion", f"{cls.id}:{person.id}", "recorded",
              {"before": before, "completed_on": row.completed_on, "assessment": row.assessment})
        if cls.kind == "target_training" and row.assessment == "passed":
            _target_training(session, person, row.completed_on.year, row.completed_on, rule_config())
        recorded.append(completion_out(row))
    return {"class_id": cls.id, "items": recorded}


def completion_out(row: Completion) -> dict:
    return {"class_id": row.class_id, "person_id": row.person_id, "unit_id": row.unit_id,
            "completed_on": row.completed_on, "assessment": row.assessment, "note": row.note,
            "recorded_by": row.recorded_by, "recorded_at": row.recorded_at}


def list_completions(class_id, args: dict) -> dict:
    """A class's completions, of the people in the caller's scope."""
    cls = classes.get_in_scope(class_id)
    stmt = (select(Completion).join(Person, Person.id == Completion.person_id)
            .where(Completion.class_id == cls.id, under_clause(Person.org_path, current_principal().scope_path)))
    page = paginate(db_session(), stmt, [Completion.person_id], cursor=args.get("cursor"), limit=args["limit"])
    return {**page, "items": [completion_out(r) for r in page["items"]]}


def _met(session, person: Person, requirement: str, period: str, year: int, met_on, hours: float, *,
         days: int | None = None, due_on=None, breach: str | None = None) -> None:
    stmt = (insert_for(session, RequirementMet)
            .values(person_id=person.id, requirement=requirement, period=period, year=year, met_on=met_on,
                    hours=hours, days=days, due_on=due_on, breach=breach, recorded_at=utcnow())
            .on_conflict_do_nothing(index_elements=["person_id", "requirement", "period"])
            .returning(RequirementMet.person_id))
    if session.execute(stmt).first() is None:
        return  # met before: published then
    emit("training.requirement.met", {"person_id": person.id, "unit_id": person.unit_id, "requirement": requirement,
                                      "year": year, "met_on": met_on, "hours": hours, "days": days,
                                      "due_on": due_on, "breach": breach}, org_path=person.org_path)


# ----------------------------------------------------------------------------- reads


def list_attendance(class_id, args: dict) -> dict:
    """A class's attendance, of the people in the caller's scope."""
    cls = classes.get_in_scope(class_id)
    stmt = (select(Attendance).join(Person, Person.id == Attendance.person_id)
            .where(Attendance.class_id == cls.id, under_clause(Person.org_path, current_principal().scope_path)))
    if args.get("session_id"):
        stmt = stmt.where(Attendance.session_id == str(args["session_id"]))
    return paginate(db_session(), stmt, [Attendance.id], cursor=args.get("cursor"), limit=args["limit"])
