"""Reports, computed set-wise (one GROUP BY each, never one query per branch):

- development stage counts for a subtree and each unit directly under it;
- villages with no new member for 3+ years (MEMBERS.NO_DEVELOPMENT);
- deadline breaches and overdue steps per rule code.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from shared import dates
from shared.request import current_principal, db_session, rule_config, unit_in_scope
from shared.catalog.members import STAGES
from shared.http import subtree_path, under_clause

from . import letters, rules
from .models import Deadline, OrgUnitView, Person



def _subtree(args: dict) -> tuple[str, OrgUnitView | None]:
    unit = unit_in_scope(args["under"]) if args.get("under") else None
    return subtree_path(current_principal(), unit.path if unit else None), unit


def _in_unit_subtree(path_column, unit_path_column):
    """``path_column`` lies under the unit whose path is ``unit_path_column`` (a range, as under_clause)."""
    upper = func.substr(unit_path_column, 1, func.length(unit_path_column) - 1).concat("0")
    return and_(path_column >= unit_path_column, path_column < upper)


def stage_counts(args: dict) -> dict:
    """People on the roll (not left) by stage: the whole subtree, and each unit directly under its root."""
    session = db_session()
    path, unit = _subtree(args)
    if unit is None and path != "/":
        unit = session.scalar(select(OrgUnitView).where(OrgUnitView.path == path))
    totals = dict(session.execute(
        select(Person.stage, func.count()).where(under_clause(Person.org_path, path), Person.status != "left")
        .group_by(Person.stage)).all())
    child = aliased(OrgUnitView)
    children_filter = child.parent_id == unit.id if unit is not None else child.parent_id.is_(None)
    rows = session.execute(
        select(child.id, child.name, child.kind, Person.stage, func.count(Person.id))
        .select_from(child)
        .outerjoin(Person, and_(_in_unit_subtree(Person.org_path, child.path), Person.status != "left"))
        .where(children_filter)
        .group_by(child.id, child.name, child.kind, Person.stage)).all()
    children: dict[str, dict] = {}
    for cid, name, kind, stage, count in rows:
        entry = children.setdefault(cid, {"unit_id": cid, "name": name, "kind": kind,
                                          "counts": {s: 0 for s in STAGES}, "total": 0})
        if stage is not None:
            entry["counts"][stage] = count
            entry["total"] += count
    counts = {s: totals.get(s, 0) for s in STAGES}
    return {"unit_id": unit.id if unit else None, "counts": counts, "total": sum(counts.values()),
            "children": sorted(children.values(), key=lambda e: e["name"])}


def no_development(args: dict) -> dict:
    """Villages whose party organization admitted no new member in the configured years (MEMBERS.NO_DEVELOPMENT).

    A village's organization is a unit of domain ``village`` whose parent is not itself a village unit; a new
    member is one whose admission vote (``probationary_since``) falls in the period, anywhere in its subtree.
    """
    session = db_session()
    path, _ = _subtree(args)
    as_of = args.get("as_of") or dates.today()
    years = rule_config()["no_development_years"]
    village, parent = aliased(OrgUnitView), aliased(OrgUnitView)
    rows = session.execute(
        select(village.id, village.name, village.code, village.kind, func.max(Person.probationary_since))
        .select_from(village)
        .outerjoin(parent, parent.id == village.parent_id)
        .outerjoin(Person, _in_unit_subtree(Person.org_path, village.path))
        .where(under_clause(village.path, path), village.domain == "village", village.status == "active",
               or_(parent.domain.is_(None), parent.domain != "village"))
        .group_by(village.id, village.name, village.code, village.kind)).all()
    flagged = []
    for vid, name, code, kind, last in rows:
        if isinstance(last, str):  # SQLite hands an aggregate of dates back as text
            last = date.fromisoformat(last)
        violation = rules.no_development(last, as_of, years)
        if violation:
            flagged.append({"unit_id": vid, "name": name, "code": code, "kind": kind, "last_admitted_on": last,
                            "rule": violation.code, "en": violation.en, "zh": violation.zh})
    flagged.sort(key=lambda v: (v["last_admitted_on"] or date.min, v["name"]))
    return {"as_of": as_of, "years": years, "villages": len(rows), "flagged": flagged}


def breaches(args: dict) -> dict:
    """Per rule code: steps recorded late (breached) and steps still open past their date (overdue)."""
    session = db_session()
    path, _ = _subtree(args)
    as_of = dates.today()
    stmt = (select(Deadline.code, Deadline.kind,
                   func.sum(case((Deadline.breached, 1), else_=0)),
                   func.sum(case((and_(Deadline.met_on.is_(None), Deadline.cancelled_on.is_(None),
                                       Deadline.due_on < as_of), 1), else_=0)))
            .where(under_clause(Deadline.org_path, path), Deadline.kind != "probation_end")
            .group_by(Deadline.code, Deadline.kind).order_by(Deadline.code, Deadline.kind))
    if args.get("year"):
        stmt = stmt.where(Deadline.due_on >= date(args["year"], 1, 1), Deadline.due_on < date(args["year"] + 1, 1, 1))
    items = [{"code": code, "kind": kind, "breached": int(b or 0), "overdue": int(o or 0)}
             for code, kind, b, o in session.execute(stmt).all()]
    items += letters.breach_counts(path, as_of, args.get("year"))
    return {"as_of": as_of, "year": args.get("year"), "items": items}
