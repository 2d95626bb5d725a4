"""The setup compliance report of a subtree: per rule code, how many units break it and which,
with the figures that break it. Nobody fills in a form: every answer comes from the records.

Computed set-wise. One wide query joins each grassroots unit of the subtree with what its rules
need (member counts, the sum of a general branch's branches, its current committee and seats, its
organizational life in the period's years) and turns every rule into a SQL flag; the counts are one
``SUM`` per flag, and the listed offenders stream out of the same query in path order, stopping
once every rule's list is full. The pure rules in ``rules.py`` then word each listed breach, so
the report and the 409 of a gate speak with one voice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import aliased

from shared.request import db_session, rule_config
from shared.dates import today
from shared.db import without_jit
from shared.errors import not_found
from shared.export import Column, csv_response, wanted_format, xlsx_response
from shared.http import paginate, under_clause

from . import rules
from .meetings import period
from .liaison import keeps_a_point
from .models import (Committee, Hearing, Leader, LiaisonPoint, LifeYear, Meeting, ReserveCandidate, ScreeningRecord,
                     Seat, SecretaryReport, UncoveredEntity, Unit, UnitRating)
from .units import subtree_path_for

SETUP = ("ORG.BRANCH_MIN_MEMBERS", "ORG.BRANCH_MAX_MEMBERS", "ORG.GENERAL_BRANCH", "ORG.GRASSROOTS_COMMITTEE")
COMMITTEE = ("ORG.COMMITTEE_REQUIRED", "ORG.TERM_EXPIRED", "ORG.VACANCY")
LIFE_TYPES = ("general_meeting", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
              "review_meeting", "heart_to_heart_talk", "member_review")
LIFE = tuple(rules.LIFE_CODES[t] for t in LIFE_TYPES)
TYPE_OF = {code: t for t, code in rules.LIFE_CODES.items()}
#: the standing mechanisms (LIFE.HEARING, LIFE.SCREENING, LIFE.SECRETARY_REPORT), measured like the meetings
MECHANISMS = tuple(rules.REPORT_CODES)
REPORTS = tuple(rules.REPORT_CODES.values())
MECHANISM_OF = {code: m for m, code in rules.REPORT_CODES.items()}
CODES = SETUP + COMMITTEE + ("ORG.RESERVE", "ORG.UNCOVERED", "ORG.LIAISON") + LIFE + REPORTS
KIND_OF = {**{c: "setup" for c in SETUP}, "ORG.COMMITTEE_REQUIRED": "committee", "ORG.TERM_EXPIRED": "term",
           "ORG.VACANCY": "committee", "ORG.RESERVE": "reserve", "ORG.UNCOVERED": "uncovered", "ORG.LIAISON": "liaison",
           **{c: "life" for c in LIFE}, **{c: "mechanism" for c in REPORTS}}
#: the rules measured per unit by the wide query
UNIT_CODES = SETUP + COMMITTEE + ("ORG.RESERVE",) + LIFE + REPORTS
#: the rules whose offenders are not units of the Wide query: their own lists, paged by (path, id)
OWN_LISTS = ("ORG.UNCOVERED", "ORG.LIAISON")
#: the units the report measures (higher committees have no setup rules of their own here)
MEASURED_KINDS = ("grassroots_committee", "general_branch", "branch", "joint_branch", "party_group")
#: a rule with at most this many offenders is listed from one read of them all
SPARSE = 2000


@dataclass
class Context:
    path: str
    start: date
    end: date
    on: date
    cfg: dict
    periods: dict = field(default_factory=dict)   # meeting type -> whole periods of the range
    lecture_years: list = field(default_factory=list)


def context(args: dict) -> Context:
    start, end = period(args)
    cfg = rule_config()
    ctx = Context(path=subtree_path_for(args.get("under")), start=start, end=end, on=today(), cfg=cfg)
    ctx.periods = {t: rules.whole_periods(cfg["life_frequency"][t], start, end) for t in LIFE_TYPES}
    ctx.periods.update({m: rules.whole_periods(cfg["reports_frequency"][m], start, end) for m in MECHANISMS})
    ctx.lecture_years = [int(p.label) for p in rules.whole_periods("year", start, end)]
    return ctx


# ----------------------------------------------------------------------------- the wide query

def month_mask(p: rules.Period) -> int:
    """The bits of a ``LifeYear`` mask that the period's months hold (bit 0 = January)."""
    return sum(1 << (m - 1) for m in range(p.first.month, p.last.month + 1))


