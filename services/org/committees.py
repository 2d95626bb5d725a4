"""Committees and terms: elections (换届), vacancies, by-elections, the upper committee's approval
of the secretary and deputy, approved extensions of a term, and the terms falling due."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shared.request import audit, current_principal, db_session, emit, rule_config
from shared.dates import today
from shared.errors import Problem, invalid, not_found
from shared.messages import msg
from shared.http import if_match, paginate, under_clause
from shared.violations import RuleViolation

from . import rules
from .models import Committee, RosterState, Seat, Unit
from .units import get_in_scope, require_active, subtree_path_for


# ----------------------------------------------------------------------------- reading

def current(session, unit_id: str) -> Committee | None:
    return session.scalar(select(Committee).where(Committee.unit_id == unit_id, Committee.status == "current"))


def change_current(unit_id, change, fields) -> dict:
    """``change(unit, committee, fields)`` on the unit's current committee (If-Match on the committee)."""
    unit = get_in_scope(unit_id)
    return change(unit, if_match(current_of(unit)), fields)


def current_of(unit: Unit) -> Committee:
    committee = current(db_session(), unit.id)
    if committee is None:
        raise not_found("committee")
    return committee


def seats_of(session, committee: Committee) -> list[Seat]:
    return session.scalars(select(Seat).where(Seat.committee_id == committee.id).order_by(Seat.position)).all()


def term_of(committee: Committee, on) -> dict:
    if committee.status != "current":
        return {"state": committee.status, "days_left": None, "days_overdue": None}
    breach = rules.term_state(committee.term_ends_on, on, warning_days=rule_config()["term_warning_days"])
    if breach is None:
        return {"state": "running", "days_left": (committee.term_ends_on - on).days, "days_overdue": None}
    return {"state": breach.facts["state"], "days_left": breach.facts.get("days_left"),
            "days_overdue": breach.facts.get("days_overdue")}


def view(committee: Committee) -> dict:
    """A committee with its seats and the state of its term, as the API shows it."""
    session = db_session()
    seats = [{"id": s.id, "role": s.role, "person_id": s.person_id, "person_name": s.person_name, "since": s.since,
              "vacant_since": s.vacant_since, "vacancy_reason": s.vacancy_reason, "approved_on": s.approved_on,
              "approved_by": s.approved_by,
              "approval_pending": bool(s.person_id and rules.approval_needed(s.role) and not s.approved_on)}
             for s in seats_of(session, committee)]
    return {**{c.key: getattr(committee, c.key) for c in Committee.__table__.columns}, "seats": seats,
            "term": term_of(committee, today())}


def event_data(session, committee: Committee) -> dict:
    """The committee's whole state, as org.committee.elected / .changed carry it."""
    return {"unit_id": committee.unit_id, "committee_id": committee.id, "elected_on": committee.elected_on,
            "term_ends_on": committee.term_ends_on,
            "seats": [{"role": s.role, "person_id": s.person_id, "since": s.since}
                      for s in seats_of(session, committee)],
            "secretary_vacant_since": committee.secretary_vacant_since, "committee_version": committee.version}


def history(unit: Unit, args: dict) -> dict:
    """Every election of the unit, oldest first."""
    stmt = select(Committee).where(Committee.unit_id == unit.id)
    page = paginate(db_session(), stmt, [Committee.version], cursor=args.get("cursor"), limit=args["limit"])
    return {**page, "items": [view(c) for c in page["items"]]}


# ----------------------------------------------------------------------------- the gates

def roster_on(session, on, *, person_ids: list[str] | None = None, unit_id: str | None = None
              ) -> dict[str, RosterState]:
    """Each person's state on the roll as of ``on`` (the latest state dated on or before it), for the
    people named or for everyone who was ever on ``unit_id``'s roll."""
    stmt = select(RosterState).where(RosterState.effective_on <= on)
    if person_ids is not None:
        stmt = stmt.where(RosterState.person_id.in_(person_ids))
    if unit_id is not None:
        stmt = stmt.where(RosterState.person_id.in_(
            select(RosterState.person_id).where(RosterState.unit_id == unit_id).scalar_subquery()))
    latest: dict[str, RosterState] = {}
    for state in session.scalars(stmt.order_by(RosterState.person_id, RosterState.effective_on,
                                               RosterState.person_version)):
        latest[state.person_id] = state
    return latest


