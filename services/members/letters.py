"""Transfer letters (介绍信) with their stubs (存根) and receipts (回执): TRANSFER.LETTER, TRANSFER.RECEIPT,
TRANSFER.REPORT_IN.

A transfer this province sends (within it or out of it) issues a letter numbered in the province's one
sequence per year (``{prefix}〔{year}〕第{seq:06d}号``, the prefix in configuration), valid for the configured
months, naming the last month the member's dues are paid for (from the dues records). A transfer into the
province records the letter the member brought (the issuer's number) with the arrival.

Each change of a letter is versioned (If-Match on the letter's ETag): the arrival (the transfer's
completion within the province; recorded by the sending side for a letter out of it), the receipt's return,
the expiry (only past the validity, without arrival) and the reissue (of an expired letter, once, with a new
number). Deadlines are recorded as they happened, never refused: an arrival after the validity carries
TRANSFER.REPORT_IN, a receipt after its month TRANSFER.RECEIPT.

The open letters are alerts to both sides (``alert_rows``: set-wise, read by ``deadlines.alerts``): a letter
still out (the member to report in by its last valid day; past it, expired without arrival), and a receipt
not yet back (due a month after arrival). An alert from a letter has the id ``-letter.id``.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import String, and_, case, func, literal, or_, select, update

from shared import dates
from shared.db import insert_for
from shared.errors import Problem, not_found
from shared.export import xlsx_form_response
from shared.http import if_match, under_clause
from shared.request import audit, current_principal, db_session, emit, rule_config
from shared.violations import RuleViolation

from . import rules
from .models import DuesBill, LetterCounter, OrgUnitView, Person, Transfer, TransferLetter
from .people import invalid

OPEN = ("issued", "arrived")
ACTIONS = ("arrived", "receipt_returned", "expired", "reissued")


def _valid_months(transfer: Transfer, cfg: dict) -> int:
    key = "transfer_letter_valid_months" if transfer.direction == "within" else "transfer_letter_valid_months_outside"
    return int(cfg[key])


def dues_paid_to(session, person_id: str) -> date | None:
    """The last month of an unbroken run of paid dues from the first bill on (the month the letter names)."""
    months = session.scalars(select(DuesBill.month).where(DuesBill.person_id == person_id,
                                                          DuesBill.paid_on.is_not(None))
                             .order_by(DuesBill.month)).all()
    unpaid = session.scalar(select(func.min(DuesBill.month)).where(DuesBill.person_id == person_id,
                                                                    DuesBill.paid_on.is_(None)))
    paid = [m for m in months if unpaid is None or m < unpaid]
    return paid[-1] if paid else None


def next_number(session, year: int, prefix: str) -> tuple[str, int]:
    """The next number of ``year`` in the province's one sequence: the year's counter row, taken under its
    row lock (``UPDATE ... RETURNING``), so that two letters issued at once never share a number."""
    seq = session.scalar(update(LetterCounter).where(LetterCounter.year == year)
                         .values(last=LetterCounter.last + 1).returning(LetterCounter.last))
    if seq is None:
        # the year's first letter: the counter row, once (a concurrent first insert does nothing)
        session.execute(insert_for(session, LetterCounter).values(year=year, last=0).on_conflict_do_nothing())
        seq = session.scalar(update(LetterCounter).where(LetterCounter.year == year)
                             .values(last=LetterCounter.last + 1).returning(LetterCounter.last))
    return rules.letter_number(prefix, year, seq), seq


def issue(transfer: Transfer, on: date, *, reissue_of: TransferLetter | None = None) -> TransferLetter:
    """A letter of this province for ``transfer``, issued on ``on`` (TRANSFER.LETTER)."""
    session = db_session()
    cfg = rule_config()
    number, seq = next_number(session, on.year, cfg["transfer_letter_prefix"])
    letter = TransferLetter(transfer_id=transfer.id, person_id=transfer.person_id, number=number, year=on.year,
                            seq=seq, issued_on=on, valid_until=rules.letter_valid_until(on, _valid_months(transfer, cfg)),
                            dues_paid_to=dues_paid_to(session, transfer.person_id), status="issued",
                            reissue_of_id=reissue_of.id if reissue_of else None, breaches=[],
                            recorded_by=current_principal().subject)
    session.add(letter)
    session.flush()
    audit("transfer_letter", letter.id, "issued", {"transfer_id": transfer.id, "number": number,
                                                   "valid_until": letter.valid_until,
                                                   "reissue_of": letter.reissue_of_id})
    _emit("members.letter.issued", transfer, letter)
    return letter


def record_incoming(transfer: Transfer, fields: dict) -> TransferLetter:
    """The letter a member brought from outside the province, recorded with the arrival (TRANSFER.REPORT_IN:
    a late arrival is recorded with its breach)."""
    cfg = rule_config()
    issued_on, arrived_on = fields["issued_on"], fields["arrived_on"]
    valid_until = fields.get("valid_until") or rules.letter_valid_until(issued_on, _valid_months(transfer, cfg))
    if arrived_on < issued_on:
        raise invalid(letter={"arrived_on": ["is before the letter was issued"]})
    letter = TransferLetter(transfer_id=transfer.id, person_id=transfer.person_id,
                            external_number=fields["number"], issued_on=issued_on, valid_until=valid_until,
                            dues_paid_to=fields.get("dues_paid_to"), status="issued", breaches=[],
                            recorded_by=current_principal().subject)
    db_session().add(letter)
    db_session().flush()
    audit("transfer_letter", letter.id, "recorded", {"transfer_id": transfer.id, "number": fields["number"]})
    arrive(transfer, letter, arrived_on)
    return letter


def current(transfer: Transfer) -> TransferLetter | None:
    """The transfer's letter in force: the newest one."""
    return db_session().scalar(select(TransferLetter).where(TransferLetter.transfer_id == transfer.id)
                               .order_by(TransferLetter.id.desc()).limit(1))


