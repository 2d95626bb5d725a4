"""Organizational life (三会一课 and the rest): meetings recorded with their quorum, and the
frequency each branch keeps over any period."""
from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.request import audit, current_principal, db_session, emit, rule_config
from shared.dates import today
from shared.errors import invalid, not_found
from shared.http import if_match, paginate, require_in_scope, under_clause
from shared.messages import msg

from . import committees, rules
from .models import LifeYear, Meeting, Seat, Unit
from .units import active_in_scope, get_in_scope, subtree_path_for

BRANCH_TYPES = ("general_meeting", "committee_meeting", "party_lecture", "theme_day", "review_meeting",
                "heart_to_heart_talk", "member_review")
GROUP_TYPES = ("group_meeting",)


def types_for(kind: str) -> tuple[str, ...]:
    """Which meetings a unit of this kind holds: a party group its group meetings, the rest the others."""
    if kind == "party_group":
        return GROUP_TYPES
    if kind in rules.COMMITTEE_KINDS:
        return BRANCH_TYPES
    return ()


def period(args: dict) -> tuple[date, date]:
    end = args.get("held_to") or today()
    start = args.get("held_from") or date(end.year, 1, 1)
    if start > end:
        raise invalid("from", "'from' is after 'to'")
    return start, end


# ----------------------------------------------------------------------------- recording

def record(fields: dict) -> dict:
    """Record a meeting as it happened: a general or committee meeting without quorum is kept, with
    the breach, and does not count towards the frequency rules."""
    session = db_session()
    unit = active_in_scope(fields["unit_id"], "unit_id")
    if fields["type"] not in types_for(unit.kind):
        raise invalid("type", f"a {unit.kind} does not hold a {fields['type']}")
    status = fields.get("status") or "held"
    _check_date(status, fields["held_on"])
    meeting = Meeting(unit_id=unit.id, path=unit.path, type=fields["type"], held_on=fields["held_on"], status=status,
                      topic=fields["topic"], lecturer=fields.get("lecturer"), notes=fields.get("notes"), version=1,
                      attendees=[], agenda=[], follow_ups=[])
    _ledger(meeting, fields)
    breach = _apply(session, unit, meeting, fields)
    session.add(meeting)
    session.flush()
    if meeting.counts:
        _tally(session, meeting)
    audit("meeting", meeting.id, "recorded" if status == "held" else "scheduled",
          {"unit_id": unit.id, "type": meeting.type, "held_on": meeting.held_on, "status": status,
           "entitled": meeting.entitled, "present": meeting.present, "breach": breach.code if breach else None})
    if status == "held":
        _announce(meeting)
    return view(meeting, breach)


def _check_date(status: str, on) -> None:
    """RULES.md, which records may be future-dated: a meeting held is today or earlier; one scheduled is a plan,
    from today up to ``plan_ahead_days`` ahead."""
    refused = rules.record_date(status, on, today(), ahead_days=rule_config()["plan_ahead_days"])
    if refused:
        key, params = refused
        raise invalid("held_on", msg(key, **params))


LEDGER = ("chair", "recorder", "attendees", "agenda", "follow_ups")


def plain(value):
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (date, UUID)):
        return str(value)
    return value


def _ledger(meeting: Meeting, fields: dict) -> None:
    """The ledger's parts given (会议记录): chair, recorder, attendees by person, topics and decisions, follow-ups."""
    for key in LEDGER:
        if key in fields and fields[key] is not None:
            setattr(meeting, key, plain(fields[key]))


