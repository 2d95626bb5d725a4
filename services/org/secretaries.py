"""The secretary corps: the yearly 述职评议 of branch and grassroots-committee secretaries (LIFE.SECRETARY_REPORT)
and each branch's reserve pool of candidates for secretary (后备人才, ORG.RESERVE).

A report names the year, the secretary, the report and its assessment (好 good / 较好 fairly_good / 一般 average /
差 poor) and who assessed it; ``org.secretary.assessed`` carries it to evaluation, where 差 is a weak-and-lax sign
(EVAL.WEAK) and the reports count in the indicators (EVAL.REPORTS). A report sets the December bit of its year's
row (``life_years.secretary_report``: the 述职评议 of a year is often held early the next), so the compliance report
lists the units of a whole year without one. A reserve candidate must be a full member of the branch with a
year's standing on the day listed (the roster as of that day); the compliance report lists the branches whose
pool is short (ORG.RESERVE).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared.audit import diff
from shared.errors import Problem, invalid, not_found
from shared.http import if_match, paginate, require_in_scope, under_clause
from shared.messages import msg
from shared.request import audit, current_principal, db_session, emit, rule_config
from shared.violations import RuleViolation

from . import rules
from .committees import roster_on
from .hearings import not_after_today
from .meetings import mark_month, plain
from .models import ReserveCandidate, SecretaryReport, Unit
from .units import active_in_scope, get_in_scope, subtree_path_for

REPORT_EDITABLE = ("secretary_name", "secretary_person_id", "report", "reported_on", "assessment", "assessed_by",
                   "assessed_on")
CANDIDATE_EDITABLE = ("training", "trained_on", "note", "status", "ended_on")


# ----------------------------------------------------------------------------- 述职评议

def _report_day(year: int) -> date:
    """The day a year's 述职评议 marks in the year rows: its last (it is often held early the next year)."""
    return date(year, 12, 31)


def _check_report(fields: dict) -> None:
    for field in ("reported_on", "assessed_on"):
        not_after_today(field, fields[field])
    if fields["assessed_on"] < fields["reported_on"]:
        raise invalid("assessed_on", msg("org-assessment-before-report", reported_on=fields["reported_on"]))


def record_report(fields: dict) -> dict:
    session = db_session()
    unit = active_in_scope(fields["unit_id"], "unit_id")
    if unit.kind not in rules.REPORT_SUBJECTS["secretary_report"]:
        raise invalid("unit_id", msg("org-not-a-secretary-unit"))
    _check_report(fields)
    if session.scalar(select(SecretaryReport.id).where(SecretaryReport.unit_id == unit.id,
                                                       SecretaryReport.year == fields["year"])):
        raise Problem(409, "Conflict", msg("org-duplicate", what="secretary_report"), kind="duplicate")
    report = SecretaryReport(unit_id=unit.id, path=unit.path, year=fields["year"], version=1,
                             **{k: fields.get(k) for k in REPORT_EDITABLE})
    report.secretary_person_id = str(report.secretary_person_id) if report.secretary_person_id else None
    session.add(report)
    session.flush()
    mark_month(session, unit.id, unit.path, _report_day(report.year), "secretary_report")
    audit("secretary_report", report.id, "recorded",
          {k: plain(getattr(report, k)) for k in ("unit_id", "year", *REPORT_EDITABLE) if k != "report"})
    _announce(report)
    return report_view(report)


def correct_report(report_id, changes: dict) -> dict:
    report = if_match(report_in_scope(report_id))
    before = {k: plain(getattr(report, k)) for k in REPORT_EDITABLE}
    for key in REPORT_EDITABLE:
        if key in changes and (changes[key] is not None or key == "secretary_person_id"):
            value = changes[key]
            setattr(report, key, str(value) if key == "secretary_person_id" and value else value)
    _check_report({k: getattr(report, k) for k in ("reported_on", "assessed_on")})
    report.version += 1
    after = {k: plain(getattr(report, k)) for k in REPORT_EDITABLE}
    audit("secretary_report", report.id, "corrected", diff(before, after))
    _announce(report)
    return report_view(report)


def _announce(report: SecretaryReport) -> None:
    emit("org.secretary.assessed", {
        "report_id": report.id, "unit_id": report.unit_id, "year": report.year,
        "secretary_name": report.secretary_name, "secretary_person_id": report.secretary_person_id,
        "assessment": report.assessment, "assessed_by": report.assessed_by, "assessed_on": report.assessed_on,
        "report_version": report.version}, org_path=report.path)


def report_view(report: SecretaryReport) -> dict:
    data = {c.key: getattr(report, c.key) for c in SecretaryReport.__table__.columns}
    data["assessment_zh"] = rules.ASSESSMENTS[report.assessment]
    return data