def _holders(session, unit: Unit, person_ids: list[str], on) -> dict[str, rules.Holder]:
    """What the roster said of each candidate on the election's date: a branch's seats go to its own
    members; a general branch's or a committee's to members anywhere in its subtree."""
    states = roster_on(session, on, person_ids=person_ids)
    paths = dict(session.execute(select(Unit.id, Unit.path).where(
        Unit.id.in_({s.unit_id for s in states.values()}))).all()) if states else {}
    holders = {}
    for person_id, state in states.items():
        if unit.kind in rules.BRANCH_KINDS:
            belongs = state.unit_id == unit.id
        else:
            belongs = state.unit_id in paths and paths[state.unit_id].startswith(unit.path)
        holders[person_id] = rules.Holder(state.name, state.stage, state.status, belongs, state.full_member_since)
    return holders


def _full_members(session, unit: Unit, on) -> int:
    """Active full members on the unit's roll on ``on`` (ORG.COMMITTEE_REQUIRED counts them)."""
    return sum(1 for state in roster_on(session, on, unit_id=unit.id).values()
               if rules.full_member_on(state.unit_id == unit.id, state.stage, state.status,
                                       state.full_member_since, on))


def _not_in_future(field: str, day) -> None:
    if day > today():
        raise invalid(field, "a date in the future: record what happened, once it has")


# ----------------------------------------------------------------------------- writing

def elect(unit: Unit, fields: dict) -> dict:
    """Record an election (换届): the term by domain, the seats checked against the size rule and
    the roster; the committee before it is superseded."""
    session = db_session()
    cfg = rule_config()
    require_active(unit)
    if unit.kind not in rules.COMMITTEE_KINDS:
        raise invalid("unit_id", f"a {unit.kind} does not elect a committee here")
    _not_in_future("elected_on", fields["elected_on"])
    previous = current(session, unit.id)
    if previous is not None and fields["elected_on"] <= previous.elected_on:
        raise invalid("elected_on", f"the current committee was elected on {previous.elected_on}; "
                                    "a new election comes after it")
    seats = [(s["role"], str(s["person_id"])) for s in fields["seats"]]
    on = fields["elected_on"]
    full_members = _full_members(session, unit, on)
    early = fields.get("early_approval") or {}
    if early:
        _not_in_future("early_approval.approved_on", early["approved_on"])
        if early["approved_on"] > on:
            raise invalid("early_approval.approved_on", msg("org-early-approval-after", elected_on=on))
    violations = [rules.committee_roles(seats)]
    if previous is not None:
        violations.append(rules.early_election(previous.original_term_ends_on, on, early.get("approved_on"),
                                               max_years=cfg["term_extension_max_years"]))
    if unit.kind in rules.BRANCH_KINDS:
        violations.append(rules.committee_size(
            full_members, [role for role, _ in seats], threshold=cfg["committee_min_full_members"],
            seats_min=cfg["committee_seats_min"], seats_usual_max=cfg["committee_seats_usual_max"],
            seats_max=cfg["committee_seats_max"]))
    holders = _holders(session, unit, [p for _, p in seats], on)
    violations += [rules.seat_holder(role, holders.get(person_id), on,
                                     min_standing_years=cfg["secretary_min_standing_years"])
                   for role, person_id in seats]
    violations = [v for v in violations if v]
    if violations:
        raise RuleViolation(*violations)

    years = rules.term_years(unit.kind, unit.domain, by_kind=cfg["term_years_by_kind"],
                             by_domain=cfg["term_years_by_domain"], default=cfg["term_years_default"])
    ends = rules.term_ends(fields["elected_on"], years)
    last_version = session.scalar(select(func.max(Committee.version)).where(Committee.unit_id == unit.id)) or 0
    if previous is not None:
        previous.status = "superseded"
        previous.ended_on = fields["elected_on"]
        session.flush()
    committee = Committee(unit_id=unit.id, path=unit.path, elected_on=fields["elected_on"], term_years=years,
                          term_ends_on=ends, original_term_ends_on=ends, full_members_at_election=full_members,
                          early_approved_on=early.get("approved_on"), early_approved_by=early.get("approved_by"),
                          early_reason=early.get("reason"), status="current", version=last_version + 1)
    session.add(committee)
    session.flush()
    for position, (role, person_id) in enumerate(seats):
        session.add(Seat(committee_id=committee.id, position=position, role=role, person_id=person_id,
                         person_name=holders[person_id].name, since=fields["elected_on"]))
    count_seats(session, committee)
    session.flush()
    audit("committee", committee.id, "elected", {"unit_id": unit.id, "elected_on": fields["elected_on"],
                                                 "term_ends_on": ends, "seats": seats, "note": fields.get("note")})
    emit("org.committee.elected", event_data(session, committee), org_path=unit.path)
    return view(committee)


