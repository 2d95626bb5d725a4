"""The events the members service consumes (org units themselves arrive through the kit's read-model handlers,
which run before these).

- ``org.unit.dissolved`` with ``members_moved_to``: the unit's people move there, each with its
  ``members.member.transferred`` event, set-wise;
- ``org.unit.moved``: people (and the records carrying their path) follow their unit's new path;
- ``training.requirement.met`` for ``target_training``: the credit MEMBERS.TARGET_TRAINING looks for;
- ``training.attendance.recorded``: the quantified points a member earns for class hours (MEMBERS.POINTS).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, select, update

from shared.audit import record as audit_record
from shared.consumer import Handlers
from shared import outbox
from shared.http import under_clause

from .models import (Deadline, DuesBase, DuesBill, DuesPayment, ManagementAction, OrgUnitView, Person, PointAward,
                     Review, StepRecord, TrainingCredit, Transfer, kit)
from .people import person_state
from .points import award_for_meeting, award_for_training
from .transfers import follow_paths

handlers = Handlers()


@handlers.on("org.unit.dissolved")
def move_members_of_dissolved_unit(session, event):
    """Every person of the dissolved unit who has not left moves to ``members_moved_to`` (suspended members
    included: they are still on the roll), and each move is a ``members.member.transferred``."""
    data = event.data
    target_id = data.get("members_moved_to")
    if not target_id:
        return
    target = session.get(OrgUnitView, str(target_id))
    if target is None:
        raise LookupError(f"unit {target_id} is not known here yet; the event is retried")
    moved = session.scalars(select(Person).where(Person.unit_id == data["id"], Person.status != "left")
                            .with_for_update()).all()
    if not moved:
        return
    on = event.occurred.date()
    events = outbox.EventBatch("members.member.transferred")
    source = session.get(OrgUnitView, str(data["id"]))
    for person in moved:  # one executemany UPDATE at the flush
        # the move is history: a completed transfer of its own kind, so that a past date knows the old unit
        session.add(Transfer(person_id=person.id, person_name=person.name, direction="dissolution",
                             from_unit_id=person.unit_id, from_path=source.path if source else person.org_path,
                             to_unit_id=target.id, to_path=target.path, status="completed", reason="unit dissolved",
                             requested_on=on, accepted_on=on, completed_on=on, closed_on=on))
        person.unit_id, person.org_path, person.version = target.id, target.path, person.version + 1
        events.add({**person_state(person), "from_unit_id": data["id"], "transferred_on": on}, target.path)
        audit_record(session, kit.AuditEntry, entity="person", entity_id=person.id, action="transferred",
                     change={"from_unit_id": data["id"], "to_unit_id": target.id, "reason": "unit dissolved",
                             "event_id": event.id}, actor=f"event:{event.type}")
    session.flush()
    follow_paths(session, [p.id for p in moved], target.path)
    outbox.write_events(session, kit.OutboxEvent, events)


@handlers.on("org.unit.moved")
def follow_moved_units(session, event):
    """The moved subtree's people take their unit's new path; so do the records that carry a path."""
    new_root = session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == event.data["id"]))
    if new_root is None:
        return
    units = select(OrgUnitView.id).where(under_clause(OrgUnitView.path, new_root))
    unit_path = select(OrgUnitView.path).where(OrgUnitView.id == Person.unit_id).scalar_subquery()
    session.execute(update(Person).where(Person.unit_id.in_(units), Person.org_path != unit_path)
                    .values(org_path=unit_path).execution_options(synchronize_session=False))
    people = select(Person.id).where(Person.unit_id.in_(units))
    for model in (Deadline, StepRecord, ManagementAction):
        person_path = select(Person.org_path).where(Person.id == model.person_id).scalar_subquery()
        session.execute(update(model).where(model.person_id.in_(people)).values(org_path=person_path)
                        .execution_options(synchronize_session=False))
    for model, column in ((PointAward, PointAward.unit_id), (Review, Review.unit_id), (DuesBase, DuesBase.unit_id),
                          (DuesBill, DuesBill.unit_id), (DuesPayment, DuesPayment.unit_id)):
        path = select(OrgUnitView.path).where(OrgUnitView.id == column).scalar_subquery()
        session.execute(update(model).where(column.in_(units)).values(org_path=path)
                        .execution_options(synchronize_session=False))
    for unit_column, path_column in ((Transfer.from_unit_id, "from_path"), (Transfer.to_unit_id, "to_path")):
        path = select(OrgUnitView.path).where(OrgUnitView.id == unit_column).scalar_subquery()
        session.execute(update(Transfer).where(unit_column.in_(units)).values({path_column: path})
                        .execution_options(synchronize_session=False))
    session.expire_all()


@handlers.on("training.requirement.met")
def record_training_credit(session, event):
    """Keep the centralized training of development targets (MEMBERS.TARGET_TRAINING); a later report for the
    same year replaces an earlier one, an older one never undoes a newer."""
    data = event.loaded()
    if data["requirement"] != "target_training":
        return
    person_id = str(data["person_id"])
    row = session.scalar(select(TrainingCredit).where(
        and_(TrainingCredit.person_id == person_id, TrainingCredit.requirement == "target_training",
             TrainingCredit.year == data["year"])))
    met_on: date = data["met_on"]
    if row is None:
        session.add(TrainingCredit(person_id=person_id, requirement="target_training", year=data["year"],
                                   met_on=met_on, hours=data["hours"], days=data.get("days"), event_id=event.id))
    elif met_on >= row.met_on:
        row.met_on, row.hours, row.days, row.event_id = met_on, data["hours"], data.get("days"), event.id


@handlers.on("org.meeting.recorded")
def points_for_attendance(session, event):
    """Members listed present in a meeting's ledger earn the city scheme's attendance points, once per meeting; a
    correction of the ledger moves them (MEMBERS.POINTS)."""
    award_for_meeting(session, event.loaded())


@handlers.on("training.attendance.recorded")
def points_for_training(session, event):
    """Class hours credited to a member earn the city scheme's training points, once per session."""
    award_for_training(session, event.loaded())