def in_force(transfer: Transfer) -> TransferLetter:
    letter = current(transfer)
    if letter is None:
        raise not_found("transfer letter")
    return letter


def all_of(transfer_ids: list[str]) -> dict[str, list[TransferLetter]]:
    out: dict[str, list[TransferLetter]] = {}
    if transfer_ids:
        for letter in db_session().scalars(select(TransferLetter).where(TransferLetter.transfer_id.in_(transfer_ids))
                                           .order_by(TransferLetter.id)):
            out.setdefault(letter.transfer_id, []).append(letter)
    return out


def arrive(transfer: Transfer, letter: TransferLetter | None, on: date) -> None:
    """The member reported in on ``on``: the letter arrived; the receipt is due a month later."""
    if letter is None or letter.status != "issued":
        return
    letter.status, letter.arrived_on = "arrived", on
    letter.receipt_due_on = rules.receipt_due(on, int(rule_config()["transfer_receipt_months"]))
    late = rules.report_in(letter.valid_until, on)
    if late:
        letter.breaches = [*letter.breaches, late.as_dict()]
    letter.version += 1
    audit("transfer_letter", letter.id, "arrived", {"on": on, "late": bool(late)})
    _emit("members.letter.arrived", transfer, letter)


def close(transfer: Transfer, on: date) -> None:
    """A transfer cancelled or rejected: its letter still out is void."""
    letter = current(transfer)
    if letter is not None and letter.status in ("issued", "expired"):
        letter.status, letter.closed_on = "cancelled", on
        letter.version += 1
        audit("transfer_letter", letter.id, "cancelled", {"on": on})


def side_may(transfer: Transfer, side: str, what: str) -> None:
    """403 unless the caller is on ``side`` (from: sending, to: receiving) of the transfer."""
    principal = current_principal()
    path = transfer.to_path if side == "to" else transfer.from_path
    if path is None or not principal.sees(path):
        name = "receiving" if side == "to" else "sending"
        raise Problem(403, "Forbidden", f"only the {name} side records {what}", kind="forbidden")


