"""Assessments: every branch of a subtree scored, starred and categorized in one set-wise pass.

``assess_subtree`` is the whole recompute: indicator values by GROUP BY queries
(``indicators.load``), the scoring as a pure function over columns (``scoring.rate``), and one
bulk write. It never queries per branch. A recompute covers whole regions (a county, a city or
the province), because a county's five-star quota and bottom share need all its branches.
"""
from __future__ import annotations

from datetime import time as clock
from fractions import Fraction

import orjson
from sqlalchemy import JSON, and_, delete, func, or_, select

from shared.request import audit, db_session, rule_config, unit_in_scope
from shared.audit import record as audit_record
from shared.bulk import analyze_after, collector_paused, copy_stream
from shared.dates import today
from shared.db import advisory_lock, plain_rows, utcnow
from shared.errors import not_found
from shared.http import paginate, under_clause
from shared.worker import DailyJob

from . import indicators, rules, scorecards, scoring
from .models import Assessment, OrgUnitView, Rating, ScorecardVersion
from .units import check_year, deepest_region, load_regions, prefixes, region_in_scope, subtree


#: PostgreSQL memory for the recompute's hash joins and aggregates, for its transaction only: with the
#: default 4 MB a province's person query spills hundreds of MB to temporary files
RECOMPUTE_WORK_MEM = "256MB"
ASSESSMENT_COLUMNS = tuple(c.name for c in Assessment.__table__.columns)
JSON_COLUMNS = {c.name for c in Assessment.__table__.columns if isinstance(c.type, JSON)}
#: the columns the reports over assessments filter, group and sort by: their statistics are refreshed after a
#: large recompute (all of them, JSON included, took three times as long)
ANALYZED_COLUMNS = ("year", "unit_id", "org_path", "region_id", "score", "stars", "category", "weak")


def _json_text(value) -> str:
    # orjson: a province's 330,000 assessments' indicators and scores, several times faster than the json module
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def assessment_rows(columns: dict[str, list]) -> list[tuple]:
    """The assessments given as columns, as rows in ``ASSESSMENT_COLUMNS`` order, JSON columns as ready text (the
    kit's COPY takes it as it is)."""
    values = [[_json_text(v) for v in columns[name]] if name in JSON_COLUMNS else columns[name]
              for name in ASSESSMENT_COLUMNS]
    return list(zip(*values))


#: branches a part of the recompute holds at least (whole regions, so a county's quota sees all its branches)
PART_BRANCHES = 1_000


def region_parts(region_of: list[str], least: int) -> list[slice]:
    """``region_of`` (in path order) cut into slices of at least ``least`` positions, each holding every
    position of the regions it holds (a region whose branches lie apart, as a city's own among its
    counties', keeps the slice open until its last one)."""
    last = {region: i for i, region in enumerate(region_of)}
    parts, start, open_until = [], 0, -1
    for i, region in enumerate(region_of):
        open_until = max(open_until, last[region])
        if i == open_until and (i + 1 - start >= least or i + 1 == len(region_of)):
            parts.append(slice(start, i + 1))
            start = i + 1
    return parts


def previous_stars(session, universe, year: int, branches) -> list:
    """Each branch's stars in the latest published rating of ``year`` (None when it was not rated)."""
    latest = (select(Rating.unit_id, func.max(Rating.rating_version).label("v"))
              .where(Rating.year == year, indicators.within(Rating.unit_id, universe)).group_by(Rating.unit_id)
              .subquery())
    found = [None] * len(branches)
    for unit_id, stars in plain_rows(session,
            select(Rating.unit_id, Rating.stars)
            .join(latest, and_(Rating.unit_id == latest.c.unit_id, Rating.rating_version == latest.c.v))
            .where(Rating.year == year)):
        i = branches.index.get(unit_id)
        if i is not None:
            found[i] = stars
    return found


