"""Indicator values per branch and year, computed set-wise from the facts that events keep.

``load`` runs one GROUP BY query per fact table over a whole set of branches (a subtree or a page),
never one query per branch; ``derive`` turns the raw figures into the indicators of
``scoring.INDICATORS`` and the weak-and-lax signs of EVAL.WEAK, as columns (one list per name,
one position per branch). Both the live ``/indicators`` view and the recompute use them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, case, func, or_, select, true

from shared.request import db_session, rule_config, unit_in_scope
from shared.dates import add_years, today
from shared.db import plain_rows
from shared.errors import not_found
from shared.http import paginate, under_clause
from shared.violations import Violation

from . import rules
from .models import (CommitteeFact, HearingFact, ManualInput, MeetingTally, OrgUnitView, PersonFact, PersonYear,
                     Problem, ReviewFact, ScreeningFact, SecretaryReportFact, SupportFact)
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

    def part(self, positions: slice) -> "Branches":
        """The branches at ``positions``."""
        return Branches(self.ids[positions], self.paths[positions], self.names[positions], self.codes[positions])


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
    rows = plain_rows(session, select(OrgUnitView.id, OrgUnitView.path, OrgUnitView.name, OrgUnitView.code)
                      .where(OrgUnitView.id.in_(universe)).order_by(OrgUnitView.path))
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
    return {"held": _meetings_held(session, branches, universe, year),
            "committee": _committees_on_record(session, branches, universe),
            "groups": _party_groups(session, branches, universe),
            "venue": _venues(session, branches, universe),
            **_people(session, branches, universe, year, as_of, config),
            "rotation": _secretaries_rotated(session, branches, universe, year),
            "review": _reviews_done(session, branches, universe, year),
            "problems": _problem_tallies(session, branches, universe, year, as_of),
            "manual": _manual_inputs(session, branches, universe, year),
            **_reports(session, branches, universe, year)}


def raw_part(raw: dict, positions: slice) -> dict:
    """The raw figures (``load``) of the branches at ``positions``."""
    return {name: {key: column[positions] for key, column in value.items()} if isinstance(value, dict)
            else value[positions] for name, value in raw.items()}


def _reports(session, branches: Branches, universe, year: int) -> dict[str, list]:
    """EVAL.REPORTS: per branch, the quarters of ``year`` it was heard in (LIFE.HEARING), its screening record of
    the year (LIFE.SCREENING) and its secretary's latest 述职评议 (LIFE.SECRETARY_REPORT: of the year, else of the
    year before)."""
    quarters: list[set] = [set() for _ in range(len(branches))]
    for unit_id, quarter in plain_rows(session,
            select(HearingFact.unit_id, HearingFact.quarter).where(HearingFact.year == year,
                                                                   within(HearingFact.unit_id, universe))):
        i = branches.index.get(unit_id)
        if i is not None:
            quarters[i].add(quarter)
    screened = _spread(branches, plain_rows(session,
        select(ScreeningFact.unit_id, ScreeningFact.screened_on).where(ScreeningFact.year == year,
                                                                       within(ScreeningFact.unit_id, universe))), None)
    secretary: list = [None] * len(branches)
    for unit_id, report_year, secretary_name, assessment, assessed_by, assessed_on in plain_rows(session, (
            select(SecretaryReportFact.unit_id, SecretaryReportFact.year, SecretaryReportFact.secretary_name,
                   SecretaryReportFact.assessment, SecretaryReportFact.assessed_by, SecretaryReportFact.assessed_on)
            .where(SecretaryReportFact.year.in_((year - 1, year)), within(SecretaryReportFact.unit_id, universe))
            .order_by(SecretaryReportFact.year))):
        i = branches.index.get(unit_id)
        if i is not None:
            secretary[i] = {"year": report_year, "secretary": secretary_name, "assessment": assessment,
                            "assessed_by": assessed_by, "assessed_on": assessed_on}
    return {"heard_quarters": quarters, "screened_on": screened, "secretary_report": secretary}


def _spread(branches: Branches, rows, default) -> list:
    """One value per branch from ``(unit id, value)`` rows: ``default`` where a branch has no row; rows of
    units outside ``branches`` are dropped."""
    column = [default] * len(branches)
    for unit_id, value in rows:
        i = branches.index.get(unit_id)
        if i is not None:
            column[i] = value
    return column


def _meetings_held(session, branches: Branches, universe, year: int) -> dict[str, list[int]]:
    """Meetings held in ``year``, one column per meeting type."""
    held = {t: [0] * len(branches) for t in rules.MEETING_TYPES}
    for unit_id, *counts in plain_rows(session,
            select(MeetingTally.unit_id, *[getattr(MeetingTally, t) for t in rules.MEETING_TYPES])
            .where(MeetingTally.year == year, within(MeetingTally.unit_id, universe))):
        i = branches.index.get(unit_id)
        if i is not None:
            for t, count in zip(rules.MEETING_TYPES, counts):
                held[t][i] = count
    return held


def _committees_on_record(session, branches: Branches, universe) -> list:
    """Each branch's committee row (unit id, seats, seats filled, secretary, vacant since, term end,
    election), or None when none is on record."""
    rows = plain_rows(session,
        select(CommitteeFact.unit_id, CommitteeFact.seats_total, CommitteeFact.seats_filled,
               CommitteeFact.secretary_id, CommitteeFact.secretary_vacant_since, CommitteeFact.term_ends_on,
               CommitteeFact.elected_on)
        .where(within(CommitteeFact.unit_id, universe)))
    return _spread(branches, ((row[0], row) for row in rows), None)


def _party_groups(session, branches: Branches, universe) -> list[int]:
    """The active party groups of each branch."""
    return _spread(branches, plain_rows(session,
        select(OrgUnitView.parent_id, func.count())
        .where(OrgUnitView.kind == "party_group", OrgUnitView.status == "active",
               within(OrgUnitView.parent_id, universe))
        .group_by(OrgUnitView.parent_id)), 0)


def _venues(session, branches: Branches, universe) -> list[bool | None]:
    """Whether each branch has an activity venue; None when nothing is on record."""
    rows = plain_rows(session,
        select(SupportFact.unit_id, SupportFact.has_venue).where(within(SupportFact.unit_id, universe)))
    return _spread(branches, ((unit_id, bool(has_venue)) for unit_id, has_venue in rows), None)


def _admitted_within(as_of: date, years: int):
    """The people admitted as probationary members in the ``years`` up to ``as_of``."""
    return func.sum(case((and_(PersonFact.probationary_since > add_years(as_of, -years),
                               PersonFact.probationary_since <= as_of), 1), else_=0))


def _people(session, branches: Branches, universe, year: int, as_of: date, config: dict) -> dict[str, list]:
    """Per branch: the active people by stage, those admitted within 1, 2, 3 (and EVAL.WEAK's) years, the
    last admission, the members who met their training hours in ``year`` and the members' points."""
    member = PersonFact.stage.in_(("full", "probationary"))
    trained = and_(member, or_(PersonYear.hours >= config["TRAIN.MEMBER_HOURS"], PersonYear.member_hours_met.is_(True),
                               PersonYear.leader_hours_met.is_(True)))
    windows = sorted({1, 2, 3, config["EVAL.WEAK"]["no_development_years"]})
    names = [*STAGES, *[f"dev{y}" for y in windows], "last_admitted", "trained", "points"]
    people = {name: [None if name == "last_admitted" else 0] * len(branches) for name in names}
    for row in plain_rows(session,
            select(PersonFact.unit_id,
                   *[func.sum(case((PersonFact.stage == s, 1), else_=0)) for s in STAGES],
                   *[_admitted_within(as_of, y) for y in windows],
                   func.max(case((PersonFact.probationary_since <= as_of, PersonFact.probationary_since))),
                   func.sum(case((trained, 1), else_=0)),
                   func.sum(case((member, func.coalesce(PersonYear.points, 0.0)), else_=0.0)))
            .select_from(PersonFact)
            .outerjoin(PersonYear, and_(PersonYear.person_id == PersonFact.person_id, PersonYear.year == year))
            .where(PersonFact.status == "active", within(PersonFact.unit_id, universe))
            .group_by(PersonFact.unit_id)):
        i = branches.index.get(row[0])
        if i is None:
            continue
        for name, value in zip(names, row[1:]):
            people[name][i] = value if value is not None or name == "last_admitted" else 0
    return people


def _secretaries_rotated(session, branches: Branches, universe, year: int) -> list[bool]:
    """Whether each branch's secretary met the rotation training of ``year``."""
    rows = plain_rows(session,
        select(CommitteeFact.unit_id)
        .join(PersonYear, and_(PersonYear.person_id == CommitteeFact.secretary_id, PersonYear.year == year))
        .where(PersonYear.rotation_met.is_(True), within(CommitteeFact.unit_id, universe)))
    return _spread(branches, ((unit_id, True) for (unit_id,) in rows), False)


def _reviews_done(session, branches: Branches, universe, year: int) -> list[bool]:
    """Whether each branch held its member review of ``year``."""
    rows = plain_rows(session,
        select(ReviewFact.unit_id).where(ReviewFact.year == year, within(ReviewFact.unit_id, universe)))
    return _spread(branches, ((unit_id, True) for (unit_id,) in rows), False)


def _problem_tallies(session, branches: Branches, universe, year: int, as_of: date) -> list[dict | None]:
    """Per branch, its problems of ``year``: open, overdue, rectified, total and those putting it in the
    rectification scope; None for a branch without problems."""
    tallies: list[dict | None] = [None] * len(branches)
    for unit_id, problem_id, status, deadline, in_scope in plain_rows(session,
            select(Problem.unit_id, Problem.id, Problem.status, Problem.deadline, Problem.in_weak_scope)
            .where(Problem.year == year, within(Problem.unit_id, universe))):
        i = branches.index.get(unit_id)
        if i is None:
            continue
        tally = tallies[i] or {"open": 0, "overdue": 0, "rectified": 0, "total": 0, "scope": []}
        tally["total"] += 1
        if status in ("rectified", "verified"):
            tally["rectified"] += 1
        else:
            tally["open"] += 1
            if rules.problem_overdue(status, deadline, year, as_of):
                tally["overdue"] += 1
        if in_scope:
            tally["scope"].append(problem_id)
        tallies[i] = tally
    return tallies


def _manual_inputs(session, branches: Branches, universe, year: int) -> list[dict]:
    """Per branch, the inputs entered by hand for ``year``: {name: {"id", "value", "entered_by", "entered_at",
    "note"}}."""
    entered: list[dict] = [dict() for _ in range(len(branches))]
    for row in plain_rows(session,
            select(ManualInput.unit_id, ManualInput.name, ManualInput.id, ManualInput.value, ManualInput.entered_by,
                   ManualInput.entered_at, ManualInput.note)
            .where(ManualInput.year == year, within(ManualInput.unit_id, universe))):
        i = branches.index.get(row[0])
        if i is not None:
            entered[i][row[1]] = {"id": row[2], "value": row[3], "entered_by": row[4],
                                  "entered_at": row[5].isoformat(), "note": row[6]}
    return entered


def _iso(value):
    return value.isoformat() if value is not None else None


INDICATOR_NAMES = (
    "meetings.ratio", "meetings.shortfall", *[f"meetings.{t}" for t in rules.MEETING_TYPES],
    "committee.complete", "committee.secretary_vacant_3m", "committee.term_in_force",
    *[f"members.{s}" for s in STAGES], "members.developed_1y", "members.developed_2y", "members.developed_3y",
    "review.done", "points.average", "training.hour_coverage", "training.rotation", "support.venue",
    "problems.open", "problems.overdue", "problems.rectified", "problems.rectified_ratio",
    "reports.hearings", "reports.screened", "reports.secretary_assessed", "reports.secretary_grade")


class _Committee(NamedTuple):
    """A branch's committee as the facts have it (zero seats and no dates when none is on record)."""

    on_record: bool
    seats_total: int
    seats_filled: int
    secretary_id: str | None
    vacant_since: date | None
    term_ends_on: date | None
    elected_on: date | None


_NO_COMMITTEE = _Committee(False, 0, 0, None, None, None, None)


class _Meetings(NamedTuple):
    """A branch's meetings of the year: held and required by type, and the shortfall."""

    held: dict[str, int]
    required: dict[str, int]
    required_list: list[int]
    missing: int
    due: int


class _Facts(NamedTuple):
    """What the rules of one branch read, looked up once."""

    committee: _Committee
    full: int
    members: int
    meetings: _Meetings
    vacancy: Violation | None
    expired: Violation | None
    tally: dict


def derive(branches: Branches, raw: dict, year: int, as_of: date, config: dict, *,
           with_evidence: bool = False) -> IndicatorTable:
    """The indicators and the weak-and-lax signs of each branch, from the raw figures (pure).

    The meetings due depend only on whether a branch has a committee and party groups: they are worked
    out once for the four shapes, outside the pass over the branches.
    """
    facts = _facts_of(raw, year, as_of, config)
    columns = {**_meeting_columns(facts), **_committee_columns(facts, config["ORG.COMMITTEE_REQUIRED"]),
               **_member_columns(raw, facts), **_problem_columns(facts), **_report_columns(raw, year, as_of)}
    columns = {name: columns[name] for name in INDICATOR_NAMES}
    signs = [_signs(raw, i, b, as_of, config) for i, b in enumerate(facts)]
    evidence = [_evidence(raw, i, b) for i, b in enumerate(facts)] if with_evidence else None
    manual_columns = {name: [None] * len(branches) for name in MANUAL_INPUTS}
    for i, entered in enumerate(raw["manual"]):
        for name, entry in entered.items():
            manual_columns[name][i] = entry["value"]
    return IndicatorTable(branches, year, as_of, columns, manual_columns, raw["manual"], signs,
                          _figures(raw, facts), evidence)


def _meetings_due_by_shape(frequencies, year: int, as_of: date) -> dict:
    """(required by type, required in MEETING_TYPES order) by (has a committee, has party groups)."""
    due_by_shape = {}
    for has_committee in (False, True):
        for has_groups in (False, True):
            required = rules.meetings_required(frequencies, year, as_of,
                                               has_committee=has_committee, has_groups=has_groups)
            due_by_shape[(has_committee, has_groups)] = (required, [required.get(t, 0) for t in rules.MEETING_TYPES])
    return due_by_shape


def _facts_of(raw: dict, year: int, as_of: date, config: dict) -> list[_Facts]:
    """Per branch: its committee, members, meetings against those due, secretary vacancy, term expiry and
    problems."""
    min_seats = config["ORG.COMMITTEE_REQUIRED"]["min_seats"]
    vacancy_months = config["ORG.VACANCY_MONTHS"]
    due_by_shape = _meetings_due_by_shape(config["LIFE.FREQUENCIES"], year, as_of)
    no_problems = {"open": 0, "overdue": 0, "rectified": 0, "total": 0, "scope": []}
    facts = []
    for row, full, probationary, groups, counts, tally in zip(
            raw["committee"], raw["full"], raw["probationary"], raw["groups"],
            zip(*[raw["held"][t] for t in rules.MEETING_TYPES]), raw["problems"]):
        committee = _Committee(True, *row[1:]) if row is not None else _NO_COMMITTEE
        held = dict(zip(rules.MEETING_TYPES, counts))
        required, required_list = due_by_shape[(committee.seats_total >= min_seats, groups > 0)]
        missing, due = rules.meeting_shortfall(held, required)
        facts.append(_Facts(
            committee, int(full), int(full) + int(probationary), _Meetings(held, required, required_list, missing, due),
            rules.secretary_vacancy(committee.vacant_since, as_of, vacancy_months),
            rules.term_expired(committee.term_ends_on, as_of), tally or no_problems))
    return facts


def _meeting_columns(facts: list[_Facts]) -> dict[str, list]:
    """meetings.ratio (held of due, no type making up for another), meetings.shortfall, and per type the
    share held of those due."""
    columns = {"meetings.ratio": [(b.meetings.due - b.meetings.missing) / b.meetings.due if b.meetings.due else 1.0
                                  for b in facts],
               "meetings.shortfall": [b.meetings.missing for b in facts]}
    for k, t in enumerate(rules.MEETING_TYPES):
        columns[f"meetings.{t}"] = [
            min(b.meetings.held[t], b.meetings.required_list[k]) / b.meetings.required_list[k]
            if b.meetings.required_list[k] else 1.0 for b in facts]
    return columns


def _committee_columns(facts: list[_Facts], committee_cfg: dict) -> dict[str, list]:
    """committee.complete (secretary and every seat filled, as large as the members require), a secretary
    vacant for ORG.VACANCY_MONTHS, a term in force."""
    return {
        "committee.complete": [int(rules.committee_complete(
            b.committee.on_record, b.committee.seats_total, b.committee.seats_filled,
            b.committee.secretary_id is not None, b.full, **committee_cfg)) for b in facts],
        "committee.secretary_vacant_3m": [int(b.vacancy is not None) for b in facts],
        "committee.term_in_force": [int(b.committee.on_record and b.expired is None) for b in facts]}


def _member_columns(raw: dict, facts: list[_Facts]) -> dict[str, list]:
    """Members by stage and developed within 1-3 years, review, points, training and venue."""
    columns = {f"members.{s}": [int(v) for v in raw[s]] for s in STAGES}
    for y in (1, 2, 3):
        columns[f"members.developed_{y}y"] = [int(v) for v in raw[f"dev{y}"]]
    columns["review.done"] = [int(v) for v in raw["review"]]
    columns["points.average"] = [round(points / b.members, 2) if b.members else None
                                 for points, b in zip(raw["points"], facts)]
    columns["training.hour_coverage"] = [round(trained / b.members, 4) if b.members else None
                                         for trained, b in zip(raw["trained"], facts)]
    columns["training.rotation"] = [int(v) for v in raw["rotation"]]
    columns["support.venue"] = [int(bool(v)) for v in raw["venue"]]
    return columns


def _problem_columns(facts: list[_Facts]) -> dict[str, list]:
    return {"problems.open": [b.tally["open"] for b in facts],
            "problems.overdue": [b.tally["overdue"] for b in facts],
            "problems.rectified": [b.tally["rectified"] for b in facts],
            "problems.rectified_ratio": [b.tally["rectified"] / b.tally["total"] if b.tally["total"] else 1.0
                                         for b in facts]}


def _report_columns(raw: dict, year: int, as_of: date) -> dict[str, list]:
    """EVAL.REPORTS: the share of the quarters due in which the branch was heard, screened this year (0/1), its
    secretary's 述职评议 of the year done (0/1) and its grade (好 4 ... 差 1; None when none is on record)."""
    due = rules.quarters_due(year, as_of)
    this_year = [r if r is not None and r["year"] == year else None for r in raw["secretary_report"]]
    return {"reports.hearings": [rules.quarters_heard(q, due) for q in raw["heard_quarters"]],
            "reports.screened": [int(on is not None) for on in raw["screened_on"]],
            "reports.secretary_assessed": [int(r is not None) for r in this_year],
            "reports.secretary_grade": [rules.ASSESSMENT_GRADES[r["assessment"]] if r else None
                                        for r in raw["secretary_report"]]}


def _signs(raw: dict, i: int, b: _Facts, as_of: date, config: dict) -> list:
    """EVAL.WEAK: the weak-and-lax signs of branch ``i``."""
    committee_cfg, weak_cfg = config["ORG.COMMITTEE_REQUIRED"], config["EVAL.WEAK"]
    manual = raw["manual"][i]
    satisfaction = manual.get("public_satisfaction")
    found = [
        rules.committee_structure(b.committee.on_record, b.committee.seats_filled, b.full, **committee_cfg),
        b.vacancy,
        rules.life_irregular(b.meetings.held, b.meetings.required, b.meetings.missing, b.meetings.due,
                             weak_cfg["meeting_ratio_below"], as_of),
        rules.no_development(int(raw[f"dev{weak_cfg['no_development_years']}"][i]), int(raw["target"][i]),
                             raw["last_admitted"][i], weak_cfg["no_development_years"], as_of),
        rules.no_venue(raw["venue"][i]),
        rules.low_satisfaction(satisfaction["value"] if satisfaction else None, weak_cfg["satisfaction_below"],
                               satisfaction["entered_by"] if satisfaction else None),
        *[rules.judged_sign(name, manual[name]["value"], manual[name]["entered_by"], manual[name]["note"])
          for name in rules.JUDGED_SIGNS if name in manual],
        rules.in_rectification_scope(b.tally["scope"]),
        rules.secretary_poor(**_secretary_sign_args(raw["secretary_report"][i])),
    ]
    return [v for v in found if v is not None]


def _secretary_sign_args(report: dict | None) -> dict:
    if report is None:
        return {"assessment": None, "year": None}
    return {"assessment": report["assessment"], "year": report["year"], "assessed_by": report["assessed_by"],
            "assessed_on": report["assessed_on"], "secretary": report["secretary"]}


def _figures(raw: dict, facts: list[_Facts]) -> dict[str, list]:
    """What the dashboard adds up."""
    return {"members": [b.members for b in facts],
            "members_trained": [int(v) for v in raw["trained"]],
            "has_secretary": [b.committee.secretary_id is not None for b in facts],
            "term_expired": [b.expired is not None for b in facts],
            "meetings_due": [b.meetings.due for b in facts]}


def _evidence(raw: dict, i: int, b: _Facts) -> dict:
    """The raw figures behind branch ``i``'s indicators."""
    c = b.committee
    return {
        "meetings": {t: {"held": b.meetings.held[t], "due": b.meetings.required[t]} for t in rules.MEETING_TYPES},
        "committee": None if not c.on_record else {
            "elected_on": _iso(c.elected_on), "term_ends_on": _iso(c.term_ends_on), "seats": c.seats_total,
            "seats_filled": c.seats_filled, "secretary_id": c.secretary_id,
            "secretary_vacant_since": _iso(c.vacant_since)},
        "term_expired": b.expired.as_dict() if b.expired else None,
        "party_groups": raw["groups"][i],
        "last_admitted": _iso(raw["last_admitted"][i]),
        "members_trained": int(raw["trained"][i]),
        "problems": {k: v for k, v in b.tally.items() if k != "scope"},
        "has_venue": raw["venue"][i],
        "reports": {"quarters_heard": sorted(raw["heard_quarters"][i]), "screened_on": _iso(raw["screened_on"][i]),
                    "secretary_report": None if raw["secretary_report"][i] is None else {
                        **raw["secretary_report"][i], "assessed_on": _iso(raw["secretary_report"][i]["assessed_on"])}},
    }


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