def life_subject(meeting_type: str, cfg: dict, unit, seats):
    """SQL: the units that owe meetings of ``meeting_type`` (LIFE.*): a branch (its committee meets once it
    has the seats of a committee), or a party group for group meetings. ``seats``: its current committee's."""
    if meeting_type == "group_meeting":
        return unit.kind == "party_group"
    branch = unit.kind.in_(rules.BRANCH_KINDS)
    if meeting_type == "committee_meeting":
        return and_(branch, seats >= cfg["committee_seats_min"])
    return branch


class Wide:
    """The per-unit select and one SQL flag per rule code.

    Every join is on a unique key (the unit's current committee, its life row of each year), so
    the query is one pass over the subtree's units whatever plan the database picks; a general
    branch's members are summed over its sub-units by the parent index, for general branches only.
    """

    def __init__(self, ctx: Context):
        cfg = ctx.cfg
        self.ctx = ctx
        u = Unit
        members = u.full_members + u.probationary_members
        child = aliased(Unit)
        child_members = case((u.kind == "general_branch",
                              select(func.coalesce(func.sum(child.full_members + child.probationary_members), 0))
                              .where(child.parent_id == u.id, child.status == "active")
                              .scalar_subquery()), else_=0)
        c = aliased(Committee, name="c")
        years = sorted({p.first.year for ps in ctx.periods.values() for p in ps} | set(ctx.lecture_years))
        life = {y: aliased(LifeYear, name=f"life_{y}") for y in years}

        seats = func.coalesce(c.seats, 0)
        established = or_(u.established_on.is_(None), u.established_on <= ctx.start)
        branch = u.kind.in_(rules.BRANCH_KINDS)
        horizon = ctx.on + timedelta(days=cfg["term_warning_days"])
        flags = {
            "ORG.BRANCH_MIN_MEMBERS": or_(
                and_(u.kind == "branch", u.full_members < cfg["branch_min_full_members"]),
                and_(u.kind == "joint_branch", u.covered_units > cfg["joint_branch_max_units"])),
            "ORG.BRANCH_MAX_MEMBERS": and_(branch, members > cfg["branch_max_members"]),
            "ORG.GENERAL_BRANCH": and_(branch, members > cfg["branch_max_members"],
                                       members < cfg["grassroots_committee_members"]),
            "ORG.GRASSROOTS_COMMITTEE": and_(u.kind.in_(rules.GRASSROOTS_KINDS),
                                             members + child_members >= cfg["grassroots_committee_members"]),
            "ORG.COMMITTEE_REQUIRED": and_(branch, or_(
                c.id.is_(None),
                and_(u.full_members >= cfg["committee_min_full_members"], seats < cfg["committee_seats_min"]))),
            "ORG.TERM_EXPIRED": c.term_ends_on < ctx.on,
            "ORG.VACANCY": c.vacant_seats > 0,
        }
        subjects = {t: and_(life_subject(t, cfg, u, seats), established) for t in LIFE_TYPES}
        for t in LIFE_TYPES:
            short = or_(false(), *_missed_any(ctx.periods[t], life, t))
            if t == "party_lecture" and ctx.lecture_years:
                per_year = cfg["secretary_lectures_per_year"]
                short = or_(short, *[func.coalesce(life[y].secretary_lectures, 0) < per_year
                                     for y in ctx.lecture_years])
            flags[rules.LIFE_CODES[t]] = and_(subjects[t], short)
        for m in MECHANISMS:
            flags[rules.REPORT_CODES[m]] = and_(u.kind.in_(rules.REPORT_SUBJECTS[m]), established,
                                                or_(false(), *_missed_any(ctx.periods[m], life, m)))
        reserve = (select(func.count()).select_from(ReserveCandidate)
                   .where(ReserveCandidate.unit_id == u.id, ReserveCandidate.status == "active")
                   .correlate(u).scalar_subquery())
        flags["ORG.RESERVE"] = and_(branch, reserve < cfg["reserve_min_candidates"])
        self.flags = flags
        self.expiring = and_(c.term_ends_on >= ctx.on, c.term_ends_on <= horizon)
        self.columns = [u.id.label("unit_id"), u.code, u.name, u.kind, u.path, u.full_members,
                        u.probationary_members, u.covered_units, child_members.label("child_members"),
                        c.id.label("committee_id"), c.term_ends_on, c.secretary_vacant_since, seats.label("seats"),
                        reserve.label("reserve_candidates")]
        from_ = (select().select_from(u)
                 .outerjoin(c, and_(c.unit_id == u.id, c.status == "current")))
        for year, alias in life.items():
            from_ = from_.outerjoin(alias, and_(alias.unit_id == u.id, alias.year == year))
        self.from_ = from_.where(u.status == "active", u.kind.in_(MEASURED_KINDS), under_clause(u.path, ctx.path))

    def counts(self, session) -> dict:
        flag_sums = [func.sum(case((flag, 1), else_=0)).label(code) for code, flag in self.flags.items()]
        stmt = self.from_.add_columns(func.count().label("units"), *flag_sums,
                                      func.sum(case((self.expiring, 1), else_=0)).label("expiring"))
        row = session.execute(stmt).one()._mapping
        return {key: int(row[key] or 0) for key in row.keys()}

    def offenders(self, codes):
        flags = [case((self.flags[code], 1), else_=0).label(_flag_name(code)) for code in codes]
        return (self.from_.add_columns(*self.columns, *flags)
                .where(or_(*[self.flags[code] for code in codes])))


