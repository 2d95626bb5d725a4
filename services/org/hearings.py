"""Hearings of branches' work reports (听取工作汇报, LIFE.HEARING): the grassroots committee (or the township or
county committee above a branch) hears each branch under it at least once a quarter.

A hearing names the branch, the committee, the day, who reported and the points raised; a point marked
``problem`` enters the branch's problem list in evaluation (``org.hearing.recorded``, source ``hearing``). Each
hearing sets its month in the branch's year row (``life_years.hearing``), so the compliance report measures the
quarters set-wise like the meetings; a correction (If-Match) recomputes the months and publishes the new state.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared.audit import diff
from shared.dates import today
from shared.errors import invalid, not_found
from shared.http import if_match, paginate, require_in_scope, under_clause
from shared.messages import msg
from shared.request import audit, current_principal, db_session, emit

from . import rules
from .meetings import mark_month, set_months, plain
from .models import Hearing, Unit
from .units import active_in_scope, get_in_scope, subtree_path_for

EDITABLE = ("held_on", "reporter", "reporter_person_id", "points", "notes")


def not_after_today(field: str, day) -> None:
    """A record of what happened is dated today or earlier (RULES.md: which records may be future-dated)."""
    if day > today():
        raise invalid(field, msg("org-on-or-before-today", today=today()))


def _branch(unit_id, field: str = "unit_id") -> Unit:
    unit = active_in_scope(unit_id, field)
    if unit.kind not in rules.REPORT_SUBJECTS["hearing"]:
        raise invalid(field, msg("org-not-a-branch"))
    return unit


def record(fields: dict) -> dict:
    """Record a hearing: the committee must stand above the branch (a grassroots, township or county committee)."""
    session = db_session()
    branch = _branch(fields["unit_id"])
    committee = get_in_scope(fields["committee_unit_id"])
    if committee.kind not in rules.HEARING_COMMITTEE_KINDS or not branch.path.startswith(committee.path) \
            or committee.id == branch.id:
        raise invalid("committee_unit_id", msg("org-hearing-committee"))
    not_after_today("held_on", fields["held_on"])
    hearing = Hearing(unit_id=branch.id, path=branch.path, committee_unit_id=committee.id, held_on=fields["held_on"],
                      reporter=fields["reporter"], notes=fields.get("notes"), points=plain(fields.get("points") or []),
                      reporter_person_id=str(fields["reporter_person_id"]) if fields.get("reporter_person_id") else None,
                      version=1)
    session.add(hearing)
    session.flush()
    mark_month(session, branch.id, branch.path, hearing.held_on, "hearing")
    audit("hearing", hearing.id, "recorded", {k: plain(getattr(hearing, k)) for k in ("unit_id", "committee_unit_id",
                                                                                        *EDITABLE)})
    _announce(hearing)
    return view(hearing)


def correct(hearing_id, changes: dict) -> dict:
    """Correct a hearing (If-Match): its months recomputed, the audit log keeping what it was."""
    session = db_session()
    hearing = if_match(get_in_scope_hearing(hearing_id))
    if "held_on" in changes:
        not_after_today("held_on", changes["held_on"])
    before = {k: plain(getattr(hearing, k)) for k in EDITABLE}
    for key in EDITABLE:
        if key in changes:
            value = changes[key]
            if key == "reporter_person_id":
                value = str(value) if value else None
            setattr(hearing, key, plain(value) if key == "points" else value)
    hearing.version += 1
    session.flush()
    for year in sorted({int(before["held_on"][:4]), hearing.held_on.year}):
        days = session.scalars(select(Hearing.held_on).where(Hearing.unit_id == hearing.unit_id)).all()
        set_months(session, hearing.unit_id, hearing.path, year, "hearing", days)
    after = {k: plain(getattr(hearing, k)) for k in EDITABLE}
    audit("hearing", hearing.id, "corrected", diff(before, after))
    _announce(hearing)
    return view(hearing)


def raised(points: list[dict]) -> list[dict]:
    """The points (or findings) as events carry them: stored JSON back to dates."""
    return [{"text": p["text"], "problem": bool(p.get("problem")), "responsible": p.get("responsible"),
             "deadline": date.fromisoformat(p["deadline"]) if p.get("deadline") else None} for p in points]


def _announce(hearing: Hearing) -> None:
    emit("org.hearing.recorded", {
        "hearing_id": hearing.id, "unit_id": hearing.unit_id, "committee_unit_id": hearing.committee_unit_id,
        "held_on": hearing.held_on, "reporter": hearing.reporter, "points": raised(hearing.points),
        "hearing_version": hearing.version}, org_path=hearing.path)


def view(hearing: Hearing) -> dict:
    return {c.key: getattr(hearing, c.key) for c in Hearing.__table__.columns}


def get_in_scope_hearing(hearing_id) -> Hearing:
    hearing = db_session().get(Hearing, str(hearing_id))
    if hearing is None:
        raise not_found("hearing")
    require_in_scope(current_principal(), hearing.path, "hearing")
    return hearing


def list_hearings(args: dict) -> dict:
    stmt = select(Hearing).where(under_clause(Hearing.path, subtree_path_for(args.get("under"))))
    if args.get("unit_id"):
        stmt = stmt.where(Hearing.unit_id == get_in_scope(args["unit_id"]).id)
    if args.get("held_from"):
        stmt = stmt.where(Hearing.held_on >= args["held_from"])
    if args.get("held_to"):
        stmt = stmt.where(Hearing.held_on <= args["held_to"])
    page = paginate(db_session(), stmt, [Hearing.path, Hearing.id], cursor=args.get("cursor"), limit=args["limit"])
    return {**page, "items": [view(h) for h in page["items"]]}
