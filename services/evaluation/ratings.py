"""Published ratings: a county's batch for a year, immutable once published, and the county ledgers.

Publishing recomputes the county, then copies each branch's assessment into a rating with the
scorecard as it stood. A correction publishes the county again: a new batch, each branch's
rating one version higher; the earlier ratings stay exactly as they were.
"""
from __future__ import annotations

from sqlalchemy import func, select

from shared.request import audit, current_principal, db_session, emit_many, rule_config
from shared.dates import today
from shared.db import new_id
from shared.errors import invalid, not_found
from shared.export import Column, csv_response, wanted_format, xlsx_response
from shared.http import paginate, under_clause

from . import exemplars, rules, scorecards
from .assessing import assess_subtree, explain, lock_subtree
from .models import Assessment, Rating, RatingBatch
from .units import check_year, region_in_scope, subtree


def publish(fields: dict) -> dict:
    session = db_session()
    region = region_in_scope(fields["region_id"], "region_id")
    year = check_year(fields["year"], "json")
    config = rule_config()
    lock_subtree(session, region.path, year)   # the region's publications take turns: each version once
    published = session.scalar(select(func.max(RatingBatch.version)).where(RatingBatch.region_id == region.id,
                                                                           RatingBatch.year == year)) or 0
    if published and not fields.get("reason"):
        raise invalid("reason", f"version {published} is published; a correction needs a reason")
    assess_subtree(session, region.path, year, today(), config)
    rows = session.scalars(select(Assessment).where(Assessment.year == year, Assessment.region_id == region.id)
                           .order_by(Assessment.org_path)).all()
    if not rows:
        raise invalid("region_id", "no rated branch belongs to this region")
    card = scorecards.cards_for(session, [region.path], config)[region.path]
    batch = RatingBatch(region_id=region.id, region_path=region.path, region_name=region.name, year=year,
                        version=published + 1, branches=len(rows), scorecard_version_id=card.version_id,
                        scorecard_name=card.name, criteria=card.criteria, vetoes=card.vetoes,
                        reason=fields.get("reason"), published_by=current_principal().subject)
    session.add(batch)
    session.flush()
    versions = dict(session.execute(
        select(Rating.unit_id, func.max(Rating.rating_version))
        .where(Rating.year == year, Rating.unit_id.in_([r.unit_id for r in rows])).group_by(Rating.unit_id)).all())
    by_stars = {str(k): 0 for k in range(5, 0, -1)}
    published_events, new_ratings = [], []
    for row in rows:
        rating = Rating(
            id=new_id(), batch_id=batch.id, unit_id=row.unit_id, year=year,
            rating_version=versions.get(row.unit_id, 0) + 1,
            org_path=row.org_path, name=row.name, code=row.code, region_id=region.id, region_name=region.name,
            score=row.score, stars_by_score=row.stars_by_score, stars=row.stars, category=row.category,
            previous_stars=row.previous_stars, change=row.change, weak=row.weak, breakdown=row.breakdown,
            inputs=row.inputs, vetoes=row.vetoes, signs=row.signs, limits=row.limits, as_of=row.as_of,
            published_at=batch.published_at)
        session.add(rating)
        new_ratings.append(rating)
        by_stars[str(rating.stars)] += 1
        published_events.append(({
            "rating_id": rating.id, "unit_id": rating.unit_id, "year": year, "score": rating.score,
            "stars": rating.stars, "category": rating.category, "rating_version": rating.rating_version,
            "batch_id": batch.id, "region_id": region.id, "change": rating.change, "weak": rating.weak},
            rating.org_path))
    emit_many("evaluation.rating.published", published_events)
    exemplars.review_after_publish(session, new_ratings)
    audit("rating_batch", batch.id, "published", {"region_id": region.id, "year": year, "version": batch.version,
                                                  "branches": len(rows), "reason": batch.reason,
                                                  "scorecard_version_id": card.version_id})
    return {"batch": batch, "by_stars": by_stars}


def _latest_clause(year: int):
    """Only the latest version of each branch's rating for the year (an index lookup per row)."""
    newer = Rating.__table__.alias("newer")
    return Rating.rating_version == (select(func.max(newer.c.rating_version))
                                     .where(newer.c.unit_id == Rating.unit_id, newer.c.year == year)
                                     .scalar_subquery())


