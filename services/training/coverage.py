"""Coverage of a subtree for a year (TRAIN.COVERAGE): secretaries rotated against secretaries in
post, members trained against members, both hour requirements, and who is not yet covered.

Computed set-wise, in two passes and no join, so that a province of 7 million people answers
in seconds on PostgreSQL:
- the totals: one pass over ``people`` (who is a member, leader or secretary now);
- the covered: one pass over ``person_year_hours`` for the year (each row carries the person's
  current place and category, kept in step by the handlers).
Each pass counts per unit directly below ``under`` (and ``under``'s own people): one aggregate
per unit over its path range, read from a covering index (path + the columns counted) on
PostgreSQL, so a pass reads the index alone and hashes nothing.
A person counts where he or she is now: someone who moved between branches during the year
takes the year's hours along, and leaves no gap behind.
"""
from __future__ import annotations

from sqlalchemy import and_, false, func, literal_column, or_, select, union_all

from shared.request import current_principal, db_session, rule_config, unit_in_scope
from shared.dates import today
from shared.db import without_jit
from shared.errors import Problem
from shared.export import Column, csv_response, wanted_format, xlsx_response
from shared.http import paginate, subtree_path, under_clause

from . import hours, rules
from .models import OrgUnitView, Person, PersonYearHours

TOTALS = ("secretaries_in_post", "members", "leaders")
COVERED = ("secretaries_rotated", "members_trained", "members_meeting_hours", "leaders_meeting_hours")
RATES = (("secretary_rotation_rate", "secretaries_rotated", "secretaries_in_post"),
         ("member_training_rate", "members_trained", "members"),
         ("member_hours_rate", "members_meeting_hours", "members"),
         ("leader_hours_rate", "leaders_meeting_hours", "leaders"))
LEADERS = ("secretary", "leader")


def report(args: dict):
    """The coverage as JSON (figures + the first page of uncovered people), CSV or XLSX."""
    fmt = wanted_format()
    principal = current_principal()
    under = unit_in_scope(args["under"]) if args.get("under") else None
    path = subtree_path(principal, under.path if under else None)
    year = args.get("year") or today().year
    config = rule_config()
    session = db_session()

    without_jit(session)
    report_units = _report_units(session, path)
    by_unit = _by_unit(report_units, _totals(session, report_units), _covered(session, report_units, year, config))
    totals = _figures({k: sum(u[k] for u in by_unit) for k in TOTALS + COVERED})
    unit_id = under.id if under else principal.scope
    if fmt == "json":
        uncovered = paginate(session, _uncovered(path, year, config, args.get("gap")),
                             [Person.org_path, Person.id], cursor=args.get("cursor"), limit=args["limit"],
                             row_key=lambda r: (r.org_path, r.id))
        return {"unit_id": unit_id, "org_path": path, "year": year,
                "requirements": {"member_hours": config["member_hours"], "leader_hours": config["leader_hours"]},
                "totals": totals, "by_unit": by_unit,
                "uncovered": {"items": [hours.row_out(r, year) for r in uncovered["items"]],
                              "next_cursor": uncovered["next_cursor"]}}
    name = f"training-coverage-{year}"
    total_row = {**totals, "unit_name": "合计", "org_path": path}
    if fmt == "csv" and args.get("rows") == "units":
        return csv_response(by_unit + [total_row], UNIT_COLUMNS, name + "-units")
    people = _export_people(session, path, year, config, args.get("gap"))
    if fmt == "csv":
        return csv_response(people, PEOPLE_COLUMNS, name)
    return xlsx_response({"覆盖情况": (UNIT_COLUMNS, by_unit + [total_row]),
                          "未覆盖人员": (PEOPLE_COLUMNS, people)}, name)


# ----------------------------------------------------------------------------- the two scans

#: units per statement (SQLite allows at most 500 terms in one compound SELECT)
UNITS_PER_STATEMENT = 200


def _report_units(session, path: str) -> list[tuple[str, OrgUnitView | None, bool]]:
    """Where the figures are reported, as (path, unit, own people only): the subtree's root for the
    people placed in it directly, then each unit directly below it with its whole subtree."""
    if path == "/":
        root, children = None, session.scalars(select(OrgUnitView).where(OrgUnitView.parent_id.is_(None))).all()
    else:
        root = session.scalar(select(OrgUnitView).where(OrgUnitView.path == path))
        children = session.scalars(select(OrgUnitView).where(OrgUnitView.parent_id == root.id)).all() if root else []
    below = sorted((c.path, c, False) for c in children if c.path.startswith(path) and c.path != path)
    return ([(path, root, True)] if path != "/" else []) + below


def _count_per_unit(session, report_units, column, measures, *where) -> list[dict]:
    """The measures for each report unit, one aggregate per unit, UNION ALL'd into few statements.
    Each term is a range scan of a covering index on PostgreSQL (``column`` is the path), and
    counts without a GROUP BY to hash."""
    names = [m.name for m in measures]
    out = [dict.fromkeys(names, 0) for _ in report_units]
    for start in range(0, len(report_units), UNITS_PER_STATEMENT):
        terms = [select(literal_column(str(n)).label("n"), *measures)
                 .where(column == unit_path if own_only else under_clause(column, unit_path), *where)
                 for n, (unit_path, _unit, own_only) in enumerate(report_units[start:start + UNITS_PER_STATEMENT],
                                                                   start)]
        for row in session.execute(terms[0] if len(terms) == 1 else union_all(*terms)):
            out[row.n] = {name: int(getattr(row, name) or 0) for name in names}
    return out


