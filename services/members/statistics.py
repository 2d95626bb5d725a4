"""The annual party statistics (党内统计年报, STATS.BALANCE, STATS.MEMBERS, STATS.DEVELOPMENT) of a subtree and
a year, computed from the records as of 31 December, never typed, and never from today's state alone.

Where a person was on a day comes from the history: the person's unit now, unless a transfer completed
after that day moved them (then the unit the first such transfer left; a transfer into the province
completed after it: outside the province). Transfers are every completed transfer within the province, out
of it, into it, and the moves of a dissolved unit's members (recorded as transfers of their own kind).
Whether a person was a member on a day: admitted (the admission vote, ``probationary_since``, or without it
the conversion) on or before it, not left on or before it, and not suspended (停止党籍) then (the last
suspension on or before the day not followed by a restoration of contact on or before it).

Set-wise: one grouped query over the people gives every figure of the three tables (each person a row of
0/1 facts and categories, grouped, so a province of millions comes back as a few thousand groups); the
people who make the balance not close are listed by a second query, run only when some group does not
close. Conversions and extensions of probation come from the approval steps of the year.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import and_, case, func, literal, null, or_, select, text
from sqlalchemy.orm import aliased

from shared.export import Column, xlsx_response
from shared.http import path_upper_bound, subtree_path
from shared.request import current_principal, db_session, rule_config, unit_in_scope

from . import rules
from .models import ManagementAction, OrgUnitView, Person, StepRecord, Transfer

#: leaving reasons that are balance terms (``transferred_out`` is a transfer, counted as one)
LEFT_TERMS = {"death": "died", "expulsion": "expelled", "removal": "removed", "withdrawal": "withdrawn",
              "cancelled": "cancelled"}
TABLES = ("balance", "members", "development")
#: a path no subtree holds: "outside the province"
OUTSIDE = ""
#: PostgreSQL's work_mem for the statistics' grouped pass (the groups are hashed, a few thousand of them)
STATISTICS_WORK_MEM_MB = 128


def _in(expr, path: str):
    """``expr`` (a path, or ``OUTSIDE``) lies in the subtree at ``path``."""
    return and_(expr >= path, expr < path_upper_bound(path))


def _first_after(day: date):
    """Per person, the first completed transfer after ``day``: where it left from (OUTSIDE for one into the
    province)."""
    ranked = (select(Transfer.person_id,
                     case((Transfer.direction == "into_province", literal(OUTSIDE)), else_=Transfer.from_path)
                     .label("path"),
                     func.row_number().over(partition_by=Transfer.person_id,
                                            order_by=(Transfer.completed_on, Transfer.id)).label("rn"))
              .where(Transfer.status == "completed", Transfer.completed_on > day).subquery())
    return select(ranked.c.person_id, ranked.c.path).where(ranked.c.rn == 1).subquery()


def _place_on(day_column, moved_since=None):
    """The person's path on a date given per person (a dated event of the year): looked up (correlated) only for
    someone with a transfer completed since ``moved_since`` (``_first_after`` of the year's start: the few who
    moved); everyone else was where they are now."""
    t = aliased(Transfer)
    first = (select(case((t.direction == "into_province", literal(OUTSIDE)), else_=t.from_path))
             .where(t.person_id == Person.id, t.status == "completed", t.completed_on > day_column)
             .order_by(t.completed_on, t.id).limit(1).correlate(Person).scalar_subquery())
    looked_up = func.coalesce(first, Person.org_path)
    if moved_since is None:
        return looked_up
    return case((moved_since.c.person_id.is_(None), Person.org_path), else_=looked_up)


def _flag(condition):
    return case((condition, 1), else_=0)


def _facts(path: str, year: int):
    """One row per person who may count in the subtree in the year, with the 0/1 facts and categories."""
    start, end = date(year - 1, 12, 31), date(year, 12, 31)
    first_day = date(year, 1, 1)
    feb29 = rule_config().get("feb29_birthday", "feb28")
    t0, t1 = _first_after(start), _first_after(end)
    place0 = case((t0.c.person_id.is_(None), Person.org_path), else_=t0.c.path)
    place1 = case((t1.c.person_id.is_(None), Person.org_path), else_=t1.c.path)
    m = ManagementAction
    in_year = and_(m.occurred_on >= first_day, m.occurred_on <= end)
    actions = (select(m.person_id,
                      func.max(case((and_(m.kind == "suspension", m.occurred_on <= start), m.occurred_on))).label("s0"),
                      func.max(case((and_(m.kind == "contact_restored", m.occurred_on <= start), m.occurred_on)))
                      .label("r0"),
                      func.max(case((and_(m.kind == "suspension", m.occurred_on <= end), m.occurred_on))).label("s1"),
                      func.max(case((and_(m.kind == "contact_restored", m.occurred_on <= end), m.occurred_on)))
                      .label("r1"),
                      func.sum(case((and_(m.kind == "suspension", in_year), 1), else_=0)).label("suspensions"),
                      func.max(case((and_(m.kind == "suspension", in_year), m.occurred_on))).label("suspended_on"),
                      func.max(case((and_(m.kind == "contact_restored", in_year), m.occurred_on))).label("restored_on"))
               .where(m.kind.in_(("suspension", "contact_restored"))).group_by(m.person_id).subquery())
    suspended0 = and_(actions.c.s0.is_not(None), or_(actions.c.r0.is_(None), actions.c.r0 < actions.c.s0))
    suspended1 = and_(actions.c.s1.is_not(None), or_(actions.c.r1.is_(None), actions.c.r1 < actions.c.s1))
    admitted_on = func.coalesce(Person.probationary_since, Person.full_member_since)

    def member_on(day, suspended):
        return _flag(and_(admitted_on <= day, or_(Person.left_on.is_(None), Person.left_on > day),
                          ~func.coalesce(suspended, False)))

    admitted_in_year = and_(Person.probationary_since >= first_day, Person.probationary_since <= end)
    # transfers of the year across the subtree's edge, by members (a dissolved unit moves applicants too)
    tr = Transfer
    from_in = and_(tr.from_path.is_not(None), _in(func.coalesce(tr.from_path, OUTSIDE), path))
    to_in = and_(tr.to_path.is_not(None), _in(func.coalesce(tr.to_path, OUTSIDE), path))
    was_member = and_(admitted_on <= tr.completed_on,
                      ~and_(Person.status == "suspended", Person.suspended_on <= tr.completed_on))
    moves = (select(tr.person_id,
                    func.sum(case((and_(to_in, ~from_in), 1), else_=0)).label("t_in"),
                    func.sum(case((and_(from_in, ~to_in), 1), else_=0)).label("t_out"))
             .join(Person, Person.id == tr.person_id)
             .where(tr.status == "completed", tr.completed_on >= first_day, tr.completed_on <= end, was_member)
             .group_by(tr.person_id).subquery())
    left_in_year = and_(Person.left_on >= first_day, Person.left_on <= end, admitted_on <= Person.left_on,
                        ~func.coalesce(suspended1, False))
    left_term = case(*[(and_(left_in_year, Person.left_reason == reason), literal(term))
                       for reason, term in LEFT_TERMS.items()], else_=null())
    suspensions = func.coalesce(actions.c.suspensions, 0)
    restorations = _flag(func.coalesce(suspended0, False)) + suspensions - _flag(func.coalesce(suspended1, False))
    stage1 = case((and_(Person.full_member_since.is_not(None), Person.full_member_since <= end), literal("full")),
                  else_=literal("probationary"))
    dev_stage1 = case(
        (and_(Person.left_on.is_not(None), Person.left_on <= end), null()),
        (and_(Person.probationary_since.is_not(None), Person.probationary_since <= end), null()),
        (and_(Person.full_member_since.is_not(None), Person.full_member_since <= end), null()),
        (Person.target_since <= end, literal("target")),
        (Person.activist_since <= end, literal("activist")),
        (Person.applied_on <= end, literal("applicant")), else_=null())
    bounds = [(label, rules.latest_birth_for_age(youngest, end, feb29))
              for label, youngest, _ in reversed(rules.AGE_GROUPS) if youngest is not None]
    age_group = case(*[(Person.birth_date <= bound, literal(label)) for label, bound in bounds],
                     else_=literal(rules.AGE_GROUPS[0][0]))
    moved = (select(tr.person_id).where(tr.status == "completed", tr.completed_on > start,
                                        _in(func.coalesce(tr.from_path, OUTSIDE), path)))
    candidates = or_(_in(Person.org_path, path), Person.id.in_(moved))
    # each person's facts once (OFFSET 0 keeps PostgreSQL from inlining them into every use); the places of the
    # year's dated events looked up only for the few people who have one
    raw = dict(place0=place0, place1=place1, member0=member_on(start, suspended0), member1=member_on(end, suspended1),
               adm_place=case((admitted_in_year, _place_on(Person.probationary_since, t0)), else_=null()),
               t_in=func.coalesce(moves.c.t_in, 0), t_out=func.coalesce(moves.c.t_out, 0),
               suspensions=suspensions,
               susp_place=case((suspensions > 0, _place_on(actions.c.suspended_on, t0)), else_=null()),
               restorations=restorations,
               rest_place=case((restorations > 0, _place_on(actions.c.restored_on, t0)), else_=null()),
               left_path=Person.org_path, left_term=left_term, stage1=stage1, dev_stage1=dev_stage1,
               gender=Person.gender, ethnicity=Person.ethnicity, age_group=age_group, education=Person.education,
               occupation=Person.occupation)
    r = (select(Person.id, Person.name, Person.unit_id, *[c.label(k) for k, c in raw.items()])
         .outerjoin(t0, t0.c.person_id == Person.id).outerjoin(t1, t1.c.person_id == Person.id)
         .outerjoin(actions, actions.c.person_id == Person.id).outerjoin(moves, moves.c.person_id == Person.id)
         .where(candidates).offset(0).subquery("raw"))
    facts = dict(in0=_flag(and_(r.c.member0 == 1, _in(r.c.place0, path))),
                 in1=_flag(and_(r.c.member1 == 1, _in(r.c.place1, path))),
                 adm=_flag(_in(r.c.adm_place, path)), t_in=r.c.t_in, t_out=r.c.t_out,
                 rest=case((_in(r.c.rest_place, path), r.c.restorations), else_=0),
                 susp=case((_in(r.c.susp_place, path), r.c.suspensions), else_=0),
                 left_term=case((_in(r.c.left_path, path), r.c.left_term), else_=null()), stage1=r.c.stage1,
                 dev_stage1=case((_in(r.c.place1, path), r.c.dev_stage1), else_=null()),
                 gender=r.c.gender, ethnicity=r.c.ethnicity, age_group=r.c.age_group, education=r.c.education,
                 occupation=r.c.occupation)
    return select(r.c.id, r.c.name, r.c.unit_id, *[c.label(k) for k, c in facts.items()]).subquery("facts")


def _imbalance(f):
    out = f.c.in0 + f.c.adm + f.c.t_in + f.c.rest - f.c.t_out - f.c.susp - f.c.in1
    return out - case((f.c.left_term.is_not(None), 1), else_=0)


GROUPED = ("in0", "in1", "adm", "t_in", "t_out", "rest", "susp", "left_term", "stage1", "dev_stage1", "gender",
           "ethnicity", "age_group", "education", "occupation")


def compute(path: str, year: int, *, unbalanced_limit: int = 1000) -> dict:
    """The three tables of the subtree at ``path`` for ``year`` (see the module's docstring)."""
    session = db_session()
    if session.get_bind().dialect.name == "postgresql":
        # one big grouped pass: no JIT (its compile time, seconds for these expressions, outweighs the pass at a
        # county's size, and the planner overrates the pass, every correlated lookup counted for every person);
        # the groups (a few thousand) hashed rather than the people sorted by fifteen keys (3 times faster at
        # 200,000 people: bench/members_statistics.py)
        for setting in ("jit = off", f"work_mem = '{int(STATISTICS_WORK_MEM_MB)}MB'", "enable_sort = off"):
            session.execute(text(f"SET LOCAL {setting}"))
    f = _facts(path, year)
    relevant = or_(f.c.in0 == 1, f.c.in1 == 1, f.c.adm == 1, f.c.t_in > 0, f.c.t_out > 0, f.c.rest > 0,
                   f.c.susp > 0, f.c.left_term.is_not(None), f.c.dev_stage1.is_not(None))
    groups = session.execute(select(*[f.c[name] for name in GROUPED], _imbalance(f).label("imbalance"),
                                    func.count().label("n"))
                             .where(relevant).group_by(*[f.c[name] for name in GROUPED], _imbalance(f))).all()
    totals = Counter()
    members: dict[str, Counter] = {k: Counter() for k in ("stage", "gender", "ethnicity", "age", "education",
                                                          "occupation")}
    admitted: dict[str, Counter] = {k: Counter() for k in ("gender", "age", "education", "occupation")}
    pipeline = Counter()
    unbalanced_groups = 0
    young = {label for label, _, oldest in rules.AGE_GROUPS if oldest is not None and oldest <= 35}
    for row in groups:
        n = row.n
        totals["start"] += row.in0 * n
        totals["end"] += row.in1 * n
        for term in ("adm", "t_in", "t_out", "rest", "susp"):
            totals[term] += int(getattr(row, term)) * n
        if row.left_term:
            totals[row.left_term] += n
        unbalanced_groups += int(row.imbalance != 0)
        if row.in1:
            members["stage"][row.stage1] += n
            members["gender"][row.gender] += n
            members["ethnicity"][rules.ethnicity_group(row.ethnicity)] += n
            members["age"][row.age_group] += n
            members["education"][rules.education_group(row.education)] += n
            members["occupation"][row.occupation or "未填报"] += n
        if row.adm:
            admitted["gender"][row.gender] += n
            admitted["age"]["35岁及以下" if row.age_group in young else "36岁及以上"] += n
            admitted["education"][rules.education_group(row.education)] += n
            admitted["occupation"][row.occupation or "未填报"] += n
        if row.dev_stage1:
            pipeline[row.dev_stage1] += n
    flows = {"admitted": totals["adm"], "transferred_in": totals["t_in"], "restored": totals["rest"],
             "transferred_out": totals["t_out"], "suspended": totals["susp"],
             **{term: totals[term] for term in LEFT_TERMS.values()}}
    violation = rules.balance(totals["start"], flows, totals["end"])
    unbalanced, unbalanced_total = [], 0
    if unbalanced_groups:
        imbalance = _imbalance(f)
        unbalanced_total = session.scalar(select(func.count()).select_from(f).where(imbalance != 0))
        for row in session.execute(select(f, imbalance.label("difference")).where(imbalance != 0)
                                   .order_by(f.c.id).limit(unbalanced_limit)):
            unbalanced.append({
                "person_id": row.id, "name": row.name, "unit_id": row.unit_id, "start": row.in0, "end": row.in1,
                "flows": {"admitted": row.adm, "transferred_in": int(row.t_in), "restored": int(row.rest),
                          "transferred_out": int(row.t_out), "suspended": int(row.susp), "left": row.left_term},
                "difference": -int(row.difference)})
    conversions = _conversions(session, path, year)
    return {
        "year": year, "as_of": date(year, 12, 31),
        "balance": {"start": totals["start"], **flows, "end": totals["end"],
                    "expected": totals["start"] + sum(sign * flows[term] for term, sign, _ in rules.BALANCE_TERMS),
                    "closes": violation is None, "violation": violation.as_dict() if violation else None,
                    "unbalanced_total": unbalanced_total or len(unbalanced), "unbalanced": unbalanced},
        "members": {"total": totals["end"], **{f"by_{k}": dict(sorted(v.items())) for k, v in members.items()}},
        "development": {"admitted": totals["adm"], **{f"admitted_by_{k}": dict(sorted(v.items()))
                                                      for k, v in admitted.items()},
                        "applicants": pipeline["applicant"], "activists": pipeline["activist"],
                        "targets": pipeline["target"], **conversions, "cancellations": totals["cancelled"]},
    }


def _conversions(session, path: str, year: int) -> dict:
    """Conversions and extensions of probation approved in the year (the approval steps not reversed), counted
    where the person was on 31 December."""
    end = date(year, 12, 31)
    rows = session.execute(
        select(StepRecord.payload, _place_on(literal(end)).label("place"))
        .join(Person, Person.id == StepRecord.person_id)
        .where(StepRecord.kind == "conversion_approval", StepRecord.occurred_on >= date(year, 1, 1),
               StepRecord.occurred_on <= end, StepRecord.reversed_by_id.is_(None),
               StepRecord.reverses_id.is_(None))).all()
    upper = path_upper_bound(path)
    outcomes = Counter((payload or {}).get("outcome") for payload, place in rows if place and path <= place < upper)
    return {"conversions": outcomes["convert"], "extensions": outcomes["extend"]}


# ----------------------------------------------------------------------------- the endpoint's answer

def annual(args: dict):
    """GET /statistics?under=&year=: the tables as JSON, or one XLSX workbook (``format=xlsx``)."""
    principal = current_principal()
    unit = unit_in_scope(args["under"]) if args.get("under") else None
    path = subtree_path(principal, unit.path if unit else None)
    if unit is None:
        unit = db_session().scalar(select(OrgUnitView).where(OrgUnitView.path == path))
    result = {"unit_id": unit.id if unit else None, "unit_name": unit.name if unit else None,
              **compute(path, args["year"], unbalanced_limit=args.get("limit", 1000))}
    wanted = set(args.get("tables") or TABLES)
    for table in TABLES:
        if table not in wanted:
            result.pop(table)
    return result


BALANCE_COLUMNS = [Column("item", "项目"), Column("count", "人数")]
PERSON_COLUMNS = [Column("name", "姓名"), Column("person_id", "人员编号"), Column("unit_id", "所在组织"),
                  Column("start", "年初"), Column("end", "年末"), Column("flows", "本年变动"), Column("difference", "差额")]
GROUP_COLUMNS = [Column("group", "分组"), Column("item", "项目"), Column("count", "人数")]
GROUP_ZH = {"stage": "党员类别", "gender": "性别", "ethnicity": "民族", "age": "年龄", "education": "学历",
            "occupation": "职业"}
VALUE_ZH = {"full": "正式党员", "probationary": "预备党员", "male": "男", "female": "女"}


def workbook(result: dict, year: int):
    """One XLSX workbook, a sheet per table, Chinese headers in the tables' layout."""
    sheets = {}
    if "balance" in result:
        b = result["balance"]
        rows = [{"item": "年初党员数", "count": b["start"]}]
        rows += [{"item": ("加：" if sign > 0 else "减：") + zh, "count": b[term]} for term, sign, zh in rules.BALANCE_TERMS]
        rows += [{"item": "年末党员数（应有）", "count": b["expected"]}, {"item": "年末党员数（实有）", "count": b["end"]},
                 {"item": "是否平衡", "count": "平衡" if b["closes"] else "不平衡"}]
        sheets["党员数量平衡表"] = (BALANCE_COLUMNS, rows)
        if b["unbalanced"]:
            people = [{**p, "flows": ", ".join(f"{k}={v}" for k, v in p["flows"].items() if v)} for p in b["unbalanced"]]
            sheets["不平衡人员"] = (PERSON_COLUMNS, people)
    if "members" in result:
        m = result["members"]
        rows = [{"group": "合计", "item": "党员总数", "count": m["total"]}]
        for key, zh in GROUP_ZH.items():
            rows += [{"group": zh, "item": VALUE_ZH.get(k, k), "count": v} for k, v in m[f"by_{key}"].items()]
        sheets["党员基本情况"] = (GROUP_COLUMNS, rows)
    if "development" in result:
        d = result["development"]
        rows = [{"group": "合计", "item": "发展党员", "count": d["admitted"]}]
        for key, zh in (("gender", "性别"), ("age", "年龄"), ("education", "学历"), ("occupation", "职业")):
            rows += [{"group": f"发展党员·{zh}", "item": VALUE_ZH.get(k, k), "count": v}
                     for k, v in d[f"admitted_by_{key}"].items()]
        rows += [{"group": "年末", "item": "入党申请人", "count": d["applicants"]},
                 {"group": "年末", "item": "入党积极分子", "count": d["activists"]},
                 {"group": "年末", "item": "发展对象", "count": d["targets"]},
                 {"group": "本年", "item": "预备党员转正", "count": d["conversions"]},
                 {"group": "本年", "item": "延长预备期", "count": d["extensions"]},
                 {"group": "本年", "item": "取消预备党员资格", "count": d["cancellations"]}]
        sheets["发展党员情况"] = (GROUP_COLUMNS, rows)
    return xlsx_response(sheets, f"party-statistics-{year}")

