"""Party dues (DUES.*): each member's dues base and the monthly amount it gives, a branch's monthly bills,
payments (by hand or imported from the bank's or the payment platform's file), the report of what is due,
paid and outstanding, and arrears: an alert at three months, a MEMBERS.UNQUALIFIED ground in the
management records at six (never a removal by itself).

Amounts are whole fen in the tables and ``Decimal`` yuan everywhere else; the rules in ``rules.py`` compute
them. Bills are made set-wise for a subtree and a month (one query for the people, one for their bases,
one for the bills already there, one COPY); a member has one bill a month, so generating again adds only
what is missing. A payment settles whole months: bills already made are marked paid, and the months not
yet billed (paid in advance) get their bill, paid, at the amount of the base in force.
"""
from __future__ import annotations

import heapq
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time as clock
from decimal import Decimal
from uuid import UUID

from sqlalchemy import and_, bindparam, case, func, select, text, update

from shared import bulk, dates, outbox
from shared.audit import record as audit_record
from shared.db import advisory_lock, new_id, plain_rows, utcnow, without_jit
from shared.errors import Problem
from shared.export import Column, csv_response, wanted_format, xlsx_response
from shared.http import encode_cursor, decode_cursor, paginate, subtree_path, under_clause
from shared.imports import (ImportField, ImportReport, ImportSpec, NotText, Upload, import_failed, text_problem,
                            typed_records)
from shared.messages import Message, msg
from shared.pii import valid_id_number
from shared.request import (audit, current_kit, current_principal, db_session, emit, pii_cipher, rule_config,
                            unit_in_scope)
from shared.violations import RuleViolation, Violation
from shared.worker import DailyJob

from . import rules
from .models import DuesBase, DuesBill, DuesPayment, ManagementAction, OrgUnitView, Person
from .people import invalid as _invalid
from .rules import month_of

#: the management record a six months' arrears leaves (MEMBERS.UNQUALIFIED ground, DUES.ARREARS)
GROUND_KIND = "dues_arrears"
MEMBER_STAGES = ("probationary", "full")
#: the most lines one payments file may hold (one transaction): a province imports county by county
MAX_IMPORT_LINES = 500_000


def to_fen(amount: Decimal) -> int:
    return int(rules.fen(amount).scaleb(2))


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(int(fen)).scaleb(-2)