def list_ratings(args: dict) -> dict:
    year = check_year(args.get("year") or today().year)
    path = subtree(args.get("under"))
    stmt = select(Rating).where(Rating.year == year, under_clause(Rating.org_path, path))
    if not args.get("all_versions"):
        stmt = stmt.where(_latest_clause(year))
    return paginate(db_session(), stmt, [Rating.org_path, Rating.rating_version], cursor=args.get("cursor"),
                    limit=args["limit"])


def get_in_scope(rating_id) -> dict:
    session = db_session()
    rating = session.get(Rating, str(rating_id))
    if rating is None or not current_principal().sees(rating.org_path):
        raise not_found("rating")
    batch = session.get(RatingBatch, rating.batch_id)
    return {"rating": rating, "batch": batch, "criteria": explain(rating.breakdown, batch.criteria, rating.inputs)}


# ----------------------------------------------------------------------------- ledgers (EVAL.CATEGORY)

LEDGER_COLUMNS = [
    Column("region_name", "县（市、区）"),
    Column("name", "党组织名称"),
    Column("code", "组织编码"),
    Column("score", "得分"),
    Column("stars", "星级"),
    Column("previous_stars", "上年星级"),
    Column("change_zh", "晋位升级 / 降级"),
    Column("weak_zh", "软弱涣散"),
    Column("rating_version", "版本"),
    Column("published_on", "发布日期"),
]
CSV_COLUMNS = [Column("category_zh", "类别"), *LEDGER_COLUMNS]


def ledger_rows(args: dict) -> tuple[int, list[dict]]:
    year = check_year(args.get("year") or today().year)
    path = subtree(args.get("under"))
    stmt = (select(Rating, RatingBatch.region_path).join(RatingBatch, RatingBatch.id == Rating.batch_id)
            .where(Rating.year == year, under_clause(Rating.org_path, path), _latest_clause(year)))
    rows = []
    for rating, region_path in db_session().execute(stmt):
        rows.append({
            "region_id": rating.region_id, "region_name": rating.region_name, "region_path": region_path,
            "unit_id": rating.unit_id, "name": rating.name, "code": rating.code, "org_path": rating.org_path,
            "score": rating.score, "stars": rating.stars, "previous_stars": rating.previous_stars,
            "change": rating.change, "change_zh": rules.CHANGE_NAMES_ZH[rating.change], "weak": rating.weak,
            "weak_zh": "是" if rating.weak else "否", "category": rating.category,
            "category_zh": rules.CATEGORY_NAMES_ZH[rating.category], "rating_id": rating.id,
            "rating_version": rating.rating_version, "published_on": rating.published_at.date(),
        })
    order = {c: i for i, c in enumerate(rules.CATEGORIES)}
    rows.sort(key=lambda r: (r["region_path"], order[r["category"]], -r["stars"], -r["score"], r["org_path"]))
    return year, rows


def ledgers(args: dict):
    """GET /ledgers: advanced / middle / backward branches per county, as JSON, CSV or XLSX."""
    fmt = wanted_format()
    year, rows = ledger_rows(args)
    filename = f"ledger-{year}"
    if fmt == "csv":
        return csv_response(rows, CSV_COLUMNS, filename)
    if fmt == "xlsx":
        sheets = {rules.CATEGORY_NAMES_ZH[c]: (LEDGER_COLUMNS, [r for r in rows if r["category"] == c])
                  for c in rules.CATEGORIES}
        return xlsx_response(sheets, filename)
    counties: dict[str, dict] = {}
    for row in rows:
        county = counties.setdefault(row["region_id"], {"region_id": row["region_id"],
                                                        "region_name": row["region_name"],
                                                        **{c: [] for c in rules.CATEGORIES}})
        county[row["category"]].append({k: row[k] for k in (
            "unit_id", "name", "code", "score", "stars", "previous_stars", "change", "weak", "rating_id",
            "rating_version", "published_on")})
    return {"year": year, "counties": list(counties.values())}
