"""The dashboard of a subtree and year: one call, a fixed number of aggregate queries, no per-branch or
per-county work.

Stars, categories, weak-and-lax, training coverage, terms and meeting shortfalls add up the
stored assessments (as of their last recompute, reported in ``computed``); problems are counted
live from the problem lists; the standing mechanisms' reports (EVAL.REPORTS) live from their facts, for the
subtree and for every county in it from the same grouped queries.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased

from shared.request import db_session, rule_config
from shared.dates import today
from shared.db import without_jit
from shared.http import under_clause

from . import rules
from .indicators import as_of_for
from .models import Assessment, HearingFact, OrgUnitView, Problem, ScreeningFact, SecretaryReportFact
from .units import check_year, subtree


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total(column):
    return func.coalesce(func.sum(column), 0)


def summary(args: dict) -> dict:
    year = check_year(args.get("year") or today().year)
    path = subtree(args.get("under"))
    session = db_session()
    without_jit(session)  # a province's aggregates run in tenths of a second; compiling them took as long
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
        "reports": reports(session, path, year, as_of),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _report_figures(session, path: str, year: int, as_of: date, kinds) -> dict:
    """EVAL.REPORTS for the rated branches under ``path``, live from the facts (see ``_figures_by``)."""
    branches = select(OrgUnitView.id.label("unit_id"), literal("").label("county_id")).where(
        OrgUnitView.kind.in_(kinds), OrgUnitView.status == "active", under_clause(OrgUnitView.path, path))
    return _figures_by(session, branches.subquery(), year, as_of).get("", _figures(0, 0, 0, 0, 0, year, as_of))


def _figures(total: int, heard: int, screened: int, assessed: int, poor: int, year: int, as_of: date) -> dict:
    due = rules.quarters_due(year, as_of)
    heard = heard if due else total
    return {"branches": total, "quarters_due": due, "heard_every_quarter": heard,
            "heard_share": _share(heard, total), "screened": screened, "screened_share": _share(screened, total),
            "secretaries_assessed": assessed, "secretaries_poor": int(poor or 0)}


def _figures_by(session, branches, year: int, as_of: date) -> dict[str, dict]:
    """EVAL.REPORTS per group of branches (``branches``: unit_id, county_id), one grouped query a figure: heard in
    every quarter due so far (LIFE.HEARING), screened this year (LIFE.SCREENING), the secretaries' latest 述职评议 (of
    the year, else of the year before, as the indicators read it) and those 差."""
    due = rules.quarters_due(year, as_of)
    group = branches.c.county_id
    totals = dict(session.execute(select(group, func.count()).group_by(group)).all())
    heard: dict = {}
    if due:
        heard_all = (select(HearingFact.unit_id).where(HearingFact.year == year, HearingFact.quarter <= due,
                                                      HearingFact.unit_id.in_(select(branches.c.unit_id)))
                     .group_by(HearingFact.unit_id)
                     .having(func.count(func.distinct(HearingFact.quarter)) >= due).subquery())
        heard = dict(session.execute(select(group, func.count()).join(heard_all, heard_all.c.unit_id == branches.c.unit_id)
                                     .group_by(group)).all())
    screened = dict(session.execute(
        select(group, func.count()).join(ScreeningFact, ScreeningFact.unit_id == branches.c.unit_id)
        .where(ScreeningFact.year == year).group_by(group)).all())
    report, newer = SecretaryReportFact, aliased(SecretaryReportFact)
    latest = ~select(newer.unit_id).where(newer.unit_id == report.unit_id, newer.year == year,
                                          report.year == year - 1).exists()
    secretaries = {county: (assessed, poor) for county, assessed, poor in session.execute(
        select(group, func.count(), _count(report.assessment == "poor"))
        .join(report, report.unit_id == branches.c.unit_id)
        .where(report.year.in_((year - 1, year)), latest).group_by(group))}
    return {county: _figures(total, heard.get(county, 0), screened.get(county, 0),
                             *secretaries.get(county, (0, 0)), year, as_of)
            for county, total in totals.items()}


def reports(session, path: str, year: int, as_of: date) -> dict:
    """EVAL.REPORTS on the dashboard: the subtree's figures and, per county in it, its own (the share of its
    branches heard every quarter and screened this year), each county's from the same grouped queries."""
    kinds = rule_config()["EVAL.RATED_KINDS"]
    county = aliased(OrgUnitView)
    county_in_subtree = and_(county.kind == "county", county.status == "active", under_clause(county.path, path))
    counties = session.execute(select(county.id, county.name).where(county_in_subtree).order_by(county.path)).all()
    branch = aliased(OrgUnitView)
    # a branch lies in the county whose path begins its own (the range of under_clause, per county)
    in_county = and_(branch.path >= county.path,
                     branch.path < func.substr(county.path, 1, func.length(county.path) - 1).op("||")(literal("0")))
    by_county = select(branch.id.label("unit_id"), county.id.label("county_id")).join(county, in_county).where(
        county_in_subtree, branch.kind.in_(kinds), branch.status == "active").subquery()
    figures = _figures_by(session, by_county, year, as_of) if counties else {}
    empty = _figures(0, 0, 0, 0, 0, year, as_of)
    return {**_report_figures(session, path, year, as_of, kinds),
            "counties": [{"unit_id": county_id, "name": name, **figures.get(county_id, empty)}
                         for county_id, name in counties]}