def month_text(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


def months_between(first: date, last: date) -> list[date]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = dates.add_months(month, 1)
    return out


def _refuse(violation: Violation | None) -> None:
    if violation is not None:
        raise RuleViolation(violation)


def _member(person: Person, code: str) -> None:
    if person.status == "left":
        raise Problem(409, "Conflict", msg("dues-person-left", left_on=person.left_on), kind="conflict")
    _refuse(rules.party_member(code, person.stage))


# ----------------------------------------------------------------------------- the dues base (DUES.BASE, DUES.RATE)

def record_base(person: Person, body: dict) -> dict:
    """Record ``person``'s dues base (or flat category) from a month of a year on; recording the same month
    again corrects it. Unpaid bills it covers take the new amount."""
    session, cfg = db_session(), rule_config()
    _member(person, "DUES.BASE")
    category = body["category"]
    income, deductions = body.get("income") or [], body.get("deductions") or []
    base = None
    if category in rules.DUES_BASED:
        base, violation = rules.dues_base([i["amount"] for i in income], [d["amount"] for d in deductions])
        _refuse(violation)
    elif income or deductions:
        raise _invalid(income=[str(msg("dues-flat-no-base", category=category))])
    if body.get("amount") is not None and category != "farmer":
        raise _invalid(amount=[str(msg("dues-amount-farmers-only"))])
    result = rules.dues_rate(category, base, body.get("amount"), cfg)
    if isinstance(result, Violation):
        raise RuleViolation(result)
    effective_from = date(body["year"], body.get("from_month") or 1, 1)
    row = session.scalar(select(DuesBase).where(DuesBase.person_id == person.id,
                                                DuesBase.effective_from == effective_from))
    before = _base_view(row) if row is not None else None
    if row is None:
        row = DuesBase(person_id=person.id, effective_from=effective_from)
        session.add(row)
    row.unit_id, row.org_path, row.year, row.category = person.unit_id, person.org_path, body["year"], category
    row.income = [{"item": i["item"], "amount": str(rules.fen(i["amount"]))} for i in income]
    row.deductions = [{"kind": d["kind"], "amount": str(rules.fen(d["amount"]))} for d in deductions]
    row.base_fen = to_fen(base) if base is not None else None
    row.rate = str(result.rate) if result.rate is not None else None
    row.amount_fen = to_fen(result.amount)
    row.note = body.get("note")
    row.recorded_by = current_principal().subject
    row.recorded_at = utcnow()
    session.flush()
    repriced = _reprice(session, person.id, effective_from, row.category, row.amount_fen)
    view = _base_view(row)
    audit("person", person.id, "dues.base", {"before": before, "after": view, "bills_repriced": repriced})
    emit("members.dues.based", {"base_id": row.id, "person_id": person.id, "unit_id": person.unit_id,
                                "year": row.year, "effective_from": month_text(effective_from),
                                "category": category, "base": yuan(row.base_fen), "rate": result.rate,
                                "amount": yuan(row.amount_fen)}, org_path=person.org_path)
    return {**view, "bills_repriced": repriced}


def _reprice(session, person_id: str, effective_from: date, category: str, amount_fen: int) -> int:
    """Unpaid bills from ``effective_from`` up to the next base take the base's amount."""
    following = session.scalar(select(func.min(DuesBase.effective_from)).where(
        DuesBase.person_id == person_id, DuesBase.effective_from > effective_from))
    stmt = (update(DuesBill).where(DuesBill.person_id == person_id, DuesBill.month >= effective_from,
                                   DuesBill.paid_on.is_(None))
            .values(category=category, due_fen=amount_fen).execution_options(synchronize_session=False))
    if following is not None:
        stmt = stmt.where(DuesBill.month < following)
    return session.execute(stmt).rowcount or 0


def _base_view(row: DuesBase) -> dict:
    return {"id": row.id, "person_id": row.person_id, "unit_id": row.unit_id, "year": row.year,
            "effective_from": month_text(row.effective_from), "category": row.category,
            "income": row.income, "deductions": row.deductions, "base": yuan(row.base_fen),
            "rate": Decimal(row.rate) if row.rate else None, "amount": yuan(row.amount_fen), "note": row.note,
            "recorded_by": row.recorded_by}


class Bases:
    """The bases in force for a set of people: ``at(person_id, month)`` is the latest that took effect by then."""

    def __init__(self, rows):
        self.by_person: dict[str, list[tuple[date, str, int]]] = defaultdict(list)
        for person_id, effective_from, category, amount_fen in rows:
            self.by_person[person_id].append((effective_from, category, amount_fen))
        for entries in self.by_person.values():
            entries.sort()

    def at(self, person_id: str, month: date) -> tuple[date, str, int] | None:
        found = None
        for entry in self.by_person.get(person_id, ()):
            if entry[0] > month:
                break
            found = entry
        return found


def bases_until(session, person_ids: list[str], last: date) -> Bases:
    """The bases of ``person_ids`` that took effect by ``last``, 900 people to a query."""
    rows = []
    for i in range(0, len(person_ids), 900):
        rows += session.execute(select(DuesBase.person_id, DuesBase.effective_from, DuesBase.category,
                                       DuesBase.amount_fen).where(DuesBase.person_id.in_(person_ids[i:i + 900]),
                                                                  DuesBase.effective_from <= last)).all()
    return Bases(rows)


def _latest_bases(session, person_ids: list[str], month: date) -> dict[str, tuple[date, str, int]]:
    """``person_id -> (effective_from, category, amount_fen)`` of the base in force in ``month``, for those of
    ``person_ids`` that have one. On PostgreSQL one backward probe of the ``(person_id, effective_from)`` index
    each; elsewhere from ``bases_until``."""
    if session.get_bind().dialect.name == "postgresql":
        return {row[0]: tuple(row[1:]) for row in plain_rows(session, text(
            "SELECT u.id, d.effective_from, d.category, d.amount_fen FROM unnest(CAST(:ids AS varchar[])) AS u(id) "
            "CROSS JOIN LATERAL (SELECT effective_from, category, amount_fen FROM dues_bases "
            "WHERE person_id = u.id AND effective_from <= :month ORDER BY effective_from DESC LIMIT 1) AS d"),
            {"ids": person_ids, "month": month})}
    bases = bases_until(session, person_ids, month)
    return {person_id: bases.at(person_id, month) for person_id in bases.by_person}


# ----------------------------------------------------------------------------- monthly bills (DUES.MONTHLY)

def generate(body: dict) -> dict:
    """The bills of ``month`` for every member under ``unit_id`` who has none yet; then the arrears grounds."""
    unit = unit_in_scope(body["unit_id"])
    month = body["month"]
    if month > month_of(dates.today()):
        raise _invalid(month=[str(msg("dues-future-month"))])
    session = db_session()
    result = bill_month(session, current_kit().models.OutboxEvent, unit.path, month)
    audit("unit", unit.id, "dues.billed", {"month": month_text(month), "created": result["created"],
                                           "amount": str(result["amount"])})
    result["grounds_recorded"] = record_grounds(session, unit.path, dates.today(), rule_config(),
                                                actor=current_principal().subject)
    return {"unit_id": unit.id, **result}


#: members billed at once: a province's seven million go through in batches of whole branches, so that the
#: process holding them (the worker's nightly job, a web process) holds a batch, not the province (measured:
#: 173 MB at a peak for 1,000,000 members against 1,329 MB in one pass; 252 MB for 7,000,000)
BILL_BATCH = 50_000


def bill_month(session, outbox_model, path: str, month: date, batch: int = BILL_BATCH) -> dict:
    """Bill ``month`` for the party members on the roll under ``path`` (active: a suspended member pays none)
    who have no bill for it, at the amount of the base in force; a probationary member from the month of
    admission (DUES.MONTHLY). Set-wise, ``batch`` members or so at a time (whole branches), in the caller's
    transaction; the month's lock makes two runs over overlapping subtrees take turns."""
    advisory_lock(session, f"members.dues.bills:{month.isoformat()}")
    without_jit(session)   # a province's batches: JIT compiled each batch's queries for longer than they ran
    on_roll = and_(Person.stage.in_(MEMBER_STAGES), Person.status == "active")
    total = {"created": 0, "existing": 0, "amount_fen": 0, "without_base": 0, "stale": 0, "not_yet": 0}
    missing: list[str] = []
    for first_path, last_path in _branch_batches(session, and_(under_clause(Person.org_path, path), on_roll),
                                                 batch):
        in_batch = and_(Person.org_path >= first_path, Person.org_path <= last_path, on_roll)
        batch_missing = _bill_batch(session, outbox_model, in_batch, month, total)
        missing = heapq.nsmallest(100, missing + batch_missing)
    return {"month": month_text(month), "created": total["created"], "existing": total["existing"],
            "amount": yuan(total["amount_fen"]), "without_base": total["without_base"],
            "without_base_people": missing, "bases_of_earlier_years": total["stale"],
            "not_yet_members": total["not_yet"]}


def _branch_batches(session, people_filter, batch: int):
    """``(first path, last path)`` of runs of whole units (by path) holding about ``batch`` of the people that
    ``people_filter`` selects: one grouped count, then each run is a range of the people's path index."""
    first = last = None
    count = 0
    for org_path, people in session.execute(select(Person.org_path, func.count()).where(people_filter)
                                            .group_by(Person.org_path).order_by(Person.org_path)):
        if first is None:
            first = org_path
        last, count = org_path, count + people
        if count >= batch:
            yield first, last
            first, count = None, 0
    if first is not None:
        yield first, last


def _billed(session, person_ids: list[str], month: date) -> set[str]:
    """Who of ``person_ids`` has a bill for ``month`` already (billed where they were then, perhaps another
    branch). On PostgreSQL one probe of the ``(person_id, month)`` index for each: a join would let the planner
    scan the bills the same run has just written, once for every batch."""
    found: set[str] = set()
    if session.get_bind().dialect.name == "postgresql":
        found.update(session.scalars(text(
            "SELECT u.id FROM unnest(CAST(:ids AS varchar[])) AS u(id) CROSS JOIN LATERAL "
            "(SELECT 1 FROM dues_bills b WHERE b.person_id = u.id AND b.month = :month LIMIT 1) AS bill"),
            {"ids": person_ids, "month": month}))
        return found
    for i in range(0, len(person_ids), 900):
        found.update(session.scalars(select(DuesBill.person_id).where(DuesBill.month == month,
                                                                      DuesBill.person_id.in_(person_ids[i:i + 900]))))
    return found


def _bill_batch(session, outbox_model, in_batch, month: date, total: dict) -> list[str]:
    """The bills and ``members.dues.billed`` events of the people ``in_batch`` selects (whole units); adds to
    ``total``; returns who has no base to bill from."""
    people = plain_rows(session, select(Person.id, Person.unit_id, Person.org_path, Person.stage,
                                        Person.probationary_since).where(in_batch))
    person_ids = [row[0] for row in people]
    bases = _latest_bases(session, person_ids, month)
    billed = _billed(session, person_ids, month)
    rows, missing = [], []
    per_unit: dict[tuple[str, str], list[int]] = {}
    for person_id, unit_id, org_path, stage, probationary_since in people:
        if person_id in billed:
            continue
        payable_from = rules.dues_payable_from(stage, probationary_since)
        if payable_from is not None and month < payable_from:
            total["not_yet"] += 1
            continue
        base = bases.get(person_id)
        if base is None:
            missing.append(person_id)
            continue
        effective_from, category, amount_fen = base
        total["stale"] += effective_from.year < month.year
        rows.append((person_id, unit_id, org_path, month, category, amount_fen, 0, False))
        entry = per_unit.setdefault((unit_id, org_path), [0, 0])
        entry[0] += 1
        entry[1] += amount_fen
    bulk.copy_rows(session, DuesBill.__table__, ("person_id", "unit_id", "org_path", "month", "category", "due_fen",
                                                 "paid_fen", "late"), rows)
    events = outbox.EventBatch("members.dues.billed")   # a batch keeps its data as given: amounts as text
    for (unit_id, org_path), (count, amount_fen) in sorted(per_unit.items()):
        events.add({"unit_id": unit_id, "month": month_text(month), "bills": count, "amount": str(yuan(amount_fen))},
                   org_path)
    outbox.write_events(session, outbox_model, events)
    total["created"] += len(rows)
    total["existing"] += len(billed)
    total["amount_fen"] += sum(row[5] for row in rows)
    total["without_base"] += len(missing)
    return missing


def list_bills(args: dict) -> dict:
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(DuesBill).where(under_clause(DuesBill.org_path, subtree_path(principal, under_path)))
    if args.get("month"):
        stmt = stmt.where(DuesBill.month == args["month"])
    if args.get("unpaid"):
        stmt = stmt.where(DuesBill.paid_on.is_(None))
    page = paginate(db_session(), stmt, [DuesBill.org_path, DuesBill.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    page["items"] = [_bill_view(b) for b in page["items"]]
    return page


def _bill_view(bill: DuesBill) -> dict:
    return {"id": bill.id, "person_id": bill.person_id, "unit_id": bill.unit_id, "month": month_text(bill.month),
            "category": bill.category, "due": yuan(bill.due_fen), "paid": yuan(bill.paid_fen),
            "paid_on": bill.paid_on, "payment_id": bill.payment_id, "late": bill.late}


# ----------------------------------------------------------------------------- payments (DUES.MONTHLY)

@dataclass
class Settlement:
    """A payment ready to write: the row, the bills it marks paid and the bills it makes (paid)."""

    payment: tuple
    paid_bills: list[dict]
    new_bills: list[tuple]
    event: dict
    org_path: str


PAYMENT_COLUMNS = ("id", "person_id", "unit_id", "org_path", "paid_on", "from_month", "to_month", "kind",
                   "amount_fen", "due_fen", "channel", "reference", "import_id", "recorded_by", "recorded_at")
BILL_COLUMNS = ("person_id", "unit_id", "org_path", "month", "category", "due_fen", "paid_fen", "paid_on",
                "payment_id", "late")


class Ledger:
    """The bills and bases of some people over some months, loaded at once, and the payments settled on them
    (a file paying one month twice finds it paid the second time)."""

    def __init__(self, session, person_ids: list[str], first: date, last: date):
        self.bills: dict[tuple[str, date], list] = {}
        bill_rows = []
        for i in range(0, len(person_ids), 900):
            bill_rows += session.execute(select(DuesBill.id, DuesBill.person_id, DuesBill.month, DuesBill.due_fen,
                                                DuesBill.paid_on).where(DuesBill.person_id.in_(person_ids[i:i + 900]),
                                                                        DuesBill.month >= first,
                                                                        DuesBill.month <= last)).all()
        for bill_id, person_id, month, due_fen, paid_on in bill_rows:
            self.bills[(person_id, month)] = [bill_id, due_fen, paid_on]
        self.bases = bases_until(session, person_ids, last)

    def settle(self, person: Person, line: dict, cfg: dict, *, actor: str, now, import_id: str | None = None
               ) -> Settlement:
        """Raises RuleViolation (a rule) or Problem (a month already paid); changes nothing then."""
        first, last, paid_on = line["from_month"], line["to_month"], line["paid_on"]
        _member(person, "DUES.MONTHLY")
        _refuse(rules.dues_months(first, last, paid_on, rules.dues_payable_from(person.stage, person.probationary_since),
                                  cfg["dues_advance_months"]))
        months = months_between(first, last)
        kind = rules.dues_payment_kind(first, last, paid_on)
        payment_id = new_id()
        due_fen, paid_bills, new_bills = 0, [], []
        for month in months:
            bill = self.bills.get((person.id, month))
            if bill is not None and bill[2] is not None:
                raise Problem(409, "Conflict", msg("dues-already-paid", month=month_text(month), paid_on=bill[2]),
                              kind="conflict", code="DUES.MONTHLY")
            late = month < month_of(paid_on) and kind != "quarterly"
            if bill is not None:
                due_fen += bill[1]
                paid_bills.append({"b_id": bill[0], "b_paid_fen": bill[1], "b_paid_on": paid_on,
                                   "b_payment_id": payment_id, "b_late": late})
                continue
            base = self.bases.at(person.id, month)
            if base is None:
                raise RuleViolation(Violation("DUES.BASE", en=f"no dues base is recorded for {month_text(month)}",
                                              zh=f"{month_text(month)}没有核定党费计算基数",
                                              facts={"month": month_text(month)}))
            due_fen += base[2]
            new_bills.append((person.id, person.unit_id, person.org_path, month, base[1], base[2], base[2], paid_on,
                              payment_id, late))
        amount_fen = to_fen(line["amount"])
        _refuse(rules.dues_paid_in_full(yuan(due_fen), yuan(amount_fen), len(months)))
        for month in months:  # what a later line of the same file sees
            entry = self.bills.setdefault((person.id, month), [None, 0, None])
            entry[2] = paid_on
        payment = (payment_id, person.id, person.unit_id, person.org_path, paid_on, first, last, kind, amount_fen,
                   due_fen, line.get("channel") or "cash", line.get("reference"), import_id, actor, now)
        event = {"payment_id": payment_id, "person_id": person.id, "unit_id": person.unit_id, "paid_on": paid_on,
                 "from_month": month_text(first), "to_month": month_text(last), "kind": kind,
                 "amount": str(yuan(amount_fen)), "due": str(yuan(due_fen))}
        return Settlement(payment, paid_bills, new_bills, event, person.org_path)


def _write(session, settlements: list[Settlement]) -> None:
    bulk.copy_rows(session, DuesPayment.__table__, PAYMENT_COLUMNS, [s.payment for s in settlements])
    bulk.copy_rows(session, DuesBill.__table__, BILL_COLUMNS, [b for s in settlements for b in s.new_bills])
    paid = [b for s in settlements for b in s.paid_bills]
    if paid:
        table = DuesBill.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id"))
                        .values(paid_fen=bindparam("b_paid_fen"), paid_on=bindparam("b_paid_on"),
                                payment_id=bindparam("b_payment_id"), late=bindparam("b_late")), paid)
    events = outbox.EventBatch("members.dues.paid")
    for s in settlements:
        events.add(s.event, s.org_path)
    outbox.write_events(session, current_kit().models.OutboxEvent, events)


def record_payment(person: Person, body: dict) -> dict:
    """One payment of whole months by ``person`` (loaded in scope, locked)."""
    session = db_session()
    if body["paid_on"] > dates.today():
        raise _invalid(paid_on=[str(msg("dues-paid-in-future"))])
    line = {**body, "to_month": body.get("to_month") or body["from_month"]}
    if line.get("reference") and session.scalar(select(DuesPayment.id).where(
            DuesPayment.person_id == person.id, DuesPayment.reference == line["reference"])):
        raise Problem(409, "Conflict", msg("dues-reference-used", reference=line["reference"]), kind="conflict")
    ledger = Ledger(session, [person.id], line["from_month"], line["to_month"])
    settlement = ledger.settle(person, line, rule_config(), actor=current_principal().subject, now=utcnow())
    _write(session, [settlement])
    audit("person", person.id, "dues.paid", {"payment_id": settlement.event["payment_id"],
                                             "months": [line["from_month"], line["to_month"]],
                                             "amount": str(line["amount"])})
    return payment_view(session.get(DuesPayment, settlement.event["payment_id"]))


def payment_view(row: DuesPayment) -> dict:
    return {"id": row.id, "person_id": row.person_id, "unit_id": row.unit_id, "paid_on": row.paid_on,
            "from_month": month_text(row.from_month), "to_month": month_text(row.to_month), "kind": row.kind,
            "amount": yuan(row.amount_fen), "due": yuan(row.due_fen), "extra": yuan(row.amount_fen - row.due_fen),
            "channel": row.channel, "reference": row.reference, "import_id": row.import_id,
            "recorded_by": row.recorded_by, "recorded_at": row.recorded_at}


def list_payments(args: dict) -> dict:
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(DuesPayment).where(under_clause(DuesPayment.org_path, subtree_path(principal, under_path)))
    if args.get("import_id"):
        stmt = stmt.where(DuesPayment.import_id == str(args["import_id"]))
    page = paginate(db_session(), stmt, [DuesPayment.org_path, DuesPayment.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    page["items"] = [payment_view(p) for p in page["items"]]
    return page


#: the columns of a payments file (the bank's or the payment platform's export, or the kit's template)
MONTH_PATTERN = r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*月?(\s*[-/.]\s*0?1)?$"
AMOUNT_PATTERN = r"^\d{1,9}(\.\d{1,2})?$"
PAYMENT_SPEC = ImportSpec("dues_payment", (
    ImportField("person_id", "人员ID", "code", max_length=36, aliases=("人员编号", "党员ID")),
    ImportField("id_number", "身份证号码", "code", upper=True, max_length=40, pii="id_number",
                aliases=("身份证号", "公民身份号码", "证件号码"), note_zh="人员ID与身份证号码填其一",
                note_en="person_id or id_number"),
    ImportField("name", "姓名", max_length=100, aliases=("党员姓名", "户名"), note_zh="填写时须与登记的姓名一致",
                note_en="when given, must match the person's"),
    ImportField("paid_on", "交纳日期", "date", required=True, aliases=("交费日期", "缴费日期", "交易日期"),
                example="2026-03-05"),
    ImportField("from_month", "起始月份", "code", required=True, pattern=MONTH_PATTERN, hint="dues-import-month",
                aliases=("所属月份", "交纳月份", "党费月份"), example="2026-01"),
    ImportField("to_month", "截止月份", "code", pattern=MONTH_PATTERN, hint="dues-import-month",
                example="2026-03", note_zh="只交一个月可不填", note_en="may be left out for one month"),
    ImportField("amount", "金额", "code", required=True, pattern=AMOUNT_PATTERN, hint="dues-import-amount",
                aliases=("交纳金额", "缴费金额", "交易金额", "党费金额"), example="45.00"),
    ImportField("channel", "交纳方式", "choice", choices=(("cash", "现金"), ("bank", "银行"), ("platform", "网上平台")),
                aliases=("缴费方式", "渠道"), example="银行"),
    ImportField("reference", "流水号", "code", required=True, max_length=100,
                aliases=("交易流水号", "交易编号", "订单号", "凭证号"), note_zh="同一流水号重复导入只记一次",
                note_en="a reference imported again counts once"),
))
_MONTH_PARTS = re.compile(r"^(\d{4})\D+(\d{1,2})")


def _import_month(text: str) -> date | None:
    found = _MONTH_PARTS.match(text)
    year, month = int(found.group(1)), int(found.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def _payment_lines(upload: Upload, report: ImportReport) -> list[tuple[int, dict]]:
    """The file's rows as payment lines: months and amounts typed, a person named by id or ID number."""
    out = []
    for line, values in typed_records(upload):
        bad = []
        for name in ("from_month", "to_month"):
            if values.get(name) is not None:
                values[name] = _import_month(values[name])
                if values[name] is None:
                    bad.append((name, msg("dues-import-month")))
        if values.get("person_id"):
            try:
                values["person_id"] = str(UUID(values["person_id"]))
            except ValueError:
                bad.append(("person_id", msg("dues-no-person")))
        elif values.get("id_number"):
            if not valid_id_number(values["id_number"]):
                bad.append(("id_number", msg("import-bad-id-number")))
        else:
            bad.append(("person_id", msg("dues-import-who")))
        for name, message in bad:
            report.add(line, name, message, values.get(name))
        if not bad:
            values["amount"] = Decimal(values["amount"])
            values["to_month"] = values.get("to_month") or values["from_month"]
            out.append((line, values))
    return out


def import_payments(request, args: dict):
    """Payments from the bank's or the payment platform's file (CSV, NDJSON or XLSX, as the kit reads them),
    matched by person id or national ID number (and the name, when the file has one). Any bad line: 422 with
    the report, and nothing is written. A line whose reference the person's payments already hold counts as
    ``existing``, so the same file imported twice records its payments once."""
    session, cfg, principal = db_session(), rule_config(), current_principal()
    report = ImportReport(PAYMENT_SPEC)
    upload = Upload.of_request(request, args, PAYMENT_SPEC, report)
    try:
        lines = _payment_lines(upload, report)
    except NotText as exc:
        raise text_problem(exc.key, exc.params) from None
    if report.total > MAX_IMPORT_LINES:
        raise Problem(422, "Unprocessable Content", msg("import-too-many-rows", most=MAX_IMPORT_LINES),
                      kind="import-errors")
    people = _match_people(session, lines, report, principal)
    person_ids = sorted({p.id for p in people.values()})
    _lock_people(session, person_ids)
    done = set()
    for i in range(0, len(person_ids), 900):
        done.update(session.execute(select(DuesPayment.person_id, DuesPayment.reference)
                                    .where(DuesPayment.person_id.in_(person_ids[i:i + 900]))).all())
    settlements, existing, today = [], 0, dates.today()
    import_id, now = new_id(), utcnow()
    if people:
        ledger = Ledger(session, person_ids, min(v["from_month"] for _, v in lines),
                        max(v["to_month"] for _, v in lines))
        for line_no, values in lines:
            person = people.get(line_no)
            if person is None:
                continue
            if (person.id, values["reference"]) in done:
                existing += 1
                continue
            done.add((person.id, values["reference"]))
            if values["paid_on"] > today:
                report.add(line_no, "paid_on", msg("dues-paid-in-future"), values["paid_on"])
                continue
            try:
                settlements.append(ledger.settle(person, values, cfg, actor=principal.subject, now=now,
                                                 import_id=import_id))
            except RuleViolation as exc:
                for v in exc.violations:
                    report.add(line_no, "*", Message(v.code, f"{v.code}：{v.zh}", f"{v.code}: {v.en}"))
            except Problem as exc:
                report.add(line_no, "*", exc.detail if isinstance(exc.detail, Message) else str(exc.detail))
    if not report.ok:
        raise import_failed(report)
    if args.get("dry_run"):
        return {"dry_run": True, "format": upload.fmt, "encoding": upload.encoding, **report.as_dict()}
    result = {"import_id": import_id if settlements else None, "format": upload.fmt, "total": report.total,
              "created": len(settlements), "existing": existing,
              "amount": yuan(sum(s.payment[8] for s in settlements))}
    if settlements:
        _write(session, settlements)
        audit("dues_import", import_id, "dues.imported", {"total": report.total, "created": len(settlements),
                                                          "amount": str(result["amount"])})
    return result


def _lock_people(session, person_ids: list[str]) -> None:
    """The people's rows locked (in id order: two imports never deadlock) and read again, as a hand-entered
    payment locks its person: the two take turns, and neither pays a month the other has paid."""
    for i in range(0, len(person_ids), 900):
        session.scalars(select(Person).where(Person.id.in_(person_ids[i:i + 900])).order_by(Person.id)
                        .with_for_update().execution_options(populate_existing=True)).all()


def _match_people(session, lines, report: ImportReport, principal) -> dict[int, Person]:
    """Each line's person (by id, or by the national ID number's keyed hash), inside the caller's scope; a
    line whose person is unknown, outside the scope, or named otherwise is an error of the report."""
    by_id = {v["person_id"] for _, v in lines if v.get("person_id")}
    hashes = {}
    if any(v.get("id_number") for _, v in lines):
        cipher = pii_cipher()
        hashes = {line: cipher.keyed_hash(v["id_number"]) for line, v in lines if v.get("id_number")}
    found: dict[str, Person] = {}
    by_hash: dict[str, Person] = {}
    ids, keys = sorted(by_id), sorted(set(hashes.values()))
    for i in range(0, len(ids), 900):
        found.update({p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids[i:i + 900])))})
    for i in range(0, len(keys), 900):
        by_hash.update({p.id_number_hash: p for p in session.scalars(
            select(Person).where(Person.id_number_hash.in_(keys[i:i + 900])))})
    out = {}
    for line, values in lines:
        person = found.get(values["person_id"]) if values.get("person_id") else by_hash.get(hashes.get(line))
        if person is None or not principal.sees(person.org_path):
            name = "person_id" if values.get("person_id") else "id_number"
            report.add(line, name, msg("dues-no-person"), values.get(name))
            continue
        if values.get("name") and values["name"] != person.name:
            report.add(line, "name", msg("dues-name-differs"), values["name"])
            continue
        out[line] = person
    return out


# ----------------------------------------------------------------------------- a person's dues

def person_dues(person: Person, args: dict) -> dict:
    session, cfg = db_session(), rule_config()
    as_of = args.get("as_of") or dates.today()
    bases = session.scalars(select(DuesBase).where(DuesBase.person_id == person.id)
                            .order_by(DuesBase.effective_from)).all()
    bill_stmt = select(DuesBill).where(DuesBill.person_id == person.id).order_by(DuesBill.month)
    pay_stmt = select(DuesPayment).where(DuesPayment.person_id == person.id).order_by(DuesPayment.paid_on,
                                                                                      DuesPayment.id)
    if args.get("year"):
        year = args["year"]
        bill_stmt = bill_stmt.where(DuesBill.month >= date(year, 1, 1), DuesBill.month <= date(year, 12, 1))
        pay_stmt = pay_stmt.where(DuesPayment.paid_on >= date(year, 1, 1), DuesPayment.paid_on <= date(year, 12, 31))
    bills = session.scalars(bill_stmt).all()
    unpaid = session.scalars(select(DuesBill.month).where(DuesBill.person_id == person.id,
                                                          DuesBill.paid_on.is_(None))).all()
    arrears = rules.dues_arrears(list(unpaid), as_of, cfg["dues_arrears_alert_months"],
                                 cfg["dues_arrears_ground_months"])
    return {"person_id": person.id, "as_of": as_of, "bases": [_base_view(b) for b in bases],
            "bills": [_bill_view(b) for b in bills],
            "payments": [payment_view(p) for p in session.scalars(pay_stmt).all()],
            "arrears": _arrears_view(arrears) if arrears else None}


def _arrears_view(violation: Violation) -> dict:
    facts = violation.facts
    return {"code": violation.code, "level": facts["level"], "since": month_text(facts["since"]),
            "until": month_text(facts["until"]), "months": facts["months"], "en": violation.en, "zh": violation.zh}


# ----------------------------------------------------------------------------- arrears (DUES.ARREARS)

def _arrears_in(session, path: str, as_of: date, cfg: dict) -> list[dict]:
    """Every member on the roll under ``path`` whose unpaid months make an alert or a ground, by person id."""
    rows = session.execute(
        select(DuesBill.person_id, DuesBill.month, DuesBill.due_fen, Person.name, Person.unit_id, Person.org_path)
        .join(Person, Person.id == DuesBill.person_id)
        .where(under_clause(Person.org_path, path), Person.status != "left", DuesBill.paid_on.is_(None),
               DuesBill.month < month_of(as_of))
        .order_by(DuesBill.person_id, DuesBill.month)).all()
    unpaid: dict[str, list] = defaultdict(list)
    for row in rows:
        unpaid[row[0]].append(row)
    out = []
    for person_id, bills in unpaid.items():
        violation = rules.dues_arrears([b[1] for b in bills], as_of, cfg["dues_arrears_alert_months"],
                                       cfg["dues_arrears_ground_months"])
        if violation is None:
            continue
        _, _, name, unit_id, org_path = bills[0][1:]
        facts = violation.facts
        outstanding = sum(b[2] for b in bills if facts["since"] <= b[1] <= facts["until"])
        out.append({"person_id": person_id, "person_name": name, "unit_id": unit_id, "org_path": org_path,
                    "kind": "dues_arrears", "code": violation.code, "level": facts["level"],
                    "since": facts["since"], "until": facts["until"], "months": facts["months"],
                    "outstanding": yuan(outstanding), "en": violation.en, "zh": violation.zh})
    return out


def arrears(args: dict) -> dict:
    """Members of a subtree three months or more in arrears (an alert), six or more (a ground), by person id."""
    session, cfg, principal = db_session(), rule_config(), current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    as_of = args.get("as_of") or dates.today()
    items = _arrears_in(session, subtree_path(principal, under_path), as_of, cfg)
    if args.get("level"):
        items = [i for i in items if i["level"] == args["level"]]
    if args.get("cursor"):
        after = decode_cursor(args["cursor"], 1)[0]
        items = [i for i in items if i["person_id"] > str(after)]
    page, more = items[:args["limit"]], len(items) > args["limit"]
    grounds = _grounds_of(session, [i["person_id"] for i in page])
    for item in page:
        item["ground_recorded"] = (item["person_id"], item["since"].isoformat()) in grounds
        item["since"], item["until"] = month_text(item["since"]), month_text(item["until"])
        item.pop("org_path")
    return {"as_of": as_of, "items": page, "next_cursor": encode_cursor((page[-1]["person_id"],)) if more else None}


def _grounds_of(session, person_ids: list[str]) -> set[tuple[str, str]]:
    """(person id, first month unpaid) of the arrears grounds already in the management records."""
    found = set()
    for i in range(0, len(person_ids), 900):
        for person_id, payload in session.execute(select(ManagementAction.person_id, ManagementAction.payload).where(
                ManagementAction.person_id.in_(person_ids[i:i + 900]), ManagementAction.kind == GROUND_KIND)):
            found.add((person_id, (payload or {}).get("since")))
    return found


def record_grounds(session, path: str, as_of: date, cfg: dict, *, actor: str) -> int:
    """Six consecutive months unpaid (DUES.ARREARS) become a MEMBERS.UNQUALIFIED ground in the member's
    management records, once per run of unpaid months, with a ``members.dues.overdue`` event. Nothing else
    changes: removal (除名) is the branch's decision, recorded as a management action of its own."""
    kit = current_kit()
    grounds = [i for i in _arrears_in(session, path, as_of, cfg) if i["level"] == "ground"]
    known = _grounds_of(session, [g["person_id"] for g in grounds])
    events = outbox.EventBatch("members.dues.overdue", outbox.envelope_head("members.dues.overdue", actor=actor))
    count = 0
    for g in grounds:
        since = g["since"].isoformat()
        if (g["person_id"], since) in known:
            continue
        row = ManagementAction(id=new_id(), person_id=g["person_id"], org_path=g["org_path"], kind=GROUND_KIND,
                               occurred_on=as_of, recorded_by=actor,
                               payload={"code": "DUES.ARREARS", "ground": "MEMBERS.UNQUALIFIED", "since": since,
                                        "until": g["until"].isoformat(), "months": g["months"],
                                        "outstanding": str(g["outstanding"]), "en": g["en"], "zh": g["zh"]})
        session.add(row)
        audit_record(session, kit.models.AuditEntry, entity="person", entity_id=g["person_id"],
                     action="dues.arrears_ground", change={"action_id": row.id, "since": since,
                                                           "months": g["months"]}, actor=actor)
        events.add({"person_id": g["person_id"], "unit_id": g["unit_id"], "action_id": row.id,
                    "since": month_text(g["since"]), "until": month_text(g["until"]), "months": g["months"],
                    "outstanding": str(g["outstanding"])}, g["org_path"])
        count += 1
    session.flush()
    outbox.write_events(session, kit.models.OutboxEvent, events)
    return count


def nightly_grounds(app) -> dict:
    """The daily job (worker): the arrears grounds of every province, as of today."""
    kit = app.extensions["zhibu"]
    with kit.db.Session() as session:
        roots = session.scalars(select(OrgUnitView.path).where(OrgUnitView.parent_id.is_(None))).all()
        count = sum(record_grounds(session, path, dates.today(), app.config["RULES"], actor="job:dues-arrears")
                    for path in roots)
        session.commit()
    return {"grounds_recorded": count}


def nightly_bills(app) -> dict:
    """The daily job (worker): this month's bills for every member of every province who has none yet (the
    whole roll on the first night of the month, then whoever was admitted or given a base since), as
    ``POST /dues/bills`` makes them for a unit; a province's seven million take minutes, too long for a
    request through the gateway."""
    kit = app.extensions["zhibu"]
    month = month_of(dates.today())
    with kit.db.Session() as session:
        roots = session.execute(select(OrgUnitView.id, OrgUnitView.path).where(OrgUnitView.parent_id.is_(None))).all()
        created, amount = 0, Decimal("0.00")
        for unit_id, path in roots:
            result = bill_month(session, kit.models.OutboxEvent, path, month)
            if result["created"]:
                audit_record(session, kit.models.AuditEntry, entity="unit", entity_id=unit_id, action="dues.billed",
                             change={"month": month_text(month), "created": result["created"],
                                     "amount": str(result["amount"])}, actor="job:dues-bills")
            created, amount = created + result["created"], amount + result["amount"]
        session.commit()
    return {"month": month_text(month), "created": created, "amount": str(amount)}


#: DUES.MONTHLY: the month's bills, every night (at 01:30, before the arrears are looked at);
#: DUES.ARREARS: six months unpaid become a MEMBERS.UNQUALIFIED ground in the management records, every night
JOBS = [DailyJob("dues-bills", clock(1, 30), nightly_bills), DailyJob("dues-arrears", clock(3, 15), nightly_grounds)]


# ----------------------------------------------------------------------------- the report

REPORT_COLUMNS = [Column("unit_name", "支部"), Column("unit_code", "组织代码"), Column("month", "月份"),
                  Column("bills", "应交人数"), Column("paid_bills", "已交人数"), Column("due", "应交金额（元）"),
                  Column("paid", "实交金额（元）"), Column("outstanding", "未交金额（元）"),
                  Column("late", "补交人数")]
MONTH_COLUMNS = [c for c in REPORT_COLUMNS if c.key not in ("unit_name", "unit_code")]


def _figures(due: int, paid: int, bills: int, paid_bills: int, late: int) -> dict:
    return {"due": yuan(due), "paid": yuan(paid), "outstanding": yuan(due - paid), "bills": bills,
            "paid_bills": paid_bills, "late": late}


def report(args: dict):
    """Due, paid and outstanding by month, for the subtree and for each branch in it (bills count where they
    were made); JSON, CSV (a row per branch and month) or XLSX (both tables)."""
    session, principal = db_session(), current_principal()
    unit = unit_in_scope(args["under"]) if args.get("under") else None
    path = subtree_path(principal, unit.path if unit else None)
    year = args.get("year") or dates.today().year
    first = args.get("from_month") or date(year, 1, 1)
    last = args.get("to_month") or date(first.year, 12, 1)
    if last < first or len(months_between(first, last)) > 36:
        raise _invalid("query", to_month=[str(msg("dues-report-period"))])
    fmt = wanted_format()
    rows = session.execute(
        select(DuesBill.unit_id, DuesBill.month, func.sum(DuesBill.due_fen), func.sum(DuesBill.paid_fen),
               func.count(), func.count(DuesBill.paid_on), func.sum(case((DuesBill.late, 1), else_=0)))
        .where(under_clause(DuesBill.org_path, path), DuesBill.month >= first, DuesBill.month <= last)
        .group_by(DuesBill.unit_id, DuesBill.month)).all()
    units = {}
    unit_ids = sorted({r[0] for r in rows})
    for i in range(0, len(unit_ids), 900):
        units.update({u.id: u for u in session.scalars(select(OrgUnitView).where(OrgUnitView.id.in_(unit_ids[i:i + 900])))})
    by_month: dict[date, list[int]] = {m: [0, 0, 0, 0, 0] for m in months_between(first, last)}
    by_unit: dict[str, dict[date, list[int]]] = defaultdict(dict)
    for unit_id, month, due, paid, bills, paid_bills, late in rows:
        month = month if isinstance(month, date) else date.fromisoformat(str(month))
        figures = [int(due or 0), int(paid or 0), int(bills), int(paid_bills), int(late or 0)]
        by_unit[unit_id][month] = figures
        by_month[month] = [a + b for a, b in zip(by_month[month], figures)]
    total = [sum(f[i] for f in by_month.values()) for i in range(5)]
    months_out = [{"month": month_text(m), **_figures(*f)} for m, f in sorted(by_month.items())]
    branches = []
    for unit_id, months in by_unit.items():
        known = units.get(unit_id)
        sums = [sum(f[i] for f in months.values()) for i in range(5)]
        branches.append({"unit_id": unit_id, "unit_name": known.name if known else None,
                         "unit_code": known.code if known else None, **_figures(*sums),
                         "months": [{"month": month_text(m), **_figures(*f)} for m, f in sorted(months.items())]})
    branches.sort(key=lambda b: (b["unit_name"] or "", b["unit_id"]))
    out = {"unit_id": unit.id if unit else None, "from_month": month_text(first), "to_month": month_text(last),
           "total": _figures(*total), "months": months_out, "branches": branches}
    if fmt == "json":
        return out
    table = [{"unit_name": b["unit_name"], "unit_code": b["unit_code"], **m} for b in branches for m in b["months"]]
    filename = f"党费收缴_{month_text(first)}_{month_text(last)}"
    if fmt == "csv":
        return csv_response(table, REPORT_COLUMNS, filename)
    return xlsx_response({"按月汇总": (MONTH_COLUMNS, months_out + [{"month": "合计", **out["total"]}]),
                          "按支部": (REPORT_COLUMNS, table)}, filename)