def _apply(session, unit: Unit, meeting: Meeting, fields: dict):
    """The headcounts, the quorum and what counts, from ``fields`` over the meeting's own values: a
    scheduled meeting has no headcount yet and counts for nothing."""
    if meeting.status == "scheduled":
        meeting.entitled, meeting.present, meeting.quorate, meeting.counts = None, None, True, False
        meeting.lecturer_person_id = str(fields["lecturer_person_id"]) if fields.get("lecturer_person_id") else None
        meeting.by_secretary = False
        return None
    committee = committees.current(session, unit.id)
    entitled = fields["entitled"] if fields.get("entitled") is not None else meeting.entitled
    present = fields["present"] if fields.get("present") is not None else meeting.present
    if fields.get("attendees"):  # the ledger lists everyone entitled: its counts are the meeting's
        listed, came = rules.ledger_headcount(fields["attendees"])
        for name, given, counted in (("entitled", fields.get("entitled"), listed), ("present", fields.get("present"), came)):
            if given is not None and given != counted:
                raise invalid(name, msg("org-ledger-headcount", field=name, given=given, counted=counted))
        entitled, present = listed, came
    if meeting.type in rules.QUORUM_TYPES:
        if entitled is None:
            entitled = _entitled_by_default(session, unit, committee, meeting.type)
        if entitled < 1:
            raise invalid("entitled", "no one is entitled to attend: give the number entitled")
        if present is None:
            raise invalid("present", "a general or committee meeting records how many were present")
        if present > entitled:
            raise invalid("present", f"more present ({present}) than entitled ({entitled})")
    breach = rules.quorum(meeting.type, entitled, present)
    if "lecturer_person_id" in fields:
        meeting.lecturer_person_id = str(fields["lecturer_person_id"]) if fields["lecturer_person_id"] else None
    meeting.by_secretary = bool(meeting.type == "party_lecture" and meeting.lecturer_person_id and committee is not None
                                and _secretary_of(session, committee) == meeting.lecturer_person_id)
    meeting.entitled, meeting.present = entitled, present
    meeting.quorate = meeting.counts = breach is None
    return breach


def _announce(meeting: Meeting) -> None:
    emit("org.meeting.recorded", {"meeting_id": meeting.id, "unit_id": meeting.unit_id, "type": meeting.type,
                                  "held_on": meeting.held_on, "entitled": meeting.entitled, "present": meeting.present,
                                  "quorate": meeting.quorate, "counts": meeting.counts,
                                  "by_secretary": meeting.by_secretary, "meeting_version": meeting.version,
                                  "attendees": [{"person_id": a["person_id"], "attendance": a["attendance"]}
                                                for a in meeting.attendees or [] if a.get("person_id")]},
         org_path=meeting.path)


#: what a correction may change (the unit and the type stay: record another meeting instead)
CORRECTABLE = ("held_on", "status", "entitled", "present", "topic", "lecturer", "lecturer_person_id", "notes", "chair",
               "recorder", "attendees", "agenda", "follow_ups")


def correct(meeting_id, changes: dict) -> dict:
    """Correct a meeting (If-Match), or record a scheduled one as held: the quorum, the counts and the
    unit's year rows are recomputed; the audit log keeps what it was; org.meeting.recorded carries the new
    state (evaluation's indicators follow it)."""
    session = db_session()
    meeting = if_match(_in_scope(meeting_id))
    unit = session.scalar(select(Unit).where(Unit.id == meeting.unit_id))
    before = {k: plain(getattr(meeting, k)) for k in CORRECTABLE}
    if changes.get("status") == "scheduled" and meeting.status == "held":
        raise invalid("status", msg("org-meeting-held-stays-held"))
    for key in ("held_on", "status", "topic", "lecturer", "notes"):
        if key in changes and changes[key] is not None:
            setattr(meeting, key, changes[key])
    _check_date(meeting.status, meeting.held_on)
    _ledger(meeting, changes)
    years = {date.fromisoformat(before["held_on"]).year, meeting.held_on.year}
    breach = _apply(session, unit, meeting, changes)
    meeting.version += 1
    session.flush()
    for year in sorted(years):
        _retally(session, meeting.unit_id, meeting.path, year)
    after = {k: plain(getattr(meeting, k)) for k in CORRECTABLE}
    audit("meeting", meeting.id, "corrected", {k: [before[k], after[k]] for k in CORRECTABLE if before[k] != after[k]})
    if meeting.status == "held":
        _announce(meeting)
    return view(meeting, breach)


