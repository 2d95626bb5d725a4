"""The dashboard of a subtree and year: one call, two aggregate queries, no per-branch work.

Stars, categories, weak-and-lax, training coverage, terms and meeting shortfalls add up the
stored assessments (as of their last recompute, reported in ``computed``); problems are counted
live from the problem lists.
"""
from __future__ import annotations

from sqlalchemy import case, func, select

from shared.request import db_session
from shared.dates import today
from shared.http import under_clause

from . import rules
from .indicators import as_of_for
from .models import Assessment, Problem
from .units import check_year, subtree


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total(column):
    return func.coalesce(func.sum(column), 0)


def summary(args: dict) -> dict:
    year = check_year(args.get("year") or today().year)
    path = subtree(args.get("under"))
    session = db_session()
    a = Assessment
    row = session.execute(select(
        func.count(),
        *[_count(a.stars == k) for k in range(5, 0, -1)],
        *[_count(a.category == c) for c in rules.CATEGORIES],
        _count(a.weak.is_(True)),
        _total(a.members), _total(a.members_trained),
        _count(a.has_secretary.is_(True)), _count(a.has_secretary.is_(True) & a.rotation_met.is_(True)),
        _count(a.term_expired.is_(True)),
        _count(a.meetings_missing > 0), _total(a.meetings_missing), _total(a.meetings_due),
        func.min(a.computed_at), func.max(a.computed_at),
    ).where(a.year == year, under_clause(a.org_path, path))).one()
    (branches, s5, s4, s3, s2, s1, advanced, middle, backward, weak, members, trained, secretaries, rotated,
     expired, short, missing, due, first, last) = row

    as_of = as_of_for(year, today())
    problems = {"open": 0, "overdue": 0, "rectified": 0, "total": 0}
    for status, deadline, count in session.execute(
            select(Problem.status, Problem.deadline, func.count())
            .where(Problem.year == year, under_clause(Problem.org_path, path))
            .group_by(Problem.status, Problem.deadline)):
        problems["total"] += count
        if status in ("rectified", "verified"):
            problems["rectified"] += count
        else:
            problems["open"] += count
            if rules.problem_overdue(status, deadline, year, today()):
                problems["overdue"] += count

    return {
        "year": year,
        "as_of": as_of,
        "computed": {"first": first, "last": last},
        "branches": branches,
        "stars": {"5": s5, "4": s4, "3": s3, "2": s2, "1": s1},
        "categories": {"advanced": advanced, "middle": middle, "backward": backward},
        "weak": weak,
        "problems": problems,
        "training": {"members": members, "members_trained": trained,
                     "hour_coverage": round(trained / members, 4) if members else None,
                     "secretaries": secretaries, "rotation_met": rotated,
                     "rotation_coverage": round(rotated / secretaries, 4) if secretaries else None},
        "terms_expired": expired,
        "meetings": {"branches_short": short, "missing": missing, "due": due},
    }
