"""Problem lists (EVAL.PROBLEMS): found, rectified by a deadline, verified, or escalated one level up.

Every change is audited and published (evaluation.problem.opened / changed / escalated / closed).
A problem past its due date stays on the list, flagged overdue: a deadline is recorded, never refused.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, and_, case, literal, or_, select

from shared.request import (audit, current_kit, current_principal, db_session, emit, require, rule_config,
                            unit_in_scope)
from shared.audit import diff
from shared.dates import today
from shared.errors import invalid, not_found
from shared.http import if_match, paginate, under_clause
from shared.violations import RuleViolation

from . import rules
from .models import OrgUnitView, Problem, ProblemComment
from .units import check_year, subtree

VERIFIERS = ("admin", "organizer")


def _event(problem: Problem) -> dict:
    return {"problem_id": problem.id, "unit_id": problem.unit_id, "status": problem.status,
            "deadline": problem.deadline, "level_unit_id": problem.level_unit_id,
            "problem_version": problem.version, "year": problem.year, "in_weak_scope": problem.in_weak_scope}


def _publish(type_: str, problem: Problem) -> None:
    emit(type_, _event(problem), org_path=problem.org_path)


def open_raised(session, *, unit_id: str, year: int, source: str, reference: str, description: str,
                responsible: str, deadline, opened_on, origin: str) -> Problem | None:
    """A point raised at a hearing or a finding of a screening (org's events) put on the branch's list, once per
    ``reference`` (a repeated or corrected event never opens it twice). Returns None when it is already open."""
    if session.scalar(select(Problem.id).where(Problem.reference == reference)) is not None:
        return None
    unit = session.get(OrgUnitView, unit_id)
    if unit is None:
        raise LookupError(f"unit {unit_id} is not in the org read-model yet")
    problem = Problem(unit_id=unit.id, org_path=unit.path, year=year, source=source, reference=reference,
                      description=description, responsible=responsible, measures=None,
                      deadline=rules.problem_due(deadline, year), status="open", level_unit_id=unit.id,
                      level_path=unit.path, escalations=0, in_weak_scope=False, opened_on=opened_on,
                      created_by=origin, version=1)
    session.add(problem)
    session.flush()
    current_kit().outbox.emit(session, "evaluation.problem.opened", _event(problem), org_path=problem.org_path)
    return problem


def get_in_scope(problem_id) -> Problem:
    problem = db_session().get(Problem, str(problem_id))
    if problem is None or not current_principal().sees(problem.org_path):
        raise not_found("problem")
    return problem


def view(problem: Problem) -> Problem:
    """The problem with its due date and whether it is overdue today (for the response)."""
    problem.due = rules.problem_due(problem.deadline, problem.year)
    problem.overdue = rules.problem_overdue(problem.status, problem.deadline, problem.year, today()) is not None
    return problem


def open_problem(fields: dict) -> Problem:
    session = db_session()
    unit = unit_in_scope(fields["unit_id"])
    rated = rule_config()["EVAL.RATED_KINDS"]
    if unit.kind not in rated:
        raise invalid("unit_id", f"problem lists are kept for branches ({', '.join(rated)}), not a {unit.kind}")
    year = check_year(fields.get("year") or today().year, "json")
    problem = Problem(unit_id=unit.id, org_path=unit.path, year=year, source=fields["source"],
                      description=fields["description"], responsible=fields["responsible"],
                      responsible_person_id=str(fields["responsible_person_id"]) if fields.get(
                          "responsible_person_id") else None,
                      measures=fields.get("measures"), deadline=fields["deadline"], status="open",
                      level_unit_id=unit.id, level_path=unit.path, escalations=0, in_weak_scope=False,
                      opened_on=today(), created_by=current_principal().subject, version=1)
    session.add(problem)
    session.flush()
    audit("problem", problem.id, "opened", {"unit_id": unit.id, "year": year, "source": problem.source,
                                            "description": problem.description, "responsible": problem.responsible,
                                            "measures": problem.measures, "deadline": problem.deadline})
    _publish("evaluation.problem.opened", problem)
    return view(problem)


EDITABLE = ("description", "responsible", "responsible_person_id", "measures", "deadline")


def change(problem_id, fields: dict) -> Problem:
    problem = if_match(get_in_scope(problem_id))
    closed = rules.problem_closed(problem.status)
    if closed:
        raise RuleViolation(closed)
    before = {k: getattr(problem, k) for k in EDITABLE}
    for key in EDITABLE:
        if key in fields:
            value = fields[key]
            setattr(problem, key, str(value) if key == "responsible_person_id" and value else value)
    changes = diff(before, {k: getattr(problem, k) for k in EDITABLE})
    if changes:
        problem.version += 1
        audit("problem", problem.id, "changed", changes)
        _publish("evaluation.problem.changed", problem)
    return view(problem)


def _comment(problem: Problem, body: str, status_from: str | None = None, status_to: str | None = None):
    db_session().add(ProblemComment(problem_id=problem.id, author=current_principal().subject, body=body,
                                    status_from=status_from, status_to=status_to))


def transition(problem_id, fields: dict) -> Problem:
    """open -> in_progress -> rectified -> verified (a failed check: rectified -> in_progress)."""
    problem = if_match(get_in_scope(problem_id))
    wanted = fields["status"]
    violation = rules.problem_transition(problem.status, wanted)
    if violation:
        raise RuleViolation(violation)
    if wanted == "in_progress" and problem.status == "open":
        missing = rules.problem_needs_measures(problem.measures)
        if missing:
            raise RuleViolation(missing)
    if wanted == "verified":
        require(*VERIFIERS)  # the organization department above the branch checks the rectification
    if problem.status == "rectified" and wanted == "in_progress" and not fields.get("comment"):
        raise invalid("comment", "say why the rectification is sent back")
    before = problem.status
    problem.status = wanted
    if wanted == "rectified":
        problem.rectified_on = today()
    elif wanted == "verified":
        problem.verified_on = today()
    elif before == "rectified":
        problem.rectified_on = None
    problem.version += 1
    if fields.get("comment"):
        _comment(problem, fields["comment"], before, wanted)
    audit("problem", problem.id, "status", {"status": [before, wanted], "comment": fields.get("comment")})
    _publish("evaluation.problem.closed" if wanted == "verified" else "evaluation.problem.changed", problem)
    return view(problem)


def escalate(problem_id, fields: dict) -> Problem:
    """The level that answers for the problem moves one step up the tree."""
    session = db_session()
    problem = if_match(get_in_scope(problem_id))
    level = session.get(OrgUnitView, problem.level_unit_id)
    upper = session.get(OrgUnitView, level.parent_id) if level is not None and level.parent_id else None
    violation = rules.problem_escalation(problem.status, upper is not None)
    if violation:
        raise RuleViolation(violation)
    before = problem.level_unit_id
    problem.level_unit_id, problem.level_path = upper.id, upper.path
    problem.escalations += 1
    problem.version += 1
    _comment(problem, fields["reason"])
    audit("problem", problem.id, "escalated", {"level_unit_id": [before, upper.id], "reason": fields["reason"]})
    _publish("evaluation.problem.escalated", problem)
    return view(problem)


def mark_weak_scope(problem_id, fields: dict) -> Problem:
    """Put a hard problem's branch inside (or take it out of) the weak-and-lax rectification scope."""
    problem = if_match(get_in_scope(problem_id))
    before = problem.in_weak_scope
    problem.in_weak_scope = fields["in_scope"]
    problem.weak_scope_reason = fields["reason"]
    problem.version += 1
    _comment(problem, fields["reason"])
    audit("problem", problem.id, "weak_scope", {"in_weak_scope": [before, problem.in_weak_scope],
                                                "reason": fields["reason"]})
    _publish("evaluation.problem.changed", problem)
    return view(problem)


def add_comment(problem_id, fields: dict) -> ProblemComment:
    problem = get_in_scope(problem_id)
    comment = ProblemComment(problem_id=problem.id, author=current_principal().subject, body=fields["body"])
    db_session().add(comment)
    db_session().flush()
    audit("problem", problem.id, "commented", {"comment_id": comment.id, "body": comment.body})
    return comment


def list_comments(problem_id, args: dict) -> dict:
    problem = get_in_scope(problem_id)
    stmt = select(ProblemComment).where(ProblemComment.problem_id == problem.id)
    return paginate(db_session(), stmt, [ProblemComment.id], cursor=args.get("cursor"), limit=args["limit"])


#: a problem not yet rectified: its deadline runs
UNRECTIFIED = ("open", "in_progress")


def overdue_clause(as_of):
    """SQL for ``rules.problem_overdue``: not rectified and past min(deadline, the year's end)."""
    return Problem.status.in_(UNRECTIFIED) & or_(Problem.deadline < as_of, Problem.year < as_of.year)


def due_between(first: date, last: date):
    """SQL for ``rules.problem_due`` (min(deadline, the year's end)) between ``first`` and ``last``:
    ``(condition, due)``, with the years of the range as literals."""
    years = range(first.year, last.year + 1)
    on_deadline = [and_(Problem.deadline.between(max(first, date(y, 1, 1)), min(last, date(y, 12, 31))),
                        Problem.year >= y) for y in years]
    year_ends = [date(y, 12, 31) for y in years if first <= date(y, 12, 31) <= last]
    at_year_end = [and_(Problem.year == end.year, Problem.deadline > end) for end in year_ends]
    condition = or_(*on_deadline, *at_year_end)
    if not year_ends:
        return condition, Problem.deadline
    due = case(*((and_(Problem.year == end.year, Problem.deadline > end), literal(end, Date)) for end in year_ends),
               else_=Problem.deadline)
    return condition, due


def list_problems(args: dict) -> dict:
    stmt = select(Problem).where(under_clause(Problem.org_path, subtree(args.get("under"))))
    if args.get("level"):
        stmt = stmt.where(Problem.level_unit_id == unit_in_scope(args["level"]).id)
    if args.get("year"):
        stmt = stmt.where(Problem.year == args["year"])
    if args.get("status"):
        stmt = stmt.where(Problem.status == args["status"])
    if args.get("in_weak_scope") is not None:
        stmt = stmt.where(Problem.in_weak_scope.is_(args["in_weak_scope"]))
    if args.get("overdue") is not None:
        clause = overdue_clause(today())
        stmt = stmt.where(clause if args["overdue"] else ~clause)
    page = paginate(db_session(), stmt, [Problem.org_path, Problem.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    page["items"] = [view(p) for p in page["items"]]
    return page
