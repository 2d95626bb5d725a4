"""Rotation plans (TRAIN.SECRETARY_ROTATION): a county's proposal of which secretary attends
which of its rotation classes in a year, saved, then enrolled on confirmation.

The planner (planner.plan_rotation) is a pure function; this module gives it its inputs:
- the county's secretaries in post who are not yet covered that year: not rotated already and
  not enrolled in any rotation class of the year (a city's or the province's included);
- the county's own secretary rotation classes of that year, with the places still free;
- the group of each secretary: the township (the unit directly below the county) of the branch.
A re-run with nothing changed finds the same answer (same digest) and writes nothing.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, exists, select, true

from shared.request import audit, current_principal, db_session, rule_config, unit_in_scope
from shared.dates import today
from shared.db import utcnow
from shared.errors import Problem, not_found
from shared.http import if_match, require_in_scope, under_clause

from . import classes, people, planner
from .models import Enrollment, Person, PersonYearHours, RotationPlan, RotationPlanItem, TrainingClass


def propose(fields: dict) -> tuple[RotationPlan, bool]:
    """Plan a county's year; returns the proposal and whether anything was written."""
    session = db_session()
    county = unit_in_scope(fields["county_id"])
    if county.kind != "county":
        raise Problem(422, "Unprocessable Content", "rotation is planned for a county", kind="validation",
                      errors={"json": {"county_id": [f"a {county.kind}, not a county"]}})
    year = fields["year"]
    due = session.execute(_not_yet_covered(county.path, year)).all()
    secretaries = [planner.Secretary(person_id=row.id, group=_township(county.path, row.org_path),
                                     sort_key=row.org_path) for row in due]
    rotation_classes = [planner.RotationClass(c.id, c.starts_on, c.ends_on, c.capacity - c.enrolled)
                        for c in session.scalars(_county_classes(county.id, year))]
    plan = planner.plan_rotation(secretaries, rotation_classes, year=year, today=today())

    proposal = session.scalar(select(RotationPlan).where(
        RotationPlan.county_id == county.id, RotationPlan.year == year, RotationPlan.status == "proposed")
        .with_for_update())
    if proposal is not None and proposal.digest == plan.digest:
        return proposal, False
    if proposal is None:
        proposal = RotationPlan(county_id=county.id, org_path=county.path, year=year, status="proposed", version=1)
        session.add(proposal)
        action = "proposed"
    else:
        session.execute(delete(RotationPlanItem).where(RotationPlanItem.plan_id == proposal.id))
        proposal.version += 1
        action = "re-planned"
    proposal.assigned, proposal.overflow = len(plan.assignments), len(plan.overflow)
    proposal.split_groups = list(plan.split_groups)
    proposal.digest = plan.digest
    session.flush()
    by_id = {s.person_id: s for s in secretaries}
    units_of = {row.id: row.unit_id for row in due}
    placed = [(pid, cid, "proposed") for pid, cid in plan.assignments] + [(pid, None, "overflow")
                                                                         for pid in plan.overflow]
    if placed:
        session.execute(RotationPlanItem.__table__.insert(), [
            {"plan_id": proposal.id, "position": i, "person_id": pid, "unit_id": units_of[pid],
             "group_key": by_id[pid].group, "class_id": cid, "outcome": outcome}
            for i, (pid, cid, outcome) in enumerate(placed)])
    audit("rotation_plan", proposal.id, action, {"county_id": county.id, "year": year,
                                                 "assigned": proposal.assigned, "overflow": proposal.overflow})
    return proposal, True


def _township(county_path: str, path: str) -> str:
    """The path of the unit directly below the county that holds ``path`` (the county itself for its own)."""
    rest = path[len(county_path):]
    return county_path + rest.split("/", 1)[0] + "/" if rest else county_path


def _covered_this_year(year: int):
    """Conditions on ``Person``: rotated in ``year``, or enrolled in a rotation class of ``year``."""
    levels = rule_config()["rotation_levels"]
    rotated = exists().where(PersonYearHours.person_id == Person.id, PersonYearHours.year == year,
                             PersonYearHours.rotated == true())
    enrolled = (exists().where(Enrollment.person_id == Person.id, Enrollment.status == "enrolled",
                               Enrollment.class_id == TrainingClass.id, TrainingClass.kind == "secretary_rotation",
                               TrainingClass.level.in_(levels),
                               TrainingClass.starts_on.between(date(year, 1, 1), date(year, 12, 31))))
    return rotated, enrolled