def _missed_any(periods: list, life: dict, t: str) -> list:
    """SQL conditions, one of which holds when some whole period has no counted meeting of type ``t``.

    A month is one bit, so all the months of a year are checked at once: (mask & wanted) <> wanted.
    """
    conditions, months = [], {}
    for p in periods:
        mask = func.coalesce(getattr(life[p.first.year], t), 0)
        if p.first.month == p.last.month:
            months[p.first.year] = months.get(p.first.year, 0) | month_mask(p)
        else:
            conditions.append(mask.op("&")(month_mask(p)) == 0)
    for year, wanted in months.items():
        conditions.append(func.coalesce(getattr(life[year], t), 0).op("&")(wanted) != wanted)
    return conditions


def _flag_name(code: str) -> str:
    return "f_" + code.replace(".", "_").lower()


# ----------------------------------------------------------------------------- the report

def report(args: dict) -> dict:
    session = db_session()
    without_jit(session)
    ctx = context(args)
    limit = args["limit"]
    wide = Wide(ctx)
    counts = wide.counts(session)
    listed = _first_offenders(session, wide, counts, limit)
    explained = explain(session, ctx, listed)
    own = {"ORG.UNCOVERED": uncovered_report(session, ctx, limit), "ORG.LIAISON": liaison_report(session, ctx, limit)}
    out = []
    for code in CODES:
        if code in own:
            out.append(own[code])
            continue
        entry = {"code": code, "kind": KIND_OF[code], "count": counts[code], "units": explained[code]}
        if code == "ORG.TERM_EXPIRED":
            entry["summary"] = {"expiring": counts["expiring"], "warning_days": ctx.cfg["term_warning_days"]}
        if code in LIFE:
            t = TYPE_OF[code]
            entry["summary"] = {"frequency": ctx.cfg["life_frequency"][t], "required": len(ctx.periods[t])}
        if code in REPORTS:
            m = MECHANISM_OF[code]
            entry["summary"] = {"frequency": ctx.cfg["reports_frequency"][m], "required": len(ctx.periods[m])}
        if code == "ORG.RESERVE":
            entry["summary"] = {"minimum": ctx.cfg["reserve_min_candidates"]}
        out.append(entry)
    return {"under": ctx.path, "as_of": ctx.on, "held_from": ctx.start, "held_to": ctx.end,
            "units": counts["units"], "rules": out}