def _totals(session, report_units) -> list[dict]:
    """Members, leaders and secretaries in post (a pass over ``people``)."""
    return _count_per_unit(session, report_units, Person.org_path, [
        func.count().filter(Person.category == "secretary").label("secretaries_in_post"),
        func.count().label("members"),
        func.count().filter(Person.category.in_(LEADERS)).label("leaders"),
    ], Person.category.is_not(None))


def _covered(session, report_units, year: int, config: dict) -> list[dict]:
    """Who is covered (a pass over the year's ``person_year_hours``)."""
    H = PersonYearHours
    return _count_per_unit(session, report_units, H.org_path, [
        func.count().filter(H.category == "secretary", H.rotated).label("secretaries_rotated"),
        func.count().filter(H.trained).label("members_trained"),
        func.count().filter(H.hours >= config["member_hours"]).label("members_meeting_hours"),
        func.count().filter(H.category.in_(LEADERS), H.trained,
                            H.hours >= config["leader_hours"]).label("leaders_meeting_hours"),
    ], H.year == year, H.category.is_not(None))


def _by_unit(report_units, totals: list[dict], covered: list[dict]) -> list[dict]:
    """A row per unit below (zeros included); the root's own row only when people sit in it directly."""
    rows = []
    for n, (unit_path, unit, own_only) in enumerate(report_units):
        if own_only and not any(totals[n].values()) and not any(covered[n].values()):
            continue
        rows.append({"unit_id": unit.id if unit else None, "unit_name": unit.name if unit else None,
                     "org_path": unit_path, **_figures({**totals[n], **covered[n]})})
    return rows


def _figures(counts: dict) -> dict:
    out = dict(counts)
    for rate, covered, total in RATES:
        out[rate] = round(counts[covered] / counts[total], 4) if counts[total] else None
    return out


# ----------------------------------------------------------------------------- who is not covered


def _gap_condition(gap: str | None, config: dict):
    """The people (joined with their year's hours row, if any) who lack ``gap``, or anything."""
    H = PersonYearHours
    no_row = H.person_id.is_(None)
    conditions = {
        "member_training": or_(no_row, H.trained == false()),
        "member_hours": or_(no_row, H.hours < config["member_hours"]),
        "leader_hours": and_(Person.category.in_(LEADERS),
                             or_(no_row, H.hours < config["leader_hours"], H.trained == false())),
        "secretary_rotation": and_(Person.category == "secretary", or_(no_row, H.rotated == false())),
    }
    return conditions[gap] if gap else or_(*conditions.values())


def _uncovered(path: str, year: int, config: dict, gap: str | None):
    return (hours.people_with_hours(year)
            .where(under_clause(Person.org_path, path), Person.category.is_not(None),
                   _gap_condition(gap, config)))


def _export_people(session, path: str, year: int, config: dict, gap: str | None) -> list[dict]:
    cap = config["export_max_rows"]
    rows = session.execute(_uncovered(path, year, config, gap).order_by(Person.org_path, Person.id)
                           .limit(cap + 1)).all()
    if len(rows) > cap:
        raise Problem(422, "Unprocessable Content",
                      f"more than {cap} people are not yet covered in this subtree; an export lists at most {cap}: "
                      "choose a smaller subtree with under=, or page through the JSON",
                      kind="validation", errors={"query": {"under": [f"more than {cap} people to export"]}})
    out = []
    for row in rows:
        person = hours.row_out(row, year)
        person["category_zh"] = rules.CATEGORY_NAMES_ZH.get(person["category"], "")
        person["trained_zh"] = "是" if person["trained"] else "否"
        person["rotated_zh"] = ("是" if person["rotated"] else "否") if person["category"] == "secretary" else ""
        person["gaps_zh"] = "；".join(rules.GAP_NAMES[g][1] for g in person["gaps"])
        out.append(person)
    return out


PEOPLE_COLUMNS = [
    Column("name", "姓名"), Column("unit_name", "所在党组织"), Column("category_zh", "人员类别"),
    Column("hours", "年度学时"), Column("required_hours", "应达学时"), Column("trained_zh", "参加集中培训"),
    Column("rotated_zh", "参加书记轮训"), Column("gaps_zh", "未完成事项"), Column("person_id", "人员编号"),
    Column("org_path", "组织路径"),
]
UNIT_COLUMNS = [
    Column("unit_name", "党组织"), Column("secretaries_in_post", "在岗支部书记"),
    Column("secretaries_rotated", "已轮训书记"), Column("secretary_rotation_rate", "书记轮训率"),
    Column("members", "党员"), Column("members_trained", "已参加集中培训党员"),
    Column("member_training_rate", "党员培训率"), Column("members_meeting_hours", "学时达标党员"),
    Column("member_hours_rate", "党员学时达标率"), Column("leaders", "支部书记和委员"),
    Column("leaders_meeting_hours", "学时达标书记和委员"), Column("leader_hours_rate", "书记和委员学时达标率"),
    Column("org_path", "组织路径"),
]