def _not_yet_covered(county_path: str, year: int):
    rotated, enrolled = _covered_this_year(year)
    return (select(Person.id, Person.unit_id, Person.org_path)
            .where(under_clause(Person.org_path, county_path), Person.category == "secretary", ~rotated, ~enrolled))


def _county_classes(county_id: str, year: int):
    return (select(TrainingClass).where(TrainingClass.organizer_unit_id == county_id,
                                        TrainingClass.kind == "secretary_rotation",
                                        TrainingClass.starts_on.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(TrainingClass.starts_on, TrainingClass.id))


def get_in_scope(plan_id) -> RotationPlan:
    plan = db_session().get(RotationPlan, str(plan_id))
    if plan is None:
        raise not_found("rotation plan")
    require_in_scope(current_principal(), plan.org_path, "rotation plan")
    return plan


def confirm(plan: RotationPlan) -> RotationPlan:
    """Enrol the proposal's people in their classes. Those covered meanwhile (or no longer the
    county's secretaries) are skipped; a class that has filled up meanwhile refuses the whole
    confirmation (TRAIN.CAPACITY, nothing written): plan again."""
    plan = if_match(plan)
    if plan.status != "proposed":
        raise Problem(409, "Conflict", "this plan was confirmed already", kind="conflict")
    session = db_session()
    items = session.scalars(select(RotationPlanItem).where(RotationPlanItem.plan_id == plan.id,
                                                           RotationPlanItem.outcome == "proposed")
                            .order_by(RotationPlanItem.position)).all()
    rotated, enrolled = _covered_this_year(plan.year)
    ids = [i.person_id for i in items]
    still_due = set(session.scalars(select(Person.id).where(Person.id.in_(ids), Person.category == "secretary",
                                                            ~rotated, ~enrolled))) if ids else set()
    in_county = people.in_subtree([pid for pid in ids if pid in still_due], plan.org_path)
    by_class: dict[str, list[RotationPlanItem]] = {}
    for item in items:
        if item.person_id in in_county:
            by_class.setdefault(item.class_id, []).append(item)
            item.outcome = "enrolled"
        else:
            item.outcome = "skipped"
    for class_id in sorted(by_class):
        cls = session.get(TrainingClass, class_id, with_for_update=True)
        classes.enrol_people(cls, [in_county[i.person_id] for i in by_class[class_id]], source="plan",
                             plan_id=plan.id)
    plan.status = "confirmed"
    plan.confirmed_at = utcnow()
    plan.version += 1
    session.flush()
    audit("rotation_plan", plan.id, "confirmed", {"enrolled": sum(len(v) for v in by_class.values()),
                                                  "skipped": len(items) - sum(len(v) for v in by_class.values())})
    return plan


def plan_out(plan: RotationPlan) -> dict:
    session = db_session()
    rows = session.execute(select(RotationPlanItem, Person.name)
                           .outerjoin(Person, Person.id == RotationPlanItem.person_id)
                           .where(RotationPlanItem.plan_id == plan.id)
                           .order_by(RotationPlanItem.position)).all()
    counts: dict[str, int] = {}
    items = []
    for item, name in rows:
        if item.class_id:
            counts[item.class_id] = counts.get(item.class_id, 0) + 1
        items.append({"person_id": item.person_id, "name": name, "unit_id": item.unit_id,
                      "group_key": item.group_key, "class_id": item.class_id, "outcome": item.outcome})
    plan_classes = session.scalars(_county_classes(plan.county_id, plan.year)).all()
    return {"id": plan.id, "county_id": plan.county_id, "org_path": plan.org_path, "year": plan.year,
            "status": plan.status, "version": plan.version, "assigned": plan.assigned, "overflow": plan.overflow,
            "split_groups": plan.split_groups,
            "classes": [{"class_id": c.id, "title": c.title, "starts_on": c.starts_on, "ends_on": c.ends_on,
                         "capacity": c.capacity, "assigned": counts.get(c.id, 0)} for c in plan_classes],
            "items": items}

