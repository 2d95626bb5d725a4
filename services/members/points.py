"""Quantified points (量化积分, MEMBERS.POINTS): each city's scheme from configuration, a ledger of awards
with their source, yearly totals, and the ranking of a branch's members."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from shared import dates
from shared.request import current_kit, current_principal, db_session, rule_config, unit_in_scope
from shared.audit import record as audit_record
from shared.errors import Problem
from shared.http import paginate, subtree_path, under_clause
from shared.violations import RuleViolation

from . import rules
from .models import MeetingAttendance, OrgUnitView, PointAward, Person, kit
from .people import get_in_scope, invalid


def ancestors(path: str) -> list[str]:
    """'/a/b/c/' -> ['/a/', '/a/b/', '/a/b/c/']"""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def scheme_for(path: str, session=None) -> tuple[str, dict]:
    """The points scheme of the city the path lies in (by the city's code), else the default."""
    schemes = rule_config()["points_schemes"]
    city = (session or db_session()).scalar(select(OrgUnitView.code).where(
        OrgUnitView.path.in_(ancestors(path)), OrgUnitView.kind == "city"))
    if city is not None and city in schemes:
        return city, schemes[city]
    return "default", schemes["default"]


def award_view(a: PointAward) -> dict:
    return {"id": a.id, "person_id": a.person_id, "unit_id": a.unit_id, "year": a.year, "awarded_on": a.awarded_on,
            "source": a.source, "category": a.category, "points": a.points, "note": a.note,
            "reference": a.reference}


def _points_so_far(session, person: Person, year: int, category: str | None) -> float:
    return float(session.scalar(select(func.coalesce(func.sum(PointAward.points), 0.0)).where(
        PointAward.person_id == person.id, PointAward.year == year, PointAward.category == category)) or 0.0)


def _referenced(session, person: Person, reference: str | None) -> bool:
    return bool(reference) and session.scalar(select(PointAward.id).where(
        PointAward.person_id == person.id, PointAward.reference == reference)) is not None


def _write(session, person: Person, *, year: int, on, source: str, category: str, points: float, scheme: str,
           note: str | None, reference: str | None, recorded_by: str) -> PointAward:
    """The award in the ledger, its audit entry and its ``members.points.awarded``, in ``session``."""
    row = PointAward(person_id=person.id, unit_id=person.unit_id, org_path=person.org_path, year=year,
                     awarded_on=on, source=source, category=category, points=points, note=note,
                     reference=reference, recorded_by=recorded_by)
    session.add(row)
    session.flush()
    audit_record(session, kit.AuditEntry, entity="points", entity_id=row.id, action="awarded",
                 change={"person_id": person.id, "points": row.points, "source": row.source, "scheme": scheme},
                 actor=recorded_by)
    current_kit().outbox.emit(session, "members.points.awarded", {
        "award_id": row.id, "person_id": person.id, "unit_id": person.unit_id, "year": row.year,
        "points": row.points, "source": row.source}, org_path=person.org_path)
    return row


def award(fields: dict) -> dict:
    session = db_session()
    person = get_in_scope(fields["person_id"], for_update=True)
    on = fields["awarded_on"]
    if on > dates.today():
        raise invalid(awarded_on=["is after today"])
    if _referenced(session, person, fields.get("reference")):
        raise Problem(409, "Conflict", "points for this reference were already awarded to this member",
                      kind="conflict")
    name, scheme = scheme_for(person.org_path)
    category = scheme["sources"].get(fields["source"])
    cap = scheme["caps"].get(category) if category else None
    already = _points_so_far(session, person, on.year, category)
    for violation in (rules.member_for_points(person.stage, person.status),
                      rules.points_cap(category or fields["source"], already, fields["points"], cap, on.year,
                                       fields["source"])):
        if violation:
            raise RuleViolation(violation)
    row = _write(session, person, year=on.year, on=on, source=fields["source"], category=category,
                 points=fields["points"], scheme=name, note=fields.get("note"), reference=fields.get("reference"),
                 recorded_by=current_principal().subject)
    return award_view(row)


def award_for_training(session, attendance: dict) -> PointAward | None:
    """MEMBERS.POINTS from the training service: a member credited a session's class hours earns the city's
    ``training_points_per_hour`` (source ``training``, once per session), as far as the year's cap leaves
    room; people who are not members on the roll earn none."""
    person = session.get(Person, str(attendance["person_id"]))
    if person is None or rules.member_for_points(person.stage, person.status) is not None:
        return None
    name, scheme = scheme_for(person.org_path, session)
    per_hour = scheme.get("training_points_per_hour") or 0
    category = scheme["sources"].get("training")
    reference = f"training-session:{attendance['session_id']}"
    if not per_hour or category is None or _referenced(session, person, reference):
        return None
    year = attendance["year"]
    points = rules.points_within_cap(attendance["hours"] * per_hour,
                                     _points_so_far(session, person, year, category), scheme["caps"].get(category))
    if points <= 0:
        return None
    return _write(session, person, year=year, on=attendance["attended_on"], source="training", category=category,
                  points=points, scheme=name, note=f"{attendance['hours']:g} class hours", reference=reference,
                  recorded_by="event:training.attendance.recorded")


def award_for_meeting(session, meeting: dict) -> int:
    """MEMBERS.POINTS from org's meeting ledgers: where the city's scheme counts attendance
    (``meeting_attendance_points`` > 0), each member listed present earns them once per meeting (source
    ``attendance``, within the year's cap); a correction that takes a member off the list takes the points back
    (a negative award), one that adds a member awards them. A ledger older than the one applied changes nothing.
    Returns how many awards were written."""
    meeting_id = str(meeting["meeting_id"])
    version = meeting.get("meeting_version") or 1
    seen = session.get(MeetingAttendance, meeting_id)
    if seen is not None and seen.meeting_version >= version:
        return 0
    present = sorted({str(a["person_id"]) for a in meeting.get("attendees") or []
                      if a.get("person_id") and a["attendance"] == "present"})
    before = set(seen.present) if seen else set()
    if seen is None:
        session.add(MeetingAttendance(meeting_id=meeting_id, meeting_version=version, present=present))
    else:
        seen.meeting_version, seen.present = version, present
    written = 0
    held_on = meeting["held_on"]
    for person_id, sign in [(p, 1) for p in present if p not in before] + [(p, -1) for p in before - set(present)]:
        person = session.get(Person, person_id)
        if person is None or rules.member_for_points(person.stage, person.status) is not None:
            continue
        name, scheme = scheme_for(person.org_path, session)
        per_meeting = scheme.get("meeting_attendance_points") or 0
        category = scheme["sources"].get("attendance")
        if not per_meeting or category is None:
            continue
        reference = f"meeting:{meeting_id}:v{version}"
        if sign > 0:
            points = rules.points_within_cap(per_meeting, _points_so_far(session, person, held_on.year, category),
                                             scheme["caps"].get(category))
        else:
            points = -float(session.scalar(select(func.coalesce(func.sum(PointAward.points), 0.0)).where(
                PointAward.person_id == person.id, PointAward.reference.like(f"meeting:{meeting_id}:%"))) or 0.0)
        if points == 0:
            continue
        _write(session, person, year=held_on.year, on=held_on, source="attendance", category=category, points=points,
               scheme=name, note=f"{meeting['type']} {held_on}" + ("" if sign > 0 else " (corrected: not present)"),
               reference=reference, recorded_by="event:org.meeting.recorded")
        written += 1
    return written


def list_awards(args: dict) -> dict:
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(PointAward).where(under_clause(PointAward.org_path, subtree_path(principal, under_path)))
    if args.get("person_id"):
        stmt = stmt.where(PointAward.person_id == str(args["person_id"]))
    if args.get("year"):
        stmt = stmt.where(PointAward.year == args["year"])
    page = paginate(db_session(), stmt, [PointAward.org_path, PointAward.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    page["items"] = [award_view(a) for a in page["items"]]
    return page


def person_points(person: Person, year: int) -> dict:
    name, scheme = scheme_for(person.org_path)
    awards = db_session().scalars(select(PointAward).where(PointAward.person_id == person.id,
                                                           PointAward.year == year)
                                  .order_by(PointAward.awarded_on, PointAward.id)).all()
    by_category = {category: 0.0 for category in scheme["caps"]}
    for a in awards:
        by_category[a.category] = by_category.get(a.category, 0.0) + a.points
    return {"person_id": person.id, "year": year, "scheme": name, "total": sum(by_category.values()),
            "by_category": by_category, "caps": scheme["caps"], "awards": [award_view(a) for a in awards]}


def ranking(args: dict) -> dict:
    """The branch's members (probationary and full, on the roll) by their points of the year, highest first;
    equal totals share a rank (1, 2, 2, 4)."""
    unit = unit_in_scope(args["unit_id"])
    year = args["year"]
    name, scheme = scheme_for(unit.path)
    rows = db_session().execute(
        select(Person.id, Person.name, PointAward.category, func.sum(PointAward.points))
        .select_from(Person)
        .outerjoin(PointAward, and_(PointAward.person_id == Person.id, PointAward.year == year))
        .where(Person.unit_id == unit.id, Person.status != "left", Person.stage.in_(("probationary", "full")))
        .group_by(Person.id, Person.name, PointAward.category)).all()
    people: dict[str, dict] = {}
    for pid, pname, category, total in rows:
        entry = people.setdefault(pid, {"person_id": pid, "name": pname,
                                        "by_category": {c: 0.0 for c in scheme["caps"]}})
        if category is not None:
            entry["by_category"][category] = entry["by_category"].get(category, 0.0) + float(total)
    items = sorted(people.values(), key=lambda e: (-sum(e["by_category"].values()), e["name"], e["person_id"]))
    previous, rank = None, 0
    for position, entry in enumerate(items, start=1):
        entry["total"] = sum(entry["by_category"].values())
        if entry["total"] != previous:
            rank, previous = position, entry["total"]
        entry["rank"] = rank
    return {"unit_id": unit.id, "year": year, "scheme": name, "caps": scheme["caps"], "items": items}