def _seat(session, committee: Committee, seat_id) -> Seat:
    seat = session.get(Seat, str(seat_id))
    if seat is None or seat.committee_id != committee.id:
        raise invalid("seat_id", "no such seat on the current committee")
    return seat


def count_seats(session, committee: Committee) -> None:
    """Keep the committee's seat and vacancy counts with its seats (the reports read them)."""
    session.flush()
    seats = seats_of(session, committee)
    committee.seats = len(seats)
    committee.vacant_seats = sum(1 for s in seats if s.person_id is None)


def _changed(session, committee: Committee, change: str, unit: Unit, audit_change: dict) -> dict:
    committee.version += 1
    count_seats(session, committee)
    session.flush()
    audit("committee", committee.id, change, audit_change)
    emit("org.committee.changed", {**event_data(session, committee), "change": change}, org_path=unit.path)
    return view(committee)


def vacate(unit: Unit, committee: Committee, fields: dict) -> dict:
    """A seat falls vacant (resignation, removal, transfer, death); it waits for a by-election."""
    session = db_session()
    _not_in_future("vacated_on", fields["vacated_on"])
    seat = _seat(session, committee, fields["seat_id"])
    if seat.person_id is None:
        raise invalid("seat_id", f"the seat is already vacant since {seat.vacant_since}")
    if seat.since and fields["vacated_on"] < seat.since:
        raise invalid("vacated_on", f"the holder took the seat on {seat.since}")
    person = seat.person_id
    mark_vacant(committee, seat, fields["vacated_on"], fields.get("reason"))
    return _changed(session, committee, "vacancy", unit, {"seat_id": seat.id, "role": seat.role,
                                                          "person_id": person, "vacated_on": fields["vacated_on"]})


def mark_vacant(committee: Committee, seat: Seat, on, reason: str | None) -> None:
    seat.person_id = None
    seat.person_name = None
    seat.since = None
    seat.approved_on = None
    seat.approved_by = None
    seat.vacant_since = on
    seat.vacancy_reason = reason
    if seat.role == "secretary":
        committee.secretary_vacant_since = on


def by_elect(unit: Unit, committee: Committee, fields: dict) -> dict:
    """A by-election (补选) fills a vacant seat, or adds one while the size rule allows."""
    session = db_session()
    cfg = rule_config()
    _not_in_future("elected_on", fields["elected_on"])
    if fields["elected_on"] < committee.elected_on:
        raise invalid("elected_on", f"the committee was elected on {committee.elected_on}")
    person_id = str(fields["person_id"])
    seats = seats_of(session, committee)
    if fields.get("seat_id") is not None:
        seat = _seat(session, committee, fields["seat_id"])
        if seat.person_id is not None:
            raise invalid("seat_id", "the seat is not vacant; declare the vacancy first")
        role = seat.role
        after = [(s.role, person_id if s.id == seat.id else s.person_id) for s in seats]
    else:
        seat = None
        role = fields["role"]
        after = [(s.role, s.person_id) for s in seats] + [(role, person_id)]
    violations = [rules.committee_roles(after)]
    if unit.kind in rules.BRANCH_KINDS and seat is None:
        violations.append(rules.committee_size(
            _full_members(session, unit, fields["elected_on"]), [r for r, _ in after], threshold=cfg["committee_min_full_members"],
            seats_min=cfg["committee_seats_min"], seats_usual_max=cfg["committee_seats_usual_max"],
            seats_max=cfg["committee_seats_max"]))
    holder = _holders(session, unit, [person_id], fields["elected_on"]).get(person_id)
    violations.append(rules.seat_holder(role, holder, fields["elected_on"],
                                        min_standing_years=cfg["secretary_min_standing_years"]))
    violations = [v for v in violations if v]
    if violations:
        raise RuleViolation(*violations)
    if seat is None:
        seat = Seat(committee_id=committee.id, position=len(seats), role=role)
        session.add(seat)
    seat.person_id = person_id
    seat.person_name = holder.name
    seat.since = fields["elected_on"]
    seat.vacant_since = None
    seat.vacancy_reason = None
    seat.approved_on = None
    seat.approved_by = None
    if role == "secretary":
        committee.secretary_vacant_since = None
    session.flush()
    return _changed(session, committee, "by_election", unit, {"seat_id": seat.id, "role": role,
                                                              "person_id": person_id,
                                                              "elected_on": fields["elected_on"]})