def _first_offenders(session, wide: Wide, counts: dict, limit: int) -> dict[str, list]:
    """The first ``limit`` offenders of each rule, in tree order.

    A rule with few offenders is read whole (they may sit anywhere in the tree); the others stream
    out in tree order until their lists are full, which takes a few rows each.
    """
    codes = UNIT_CODES
    listed: dict[str, list] = {code: [] for code in codes}
    wanted = {code: min(limit, counts[code]) for code in codes}
    sparse = [c for c in codes if wanted[c] and counts[c] <= SPARSE]
    dense = [c for c in codes if wanted[c] and counts[c] > SPARSE]
    for group in (sparse, dense):
        if not group:
            continue
        stmt = wide.offenders(group).order_by(Unit.path)
        result = session.execute(stmt.execution_options(stream_results=True, yield_per=500))
        try:
            for row in result:
                for code in group:
                    if len(listed[code]) < wanted[code] and row._mapping[_flag_name(code)]:
                        listed[code].append(row)
                if all(len(listed[c]) >= wanted[c] for c in group):
                    break
        finally:
            result.close()
    return listed


#: the columns of an offender list as a spreadsheet (Chinese headers: the departments read Chinese)
EXPORT_COLUMNS = [Column("code", "单位编码"), Column("name", "单位名称"), Column("kind", "类型", enum=True),
                  Column("path", "组织路径"), Column("problem", "问题"), Column("figures", "数据")]


def offenders_page(code: str, args: dict):
    """Every unit breaking one rule, page by page in tree order; or all of them as CSV or XLSX."""
    if code not in CODES:
        raise not_found("rule")
    fmt = wanted_format()
    if fmt != "json":
        return _offenders_file(code, args, fmt)
    session = db_session()
    without_jit(session)
    ctx = context(args)
    if code in OWN_LISTS:
        offenders, model, item = _own_list(code, ctx)
        page = paginate(session, offenders, [model.path, model.id], cursor=args.get("cursor"), limit=args["limit"],
                        row_key=lambda row: (row[0].path, row[0].id))
        count = None if args.get("cursor") else session.scalar(select(func.count()).select_from(offenders.subquery()))
        return {"code": code, "count": count, "items": [item(*row) for row in page["items"]],
                "next_cursor": page["next_cursor"]}
    wide = Wide(ctx)
    page = paginate(session, wide.offenders([code]), [Unit.path], cursor=args.get("cursor"), limit=args["limit"],
                    row_key=lambda row: (row.path,))
    count = None if args.get("cursor") else wide.counts(session)[code]
    return {"code": code, "count": count, "items": explain(session, ctx, {code: page["items"]})[code],
            "next_cursor": page["next_cursor"]}


