"""The events the org service consumes.

- members.person.created / stage.changed / member.transferred / member.left carry the person's
  whole state: each is kept as the person's state from its date on (``roster_history``: an election
  reads the roster as of its date), the roster read-model is upserted by ``person_version`` (an older
  event never wins), the member counts of the units it touches are recounted from it (once per unit for
  a run of events, before its commit), a seat whose holder is no longer a full member of the unit falls
  vacant, and a member who left the branch leaves its group.
- members.dues.subsidized: a dues subsidy (DUES.SUBSIDY) is the unit's support funds of source
  ``dues_subsidy``, once (the fund keeps the subsidy's id), with ``org.support.changed``.
- evaluation.rating.published: the branch's rating per year, newest ``rating_version`` wins; the
  liaison points list the latest one.
"""
from __future__ import annotations

import functools
from datetime import date
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, func, insert, select, update

from shared.audit import record as audit_record
from shared.consumer import Handlers
from shared.dates import SHANGHAI
from shared.db import dialect_insert, expire_if_loaded
from shared.outbox import Outbox

from . import committees, rules, support
from .models import Committee, GroupMember, RosterPerson, RosterState, Seat, Unit, UnitRating, kit

handlers = Handlers()
outbox = Outbox(kit.OutboxEvent, "org")

PERSON_EVENTS = ("members.person.created", "members.person.updated", "members.stage.changed",
                 "members.member.transferred", "members.member.left")


@handlers.on(*PERSON_EVENTS)
def keep_roster(session, event):
    """Upsert the person; recount the units; vacate seats and group places the person no longer holds."""
    data = event.loaded()
    person_id = str(data["id"])
    _keep_history(session, event, data, person_id)
    table = RosterPerson.__table__
    held = session.execute(select(table.c.unit_id, table.c.person_version).where(table.c.person_id == person_id)
                           ).one_or_none()
    if held is not None and held.person_version >= data["person_version"]:
        return
    old_unit = held.unit_id if held is not None else None
    values = dict(unit_id=str(data["unit_id"]), name=data["name"], stage=data["stage"], status=data["status"],
                  full_member_since=data.get("full_member_since"), person_version=data["person_version"])
    # written as a statement, not through the unit of work: this runs for every person registered
    if held is None:
        session.execute(insert(table).values(person_id=person_id, **values))
    else:
        session.execute(update(table).where(table.c.person_id == person_id).values(values))
        expire_if_loaded(session, RosterPerson, person_id)
    session.info.setdefault(UNITS_TO_RECOUNT, set()).update(u for u in (old_unit, values["unit_id"]) if u)
    if old_unit is None:
        return  # new to the roster: no seat and no group place can name a person the roster did not know
    row = SimpleNamespace(person_id=person_id, **values)  # the state the seats are checked against
    if row.status == "left" or old_unit != row.unit_id:
        session.execute(delete(GroupMember).where(GroupMember.person_id == person_id))
    on = (data.get("left_on") or data.get("transferred_on") or data.get("changed_on")
          or event.occurred.astimezone(SHANGHAI).date())
    _vacate_lost_seats(session, row, on, event.type)


#: ``session.info`` key: the units whose members the transaction's events moved, recounted once before it commits
UNITS_TO_RECOUNT = "org.units_to_recount"


@handlers.before_commit
def recount_touched_units(session) -> None:
    """The member counts of every unit the transaction's person events touched: once per unit for a run of
    events (an import's hundreds of people of one branch), not once per event."""
    recount(session, session.info.pop(UNITS_TO_RECOUNT, set()))


#: a registration holds from the start of the record (its stage bounded by full_member_since)
RECORD_START = date(1900, 1, 1)


def _keep_history(session, event, data: dict, person_id: str) -> None:
    """The person's state from the event's own date on (every version, a late one too: it is history), once
    per version (one statement: a version kept already is left as it is)."""
    if event.type == "members.person.created":
        on = RECORD_START
    else:
        on = (data.get("changed_on") or data.get("transferred_on") or data.get("left_on")
              or event.occurred.astimezone(SHANGHAI).date())
    session.execute(_history_statement(session.get_bind().dialect.name), {
        "person_id": person_id, "person_version": data["person_version"], "effective_on": on,
        "unit_id": str(data["unit_id"]), "name": data["name"], "stage": data["stage"], "status": data["status"],
        "full_member_since": data.get("full_member_since")})