def approve(unit: Unit, committee: Committee, fields: dict) -> dict:
    """The upper committee approves the secretary or the deputy (选举条例 art. 26)."""
    session = db_session()
    principal = current_principal()
    if principal.scope_path is None or principal.scope_path == unit.path or not principal.has("admin", "organizer"):
        raise Problem(403, "Forbidden", "the secretary and deputy are approved by the upper committee's "
                                        "organization department", kind="forbidden")
    _not_in_future("approved_on", fields["approved_on"])
    seat = _seat(session, committee, fields["seat_id"])
    if not rules.approval_needed(seat.role):
        raise invalid("seat_id", "only the secretary and the deputy secretary are approved")
    if seat.person_id is None:
        raise invalid("seat_id", "the seat is vacant")
    if seat.since and fields["approved_on"] < seat.since:
        raise invalid("approved_on", f"the holder was elected on {seat.since}")
    seat.approved_on = fields["approved_on"]
    seat.approved_by = principal.subject
    return _changed(session, committee, "approval", unit, {"seat_id": seat.id, "role": seat.role,
                                                           "approved_on": fields["approved_on"]})


def extend(unit: Unit, committee: Committee, fields: dict) -> dict:
    """With the upper committee's approval a term is extended, by at most 1 year."""
    session = db_session()
    violation = rules.term_extension(committee.original_term_ends_on, fields["term_ends_on"],
                                     max_years=rule_config()["term_extension_max_years"])
    if violation:
        raise RuleViolation(violation)
    _not_in_future("approved_on", fields["approved_on"])
    before = committee.term_ends_on
    committee.term_ends_on = fields["term_ends_on"]
    committee.extension_reason = fields["reason"]
    committee.extension_approved_on = fields["approved_on"]
    return _changed(session, committee, "term_extended", unit, {"term_ends_on": [before, fields["term_ends_on"]],
                                                                "reason": fields["reason"]})


def end_with_unit(unit: Unit, on) -> None:
    """A dissolved unit's committee ends with it."""
    committee = current(db_session(), unit.id)
    if committee is not None:
        committee.status = "dissolved"
        committee.ended_on = on


# ----------------------------------------------------------------------------- terms falling due

def terms_due(args: dict) -> dict:
    """Current committees whose term is expiring (within the warning window) or expired."""
    session = db_session()
    on = today()
    horizon = on + timedelta(days=rule_config()["term_warning_days"])
    stmt = (select(Committee, Unit).join(Unit, Unit.id == Committee.unit_id)
            .where(Committee.status == "current", Unit.status == "active",
                   under_clause(Committee.path, subtree_path_for(args.get("under")))))
    if args["state"] == "expired":
        stmt = stmt.where(Committee.term_ends_on < on)
    elif args["state"] == "expiring":
        stmt = stmt.where(Committee.term_ends_on >= on, Committee.term_ends_on <= horizon)
    else:
        stmt = stmt.where(Committee.term_ends_on <= horizon)
    page = paginate(session, stmt, [Committee.path, Committee.id], cursor=args.get("cursor"), limit=args["limit"],
                    row_key=lambda row: (row[0].path, row[0].id))
    items = []
    for committee, unit in page["items"]:
        breach = rules.term_state(committee.term_ends_on, on, warning_days=rule_config()["term_warning_days"])
        items.append({"committee_id": committee.id, "unit_id": unit.id, "unit_name": unit.name,
                      "unit_code": unit.code, "path": committee.path, "elected_on": committee.elected_on,
                      "term_ends_on": committee.term_ends_on, "state": breach.facts["state"],
                      "days_left": breach.facts.get("days_left"), "days_overdue": breach.facts.get("days_overdue"),
                      "message": {"en": breach.en, "zh": breach.zh}})
    return {"items": items, "next_cursor": page["next_cursor"]}