def prepare(transfer: Transfer, fields: dict) -> TransferLetter:
    """The letter in force, locked and matched against If-Match, for a change dated ``fields["on"]``. The person
    first, then the letter: the order a transfer's own change takes them (no deadlock)."""
    db_session().get(Person, transfer.person_id, with_for_update=True, populate_existing=True)
    letter = if_match(in_force(transfer))
    on = fields["on"]
    if on > dates.today():
        raise invalid(on=["is after today"])
    if on < letter.issued_on:
        raise invalid(on=[f"is before the letter was issued ({letter.issued_on})"])
    return letter


def change(transfer: Transfer, letter: TransferLetter, fields: dict) -> dict:
    """One recorded change of the transfer's letter in force (``prepare``d): the receipt's return, the expiry,
    the reissue. (An arrival is the transfer's completion: ``transfers.record_letter``.)"""
    action, on = fields["action"], fields["on"]
    cfg = rule_config()
    if action == "receipt_returned":
        # the receipt comes back to the sending side: recorded by the side in Zhibu that has it in hand
        side_may(transfer, "from" if transfer.from_path is not None else "to", "the receipt")
        if letter.status != "arrived" or letter.receipt_returned_on is not None:
            raise Problem(409, "Conflict", "only the receipt of an arrived letter not yet returned is recorded",
                          kind="conflict")
        if on < letter.arrived_on:
            raise invalid(on=[f"is before the member arrived ({letter.arrived_on})"])
        late = rules.receipt_returned(letter.arrived_on, on, int(cfg["transfer_receipt_months"]))
        if late:
            letter.breaches = [*letter.breaches, late.as_dict()]
        letter.receipt_returned_on = letter.closed_on = on
        letter.version += 1
        audit("transfer_letter", letter.id, "receipt_returned", {"on": on, "late": bool(late)})
        _emit("members.letter.receipt_returned", transfer, letter)
        return view(letter)
    side_may(transfer, "from", f"a letter {action}")
    if action == "expired":
        if letter.status != "issued":
            raise Problem(409, "Conflict", f"a letter that is {letter.status} cannot expire", kind="conflict")
        violation = rules.letter_expired(letter.valid_until, on)
        if violation:
            raise RuleViolation(violation)
        letter.status, letter.expired_on = "expired", on
        letter.version += 1
        audit("transfer_letter", letter.id, "expired", {"on": on})
        _emit("members.letter.expired", transfer, letter)
        return view(letter)
    # reissued: the expired letter is closed and a new one issued, once
    reissues = db_session().scalar(select(func.count()).select_from(TransferLetter).where(
        TransferLetter.transfer_id == transfer.id, TransferLetter.reissue_of_id.is_not(None)))
    violation = rules.letter_reissue(letter.status, int(reissues or 0), int(cfg["transfer_letter_reissues"]))
    if violation:
        raise RuleViolation(violation)
    letter.status, letter.closed_on = "reissued", on
    letter.version += 1
    audit("transfer_letter", letter.id, "reissued", {"on": on})
    return view(issue(transfer, on, reissue_of=letter))


def view(letter: TransferLetter) -> dict:
    return {"id": letter.id, "transfer_id": letter.transfer_id, "person_id": letter.person_id,
            "number": letter.number or letter.external_number, "issued_here": letter.number is not None,
            "issued_on": letter.issued_on, "valid_until": letter.valid_until,
            "dues_paid_to": f"{letter.dues_paid_to.year}-{letter.dues_paid_to.month:02d}" if letter.dues_paid_to else None,
            "status": letter.status, "arrived_on": letter.arrived_on, "receipt_due_on": letter.receipt_due_on,
            "receipt_returned_on": letter.receipt_returned_on, "expired_on": letter.expired_on,
            "closed_on": letter.closed_on, "reissue_of_id": letter.reissue_of_id, "breaches": letter.breaches,
            "version": letter.version}