def report_in_scope(report_id) -> SecretaryReport:
    report = db_session().get(SecretaryReport, str(report_id))
    if report is None:
        raise not_found("secretary_report")
    require_in_scope(current_principal(), report.path, "secretary_report")
    return report


def list_reports(args: dict) -> dict:
    stmt = select(SecretaryReport).where(under_clause(SecretaryReport.path, subtree_path_for(args.get("under"))))
    for key in ("year", "assessment"):
        if args.get(key):
            stmt = stmt.where(getattr(SecretaryReport, key) == args[key])
    page = paginate(db_session(), stmt, [SecretaryReport.path, SecretaryReport.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    return {**page, "items": [report_view(r) for r in page["items"]]}


# ----------------------------------------------------------------------------- the reserve pool

def _branch(unit_id) -> Unit:
    unit = get_in_scope(unit_id)
    if unit.kind not in rules.BRANCH_KINDS:
        raise invalid("unit_id", msg("org-not-a-branch"))
    return unit


def add_candidate(unit_id, fields: dict) -> dict:
    """List a reserve candidate: ORG.RESERVE's gate on the roster as of ``listed_on`` (409 with the code)."""
    session = db_session()
    branch = _branch(unit_id)
    if branch.status != "active":
        raise invalid("unit_id", "the unit is dissolved")
    listed_on = fields["listed_on"]
    not_after_today("listed_on", listed_on)
    person_id = str(fields["person_id"])
    state = roster_on(session, listed_on, person_ids=[person_id]).get(person_id)
    holder = rules.Holder(state.name, state.stage, state.status, state.unit_id == branch.id,
                          state.full_member_since) if state else None
    violation = rules.reserve_candidate(holder, listed_on,
                                        min_standing_years=rule_config()["reserve_min_standing_years"])
    if violation:
        raise RuleViolation(violation)
    if session.scalar(select(ReserveCandidate.id).where(ReserveCandidate.unit_id == branch.id,
                                                        ReserveCandidate.person_id == person_id)):
        raise Problem(409, "Conflict", msg("org-duplicate", what="reserve_candidate"), kind="duplicate")
    candidate = ReserveCandidate(unit_id=branch.id, path=branch.path, person_id=person_id, name=holder.name,
                                 full_member_since=holder.full_member_since, listed_on=listed_on,
                                 training=fields.get("training"), trained_on=fields.get("trained_on"),
                                 note=fields.get("note"), status="active", version=1)
    session.add(candidate)
    session.flush()
    audit("reserve_candidate", candidate.id, "listed", {"unit_id": branch.id, "person_id": person_id,
                                                        "listed_on": plain(listed_on)})
    return candidate_view(candidate)


def change_candidate(candidate_id, changes: dict) -> dict:
    """Record the candidate's training, or their leaving the pool (appointed secretary, or withdrawn), If-Match."""
    candidate = if_match(candidate_in_scope(candidate_id))
    if candidate.status != "active":
        raise Problem(409, "Conflict", msg("org-reserve-closed", ended_on=candidate.ended_on), kind="closed")
    if changes.get("status", "active") != "active" and not changes.get("ended_on"):
        raise invalid("ended_on", "give the day the candidate left the pool")
    for field in ("trained_on", "ended_on"):
        if changes.get(field):
            not_after_today(field, changes[field])
    before = {k: plain(getattr(candidate, k)) for k in CANDIDATE_EDITABLE}
    for key in CANDIDATE_EDITABLE:
        if key in changes:
            setattr(candidate, key, changes[key])
    candidate.version += 1
    after = {k: plain(getattr(candidate, k)) for k in CANDIDATE_EDITABLE}
    audit("reserve_candidate", candidate.id, "changed", diff(before, after))
    return candidate_view(candidate)


def candidate_view(candidate: ReserveCandidate) -> dict:
    return {c.key: getattr(candidate, c.key) for c in ReserveCandidate.__table__.columns}


def candidate_in_scope(candidate_id) -> ReserveCandidate:
    candidate = db_session().get(ReserveCandidate, str(candidate_id))
    if candidate is None:
        raise not_found("reserve_candidate")
    require_in_scope(current_principal(), candidate.path, "reserve_candidate")
    return candidate


def list_candidates(args: dict, unit_id=None) -> dict:
    stmt = select(ReserveCandidate)
    if unit_id is not None:
        stmt = stmt.where(ReserveCandidate.unit_id == _branch(unit_id).id)
    else:
        stmt = stmt.where(under_clause(ReserveCandidate.path, subtree_path_for(args.get("under"))))
    if args.get("status"):
        stmt = stmt.where(ReserveCandidate.status == args["status"])
    page = paginate(db_session(), stmt, [ReserveCandidate.path, ReserveCandidate.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    return {**page, "items": [candidate_view(c) for c in page["items"]]}
