"""Exemplars (EVAL.EXEMPLARS): demonstration branches (示范党支部) and advanced examples (先进典型).

A demonstration branch is chosen from the year's five-star, advanced branches (its latest published rating of the
year; 409 with the code otherwise) and loses the title when a later publication (a correction of that year, or a
rating of a later year) drops it: ``review_after_publish`` runs in the publishing transaction. An advanced example
(a branch, or a member of it) is recorded with what it is recognised for. Listed per county with their ratings,
as JSON or as a CSV / XLSX file for publication.
"""
from __future__ import annotations

from sqlalchemy import func, select

from shared.audit import diff
from shared.dates import today
from shared.errors import Problem, invalid, not_found
from shared.export import Column, csv_response, wanted_format, xlsx_response
from shared.http import if_match, paginate, under_clause
from shared.messages import msg
from shared.request import audit, current_principal, db_session, emit, rule_config, unit_in_scope
from shared.violations import RuleViolation

from . import rules
from .models import Exemplar, OrgUnitView, Rating
from .units import check_year, subtree

KIND_NAMES_ZH = {"demonstration": "示范党支部", "advanced_example": "先进典型"}
EDITABLE = ("subject_name", "person_id", "recognised_for")


def _latest_rating(session, unit_id: str, year: int) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.unit_id == unit_id, Rating.year == year)
                          .order_by(Rating.rating_version.desc()).limit(1))


def _announce(exemplar: Exemplar) -> None:
    emit("evaluation.exemplar.changed", {
        "exemplar_id": exemplar.id, "kind": exemplar.kind, "unit_id": exemplar.unit_id, "year": exemplar.year,
        "status": exemplar.status, "recognised_for": exemplar.recognised_for,
        "exemplar_version": exemplar.version}, org_path=exemplar.org_path)


def create(fields: dict) -> dict:
    session = db_session()
    unit = unit_in_scope(fields["unit_id"])
    rated = rule_config()["EVAL.RATED_KINDS"]
    if unit.kind not in rated:
        raise invalid("unit_id", f"exemplars are branches ({', '.join(rated)}), not a {unit.kind}")
    year = check_year(fields["year"], "json")
    rating = _latest_rating(session, unit.id, year)
    if fields["kind"] == "demonstration":
        violation = rules.demonstration_eligible(rating.stars if rating else None,
                                                 rating.category if rating else None, year)
        if violation:
            raise RuleViolation(violation)
        if session.scalar(select(Exemplar.id).where(Exemplar.kind == "demonstration", Exemplar.unit_id == unit.id,
                                                    Exemplar.year == year, Exemplar.status == "active")):
            raise Problem(409, "Conflict", msg("exemplar-duplicate", year=year), kind="duplicate")
    exemplar = Exemplar(kind=fields["kind"], unit_id=unit.id, org_path=unit.path, year=year,
                        subject_name=fields.get("subject_name"),
                        person_id=str(fields["person_id"]) if fields.get("person_id") else None,
                        recognised_for=fields["recognised_for"], rating_id=rating.id if rating else None,
                        status="active", created_by=current_principal().subject, version=1)
    session.add(exemplar)
    session.flush()
    audit("exemplar", exemplar.id, "recorded", {"kind": exemplar.kind, "unit_id": unit.id, "year": year,
                                                "recognised_for": exemplar.recognised_for})
    _announce(exemplar)
    return view(exemplar)


def change(exemplar_id, fields: dict) -> dict:
    """Correct what it is recognised for, or withdraw it (with the reason), If-Match."""
    exemplar = if_match(in_scope(exemplar_id))
    if exemplar.status != "active":
        raise Problem(409, "Conflict", msg("exemplar-withdrawn", on=exemplar.withdrawn_on), kind="closed")
    before = {k: getattr(exemplar, k) for k in (*EDITABLE, "status")}
    for key in EDITABLE:
        if key in fields:
            setattr(exemplar, key, str(fields[key]) if key == "person_id" and fields[key] else fields[key])
    if fields.get("status") == "withdrawn":
        if not fields.get("withdrawn_reason"):
            raise invalid("withdrawn_reason", "say why the title is withdrawn")
        exemplar.status, exemplar.withdrawn_on, exemplar.withdrawn_reason = "withdrawn", today(), fields[
            "withdrawn_reason"]
    exemplar.version += 1
    after = {k: getattr(exemplar, k) for k in before}
    audit("exemplar", exemplar.id, "changed", diff(before, after))
    _announce(exemplar)
    return view(exemplar)