def lock_subtree(session, path: str, year: int) -> None:
    """Wait until no other transaction recomputes (or publishes) ``year`` for this subtree, one inside it or
    one holding it: shared locks on the ancestors, root first, then an exclusive one on the region itself.
    Two counties go on at once; a county and its city (whose delete and insert replace the same branches'
    rows) take turns. Held until the transaction ends; taken again by the same transaction, it is a no-op."""
    paths = prefixes(path)[::-1]
    for ancestor in paths[:-1]:
        advisory_lock(session, f"evaluation.assessments:{year}:{ancestor}", shared=True)
    advisory_lock(session, f"evaluation.assessments:{year}:{path}")


def assess_subtree(session, path: str, year: int, as_of_today, config: dict) -> dict:
    """Recompute every assessment under the region at ``path`` for ``year``; returns a summary."""
    lock_subtree(session, path, year)
    with collector_paused():
        return _assess_subtree(session, path, year, as_of_today, config)


def _assess_subtree(session, path: str, year: int, as_of_today, config: dict) -> dict:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.set_config("work_mem", RECOMPUTE_WORK_MEM, True)))
    universe = indicators.branches_stmt(config["EVAL.RATED_KINDS"], path=path)
    branches = indicators.load_branches(session, universe)
    everything = session.scalar(select(OrgUnitView.id).where(~under_clause(OrgUnitView.path, path)).limit(1)) is None
    facts_of = None if everything else universe  # the whole tree: no semi-join in the fact queries
    as_of = indicators.as_of_for(year, as_of_today)
    raw = indicators.load(session, branches, facts_of, year, as_of, config)

    regions = load_regions(session)
    region_rows = [deepest_region(p, regions) for p in branches.paths]
    region_of = [r[1] for r in region_rows]
    region_paths = {r[1]: r[0] for r in region_rows}
    cards_by_path = scorecards.cards_for(session, list(region_paths.values()), config)
    card_of_region = {region_id: cards_by_path[p] for region_id, p in region_paths.items()}
    previous = previous_stars(session, facts_of, year - 1, branches)

    session.execute(delete(Assessment).where(Assessment.year == year,
                                             or_(under_clause(Assessment.org_path, path),
                                                 Assessment.unit_id.in_(universe)))
                    .execution_options(synchronize_session=False))
    computed_at = utcnow()
    by_stars = {str(k): 0 for k in range(5, 0, -1)}
    weak = 0
    # scored and written a few whole regions at a time: the server stores one part while the next is worked out
    with copy_stream(session, Assessment.__table__, ASSESSMENT_COLUMNS) as write:
        for part in region_parts(region_of, PART_BRANCHES):
            part_branches = branches.part(part)
            table = indicators.derive(part_branches, indicators.raw_part(raw, part), year, as_of, config)
            part_regions = region_of[part]
            result = scoring.rate(table.columns, table.manual, table.signs, part_regions, card_of_region,
                                  previous[part], config)
            write(assessment_rows(_assessment_columns(part_branches, table, result, year, part_regions,
                                                      card_of_region, previous[part], as_of, computed_at)))
            for stars in result["stars"]:
                by_stars[str(stars)] += 1
            weak += sum(result["weak"])
    analyze_after(session, Assessment.__table__, len(branches), columns=ANALYZED_COLUMNS)
    return {"year": year, "as_of": as_of, "branches": len(branches), "regions": len(region_paths), "by_stars": by_stars,
            "weak": weak, "computed_at": computed_at}


