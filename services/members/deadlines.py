"""Deadlines: opened by the step or action that starts a clock, met by the one that stops it.

A met deadline keeps whether the rule found it late (``breached``); the open ones are the alerts,
read set-wise for a whole subtree through the partial index ``ix_deadlines_open``.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import String, cast, null, select, union_all, update

from shared import dates, reminders
from shared.request import current_principal, db_session, rule_config, unit_in_scope
from shared.http import paginate, subtree_path, under_clause

from . import letters
from .models import Deadline, Person


#: kind -> (rule code, what is due in English, in Chinese)
KINDS = {
    "talk": ("MEMBERS.TALK_DEADLINE", "talk with the applicant", "与入党申请人谈话"),
    "assessment": ("MEMBERS.SPONSORS", "six-monthly assessment of the activist", "入党积极分子半年考察"),
    "approval": ("MEMBERS.APPROVAL_DEADLINE", "approval by the upper committee", "上级党委审批"),
    "oath": ("MEMBERS.OATH", "oath", "入党宣誓"),
    "probation_end": ("MEMBERS.PROBATION", "probation ends: conversion vote", "预备期满，讨论转正"),
    "conversion_approval": ("MEMBERS.CONVERSION", "approval of the conversion", "转正审批"),
    "suspension": ("MEMBERS.OUT_OF_CONTACT", "out of contact 6 months: decide on suspension",
                   "失联满6个月，研究停止党籍"),
    "removal": ("MEMBERS.OUT_OF_CONTACT", "suspended 2 years: decide on removal", "停止党籍满2年，研究除名"),
    "correction": ("MEMBERS.UNQUALIFIED", "end of the correction period", "限期改正期满"),
    "transfer": ("MEMBERS.TRANSFER", "away 6 months at a fixed place: transfer the membership",
                 "外出满6个月且地点固定，转接组织关系"),
}


def open_(person: Person, kind: str, opened_on: date, due_on: date, by: str | None) -> Deadline:
    row = Deadline(person_id=person.id, org_path=person.org_path, kind=kind, code=KINDS[kind][0],
                   opened_on=opened_on, due_on=due_on, opened_by=by, breached=False)
    db_session().add(row)
    return row


def open_rows(person_id: str) -> list[Deadline]:
    return db_session().scalars(select(Deadline).where(
        Deadline.person_id == person_id, Deadline.met_on.is_(None), Deadline.cancelled_on.is_(None))).all()


def meet(person: Person, kind: str, on: date, by: str | None, breached: bool = False) -> Deadline | None:
    """Close the open deadline of ``kind`` (if any) as met on ``on``."""
    session = db_session()
    session.flush()
    row = session.scalar(select(Deadline).where(
        Deadline.person_id == person.id, Deadline.kind == kind, Deadline.met_on.is_(None),
        Deadline.cancelled_on.is_(None)).order_by(Deadline.id.desc()).limit(1))
    if row is not None:
        row.met_on, row.met_by, row.breached = on, by, breached
    return row


def cancel(person: Person, on: date, by: str | None, kinds: tuple[str, ...] | None = None) -> None:
    """Cancel open deadlines that no longer apply (the person left, the stage moved on)."""
    session = db_session()
    session.flush()
    stmt = (update(Deadline).where(Deadline.person_id == person.id, Deadline.met_on.is_(None),
                                   Deadline.cancelled_on.is_(None))
            .values(cancelled_on=on, cancelled_by=by).execution_options(synchronize_session=False))
    if kinds:
        stmt = stmt.where(Deadline.kind.in_(kinds))
    session.execute(stmt)


def undo(step_id: str, on: date, reversal_id: str) -> None:
    """A reversed step: what it cancelled runs again, what it opened no longer runs, what it met is open again."""
    session = db_session()
    session.flush()
    session.execute(update(Deadline).where(Deadline.cancelled_by == step_id)
                    .values(cancelled_on=None, cancelled_by=None).execution_options(synchronize_session=False))
    session.execute(update(Deadline).where(Deadline.opened_by == step_id, Deadline.cancelled_on.is_(None))
                    .values(cancelled_on=on, cancelled_by=reversal_id)
                    .execution_options(synchronize_session=False))
    session.execute(update(Deadline).where(Deadline.met_by == step_id)
                    .values(met_on=None, met_by=None, breached=False).execution_options(synchronize_session=False))


def for_person(person_id: str) -> list[Deadline]:
    return db_session().scalars(select(Deadline).where(Deadline.person_id == person_id)
                                .order_by(Deadline.due_on, Deadline.id)).all()


def what(kind: str) -> tuple[str, str]:
    """What a deadline of ``kind`` asks for, as (zh, en)."""
    _, en, zh = KINDS[kind] if kind in KINDS else letters.ALERT_KINDS[kind]
    return zh, en


def message(kind: str, due_on: date, as_of: date) -> tuple[str, str]:
    """(en, zh): what is due and by when; the same words as the reminders of the deadline."""
    text = reminders.message(what(kind), due_on, as_of)
    return text.en, text.zh


#: an open deadline: neither met nor cancelled (the partial indexes ``ix_deadlines_open*`` hold only these)
OPEN = (Deadline.met_on.is_(None), Deadline.cancelled_on.is_(None))


def open_deadlines(*columns):
    """The open deadlines with their person: what the alerts list and the daily reminders announce."""
    return select(*columns).select_from(Deadline).join(Person, Person.id == Deadline.person_id).where(*OPEN)


def alerts(args: dict) -> dict:
    """What is due (within the horizon) or overdue in a subtree, soonest first: the open deadlines, and the
    transfer letters still out or whose receipt is not back (``letters.alert_rows``: either side sees them)."""
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    path = subtree_path(principal, under_path)
    as_of = args.get("as_of") or dates.today()
    horizon = args.get("horizon_days")
    if horizon is None:
        horizon = rule_config()["alert_horizon_days"]
    horizon_end = as_of + timedelta(days=horizon)
    kind = args.get("kind")
    parts = letters.alert_rows(path, as_of, horizon_end, kind)
    if kind is None or kind in KINDS:
        stmt = open_deadlines(Deadline.id, Deadline.person_id, Person.name, Person.unit_id, Deadline.kind,
                              Deadline.code, Deadline.opened_on, Deadline.due_on, null().label("transfer_id")).where(
            under_clause(Deadline.org_path, path), Deadline.due_on <= horizon_end)
        if kind:
            stmt = stmt.where(Deadline.kind == kind)
        parts.insert(0, stmt)
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    # ordered by the ISO text of the date: the cursor carries text, and text compares with text everywhere
    due_text = cast(rows.c.due_on, String)
    page = paginate(db_session(), select(rows), [due_text, rows.c.id], cursor=args.get("cursor"),
                    limit=args["limit"], row_key=lambda row: (_day(row.due_on).isoformat(), row.id))
    items = []
    for row in page["items"]:
        due_on, opened_on = _day(row.due_on), _day(row.opened_on)
        en, zh = message(row.kind, due_on, as_of)
        items.append({"id": row.id, "person_id": row.person_id, "person_name": row.name, "unit_id": row.unit_id,
                      "kind": row.kind, "code": row.code, "opened_on": opened_on, "due_on": due_on,
                      "transfer_id": row.transfer_id, "overdue": due_on < as_of, "days": (due_on - as_of).days,
                      "en": en, "zh": zh})
    return {"items": items, "next_cursor": page["next_cursor"]}


def _day(value) -> date:
    """A date from a united select (SQLite may hand it back as its ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value
