"""Indicator values per branch and year, computed set-wise from the facts that events keep.

``load`` runs one GROUP BY query per fact table over a whole set of branches (a subtree or a page),
never one query per branch; ``derive`` turns the raw figures into the indicators of
``scoring.INDICATORS`` and the weak-and-lax signs of EVAL.WEAK, as columns (one list per name,
one position per branch). Both the live ``/indicators`` view and the recompute use them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, or_, select, true

from shared.request import db_session, rule_config, unit_in_scope
from shared.dates import add_years, today
from shared.errors import not_found
from shared.http import paginate, under_clause

from . import rules
from .models import (CommitteeFact, ManualInput, MeetingTally, OrgUnitView, PersonFact, PersonYear, Problem,
                     ReviewFact, SupportFact)
from .scoring import MANUAL_INPUTS
from .units import check_year, subtree

STAGES = ("applicant", "activist", "target", "probationary", "full")


@dataclass
class Branches:
    """The rated branches of a set, in path order."""

    ids: list[str]
    paths: list[str]
    names: list[str]
    codes: list[str]
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.index = {unit_id: i for i, unit_id in enumerate(self.ids)}

    def __len__(self):
        return len(self.ids)


def branches_stmt(rated_kinds, path: str | None = None, ids: list[str] | None = None):
    """The active rated branches under ``path`` (or with these ids), as a selectable of their ids."""
    stmt = select(OrgUnitView.id).where(OrgUnitView.kind.in_(rated_kinds), OrgUnitView.status == "active")
    if path is not None:
        stmt = stmt.where(under_clause(OrgUnitView.path, path))
    if ids is not None:
        stmt = stmt.where(OrgUnitView.id.in_(ids))
    return stmt


def within(column, universe):
    """``column IN universe``; no condition at all when ``universe`` is None (every unit: a province's
    recompute skips the semi-join, rows of other units are dropped when read)."""
    return column.in_(universe) if universe is not None else true()


def load_branches(session, universe) -> Branches:
    rows = session.execute(
        select(OrgUnitView.id, OrgUnitView.path, OrgUnitView.name, OrgUnitView.code)
        .where(OrgUnitView.id.in_(universe)).order_by(OrgUnitView.path)).all()
    return Branches([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])


@dataclass
class IndicatorTable:
    """Indicator columns of a set of branches for one year, with the evidence behind them."""

    branches: Branches
    year: int
    as_of: date
    columns: dict[str, list]
    manual: dict[str, list]
    #: per branch: {input name: {"id", "value", "entered_by", "entered_at", "note"}}
    manual_meta: list[dict]
    #: per branch: [Violation] of EVAL.WEAK
    signs: list[list]
    #: figures the dashboard adds up: members, members_trained, has_secretary, term_expired, meetings_due
    figures: dict[str, list]
    #: per branch, when asked for: the raw figures behind the indicators (meetings by type, committee dates, ...)
    evidence: list[dict] | None


def as_of_for(year: int, today: date) -> date:
    """Indicators of a past year are measured at its last day; of the current year, today."""
    return min(today, date(year, 12, 31))


def load(session, branches: Branches, universe, year: int, as_of: date, config: dict) -> dict:
    """The raw figures of ``branches``: one GROUP BY query per fact table, limited to ``universe`` (a
    selectable or list of their ids; None when they are every branch there is)."""
    n = len(branches)
    at = branches.index
    raw: dict = {"held": {t: [0] * n for t in rules.MEETING_TYPES}}

    held = [raw["held"][t] for t in rules.MEETING_TYPES]
    for unit_id, *counts in session.execute(
            select(MeetingTally.unit_id, *[getattr(MeetingTally, t) for t in rules.MEETING_TYPES])
            .where(MeetingTally.year == year, within(MeetingTally.unit_id, universe))):
        i = at.get(unit_id)
        if i is not None:
            for column, count in zip(held, counts):
                column[i] = count

    raw["committee"] = [None] * n
    for row in session.execute(
            select(CommitteeFact.unit_id, CommitteeFact.seats_total, CommitteeFact.seats_filled,
                   CommitteeFact.secretary_id, CommitteeFact.secretary_vacant_since, CommitteeFact.term_ends_on,
                   CommitteeFact.elected_on)
            .where(within(CommitteeFact.unit_id, universe))):
        if row[0] in at:
            raw["committee"][at[row[0]]] = row

    raw["groups"] = [0] * n
    for parent_id, count in session.execute(
            select(OrgUnitView.parent_id, func.count())
            .where(OrgUnitView.kind == "party_group", OrgUnitView.status == "active",
                   within(OrgUnitView.parent_id, universe))
            .group_by(OrgUnitView.parent_id)):
        if parent_id in at:
            raw["groups"][at[parent_id]] = count

    raw["venue"] = [None] * n
    for unit_id, has_venue in session.execute(
            select(SupportFact.unit_id, SupportFact.has_venue).where(within(SupportFact.unit_id, universe))):
        if unit_id in at:
            raw["venue"][at[unit_id]] = bool(has_venue)

    member = PersonFact.stage.in_(("full", "probationary"))
    trained = and_(member, or_(PersonYear.hours >= config["TRAIN.MEMBER_HOURS"], PersonYear.member_hours_met.is_(True),
                               PersonYear.leader_hours_met.is_(True)))

    def admitted_within(years: int):
        return func.sum(case((and_(PersonFact.probationary_since > add_years(as_of, -years),
                                   PersonFact.probationary_since <= as_of), 1), else_=0))

    windows = sorted({1, 2, 3, config["EVAL.WEAK"]["no_development_years"]})
    people_cols = ["full", "probationary", "target", "activist", "applicant", *[f"dev{y}" for y in windows],
                   "last_admitted", "trained", "points"]
    for name in people_cols:
        raw[name] = [None if name == "last_admitted" else 0] * n
    for row in session.execute(
            select(PersonFact.unit_id,
                   *[func.sum(case((PersonFact.stage == s, 1), else_=0)) for s in ("full", "probationary", "target",
                                                                                   "activist", "applicant")],
                   *[admitted_within(y) for y in windows],
                   func.max(case((PersonFact.probationary_since <= as_of, PersonFact.probationary_since))),
                   func.sum(case((trained, 1), else_=0)),
                   func.sum(case((member, func.coalesce(PersonYear.points, 0.0)), else_=0.0)))
            .select_from(PersonFact)
            .outerjoin(PersonYear, and_(PersonYear.person_id == PersonFact.person_id, PersonYear.year == year))
            .where(PersonFact.status == "active", within(PersonFact.unit_id, universe))
            .group_by(PersonFact.unit_id)):
        i = at.get(row[0])
        if i is None:
            continue
        for name, value in zip(people_cols, row[1:]):
            raw[name][i] = value if value is not None or name == "last_admitted" else 0

    raw["rotation"] = [False] * n
    for (unit_id,) in session.execute(
            select(CommitteeFact.unit_id)
            .join(PersonYear, and_(PersonYear.person_id == CommitteeFact.secretary_id, PersonYear.year == year))
            .where(PersonYear.rotation_met.is_(True), within(CommitteeFact.unit_id, universe))):
        if unit_id in at:
            raw["rotation"][at[unit_id]] = True

    raw["review"] = [False] * n
    for (unit_id,) in session.execute(
            select(ReviewFact.unit_id).where(ReviewFact.year == year, within(ReviewFact.unit_id, universe))):
        if unit_id in at:
            raw["review"][at[unit_id]] = True

    raw["problems"] = [None] * n
    for unit_id, problem_id, status, deadline, in_scope in session.execute(
            select(Problem.unit_id, Problem.id, Problem.status, Problem.deadline, Problem.in_weak_scope)
            .where(Problem.year == year, within(Problem.unit_id, universe))):
        i = at.get(unit_id)
        if i is None:
            continue
        tally = raw["problems"][i] or {"open": 0, "overdue": 0, "rectified": 0, "total": 0, "scope": []}
        tally["total"] += 1
        if status in ("rectified", "verified"):
            tally["rectified"] += 1
        else:
            tally["open"] += 1
            if rules.problem_overdue(status, deadline, year, as_of):
                tally["overdue"] += 1
        if in_scope:
            tally["scope"].append(problem_id)
        raw["problems"][i] = tally

    raw["manual"] = [dict() for _ in range(n)]
    for row in session.execute(
            select(ManualInput.unit_id, ManualInput.name, ManualInput.id, ManualInput.value, ManualInput.entered_by,
                   ManualInput.entered_at, ManualInput.note)
            .where(ManualInput.year == year, within(ManualInput.unit_id, universe))):
        i = at.get(row[0])
        if i is not None:
            raw["manual"][i][row[1]] = {"id": row[2], "value": row[3], "entered_by": row[4],
                                        "entered_at": row[5].isoformat(), "note": row[6]}
    return raw


def _iso(value):
    return value.isoformat() if value is not None else None


def derive(branches: Branches, raw: dict, year: int, as_of: date, config: dict, *,
           with_evidence: bool = False) -> IndicatorTable:
    """The indicators and the weak-and-lax signs of each branch, from the raw figures (pure).

    One pass over the branches; the columns and the meetings due (which depend only on whether a
    branch has a committee and party groups) are looked up once, outside the loop.
    """
    n = len(branches)
    committee_cfg = config["ORG.COMMITTEE_REQUIRED"]
    weak_cfg = config["EVAL.WEAK"]
    vacancy_months = config["ORG.VACANCY_MONTHS"]
    names = ["meetings.ratio", "meetings.shortfall", *[f"meetings.{t}" for t in rules.MEETING_TYPES],
             "committee.complete", "committee.secretary_vacant_3m", "committee.term_in_force",
             *[f"members.{s}" for s in STAGES], "members.developed_1y", "members.developed_2y",
             "members.developed_3y", "review.done", "points.average", "training.hour_coverage", "training.rotation",
             "support.venue", "problems.open", "problems.overdue", "problems.rectified", "problems.rectified_ratio"]
    columns = {name: [None] * n for name in names}
    copied = [(columns[f"members.{s}"], raw[s]) for s in STAGES] + [
        (columns[f"members.developed_{y}y"], raw[f"dev{y}"]) for y in (1, 2, 3)]
    held_columns = [raw["held"][t] for t in rules.MEETING_TYPES]
    ratio_columns = [columns[f"meetings.{t}"] for t in rules.MEETING_TYPES]
    due_by_shape = {}
    for has_committee in (False, True):
        for has_groups in (False, True):
            required = rules.meetings_required(config["LIFE.FREQUENCIES"], year, as_of,
                                               has_committee=has_committee, has_groups=has_groups)
            due_by_shape[(has_committee, has_groups)] = (required, [required.get(t, 0) for t in rules.MEETING_TYPES])
    no_development_in = raw[f"dev{weak_cfg['no_development_years']}"]
    no_problems = {"open": 0, "overdue": 0, "rectified": 0, "total": 0, "scope": []}

    signs: list[list] = [[] for _ in range(n)]
    figures = {name: [None] * n for name in ("members", "members_trained", "has_secretary", "term_expired",
                                              "meetings_due")}
    evidence: list[dict] | None = [{} for _ in range(n)] if with_evidence else None
    for i in range(n):
        committee = raw["committee"][i]
        on_record = committee is not None
        seats_total, seats_filled, secretary_id, vacant_since, term_ends_on, elected_on = (
            committee[1:] if on_record else (0, 0, None, None, None, None))
        full = int(raw["full"][i])
        members = full + int(raw["probationary"][i])

        held = dict(zip(rules.MEETING_TYPES, [column[i] for column in held_columns]))
        required, due_list = due_by_shape[(seats_total >= committee_cfg["min_seats"], raw["groups"][i] > 0)]
        missing, due = rules.meeting_shortfall(held, required)
        columns["meetings.ratio"][i] = (due - missing) / due if due else 1.0
        columns["meetings.shortfall"][i] = missing
        for column, count, req in zip(ratio_columns, held.values(), due_list):
            column[i] = min(count, req) / req if req else 1.0

        vacancy = rules.secretary_vacancy(vacant_since, as_of, vacancy_months)
        expired = rules.term_expired(term_ends_on, as_of)
        columns["committee.complete"][i] = int(rules.committee_complete(
            on_record, seats_total, seats_filled, secretary_id is not None, full, **committee_cfg))
        columns["committee.secretary_vacant_3m"][i] = int(vacancy is not None)
        columns["committee.term_in_force"][i] = int(on_record and expired is None)

        for column, source in copied:
            column[i] = int(source[i])
        columns["review.done"][i] = int(raw["review"][i])
        columns["points.average"][i] = round(raw["points"][i] / members, 2) if members else None
        columns["training.hour_coverage"][i] = round(raw["trained"][i] / members, 4) if members else None
        columns["training.rotation"][i] = int(raw["rotation"][i])
        columns["support.venue"][i] = int(bool(raw["venue"][i]))
        tally = raw["problems"][i] or no_problems
        columns["problems.open"][i] = tally["open"]
        columns["problems.overdue"][i] = tally["overdue"]
        columns["problems.rectified"][i] = tally["rectified"]
        columns["problems.rectified_ratio"][i] = tally["rectified"] / tally["total"] if tally["total"] else 1.0

        manual = raw["manual"][i]
        satisfaction = manual.get("public_satisfaction")
        found = [
            rules.committee_structure(on_record, seats_filled, full, **committee_cfg),
            vacancy,
            rules.life_irregular(held, required, missing, due, weak_cfg["meeting_ratio_below"], as_of),
            rules.no_development(int(no_development_in[i]), int(raw["target"][i]), raw["last_admitted"][i],
                                 weak_cfg["no_development_years"], as_of),
            rules.no_venue(raw["venue"][i]),
            rules.low_satisfaction(satisfaction["value"] if satisfaction else None, weak_cfg["satisfaction_below"],
                                   satisfaction["entered_by"] if satisfaction else None),
            *[rules.judged_sign(name, manual[name]["value"], manual[name]["entered_by"], manual[name]["note"])
              for name in rules.JUDGED_SIGNS if name in manual],
            rules.in_rectification_scope(tally["scope"]),
        ]
        signs[i] = [v for v in found if v is not None]
        figures["members"][i] = members
        figures["members_trained"][i] = int(raw["trained"][i])
        figures["has_secretary"][i] = secretary_id is not None
        figures["term_expired"][i] = expired is not None
        figures["meetings_due"][i] = due
        if evidence is None:
            continue
        evidence[i] = {
            "meetings": {t: {"held": held[t], "due": required[t]} for t in rules.MEETING_TYPES},
            "committee": None if not on_record else {
                "elected_on": _iso(elected_on), "term_ends_on": _iso(term_ends_on), "seats": seats_total,
                "seats_filled": seats_filled, "secretary_id": secretary_id,
                "secretary_vacant_since": _iso(vacant_since)},
            "term_expired": expired.as_dict() if expired else None,
            "party_groups": raw["groups"][i],
            "last_admitted": _iso(raw["last_admitted"][i]),
            "members_trained": int(raw["trained"][i]),
            "problems": {k: v for k, v in tally.items() if k != "scope"},
            "has_venue": raw["venue"][i],
        }
    manual_columns = {name: [None] * n for name in MANUAL_INPUTS}
    for i, entered in enumerate(raw["manual"]):
        for name, entry in entered.items():
            manual_columns[name][i] = entry["value"]
    return IndicatorTable(branches, year, as_of, columns, manual_columns, raw["manual"], signs, figures, evidence)


def compute(session, branches: Branches, universe, year: int, as_of: date, config: dict, *,
            with_evidence: bool = False) -> IndicatorTable:
    return derive(branches, load(session, branches, universe, year, as_of, config), year, as_of, config,
                  with_evidence=with_evidence)


# ----------------------------------------------------------------------------- the live view

def _rows(table: IndicatorTable) -> list[dict]:
    b = table.branches
    return [{"unit_id": b.ids[i], "name": b.names[i], "code": b.codes[i], "org_path": b.paths[i],
             "year": table.year, "as_of": table.as_of,
             "indicators": {name: column[i] for name, column in table.columns.items()},
             "inputs": table.manual_meta[i], "signs": [v.as_dict() for v in table.signs[i]],
             "evidence": table.evidence[i]} for i in range(len(b))]


def live_page(args: dict) -> dict:
    """GET /indicators: a page of branches under a subtree, their indicators computed now from the facts."""
    config = rule_config()
    year = check_year(args.get("year") or today().year)
    session = db_session()
    page = paginate(session, select(OrgUnitView).where(
        OrgUnitView.kind.in_(config["EVAL.RATED_KINDS"]), OrgUnitView.status == "active",
        under_clause(OrgUnitView.path, subtree(args.get("under")))), [OrgUnitView.path],
        cursor=args.get("cursor"), limit=args["limit"])
    ids = [unit.id for unit in page["items"]]
    branches = load_branches(session, branches_stmt(config["EVAL.RATED_KINDS"], ids=ids))
    table = compute(session, branches, ids, year, as_of_for(year, today()), config, with_evidence=True)
    return {"items": _rows(table), "next_cursor": page["next_cursor"]}


def live_unit(unit_id, year: int | None) -> dict:
    """GET /units/{id}/indicators: one branch's indicators now, with the evidence behind them."""
    config = rule_config()
    unit = unit_in_scope(unit_id)
    if unit.kind not in config["EVAL.RATED_KINDS"]:
        raise not_found("branch")
    year = check_year(year or today().year)
    session = db_session()
    branches = load_branches(session, branches_stmt(config["EVAL.RATED_KINDS"], ids=[unit.id]))
    if not len(branches):
        raise not_found("branch")
    return _rows(compute(session, branches, [unit.id], year, as_of_for(year, today()), config,
                         with_evidence=True))[0]
