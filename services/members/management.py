"""Member management: out of contact and suspension (MEMBERS.OUT_OF_CONTACT), unqualified members
(MEMBERS.UNQUALIFIED), leaving (death, withdrawal, removal, expulsion), 留党察看 and restored rights,
and the classification of members (in work, retired, mobile; MEMBERS.TRANSFER for the mobile).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from shared import dates
from shared.request import audit, current_principal, db_session, rule_config
from shared.errors import Problem
from shared.http import paginate
from shared.violations import RuleViolation, Violation

from . import deadlines, rules, transfers
from .models import ManagementAction, Person
from .people import emit_person, invalid
from .procedure import jsonable


@dataclass
class Outcome:
    changes: dict = field(default_factory=dict)
    meets: tuple[str, ...] = ()
    opens: list[tuple[str, date]] = field(default_factory=list)
    cancels: tuple[str, ...] = ()
    left_reason: str | None = None


ACTIONS: dict = {}


def action(*kinds: str):
    def register(fn):
        for kind in kinds:
            ACTIONS[kind] = fn
        return fn
    return register


def _refuse(violation: Violation | None) -> None:
    if violation is not None:
        raise RuleViolation(violation)


def _member_only(person: Person, code: str) -> None:
    _refuse(rules.party_member(code, person.stage))


def record(person: Person, body: dict) -> dict:
    """Record one management action for ``person`` (loaded in scope, locked)."""
    session = db_session()
    on = body["date"]
    if on > dates.today():
        raise invalid(date=["is after today"])
    if person.status == "left":
        raise Problem(409, "Conflict", f"the person left on {person.left_on} ({person.left_reason})", kind="conflict")
    outcome: Outcome = ACTIONS[body["kind"]](person, body, on, rule_config())
    if outcome.left_reason:
        outcome.changes.update(status="left", left_on=on, left_reason=outcome.left_reason)
    before_status, before_class = person.status, person.classification
    for name, value in outcome.changes.items():
        setattr(person, name, value)
    person.version += 1
    row = ManagementAction(person_id=person.id, org_path=person.org_path, kind=body["kind"], occurred_on=on,
                           payload=jsonable({k: v for k, v in body.items() if k not in ("kind", "date")}),
                           recorded_by=current_principal().subject)
    session.add(row)
    session.flush()
    for kind in outcome.meets:
        deadlines.meet(person, kind, on, row.id)
    if outcome.left_reason:
        deadlines.cancel(person, on, row.id)
        transfers.close_open(person, on)
    elif outcome.cancels:
        deadlines.cancel(person, on, row.id, outcome.cancels)
    for kind, due_on in outcome.opens:
        deadlines.open_(person, kind, on, due_on, row.id)
    audit("person", person.id, f"management.{body['kind']}", {"action_id": row.id, "on": on,
                                                             "changes": jsonable(outcome.changes)})
    if outcome.left_reason:
        emit_person("members.member.left", person, reason=outcome.left_reason, left_on=on)
    elif person.status != before_status or person.classification != before_class:
        emit_person("members.person.updated", person)
    return view(row, person)


def view(row: ManagementAction, person: Person | None = None) -> dict:
    out = {"id": row.id, "person_id": row.person_id, "kind": row.kind, "occurred_on": row.occurred_on,
           "payload": row.payload, "recorded_by": row.recorded_by, "recorded_at": row.recorded_at}
    if person is not None:
        out["person"] = {"id": person.id, "stage": person.stage, "status": person.status,
                         "reached_step": person.reached_step, "version": person.version}
    return out


def list_actions(person: Person, args: dict) -> dict:
    stmt = select(ManagementAction).where(ManagementAction.person_id == person.id)
    page = paginate(db_session(), stmt, [ManagementAction.id], cursor=args.get("cursor"), limit=args["limit"])
    page["items"] = [view(r) for r in page["items"]]
    return page


# ----------------------------------------------------------------------------- out of contact

@action("out_of_contact")
def _out_of_contact(person, body, on, cfg) -> Outcome:
    _member_only(person, "MEMBERS.OUT_OF_CONTACT")
    if person.out_of_contact_since:
        raise Problem(409, "Conflict", f"already out of contact since {person.out_of_contact_since}", kind="conflict")
    return Outcome(changes={"out_of_contact_since": on},
                   opens=[("suspension", dates.add_months(on, cfg["out_of_contact_months"]))])


@action("contact_restored")
def _contact_restored(person, body, on, cfg) -> Outcome:
    if not person.out_of_contact_since:
        raise Problem(409, "Conflict", "the member is not recorded as out of contact", kind="conflict")
    return Outcome(changes={"out_of_contact_since": None, "suspended_on": None, "status": "active"},
                   cancels=("suspension", "removal"))


@action("suspension")
def _suspension(person, body, on, cfg) -> Outcome:
    _member_only(person, "MEMBERS.OUT_OF_CONTACT")
    if person.status == "suspended":
        raise Problem(409, "Conflict", f"already suspended since {person.suspended_on}", kind="conflict")
    _refuse(rules.out_of_contact_suspension(person.out_of_contact_since, on, cfg["out_of_contact_months"]))
    return Outcome(changes={"status": "suspended", "suspended_on": on}, meets=("suspension",),
                   opens=[("removal", dates.add_years(on, cfg["suspension_removal_years"]))])


@action("removal")
def _removal(person, body, on, cfg) -> Outcome:
    _member_only(person, "MEMBERS.UNQUALIFIED")
    if body["ground"] == "out_of_contact":
        _refuse(rules.out_of_contact_removal(person.suspended_on, on, cfg["suspension_removal_years"]))
        return Outcome(left_reason="removal", meets=("removal",))
    _refuse(rules.removal_ground(body["ground"], on, body.get("since"), person.correction_until,
                                 person.persuasion_refused_on is not None, cfg["no_party_life_months"]))
    return Outcome(left_reason="removal")


# ----------------------------------------------------------------------------- unqualified members

@action("correction")
def _correction(person, body, on, cfg) -> Outcome:
    _member_only(person, "MEMBERS.UNQUALIFIED")
    _refuse(rules.correction_period(on, body["until"], cfg["correction_max_months"]))
    return Outcome(changes={"correction_until": body["until"]}, opens=[("correction", body["until"])])


@action("correction_result")
def _correction_result(person, body, on, cfg) -> Outcome:
    if person.correction_until is None:
        raise Problem(409, "Conflict", "no correction period is under way", kind="conflict")
    if body["corrected"]:
        return Outcome(changes={"correction_until": None}, meets=("correction",))
    return Outcome(meets=("correction",))


@action("persuasion")
def _persuasion(person, body, on, cfg) -> Outcome:
    _member_only(person, "MEMBERS.UNQUALIFIED")
    if body["accepted"]:
        return Outcome(left_reason="withdrawal")
    return Outcome(changes={"persuasion_refused_on": on})


# ----------------------------------------------------------------------------- leaving, discipline

@action("withdrawal")
def _withdrawal(person, body, on, cfg) -> Outcome:
    return Outcome(left_reason="withdrawal")


@action("death")
def _death(person, body, on, cfg) -> Outcome:
    return Outcome(left_reason="death")


@action("expulsion")
def _expulsion(person, body, on, cfg) -> Outcome:
    _member_only(person, "MEMBERS.UNQUALIFIED")
    return Outcome(left_reason="expulsion")


@action("party_probation")
def _party_probation(person, body, on, cfg) -> Outcome:
    if person.stage != "full":
        raise Problem(409, "Conflict", "留党察看 is a discipline of full members", kind="conflict")
    return Outcome(changes={"party_probation_since": on, "party_probation_until": dates.add_months(on, body["months"]),
                            "rights_restored_on": None})


@action("rights_restored")
def _rights_restored(person, body, on, cfg) -> Outcome:
    if person.party_probation_since is None or (person.rights_restored_on and person.rights_restored_on
                                                >= person.party_probation_since):
        raise Problem(409, "Conflict", "the member is not under 留党察看", kind="conflict")
    if on < person.party_probation_since:
        raise invalid(date=[f"is before the 留党察看 began ({person.party_probation_since})"])
    return Outcome(changes={"rights_restored_on": on})


# ----------------------------------------------------------------------------- classification

@action("classification")
def _classification(person, body, on, cfg) -> Outcome:
    outcome = Outcome(changes={"classification": body["classification"]}, cancels=("transfer",))
    if body["classification"] == "mobile" and body["fixed_place"] and person.stage in ("probationary", "full"):
        outcome.opens = [("transfer", rules.transfer_due(on, cfg["transfer_away_months"]))]
    return outcome
