"""Liaison points (ORG.LIAISON): a leader keeps contact with a branch, listed with the branch's
latest rating once evaluation publishes one."""
from __future__ import annotations

from sqlalchemy import func, select

from shared.app import audit, current_principal, db_session, emit
from shared.errors import Problem, invalid, not_found
from shared.http import paginate, require_in_scope, under_clause

from . import rules
from .models import LiaisonPoint, Unit, UnitRating
from .units import active_in_scope, get_in_scope as unit_in_scope, subtree_path_for


def _event(point: LiaisonPoint) -> dict:
    return {"liaison_id": point.id, "leader_name": point.leader_name, "unit_id": point.unit_id,
            "active": point.active}


def get_in_scope(liaison_id) -> LiaisonPoint:
    point = db_session().get(LiaisonPoint, str(liaison_id))
    if point is None:
        raise not_found("liaison point")
    require_in_scope(current_principal(), point.path, "liaison point")
    return point


def create(fields: dict) -> dict:
    session = db_session()
    unit = active_in_scope(fields["unit_id"], "unit_id")
    if unit.kind not in rules.COMMITTEE_KINDS:
        raise invalid("unit_id", f"a liaison point is a branch (or a grassroots organization), not a {unit.kind}")
    if fields.get("leader_unit_id"):
        fields = {**fields, "leader_unit_id": unit_in_scope(fields["leader_unit_id"]).id}
    point = LiaisonPoint(leader_name=fields["leader_name"], leader_title=fields["leader_title"],
                         leader_unit_id=fields.get("leader_unit_id"), unit_id=unit.id, path=unit.path,
                         since=fields["since"], note=fields.get("note"), active=True)
    session.add(point)
    session.flush()
    audit("liaison_point", point.id, "created", {"leader_name": point.leader_name, "unit_id": unit.id})
    emit("org.liaison.changed", _event(point), org_path=point.path)
    return view(point)


def update(point: LiaisonPoint, fields: dict) -> dict:
    session = db_session()
    if not point.active:
        raise Problem(409, "Conflict", f"the liaison point ended on {point.ended_on}", kind="closed")
    if "ended_on" in fields and fields["ended_on"] < point.since:
        raise invalid("ended_on", f"the liaison point started on {point.since}")
    for key, value in fields.items():
        setattr(point, key, value)
    if "ended_on" in fields:
        point.active = False
    point.version += 1
    session.flush()
    audit("liaison_point", point.id, "updated", {k: v for k, v in fields.items()})
    emit("org.liaison.changed", _event(point), org_path=point.path)
    return view(point)


def end_with_unit(unit: Unit, on) -> None:
    """A dissolved branch is no one's liaison point any more."""
    session = db_session()
    for point in session.scalars(select(LiaisonPoint).where(LiaisonPoint.unit_id == unit.id,
                                                            LiaisonPoint.active.is_(True))).all():
        point.active = False
        point.ended_on = on
        point.version += 1
        emit("org.liaison.changed", _event(point), org_path=point.path)


def _latest_ratings(session, unit_ids: list[str]) -> dict[str, UnitRating]:
    latest_year = (select(UnitRating.unit_id, func.max(UnitRating.year).label("year"))
                   .where(UnitRating.unit_id.in_(unit_ids)).group_by(UnitRating.unit_id).subquery())
    rows = session.scalars(select(UnitRating).join(
        latest_year, (UnitRating.unit_id == latest_year.c.unit_id) & (UnitRating.year == latest_year.c.year))).all()
    return {r.unit_id: r for r in rows}


def _dump(point: LiaisonPoint, unit_name: str, rating: UnitRating | None) -> dict:
    data = {c.key: getattr(point, c.key) for c in LiaisonPoint.__table__.columns}
    data["unit_name"] = unit_name
    data["latest_rating"] = ({"year": rating.year, "score": float(rating.score), "stars": rating.stars,
                              "category": rating.category} if rating else None)
    return data


def view(point: LiaisonPoint) -> dict:
    session = db_session()
    name = session.scalar(select(Unit.name).where(Unit.id == point.unit_id))
    return _dump(point, name, _latest_ratings(session, [point.unit_id]).get(point.unit_id))


def list_points(args: dict) -> dict:
    session = db_session()
    stmt = (select(LiaisonPoint, Unit.name).join(Unit, Unit.id == LiaisonPoint.unit_id)
            .where(under_clause(LiaisonPoint.path, subtree_path_for(args.get("under")))))
    if args.get("active") is not None:
        stmt = stmt.where(LiaisonPoint.active.is_(args["active"]))
    page = paginate(session, stmt, [LiaisonPoint.path, LiaisonPoint.id], cursor=args.get("cursor"),
                    limit=args["limit"], row_key=lambda row: (row[0].path, row[0].id))
    ratings = _latest_ratings(session, [point.unit_id for point, _ in page["items"]])
    return {"items": [_dump(point, name, ratings.get(point.unit_id)) for point, name in page["items"]],
            "next_cursor": page["next_cursor"]}