def _assessment_columns(branches, table, result: dict, year: int, region_of: list, card_of_region: dict,
                        previous: list, as_of, computed_at) -> dict[str, list]:
    """The columns of the assessments of ``branches`` from their indicators and their rating."""
    n = len(branches)
    figures = table.figures
    return {
        "unit_id": branches.ids, "year": [year] * n, "org_path": branches.paths, "name": branches.names,
        "code": branches.codes, "region_id": region_of,
        "scorecard_version_id": [card_of_region[r].version_id for r in region_of],
        "score": result["score"], "stars_by_score": result["stars_by_score"], "stars": result["stars"],
        "category": result["category"], "previous_stars": previous, "change": result["change"],
        "weak": result["weak"], "breakdown": result["breakdown"], "inputs": table.manual_meta,
        "vetoes": result["vetoes"], "signs": result["signs"], "limits": result["limits"],
        "members": figures["members"], "members_trained": figures["members_trained"],
        "has_secretary": figures["has_secretary"],
        "rotation_met": [bool(r) for r in table.columns["training.rotation"]],
        "term_expired": figures["term_expired"], "meetings_due": figures["meetings_due"],
        "meetings_missing": table.columns["meetings.shortfall"], "as_of": [as_of] * n,
        "computed_at": [computed_at] * n,
    }


def recompute(fields: dict) -> dict:
    """POST /assessments/recompute: a county, a city or the province, for a year."""
    region = region_in_scope(fields["under"], "under")
    year = check_year(fields["year"], "json")
    summary = assess_subtree(db_session(), region.path, year, today(), rule_config())
    audit("assessments", region.id, "recomputed", {"year": year, "branches": summary["branches"],
                                                   "by_stars": summary["by_stars"]})
    return {"under": region.id, **summary}


#: the advisory lock a nightly recompute holds: a second worker of the service leaves the night's run to it
NIGHTLY_LOCK = 0x7A68_6962_7501


def nightly_recompute(app) -> dict:
    """The daily job (worker): every branch's assessment of this year recomputed from the live facts, each
    province at a time, so that dashboards and ledgers are never older than a night."""
    kit = app.extensions["zhibu"]
    on = today()
    year = on.year
    summaries = {}
    with kit.db.Session() as session:
        if kit.db.is_postgres and not session.scalar(select(func.pg_try_advisory_xact_lock(NIGHTLY_LOCK))):
            return {"skipped": "another worker is recomputing"}
        roots = session.execute(select(OrgUnitView.id, OrgUnitView.path)
                                .where(OrgUnitView.parent_id.is_(None), OrgUnitView.status == "active")
                                .order_by(OrgUnitView.path)).all()
        for unit_id, path in roots:
            summary = assess_subtree(session, path, year, on, app.config["RULES"])
            audit_record(session, kit.models.AuditEntry, entity="assessments", entity_id=unit_id,
                         action="recomputed", change={"year": year, "branches": summary["branches"],
                                                      "by_stars": summary["by_stars"], "by": "nightly job"},
                         actor="job:nightly-recompute")
            summaries[unit_id] = summary["branches"]
        session.commit()
    return {"year": year, "branches": summaries}


JOBS = [DailyJob("nightly-recompute", clock(2, 30), nightly_recompute)]


def list_assessments(args: dict) -> dict:
    year = check_year(args.get("year") or today().year)
    stmt = select(Assessment).where(Assessment.year == year,
                                    under_clause(Assessment.org_path, subtree(args.get("under"))))
    for name in ("stars", "category", "weak", "region_id"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Assessment, name) == (str(args[name]) if name == "region_id" else args[name]))
    return paginate(db_session(), stmt, [Assessment.org_path], cursor=args.get("cursor"), limit=args["limit"])


def explain(breakdown: dict, criteria: list, inputs: dict) -> list[dict]:
    """Each criterion with its weight, where its number came from, the value and the points."""
    out = []
    for criterion, value, points in zip(criteria, breakdown["values"], breakdown["points"]):
        source = criterion["source"]
        if "manual" in source:
            entry = inputs.get(source["manual"])
            provenance = ({"input": source["manual"], "input_id": entry["id"], "entered_by": entry["entered_by"],
                           "entered_at": entry["entered_at"], "note": entry.get("note")} if entry
                          else {"input": source["manual"], "missing": True})
        else:
            provenance = {"indicator": source.get("indicator"),
                          "from": scoring.INDICATORS.get(source.get("indicator"), "")}
        out.append({"key": criterion["key"], "name": criterion["name"], "weight": criterion["weight"], "source": source,
                    "value": value, "points": points, "provenance": provenance})
    return out


