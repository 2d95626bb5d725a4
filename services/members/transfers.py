"""Transfers of organizational relationship (组织关系转接): requested by the sending branch, accepted and
completed by the receiving one; both sides see the transfer until it completes.

A completed transfer moves the person and the records that carry the person's path (``follow_paths``).
Every transfer this province sends issues a numbered letter (``letters``); a transfer out of the province
(the receiving side a name and an address) is decided and completed by the sending side, and the member
leaves the roll (``transferred_out``); a transfer into the province is recorded by the receiving branch when
the member arrives with the letter of the other province, the person registered in the receiving unit.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, update

from shared import dates
from shared.request import audit, current_principal, db_session, unit_in_scope
from shared.errors import Problem, not_found
from shared.http import if_match, paginate, subtree_path, under_clause
from shared.violations import RuleViolation

from . import deadlines, letters, rules
from .models import Deadline, ManagementAction, OrgUnitView, Person, StepRecord, Transfer
from .people import emit_person, get_in_scope, invalid

OPEN = ("requested", "accepted")
#: status -> (statuses it may come from, the side that decides it)
TRANSITIONS = {"accepted": (("requested",), "to"), "rejected": (OPEN, "to"), "completed": (("accepted",), "to"),
               "cancelled": (OPEN, "from")}


def view(t: Transfer, seen_from: str | None = None, letters_of: dict | None = None) -> dict:
    """A transfer as the caller sees it; ``direction`` is out, in or both, seen from ``seen_from`` (a subtree
    path: the list's ``under``), by default the caller's scope."""
    seen_from = seen_from or current_principal().scope_path or "/"
    sides = [side for side, path in (("out", t.from_path), ("in", t.to_path)) if path and path.startswith(seen_from)]
    external = {"name": t.external_name, "address": t.external_address} if t.external_name else None
    letter_rows = letters_of.get(t.id) if letters_of is not None else letters.all_of([t.id]).get(t.id)
    letter_views = [letters.view(row) for row in letter_rows or []]
    return {"id": t.id, "person_id": t.person_id, "person_name": t.person_name, "from_unit_id": t.from_unit_id,
            "to_unit_id": t.to_unit_id, "scope": t.direction,
            "from_external": external if t.direction == "into_province" else None,
            "to_external": external if t.direction == "out_of_province" else None,
            "status": t.status, "reason": t.reason, "requested_on": t.requested_on,
            "accepted_on": t.accepted_on, "completed_on": t.completed_on, "closed_on": t.closed_on,
            "direction": "both" if len(sides) == 2 else sides[0] if sides else None,
            "letter": letter_views[-1] if letter_views else None, "letters": letter_views, "version": t.version}


def _not_after_today(name: str, on: date) -> None:
    if on > dates.today():
        raise invalid(**{name: ["is after today"]})


def request_transfer(fields: dict) -> Transfer:
    """A transfer requested by the sending side (within the province or out of it: ``to_external``), its
    letter issued the same day; or, with ``from_external``, a transfer into the province recorded on arrival."""
    if fields.get("from_external"):
        return _record_incoming(fields)
    session = db_session()
    person = get_in_scope(fields["person_id"], for_update=True)
    to = None
    if fields.get("to_external"):
        direction = "out_of_province"
    else:
        direction = "within"
        to = session.get(OrgUnitView, str(fields["to_unit_id"]))
        if to is None or to.status != "active":
            raise invalid(to_unit_id=["no such active unit"])
        if to.id == person.unit_id:
            raise invalid(to_unit_id=["the member already belongs to this unit"])
    _not_after_today("requested_on", fields["requested_on"])
    _eligible(person)
    external = fields.get("to_external") or {}
    transfer = Transfer(person_id=person.id, person_name=person.name, direction=direction,
                        from_unit_id=person.unit_id, from_path=person.org_path, to_unit_id=to.id if to else None,
                        to_path=to.path if to else None, external_name=external.get("name"),
                        external_address=external.get("address"), status="requested",
                        reason=fields.get("reason"), requested_on=fields["requested_on"])
    session.add(transfer)
    session.flush()
    audit("transfer", transfer.id, "requested", {"person_id": person.id, "from_unit_id": person.unit_id,
                                                 "to_unit_id": transfer.to_unit_id, "to_external": external or None})
    letters.issue(transfer, fields["requested_on"])
    return transfer


def _eligible(person: Person) -> None:
    under_way = db_session().scalar(select(Transfer.id).where(Transfer.person_id == person.id,
                                                              Transfer.status.in_(OPEN))) is not None
    violation = rules.transfer_eligible(person.stage, person.status, under_way)
    if violation:
        raise RuleViolation(violation)


def _record_incoming(fields: dict) -> Transfer:
    """A member arrived from outside the province with that province's letter: the receiving branch has
    registered the person in its unit and records the transfer, completed on arrival, with the letter; the
    receipt is then due back (TRANSFER.RECEIPT)."""
    session = db_session()
    person = get_in_scope(fields["person_id"], for_update=True)
    letter = fields.get("letter")
    if not letter:
        raise invalid(letter=["the letter the member brought: its number, date of issue and the arrival"])
    arrived_on = letter["arrived_on"]
    _not_after_today("arrived_on", arrived_on)
    _eligible(person)
    external = fields["from_external"]
    transfer = Transfer(person_id=person.id, person_name=person.name, direction="into_province",
                        to_unit_id=person.unit_id, to_path=person.org_path, external_name=external["name"],
                        external_address=external.get("address"), status="completed", reason=fields.get("reason"),
                        requested_on=letter["issued_on"], accepted_on=arrived_on, completed_on=arrived_on,
                        closed_on=arrived_on)
    session.add(transfer)
    session.flush()
    audit("transfer", transfer.id, "arrived", {"person_id": person.id, "to_unit_id": person.unit_id,
                                               "from_external": external})
    letters.record_incoming(transfer, letter)
    return transfer


def get_visible(transfer_id) -> Transfer:
    transfer = db_session().get(Transfer, str(transfer_id))
    principal = current_principal()
    if transfer is None or transfer.direction == "dissolution" or not (
            principal.sees(transfer.from_path) or principal.sees(transfer.to_path)):
        raise not_found("transfer")
    return transfer


def change(transfer: Transfer, fields: dict) -> Transfer:
    """Accept, reject, complete (the receiving side) or cancel (the sending side) a transfer.

    Locks the person before the transfer, in the order a member's leaving takes them (``close_open``):
    a completion racing a death waits for it instead of deadlocking."""
    person = db_session().get(Person, transfer.person_id, with_for_update=True, populate_existing=True)
    transfer = if_match(transfer)
    status, on = fields["status"], fields["on"]
    sources, side = TRANSITIONS[status]
    if transfer.direction == "out_of_province":
        side = "from"   # the receiving side is outside Zhibu: the sending side records its answer
    if transfer.status not in sources:
        raise Problem(409, "Conflict", f"a transfer that is {transfer.status} cannot become {status}",
                      kind="conflict")
    if not current_principal().sees(transfer.to_path if side == "to" else transfer.from_path):
        raise Problem(403, "Forbidden", f"only the {'receiving' if side == 'to' else 'sending'} side may mark a "
                      f"transfer {status}", kind="forbidden")
    _not_after_today("on", on)
    earliest = transfer.accepted_on or transfer.requested_on
    if on < earliest:
        raise invalid(on=[f"is before the transfer's previous date ({earliest})"])
    transfer.status = status
    transfer.version += 1
    if status == "accepted":
        transfer.accepted_on = on
    elif status == "completed":
        transfer.completed_on = transfer.closed_on = on
        if transfer.direction == "out_of_province":
            _leave_province(transfer, person, on)
        else:
            _complete(transfer, person, on)
        letters.arrive(transfer, letters.current(transfer), on)
    else:
        transfer.closed_on = on
        letters.close(transfer, on)
    audit("transfer", transfer.id, status, {"on": on})
    return transfer


def record_letter(transfer: Transfer, fields: dict) -> dict:
    """One recorded change of the transfer's letter (If-Match on the letter). An arrival is the completion of a
    transfer out of the province, recorded by the sending side (within the province the receiving branch
    completes the transfer itself: ``change``); the rest is the letter's own (``letters.change``)."""
    letter = letters.prepare(transfer, fields)
    if fields["action"] != "arrived":
        return letters.change(transfer, letter, fields)
    if transfer.direction != "out_of_province":
        raise Problem(409, "Conflict", "the letter arrives when the receiving branch completes the transfer",
                      kind="conflict")
    letters.side_may(transfer, "from", "an arrival outside the province")
    if letter.status != "issued":
        raise Problem(409, "Conflict", f"a letter that is {letter.status} cannot arrive", kind="conflict")
    _complete_outside(transfer, fields["on"])
    letters.arrive(transfer, letter, fields["on"])
    return letters.view(letter)


def _complete_outside(transfer: Transfer, on: date) -> None:
    """The letter out of the province arrived (recorded by the sending side): the transfer is completed."""
    person = db_session().get(Person, transfer.person_id, with_for_update=True, populate_existing=True)
    if transfer.status not in OPEN:
        raise Problem(409, "Conflict", f"a transfer that is {transfer.status} cannot be completed", kind="conflict")
    earliest = transfer.accepted_on or transfer.requested_on
    if on < earliest:
        raise invalid(on=[f"is before the transfer's previous date ({earliest})"])
    transfer.status = "completed"
    transfer.completed_on = transfer.closed_on = on
    transfer.version += 1
    audit("transfer", transfer.id, "completed", {"on": on})
    _leave_province(transfer, person, on)


def _leave_province(transfer: Transfer, person: Person, on: date) -> None:
    """A member arrived outside the province: the member leaves this province's roll (``transferred_out``):
    no longer counted here, the history kept."""
    person.status, person.left_on, person.left_reason = "left", on, "transferred_out"
    person.version += 1
    deadlines.cancel(person, on, transfer.id)
    audit("person", person.id, "transferred_out", {"transfer_id": transfer.id, "to": transfer.external_name})
    emit_person("members.member.left", person, reason="transferred_out", left_on=on)


def _complete(transfer: Transfer, person: Person, on: date) -> None:
    """The person (locked by ``change``) moves to the receiving unit, with the records that carry its path."""
    session = db_session()
    to = session.get(OrgUnitView, transfer.to_unit_id)
    if to is None or to.status != "active":
        raise Problem(409, "Conflict", "the receiving unit is no longer active", kind="conflict")
    from_unit_id = person.unit_id
    person.unit_id, person.org_path = to.id, to.path
    person.version += 1
    follow_paths(session, [person.id], to.path)
    session.execute(update(Deadline).where(Deadline.person_id == person.id, Deadline.kind == "transfer",
                                           Deadline.met_on.is_(None), Deadline.cancelled_on.is_(None))
                    .values(met_on=on, met_by=transfer.id).execution_options(synchronize_session=False))
    audit("person", person.id, "transferred", {"from_unit_id": from_unit_id, "to_unit_id": to.id,
                                               "transfer_id": transfer.id})
    emit_person("members.member.transferred", person, from_unit_id=from_unit_id, transferred_on=on)


def follow_paths(session, person_ids: list[str], path: str) -> None:
    """The records that carry a person's path follow the person."""
    for model in (Deadline, StepRecord, ManagementAction):
        session.execute(update(model).where(model.person_id.in_(person_ids)).values(org_path=path)
                        .execution_options(synchronize_session=False))


def close_open(person: Person, on: date) -> None:
    """A member who leaves has no transfer under way any more (nor a letter out)."""
    for transfer in db_session().scalars(select(Transfer).where(Transfer.person_id == person.id,
                                                                Transfer.status.in_(OPEN))):
        letters.close(transfer, on)
    db_session().execute(update(Transfer).where(Transfer.person_id == person.id, Transfer.status.in_(OPEN))
                         .values(status="cancelled", closed_on=on, version=Transfer.version + 1)
                         .execution_options(synchronize_session=False))


def list_transfers(args: dict) -> dict:
    """Transfers out of or into a subtree: both branches see each one."""
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    path = subtree_path(principal, under_path)
    stmt = select(Transfer).where(or_(under_clause(Transfer.from_path, path), under_clause(Transfer.to_path, path)),
                                  Transfer.direction != "dissolution")
    if args.get("status"):
        stmt = stmt.where(Transfer.status == args["status"])
    page = paginate(db_session(), stmt, [Transfer.id], cursor=args.get("cursor"), limit=args["limit"])
    letters_of = letters.all_of([t.id for t in page["items"]])
    page["items"] = [view(t, path, letters_of) for t in page["items"]]
    return page