@functools.lru_cache(maxsize=None)
def _history_statement(dialect: str):
    """Built once per dialect, as the recount below: the statement runs for every person event."""
    return dialect_insert(dialect, RosterState.__table__).on_conflict_do_nothing()


def recount(session, unit_ids: set[str]) -> None:
    """Full and probationary members of each unit, counted from the roster (active people only), in one
    statement (an index-only count per unit and stage)."""
    if unit_ids:
        session.execute(_RECOUNT, {"unit_ids": sorted(unit_ids)})


def _roster_count(stage: str):
    return (select(func.count()).select_from(RosterPerson)
            .where(RosterPerson.unit_id == Unit.id, RosterPerson.status == "active", RosterPerson.stage == stage)
            .scalar_subquery())


#: built once: building the statement costs more than running it for a unit or two
_RECOUNT = (update(Unit.__table__).where(Unit.__table__.c.id.in_(bindparam("unit_ids", expanding=True)))
            .values(full_members=_roster_count("full"), probationary_members=_roster_count("probationary")))


def _vacate_lost_seats(session, person, on, event_type: str) -> None:
    """``person``: the roster's new state of the person (``person_id``, ``unit_id``, ``status``, ``stage``)."""
    rows = session.execute(
        select(Seat, Committee, Unit).join(Committee, Committee.id == Seat.committee_id)
        .join(Unit, Unit.id == Committee.unit_id)
        .where(Seat.person_id == person.person_id, Committee.status == "current")).all()
    if not rows:
        return
    person_path = session.scalar(select(Unit.path).where(Unit.id == person.unit_id))
    for seat, committee, unit in rows:
        if unit.kind in rules.BRANCH_KINDS:
            belongs = person.unit_id == unit.id
        else:
            belongs = person_path is not None and person_path.startswith(unit.path)
        if belongs and person.status == "active" and person.stage == "full":
            continue
        vacated_on = max(on, seat.since) if seat.since else on
        reason = {"members.member.left": "left the party", "members.member.transferred": "transferred"}.get(
            event_type, f"now {person.status} {person.stage}")
        committees.mark_vacant(committee, seat, vacated_on, reason)
        committee.version += 1
        committees.count_seats(session, committee)
        session.flush()
        audit_record(session, kit.AuditEntry, entity="committee", entity_id=committee.id, action="vacancy",
                     change={"seat_id": seat.id, "role": seat.role, "person_id": person.person_id,
                             "vacated_on": vacated_on, "reason": reason}, actor="members-events")
        outbox.emit(session, "org.committee.changed",
                    {**committees.event_data(session, committee), "change": "vacancy"}, org_path=unit.path)


@handlers.on("evaluation.rating.published")
def keep_rating(session, event):
    """A branch's rating for a year; a correction (higher rating_version) replaces it."""
    data = event.loaded()
    key = (str(data["unit_id"]), data["year"])
    row = session.get(UnitRating, key)
    if row is not None and row.rating_version >= data["rating_version"]:
        return
    values = dict(rating_id=str(data["rating_id"]), score=data["score"], stars=data["stars"],
                  category=data["category"], rating_version=data["rating_version"])
    if row is None:
        session.add(UnitRating(unit_id=key[0], year=key[1], **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


@handlers.on("members.dues.subsidized")
def record_dues_subsidy(session, event):
    """DUES.SUBSIDY: the subsidy becomes the unit's support funds (source ``dues_subsidy``), once."""
    data = event.loaded()
    recorded = support.record_dues_subsidy(session, data)
    if recorded is None:
        return
    unit, fund = recorded
    audit_record(session, kit.AuditEntry, entity="fund", entity_id=fund.id, action="recorded",
                 change={"unit_id": unit.id, "source": "dues_subsidy", "year": fund.year, "amount": str(fund.amount),
                         "event_id": event.id}, actor=f"event:{event.type}")
    outbox.emit(session, "org.support.changed", support.event_data(session, unit, fund.year), org_path=unit.path)