def assessment_of(unit_id, year: int | None) -> dict:
    """GET /units/{id}/assessment: the score with its breakdown and provenance."""
    unit = unit_in_scope(unit_id)
    year = check_year(year or today().year)
    session = db_session()
    row = session.scalar(select(Assessment).where(Assessment.unit_id == unit.id, Assessment.year == year))
    if row is None:
        raise not_found("assessment")
    if row.scorecard_version_id:
        version = session.get(ScorecardVersion, row.scorecard_version_id)
        criteria, card = version.criteria, {"id": version.id, "scorecard_id": version.scorecard_id,
                                            "number": version.number, "name": version.name}
    else:
        default = scorecards.default_card(rule_config())
        criteria, card = default.criteria, {"id": None, "built_in": True, "name": default.name}
    return {"assessment": row, "scorecard": card, "criteria": explain(row.breakdown, criteria, row.inputs)}


# ----------------------------------------------------------------------------- weak and lax (EVAL.WEAK)

def list_weak(args: dict) -> dict:
    """Branches showing a weak-and-lax sign, each with its signs and evidence."""
    year = check_year(args.get("year") or today().year)
    stmt = select(Assessment).where(Assessment.year == year, Assessment.weak.is_(True),
                                    under_clause(Assessment.org_path, subtree(args.get("under"))))
    return paginate(db_session(), stmt, [Assessment.org_path], cursor=args.get("cursor"), limit=args["limit"])


def list_bottom(args: dict) -> dict:
    """Each county's bottom 5-10% by score for the yearly re-ranking (EVAL.WEAK).

    Ranked within the whole county by score (lowest first); branches with equal scores share a
    rank, so a tie at the cut line brings all of them onto the list. ``least`` / ``most`` are
    the county's 5% and 10% of branches, rounded up; the list holds every rank up to ``most``.
    """
    year = check_year(args.get("year") or today().year)
    path = subtree(args.get("under"))
    low, high = (Fraction(str(s)) for s in rule_config()["EVAL.REVIEW_BOTTOM"])
    regions = (select(Assessment.region_id).where(Assessment.year == year, under_clause(Assessment.org_path, path))
               .distinct())
    ranked = (select(Assessment.unit_id, Assessment.name, Assessment.code, Assessment.org_path, Assessment.region_id,
                     Assessment.score, Assessment.stars, Assessment.weak,
                     func.rank().over(partition_by=Assessment.region_id, order_by=Assessment.score).label("rank"),
                     func.count().over(partition_by=Assessment.region_id).label("size"))
              .where(Assessment.year == year, Assessment.region_id.in_(regions)).subquery())
    stmt = (select(ranked).where(under_clause(ranked.c.org_path, path),
                                 (ranked.c.rank - 1) * high.denominator < ranked.c.size * high.numerator))
    page = paginate(db_session(), stmt, [ranked.c.region_id, ranked.c.rank, ranked.c.org_path],
                    cursor=args.get("cursor"), limit=args["limit"],
                    row_key=lambda r: (r.region_id, r.rank, r.org_path))
    items = []
    for r in page["items"]:
        least, most = rules.review_bottom_sizes(r.size, [low, high])
        items.append({"region_id": r.region_id, "region_branches": r.size, "rank": r.rank, "least": least,
                      "most": most, "within_least": r.rank <= least, "unit_id": r.unit_id, "name": r.name,
                      "code": r.code, "org_path": r.org_path, "score": r.score, "stars": r.stars, "weak": r.weak})
    return {"items": items, "next_cursor": page["next_cursor"]}
