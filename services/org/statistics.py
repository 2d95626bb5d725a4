"""The organizations table of the annual party statistics (STATS.ORGANIZATIONS), as of 31 December of the
year, from the records: the units that existed that day (established on or before it, not dissolved by it),
by kind and sector; branches with and without a committee (of three or more seats) in office that day; the
committees whose term ended in the year and whether the next one was elected by the term's end (an approved
extension counts: ORG.TERM_EXPIRED), later, or not yet. Set-wise: a handful of grouped queries.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from shared.export import Column, xlsx_response
from shared.http import under_clause
from shared.request import db_session

from . import rules
from .models import Committee, Unit
from .units import subtree_path_for

#: the kinds of grassroots organizations the table counts
GRASSROOTS = ("grassroots_committee", "general_branch", "branch", "joint_branch")
#: a branch committee (支部委员会) has at least this many seats; fewer is a secretary (and a deputy) alone
COMMITTEE_SEATS = 3


def organizations(args: dict) -> dict:
    path = subtree_path_for(args.get("under"))
    return compute(path, args["year"])


def compute(path: str, year: int) -> dict:
    session = db_session()
    first, end = date(year, 1, 1), date(year, 12, 31)
    existed = and_(under_clause(Unit.path, path), Unit.kind.in_(GRASSROOTS),
                   or_(Unit.established_on.is_(None), Unit.established_on <= end),
                   or_(Unit.dissolved_on.is_(None), Unit.dissolved_on > end),
                   or_(Unit.status == "active", Unit.dissolved_on.is_not(None)))
    rows = session.execute(select(Unit.kind, Unit.domain, func.count()).where(existed)
                           .group_by(Unit.kind, Unit.domain)).all()
    by_kind = {kind: 0 for kind in GRASSROOTS}
    by_sector: dict[str, int] = {}
    cells = []
    for kind, domain, count in rows:
        by_kind[kind] += count
        by_sector[domain or "unknown"] = by_sector.get(domain or "unknown", 0) + count
        cells.append({"kind": kind, "sector": domain or "unknown", "count": count})
    in_office = exists(select(Committee.id).where(
        Committee.unit_id == Unit.id, Committee.elected_on <= end,
        or_(Committee.ended_on.is_(None), Committee.ended_on > end), Committee.seats >= COMMITTEE_SEATS))
    branches = session.execute(select(func.count(), func.sum(case((in_office, 1), else_=0)))
                               .where(existed, Unit.kind.in_(rules.BRANCH_KINDS))).one()
    nxt = aliased(Committee)
    successor = (select(func.min(nxt.elected_on)).where(nxt.unit_id == Committee.unit_id,
                                                        nxt.elected_on > Committee.elected_on)
                 .correlate(Committee).scalar_subquery())
    terms = session.execute(
        select(Committee.term_ends_on, successor.label("next_elected_on"))
        .where(under_clause(Committee.path, path), Committee.term_ends_on >= first, Committee.term_ends_on <= end)).all()
    on_time = sum(1 for ends, nxt_on in terms if nxt_on is not None and nxt_on <= ends)
    late = sum(1 for ends, nxt_on in terms if nxt_on is not None and nxt_on > ends)
    total_branches, with_committee = branches[0] or 0, int(branches[1] or 0)
    return {
        "year": year, "as_of": end,
        "organizations": {"total": sum(by_kind.values()), "by_kind": by_kind, "by_sector": dict(sorted(by_sector.items())),
                          "by_kind_and_sector": sorted(cells, key=lambda c: (c["kind"], c["sector"]))},
        "branches": {"total": total_branches, "with_committee": with_committee,
                     "without_committee": total_branches - with_committee},
        "terms": {"ended": len(terms), "re_elected_on_time": on_time, "re_elected_late": late,
                  "not_re_elected": len(terms) - on_time - late},
    }


COLUMNS = [Column("group", "分组"), Column("item", "项目"), Column("count", "数量")]
SECTOR_ZH = {"village": "农村", "community": "城市社区", "state_owned_enterprise": "国有企业",
             "private_enterprise": "非公有制企业", "social_organization": "社会组织", "public_institution": "事业单位",
             "school": "学校", "hospital": "医院", "government_agency": "机关", "other": "其他", "unknown": "未填报"}


def workbook(result: dict):
    o, b, t = result["organizations"], result["branches"], result["terms"]
    rows = [{"group": "合计", "item": "基层党组织", "count": o["total"]}]
    rows += [{"group": "类别", "item": rules.KIND_NAMES_ZH.get(k, k), "count": v} for k, v in o["by_kind"].items()]
    rows += [{"group": "领域", "item": SECTOR_ZH.get(k, k), "count": v} for k, v in o["by_sector"].items()]
    rows += [{"group": "类别·领域", "item": f"{rules.KIND_NAMES_ZH.get(c['kind'], c['kind'])}·"
                                              f"{SECTOR_ZH.get(c['sector'], c['sector'])}", "count": c["count"]}
             for c in o["by_kind_and_sector"]]
    rows += [{"group": "党支部", "item": "设支部委员会的", "count": b["with_committee"]},
             {"group": "党支部", "item": "未设支部委员会的", "count": b["without_committee"]},
             {"group": "换届", "item": "本年任期届满的", "count": t["ended"]},
             {"group": "换届", "item": "按期换届的", "count": t["re_elected_on_time"]},
             {"group": "换届", "item": "延期换届的", "count": t["re_elected_late"]},
             {"group": "换届", "item": "尚未换届的", "count": t["not_re_elected"]}]
    return xlsx_response({"基层党组织情况": (COLUMNS, rows)}, f"party-organizations-{result['year']}")