def _retally(session, unit_id: str, path: str, year: int) -> None:
    """The unit's year row recomputed from its counted meetings of that year (after a correction)."""
    rows = session.execute(select(Meeting.type, Meeting.held_on, Meeting.by_secretary).where(
        Meeting.unit_id == unit_id, Meeting.counts.is_(True), Meeting.held_on >= date(year, 1, 1),
        Meeting.held_on <= date(year, 12, 31))).all()
    masks = {t: 0 for t in rules.LIFE_CODES}
    lectures = 0
    for meeting_type, held_on, by_secretary in rows:
        masks[meeting_type] |= 1 << (held_on.month - 1)
        lectures += 1 if by_secretary else 0
    row = session.get(LifeYear, (unit_id, year))
    if row is None:
        row = LifeYear(unit_id=unit_id, year=year, path=path)
        session.add(row)
    for meeting_type, mask in masks.items():
        setattr(row, meeting_type, mask)
    row.secretary_lectures = lectures


def _entitled_by_default(session, unit: Unit, committee, meeting_type: str) -> int:
    """A general meeting: the unit's full members (they vote); a committee meeting: its seated members."""
    if meeting_type == "general_meeting":
        return unit.full_members
    if committee is None:
        return 0
    return session.scalar(select(func.count()).select_from(Seat).where(
        Seat.committee_id == committee.id, Seat.person_id.is_not(None))) or 0


def _secretary_of(session, committee) -> str | None:
    return session.scalar(select(Seat.person_id).where(Seat.committee_id == committee.id, Seat.role == "secretary"))


def _tally(session, meeting: Meeting) -> None:
    """Set the meeting's month in the unit's year row, in the same transaction (an atomic upsert)."""
    mark_month(session, meeting.unit_id, meeting.path, meeting.held_on, meeting.type,
               secretary_lectures=1 if meeting.by_secretary else 0)


#: every month mask of a unit's year row: the meetings' and the standing mechanisms'
MASKS = (*rules.LIFE_CODES, *rules.REPORT_CODES)


def mark_month(session, unit_id: str, path: str, on: date, column: str, *, secretary_lectures: int = 0) -> None:
    """Set ``on``'s month in the ``column`` mask of the unit's row for ``on``'s year (an atomic upsert, so that
    two records of the same unit at once both count)."""
    bit = 1 << (on.month - 1)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LifeYear).values(unit_id=unit_id, year=on.year, path=path, **{t: 0 for t in MASKS},
                                           secretary_lectures=secretary_lectures)
    stmt = stmt.values(**{column: bit})
    mask = getattr(LifeYear, column)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[LifeYear.unit_id, LifeYear.year],
        set_={column: mask.op("|")(bit), "secretary_lectures": LifeYear.secretary_lectures + secretary_lectures}))


def set_months(session, unit_id: str, path: str, year: int, column: str, days) -> None:
    """The ``column`` mask of the unit's row for ``year`` recomputed from the days given (after a correction)."""
    row = session.get(LifeYear, (unit_id, year))
    if row is None:
        row = LifeYear(unit_id=unit_id, year=year, path=path, **{t: 0 for t in MASKS}, secretary_lectures=0)
        session.add(row)
    mask = 0
    for day in days:
        mask |= 1 << (day.month - 1) if day.year == year else 0
    setattr(row, column, mask)


def view(meeting: Meeting, breach=None) -> dict:
    data = {c.key: getattr(meeting, c.key) for c in Meeting.__table__.columns}
    if breach is None and not meeting.quorate:
        breach = rules.quorum(meeting.type, meeting.entitled, meeting.present)
    data["breach"] = breach.as_dict() if breach else None
    return data


def _in_scope(meeting_id) -> Meeting:
    meeting = db_session().get(Meeting, str(meeting_id))
    if meeting is None:
        raise not_found("meeting")
    require_in_scope(current_principal(), meeting.path, "meeting")
    return meeting


def get(meeting_id) -> dict:
    return view(_in_scope(meeting_id))