def _emit(type_: str, transfer: Transfer, letter: TransferLetter) -> None:
    data = {"letter_id": letter.id, "transfer_id": transfer.id, "person_id": transfer.person_id,
            "number": letter.number or letter.external_number, "direction": transfer.direction,
            "from_unit_id": transfer.from_unit_id, "to_unit_id": transfer.to_unit_id,
            "issued_on": letter.issued_on, "valid_until": letter.valid_until, "status": letter.status,
            "arrived_on": letter.arrived_on, "receipt_due_on": letter.receipt_due_on,
            "receipt_returned_on": letter.receipt_returned_on,
            "breaches": [b["code"] for b in letter.breaches], "letter_version": letter.version}
    emit(type_, data, org_path=transfer.from_path or transfer.to_path)


# ----------------------------------------------------------------------------- alerts, set-wise

#: alert kind -> (rule code, English, Chinese)
ALERT_KINDS = {
    "letter_report_in": ("TRANSFER.REPORT_IN", "the member to report in with the transfer letter",
                         "党员持组织关系介绍信报到"),
    "letter_receipt": ("TRANSFER.RECEIPT", "the transfer letter's receipt to come back", "组织关系介绍信回执退回"),
}


def alert_rows(path: str, as_of: date, horizon_end: date, kind: str | None):
    """The letters' alerts under ``path`` (either side of the transfer), as rows shaped like the deadlines'
    (``deadlines.alerts`` unites them): a letter out and not arrived, due its last valid day (past it: expired
    without arrival, flagged to both sides until it is recorded expired, reissued or the transfer closed); a
    receipt not back, due a month after arrival."""
    seen = or_(under_clause(Transfer.from_path, path), under_clause(Transfer.to_path, path))
    report_in = (select((-TransferLetter.id).label("id"), Transfer.person_id, Transfer.person_name.label("name"),
                        func.coalesce(Transfer.from_unit_id, Transfer.to_unit_id).label("unit_id"),
                        literal("letter_report_in", String).label("kind"),
                        literal("TRANSFER.REPORT_IN", String).label("code"),
                        TransferLetter.issued_on.label("opened_on"), TransferLetter.valid_until.label("due_on"),
                        Transfer.id.label("transfer_id"))
                 .join(Transfer, Transfer.id == TransferLetter.transfer_id)
                 .where(seen, TransferLetter.status == "issued", TransferLetter.valid_until <= horizon_end))
    receipt = (select((-TransferLetter.id).label("id"), Transfer.person_id, Transfer.person_name.label("name"),
                      func.coalesce(Transfer.to_unit_id, Transfer.from_unit_id).label("unit_id"),
                      literal("letter_receipt", String).label("kind"),
                      literal("TRANSFER.RECEIPT", String).label("code"),
                      TransferLetter.arrived_on.label("opened_on"), TransferLetter.receipt_due_on.label("due_on"),
                      Transfer.id.label("transfer_id"))
               .join(Transfer, Transfer.id == TransferLetter.transfer_id)
               .where(seen, TransferLetter.status == "arrived", TransferLetter.receipt_returned_on.is_(None),
                      TransferLetter.receipt_due_on <= horizon_end))
    if kind == "letter_report_in":
        return [report_in]
    if kind == "letter_receipt":
        return [receipt]
    return [report_in, receipt] if kind is None else []