def review_after_publish(session, ratings: list[Rating]) -> int:
    """EVAL.EXEMPLARS: the demonstration branches a publication drops (below five stars, or out of the advanced
    ledger, in their year or a later one) lose the title the same day, with the rating as the reason."""
    by_unit = {r.unit_id: r for r in ratings}
    if not by_unit:
        return 0
    withdrawn = 0
    for exemplar in session.scalars(select(Exemplar).where(
            Exemplar.kind == "demonstration", Exemplar.status == "active", Exemplar.unit_id.in_(list(by_unit)))):
        rating = by_unit[exemplar.unit_id]
        dropped = rules.demonstration_dropped(rating.stars, rating.category, rating.year)
        if rating.year < exemplar.year or dropped is None:
            continue
        exemplar.status, exemplar.withdrawn_on = "withdrawn", today()
        exemplar.withdrawn_reason = f"{dropped.zh} / {dropped.en}"
        exemplar.version += 1
        audit("exemplar", exemplar.id, "withdrawn", {"rating_id": rating.id, "stars": rating.stars,
                                                     "category": rating.category, "year": rating.year})
        _announce(exemplar)
        withdrawn += 1
    return withdrawn


def in_scope(exemplar_id) -> Exemplar:
    exemplar = db_session().get(Exemplar, str(exemplar_id))
    if exemplar is None or not current_principal().sees(exemplar.org_path):
        raise not_found("exemplar")
    return exemplar


def _rows(session, exemplars: list[Exemplar]) -> list[dict]:
    """Each exemplar with its branch, its county and the branch's latest published rating of the year."""
    if not exemplars:
        return []
    units = {u.id: u for u in session.scalars(select(OrgUnitView).where(
        OrgUnitView.id.in_({e.unit_id for e in exemplars})))}
    latest = (select(Rating.unit_id, Rating.year, func.max(Rating.rating_version).label("version"))
              .where(Rating.unit_id.in_({e.unit_id for e in exemplars})).group_by(Rating.unit_id, Rating.year)
              .subquery())
    ratings = {(r.unit_id, r.year): r for r in session.scalars(select(Rating).join(
        latest, (Rating.unit_id == latest.c.unit_id) & (Rating.year == latest.c.year)
        & (Rating.rating_version == latest.c.version)))}
    out = []
    for e in exemplars:
        unit, rating = units.get(e.unit_id), ratings.get((e.unit_id, e.year))
        out.append({**{c.key: getattr(e, c.key) for c in Exemplar.__table__.columns},
                    "kind_zh": KIND_NAMES_ZH[e.kind], "name": unit.name if unit else "", "code": unit.code if unit else "",
                    "county": rating.region_name if rating else None,
                    "rating": None if rating is None else {"stars": rating.stars, "category": rating.category,
                                                           "score": rating.score, "rating_version": rating.rating_version}})
    return out


def view(exemplar: Exemplar) -> dict:
    return _rows(db_session(), [exemplar])[0]


def _select(args: dict):
    stmt = select(Exemplar).where(under_clause(Exemplar.org_path, subtree(args.get("under"))))
    for key in ("year", "kind", "status"):
        if args.get(key):
            stmt = stmt.where(getattr(Exemplar, key) == args[key])
    return stmt


EXPORT_COLUMNS = [Column("county", "县（市、区）"), Column("kind_zh", "类别"), Column("name", "党组织名称"),
                  Column("code", "组织编码"), Column("subject_name", "先进典型"), Column("recognised_for", "主要事迹"),
                  Column("year", "年度"), Column("stars", "星级"), Column("category_zh", "评定类别"),
                  Column("status_zh", "状态")]


def list_exemplars(args: dict):
    """GET /exemplars: per county, as JSON pages or the whole list as a CSV / XLSX file for publication."""
    session = db_session()
    fmt = wanted_format()
    if fmt == "json":
        page = paginate(session, _select(args), [Exemplar.org_path, Exemplar.id], cursor=args.get("cursor"),
                        limit=args["limit"])
        return {"items": _rows(session, page["items"]), "next_cursor": page["next_cursor"]}
    rows = _rows(session, session.scalars(_select(args).order_by(Exemplar.org_path, Exemplar.id)).all())
    table = [{**r, "stars": r["rating"]["stars"] if r["rating"] else "",
              "category_zh": rules.CATEGORY_NAMES_ZH[r["rating"]["category"]] if r["rating"] else "",
              "status_zh": "有效" if r["status"] == "active" else "已撤销"} for r in rows]
    table.sort(key=lambda r: (r["county"] or "", r["kind"], r["org_path"]))
    filename = f"exemplars-{args.get('year') or today().year}"
    if fmt == "csv":
        return csv_response(table, EXPORT_COLUMNS, filename)
    return xlsx_response({KIND_NAMES_ZH[k]: (EXPORT_COLUMNS, [r for r in table if r["kind"] == k])
                          for k in KIND_NAMES_ZH}, filename)