def _offenders_file(code: str, args: dict, fmt: str):
    """The whole list of one rule's offenders in the subtree, in tree order, as a file."""
    session = db_session()
    without_jit(session)
    ctx = context(args)
    if code in OWN_LISTS:
        offenders, model, item = _own_list(code, ctx)
        items = [item(*row) for row in session.execute(offenders.order_by(model.path, model.id))]
    else:
        rows = session.execute(Wide(ctx).offenders([code]).order_by(Unit.path)).all()
        items = explain(session, ctx, {code: rows})[code]
    table = [{"code": item["code"], "name": item["name"], "kind": item["kind"], "path": item["path"],
              "problem": item["message"].get("zh", ""),
              "figures": "; ".join(f"{key}: {_cell_text(value)}" for key, value in item["figures"].items())}
             for item in items]
    filename = f"compliance-{code.lower().replace('.', '-')}-{ctx.on.isoformat()}"
    if fmt == "csv":
        return csv_response(table, EXPORT_COLUMNS, filename)
    return xlsx_response({code: (EXPORT_COLUMNS, table)}, filename)


def _cell_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# ----------------------------------------------------------------------------- wording the breaches

def explain(session, ctx: Context, listed: dict[str, list]) -> dict[str, list]:
    """Each listed row through its pure rule: the figures and the message in both languages."""
    cfg = ctx.cfg
    vacant_roles = _vacant_roles(session, [r.committee_id for r in listed.get("ORG.VACANCY", [])])
    life_rows = [r for code in LIFE + REPORTS for r in listed.get(code, [])]
    masks, held = _life_details(session, ctx, {r.unit_id for r in life_rows})
    out = {}
    for code, rows in listed.items():
        items = []
        for row in rows:
            members = row.full_members + row.probationary_members
            if code == "ORG.BRANCH_MIN_MEMBERS":
                violation = rules.branch_min_members(row.kind, row.full_members, row.covered_units,
                                                     minimum=cfg["branch_min_full_members"],
                                                     joint_max_units=cfg["joint_branch_max_units"])
            elif code == "ORG.BRANCH_MAX_MEMBERS":
                violation = rules.branch_max_members(row.kind, members, maximum=cfg["branch_max_members"])
            elif code == "ORG.GENERAL_BRANCH":
                violation = rules.general_branch(row.kind, members, branch_max=cfg["branch_max_members"],
                                                 committee_min=cfg["grassroots_committee_members"])
            elif code == "ORG.GRASSROOTS_COMMITTEE":
                violation = rules.grassroots_committee(row.kind, members + row.child_members,
                                                       committee_min=cfg["grassroots_committee_members"])
            elif code == "ORG.COMMITTEE_REQUIRED":
                violation = rules.committee_required(row.kind, row.full_members,
                                                     row.seats if row.committee_id else None,
                                                     threshold=cfg["committee_min_full_members"],
                                                     seats_min=cfg["committee_seats_min"])
            elif code == "ORG.TERM_EXPIRED":
                violation = rules.term_state(row.term_ends_on, ctx.on, warning_days=cfg["term_warning_days"])
            elif code == "ORG.VACANCY":
                violation = rules.vacancy(vacant_roles.get(row.committee_id, []), row.secretary_vacant_since,
                                          ctx.on, weak_months=cfg["secretary_vacancy_weak_months"])
            elif code == "ORG.RESERVE":
                violation = rules.reserve_pool(row.reserve_candidates, minimum=cfg["reserve_min_candidates"])
            elif code in REPORTS:
                violation = _mechanism_violation(ctx, MECHANISM_OF[code], row.unit_id, masks, held)
            else:
                violation = _life_violation(ctx, TYPE_OF[code], row.unit_id, masks, held)
            items.append(_unit_offender(row, violation))
        out[code] = items
    return out


def _unit_offender(row, violation) -> dict:
    return {"unit_id": row.unit_id, "code": row.code, "name": row.name, "kind": row.kind, "path": row.path,
            "figures": violation.as_dict()["facts"] if violation else {},
            "message": {"en": violation.en, "zh": violation.zh} if violation else {}}


def _vacant_roles(session, committee_ids: list[str]) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}
    if committee_ids:
        for committee_id, role in session.execute(
                select(Seat.committee_id, Seat.role).where(Seat.committee_id.in_(committee_ids),
                                                           Seat.person_id.is_(None)).order_by(Seat.position)):
            roles.setdefault(committee_id, []).append(role)
    return roles