def list_meetings(args: dict) -> dict:
    stmt = select(Meeting).where(under_clause(Meeting.path, subtree_path_for(args.get("under"))))
    if args.get("unit_id"):
        stmt = stmt.where(Meeting.unit_id == get_in_scope(args["unit_id"]).id)
    if args.get("type"):
        stmt = stmt.where(Meeting.type == args["type"])
    if args.get("held_from"):
        stmt = stmt.where(Meeting.held_on >= args["held_from"])
    if args.get("held_to"):
        stmt = stmt.where(Meeting.held_on <= args["held_to"])
    page = paginate(db_session(), stmt, [Meeting.path, Meeting.id], cursor=args.get("cursor"), limit=args["limit"])
    return {**page, "items": [view(m) for m in page["items"]]}


# ----------------------------------------------------------------------------- frequency

def life(unit: Unit, args: dict) -> dict:
    """Required against held, per type of meeting, for a branch (and each of its party groups) or a
    party group, over whole months / quarters / years of the period."""
    start, end = period(args)
    if not types_for(unit.kind):
        raise invalid("unit_id", f"a {unit.kind} keeps no organizational life of its own here")
    session = db_session()
    groups = []
    if unit.kind in rules.BRANCH_KINDS:
        groups = session.scalars(select(Unit).where(Unit.parent_id == unit.id, Unit.kind == "party_group",
                                                    Unit.status == "active").order_by(Unit.path)).all()
    rows = session.execute(select(Meeting.unit_id, Meeting.type, Meeting.held_on, Meeting.counts, Meeting.by_secretary)
                           .where(Meeting.unit_id.in_([unit.id] + [g.id for g in groups]), Meeting.status == "held",
                                  Meeting.held_on >= start, Meeting.held_on <= end)).all()
    by_unit: dict[str, list] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    report = _unit_life(session, unit, by_unit.get(unit.id, []), start, end)
    report.update({"held_from": start, "held_to": end,
                   "groups": [_unit_life(session, g, by_unit.get(g.id, []), start, end) for g in groups]})
    return report


def _unit_life(session, unit: Unit, meetings: list, start: date, end: date) -> dict:
    cfg = rule_config()
    frequency = cfg["life_frequency"]
    types = list(types_for(unit.kind))
    if "committee_meeting" in types and not _has_committee(session, unit):
        types.remove("committee_meeting")  # fewer than 3 seats: a secretary, no committee to meet
    out = []
    for meeting_type in types:
        mine = [m for m in meetings if m.type == meeting_type]
        counted = [m.held_on for m in mine if m.counts]
        periods = rules.whole_periods(frequency[meeting_type], start, end)
        missed = [p.label for p in periods if not any(p.first <= d <= p.last for d in counted)]
        violation = rules.life_frequency(meeting_type, frequency[meeting_type], len(periods), len(counted), missed)
        out.append({"type": meeting_type, "code": rules.LIFE_CODES[meeting_type],
                    "frequency": frequency[meeting_type], "required": len(periods), "held": len(counted),
                    "not_counted": len(mine) - len(counted), "missed": missed, "ok": violation is None,
                    "violation": violation.as_dict() if violation else None})
    lectures = None
    if "party_lecture" in types:
        years = [int(p.label) for p in rules.whole_periods("year", start, end)]
        per_year = {y: sum(1 for m in meetings if m.type == "party_lecture" and m.counts and m.by_secretary
                           and m.held_on.year == y) for y in years}
        violation = rules.secretary_lectures(years, per_year, per_year=cfg["secretary_lectures_per_year"])
        lectures = {"by_year": {str(y): n for y, n in per_year.items()},
                    "violation": violation.as_dict() if violation else None}
    return {"unit_id": unit.id, "name": unit.name, "kind": unit.kind, "types": out, "secretary_lectures": lectures}


def _has_committee(session, unit: Unit) -> bool:
    committee = committees.current(session, unit.id)
    if committee is None:
        return False
    seats = session.scalar(select(func.count()).select_from(Seat).where(Seat.committee_id == committee.id)) or 0
    return seats >= rule_config()["committee_seats_min"]