def breach_counts(path: str, as_of: date, year: int | None) -> list[dict]:
    """Per rule: letters recorded late (breached) and still open past their date (overdue), either side."""
    session = db_session()
    seen = or_(under_clause(Transfer.from_path, path), under_clause(Transfer.to_path, path))
    out = []
    for kind, (code, _, _) in ALERT_KINDS.items():
        due = TransferLetter.valid_until if kind == "letter_report_in" else TransferLetter.receipt_due_on
        is_open = (TransferLetter.status == "issued" if kind == "letter_report_in" else
                   and_(TransferLetter.status == "arrived", TransferLetter.receipt_returned_on.is_(None)))
        late_at = TransferLetter.arrived_on if kind == "letter_report_in" else TransferLetter.receipt_returned_on
        stmt = (select(func.sum(case((late_at > due, 1), else_=0)),
                       func.sum(case((and_(is_open, due < as_of), 1), else_=0)))
                .join(Transfer, Transfer.id == TransferLetter.transfer_id).where(seen, due.is_not(None)))
        if year:
            stmt = stmt.where(due >= date(year, 1, 1), due < date(year + 1, 1, 1))
        breached, overdue = session.execute(stmt).one()
        if breached or overdue:
            out.append({"code": code, "kind": kind, "breached": int(breached or 0), "overdue": int(overdue or 0)})
    return out


# ----------------------------------------------------------------------------- the printable letter

def _unit_name(unit_id: str | None, external: str | None) -> str:
    if unit_id is None:
        return external or ""
    unit = db_session().get(OrgUnitView, unit_id)
    return unit.name if unit else unit_id


def _month_zh(month: date | None) -> str:
    return f"{month.year}年{month.month}月" if month else "    年  月"


def _day_zh(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "    年  月  日"


def printable(transfer: Transfer, letter: TransferLetter):
    """The letter in the official three-part layout on one sheet, cut lines between the parts: the stub
    (存根) kept by the sending committee, the letter (介绍信) the member carries, the receipt (回执) the
    receiving committee sends back."""
    person = db_session().get(Person, transfer.person_id)
    source = _unit_name(transfer.from_unit_id, transfer.external_name)
    target = _unit_name(transfer.to_unit_id, transfer.external_name)
    stage = "正式" if person is None or person.stage == "full" else "预备"
    number = letter.number or letter.external_number
    months = _valid_months(transfer, rule_config())
    gender = {"male": "男", "female": "女"}.get(person.gender, person.gender) if person else ""
    ethnicity = (person.ethnicity or "") if person else ""
    age = dates.age_on(person.birth_date, letter.issued_on) if person else ""
    masked = (person.id_number_masked or "") if person else ""
    address = transfer.external_address or ""
    lines = [
        ("title", "中国共产党党员组织关系介绍信（存根）"),
        ("number", number),
        ("body", f"{transfer.person_name}同志系中共{stage}党员，组织关系由{source}转到{target}。"),
        ("body", f"党费交到{_month_zh(letter.dues_paid_to)}。"),
        ("body", f"有效期{months}个月，至{_day_zh(letter.valid_until)}。"),
        ("sign", _day_zh(letter.issued_on)),
        ("cut", "（骑缝）- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -"),
        ("title", "中国共产党党员组织关系介绍信"),
        ("number", number),
        ("body", f"{target}："),
        ("body", f"    {transfer.person_name}同志（{gender}，{age}岁，{ethnicity}），身份证号码{masked}，系中共{stage}党员，"
                 f"由{source}去{target}，请转接组织关系。该同志党费已交到{_month_zh(letter.dues_paid_to)}。"),
        ("body", f"（有效期{months}个月，至{_day_zh(letter.valid_until)}）"),
        ("sign", f"{source}（盖章）"),
        ("sign", _day_zh(letter.issued_on)),
        ("body", f"接收党组织地址：{address}" if address else "党员原所在基层党委通讯地址："),
        ("cut", "（骑缝）- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -"),
        ("title", "中国共产党党员组织关系介绍信回执"),
        ("number", number),
        ("body", f"{source}："),
        ("body", f"    {transfer.person_name}同志的党员组织关系已转达我处"
                 f"（{_day_zh(letter.arrived_on)}报到），特此回执。"),
        ("sign", f"{target}（盖章）"),
        ("sign", _day_zh(letter.receipt_returned_on)),
    ]
    filename = f"transfer-letter-{letter.year or letter.issued_on.year}-{letter.seq or letter.id}"
    return xlsx_form_response("组织关系介绍信", lines, filename)