def _life_details(session, ctx: Context, unit_ids: set[str]):
    """For the listed units only: their month masks per year, and their counted meetings per type."""
    if not unit_ids:
        return {}, {}
    masks = {(r.unit_id, r.year): r for r in session.scalars(
        select(LifeYear).where(LifeYear.unit_id.in_(unit_ids), LifeYear.year >= ctx.start.year,
                               LifeYear.year <= ctx.end.year))}
    held = {}
    for t in LIFE_TYPES:
        periods = ctx.periods[t]
        if not periods:
            continue
        for unit_id, n in session.execute(
                select(Meeting.unit_id, func.count()).where(
                    Meeting.unit_id.in_(unit_ids), Meeting.type == t, Meeting.counts.is_(True),
                    Meeting.held_on >= periods[0].first, Meeting.held_on <= periods[-1].last)
                .group_by(Meeting.unit_id)):
            held[(unit_id, t)] = n
    for m, (model, column) in MECHANISM_RECORDS.items():
        periods = ctx.periods[m]
        if not periods:
            continue
        dated = column.between(periods[0].first, periods[-1].last) if m == "hearing" else \
            column.between(periods[0].first.year, periods[-1].last.year)
        for unit_id, n in session.execute(select(model.unit_id, func.count()).where(model.unit_id.in_(unit_ids), dated)
                                          .group_by(model.unit_id)):
            held[(unit_id, m)] = n
    return masks, held


#: where each standing mechanism's records are counted: the table and its date (hearings) or year column
MECHANISM_RECORDS = {"hearing": (Hearing, Hearing.held_on), "screening": (ScreeningRecord, ScreeningRecord.year),
                     "secretary_report": (SecretaryReport, SecretaryReport.year)}


def _mechanism_violation(ctx: Context, m: str, unit_id: str, masks: dict, held: dict):
    periods = ctx.periods[m]
    missed = [p.label for p in periods
              if not (getattr(masks.get((unit_id, p.first.year)), m, 0) or 0) & month_mask(p)]
    return rules.standing_mechanism(m, ctx.cfg["reports_frequency"][m], len(periods), held.get((unit_id, m), 0),
                                    missed)


def _life_violation(ctx: Context, t: str, unit_id: str, masks: dict, held: dict):
    frequency = ctx.cfg["life_frequency"][t]
    periods = ctx.periods[t]
    missed = [p.label for p in periods
              if not (getattr(masks.get((unit_id, p.first.year)), t, 0) or 0) & month_mask(p)]
    violation = rules.life_frequency(t, frequency, len(periods), held.get((unit_id, t), 0), missed)
    if violation is None and t == "party_lecture":
        by_year = {y: getattr(masks.get((unit_id, y)), "secretary_lectures", 0) or 0 for y in ctx.lecture_years}
        violation = rules.secretary_lectures(ctx.lecture_years, by_year,
                                             per_year=ctx.cfg["secretary_lectures_per_year"])
    return violation


# ----------------------------------------------------------------------------- uncovered entities

def _own_list(code: str, ctx: Context):
    """The offenders of a rule that lists entities or leaders: (select, its model, row -> item)."""
    if code == "ORG.UNCOVERED":
        return _uncovered_offenders(ctx), UncoveredEntity, _entity_offender
    return _leaders_without_liaison(ctx), Leader, _leader_offender


def _uncovered_offenders(ctx: Context):
    return select(UncoveredEntity).where(under_clause(UncoveredEntity.path, ctx.path),
                                         UncoveredEntity.status == "uncovered",
                                         UncoveredEntity.instructor_name.is_(None))


def _entity_offender(entity: UncoveredEntity) -> dict:
    violation = rules.uncovered(entity.status, entity.instructor_name)
    return {"unit_id": entity.unit_id, "code": entity.credit_code or "", "name": entity.name,
            "kind": "uncovered_entity", "path": entity.path,
            "figures": {"entity_id": entity.id, "domain": entity.domain, "employees": entity.employees,
                        "party_members": entity.party_members},
            "message": {"en": violation.en, "zh": violation.zh} if violation else {}}


def uncovered_report(session, ctx: Context, limit: int) -> dict:
    state = case((and_(UncoveredEntity.status == "uncovered", UncoveredEntity.instructor_name.is_(None)),
                  "no_instructor"),
                 (UncoveredEntity.status == "uncovered", "with_instructor"), else_=UncoveredEntity.status)
    by_status = dict(session.execute(
        select(state, func.count()).where(under_clause(UncoveredEntity.path, ctx.path)).group_by(state)).all())
    entities = session.scalars(_uncovered_offenders(ctx).order_by(UncoveredEntity.path, UncoveredEntity.id)
                               .limit(limit)).all() if limit else []
    return {"code": "ORG.UNCOVERED", "kind": "uncovered", "count": by_status.get("no_instructor", 0),
            "summary": {"with_instructor": by_status.get("with_instructor", 0),
                        "covered": by_status.get("covered", 0), "closed": by_status.get("closed", 0)},
            "units": [_entity_offender(e) for e in entities]}


# ----------------------------------------------------------------------------- leaders' liaison points

def _leaders_without_liaison(ctx: Context):
    """Serving leaders in the subtree who keep no active liaison point, with their committee's code and name."""
    return (select(Leader, Unit.code, Unit.name).join(Unit, Unit.id == Leader.unit_id)
            .where(under_clause(Leader.path, ctx.path), Leader.active.is_(True), ~keeps_a_point()))


def _leader_offender(leader: Leader, unit_code: str, unit_name: str) -> dict:
    violation = rules.liaison(leader.role, 0)
    return {"unit_id": leader.unit_id, "code": unit_code, "name": f"{leader.name}（{leader.title}）",
            "kind": "leader", "path": leader.path,
            "figures": {"leader_id": leader.id, "leader": leader.name, "title": leader.title, "role": leader.role,
                        "committee": unit_name, "since": leader.since, **violation.as_dict()["facts"]},
            "message": {"en": violation.en, "zh": violation.zh}}


def liaison_report(session, ctx: Context, limit: int) -> dict:
    """ORG.LIAISON: how many serving leaders keep a liaison branch, how many of the branches are backward
    (the rule prefers those), and the first leaders who keep none."""
    leaders = session.execute(
        select(func.count(), func.sum(case((keeps_a_point(), 1), else_=0)))
        .select_from(Leader).where(under_clause(Leader.path, ctx.path), Leader.active.is_(True))).one()
    serving, keeping = leaders[0] or 0, int(leaders[1] or 0)
    latest = (select(UnitRating.unit_id, func.max(UnitRating.year).label("year"))
              .group_by(UnitRating.unit_id).subquery())
    at_backward = session.scalar(
        select(func.count()).select_from(LiaisonPoint)
        .join(latest, latest.c.unit_id == LiaisonPoint.unit_id)
        .join(UnitRating, and_(UnitRating.unit_id == latest.c.unit_id, UnitRating.year == latest.c.year))
        .where(under_clause(LiaisonPoint.path, ctx.path), LiaisonPoint.active.is_(True),
               LiaisonPoint.leader_id.is_not(None), UnitRating.category == "backward")) or 0
    listed = session.execute(_leaders_without_liaison(ctx).order_by(Leader.path, Leader.id).limit(limit)).all() \
        if limit else []
    return {"code": "ORG.LIAISON", "kind": "liaison", "count": serving - keeping,
            "summary": {"leaders": serving, "keeping_liaison": keeping, "liaison_points_at_backward": at_backward},
            "units": [_leader_offender(*row) for row in listed]}
