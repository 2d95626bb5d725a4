"""Leaders and their liaison points (ORG.LIAISON).

The register of leaders: each party committee's secretary and team members (党委书记、班子成员), at the
committee's unit. A leader keeps contact with a branch (联系点); the point is listed with the branch's
latest rating once evaluation publishes one. A leader who leaves, or whose committee is dissolved, keeps
no liaison point from that day. The compliance report lists the leaders who keep none.
"""
from __future__ import annotations

from sqlalchemy import func, select

from shared.request import audit, current_principal, db_session, emit
from shared.audit import diff
from shared.errors import Problem, invalid, not_found
from shared.http import if_match, paginate, require_in_scope, under_clause

from . import rules
from .models import Leader, LiaisonPoint, Unit, UnitRating
from .units import active_in_scope, get_in_scope as unit_in_scope, subtree_path_for

LEADER_FIELDS = ("name", "title", "role", "person_id")


# ----------------------------------------------------------------------------- leaders

def leader_in_scope(leader_id, what: str = "leader") -> Leader:
    leader = db_session().get(Leader, str(leader_id))
    if leader is None:
        raise not_found(what)
    require_in_scope(current_principal(), leader.path, what)
    return leader


def create_leader(fields: dict) -> dict:
    session = db_session()
    unit = active_in_scope(fields["unit_id"], "unit_id")
    if unit.kind not in rules.LEADER_KINDS:
        raise invalid("unit_id", "leaders are registered at a party committee (province, city, county, township "
                                 f"or grassroots committee), not at a {unit.kind}")
    leader = Leader(unit_id=unit.id, path=unit.path, since=fields["since"], active=True,
                    **{key: fields.get(key) for key in LEADER_FIELDS})
    leader.person_id = str(leader.person_id) if leader.person_id else None
    session.add(leader)
    session.flush()
    audit("leader", leader.id, "registered", {"unit_id": unit.id, "name": leader.name, "role": leader.role})
    return leader_view(leader)


def update_leader(leader_id, fields: dict) -> dict:
    """Change the title, role or member record; or end the leader's service (``ended_on``), which ends the
    leader's liaison points the same day (If-Match)."""
    leader = if_match(leader_in_scope(leader_id))
    if not leader.active:
        raise Problem(409, "Conflict", f"the leader left on {leader.ended_on}", kind="closed")
    if "ended_on" in fields and fields["ended_on"] < leader.since:
        raise invalid("ended_on", f"the leader started on {leader.since}")
    if fields.get("person_id"):
        fields = {**fields, "person_id": str(fields["person_id"])}
    changes = diff({key: getattr(leader, key) for key in fields}, fields)
    for key, value in fields.items():
        setattr(leader, key, value)
    if "ended_on" in fields:
        leader.active = False
        _end_points(select(LiaisonPoint).where(LiaisonPoint.leader_id == leader.id), fields["ended_on"])
    leader.version += 1
    db_session().flush()
    audit("leader", leader.id, "updated", changes)
    return leader_view(leader)


def _points_kept(session, leader_ids: list[str]) -> dict[str, int]:
    if not leader_ids:
        return {}
    return dict(session.execute(
        select(LiaisonPoint.leader_id, func.count()).where(LiaisonPoint.leader_id.in_(leader_ids),
                                                           LiaisonPoint.active.is_(True))
        .group_by(LiaisonPoint.leader_id)).all())


def _dump_leader(leader: Leader, unit_name: str, points: int) -> dict:
    data = {c.key: getattr(leader, c.key) for c in Leader.__table__.columns}
    data.update(unit_name=unit_name, liaison_points=points)
    return data


def leader_view(leader: Leader) -> dict:
    session = db_session()
    name = session.scalar(select(Unit.name).where(Unit.id == leader.unit_id))
    return _dump_leader(leader, name, _points_kept(session, [leader.id]).get(leader.id, 0))


def list_leaders(args: dict) -> dict:
    session = db_session()
    stmt = (select(Leader, Unit.name).join(Unit, Unit.id == Leader.unit_id)
            .where(under_clause(Leader.path, subtree_path_for(args.get("under")))))
    if args.get("active") is not None:
        stmt = stmt.where(Leader.active.is_(args["active"]))
    if args.get("without_liaison"):
        stmt = stmt.where(Leader.active.is_(True), ~keeps_a_point())
    page = paginate(session, stmt, [Leader.path, Leader.id], cursor=args.get("cursor"), limit=args["limit"],
                    row_key=lambda row: (row[0].path, row[0].id))
    kept = _points_kept(session, [leader.id for leader, _ in page["items"]])
    return {"items": [_dump_leader(leader, name, kept.get(leader.id, 0)) for leader, name in page["items"]],
            "next_cursor": page["next_cursor"]}


def keeps_a_point():
    """SQL: the leader (``Leader``) keeps an active liaison point."""
    return (select(LiaisonPoint.id).where(LiaisonPoint.leader_id == Leader.id, LiaisonPoint.active.is_(True))
            .correlate(Leader).exists())


# ----------------------------------------------------------------------------- liaison points


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
    """A leader takes a branch as liaison point: a registered leader (``leader_id``: name, title and committee
    come from the register, and the branch must lie in the committee's subtree), or one named in the body."""
    session = db_session()
    unit = active_in_scope(fields["unit_id"], "unit_id")
    if unit.kind not in rules.COMMITTEE_KINDS:
        raise invalid("unit_id", f"a liaison point is a branch (or a grassroots organization), not a {unit.kind}")
    if fields.get("leader_id"):
        leader = leader_in_scope(fields["leader_id"])
        if not leader.active:
            raise invalid("leader_id", f"the leader left on {leader.ended_on}")
        if not unit.path.startswith(leader.path):
            raise invalid("unit_id", "the liaison branch lies outside the leader's committee")
        fields = {**fields, "leader_id": leader.id, "leader_name": fields.get("leader_name") or leader.name,
                  "leader_title": fields.get("leader_title") or leader.title, "leader_unit_id": leader.unit_id}
    elif fields.get("leader_unit_id"):
        fields = {**fields, "leader_unit_id": unit_in_scope(fields["leader_unit_id"]).id}
    point = LiaisonPoint(leader_id=fields.get("leader_id"), leader_name=fields["leader_name"],
                         leader_title=fields["leader_title"], leader_unit_id=fields.get("leader_unit_id"),
                         unit_id=unit.id, path=unit.path, since=fields["since"], note=fields.get("note"),
                         active=True)
    session.add(point)
    session.flush()
    audit("liaison_point", point.id, "created", {"leader_name": point.leader_name, "unit_id": unit.id})
    emit("org.liaison.changed", _event(point), org_path=point.path)
    return view(point)


def update(liaison_id, fields: dict) -> dict:
    """Change the leader's title or note, or end the liaison point (If-Match)."""
    point = if_match(get_in_scope(liaison_id))
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
    """A dissolved branch is no one's liaison point any more; a dissolved committee's leaders leave."""
    session = db_session()
    _end_points(select(LiaisonPoint).where(LiaisonPoint.unit_id == unit.id), on)
    for leader in session.scalars(select(Leader).where(Leader.unit_id == unit.id, Leader.active.is_(True))).all():
        leader.active = False
        leader.ended_on = on
        leader.version += 1
        _end_points(select(LiaisonPoint).where(LiaisonPoint.leader_id == leader.id), on)


def _end_points(points, on) -> None:
    for point in db_session().scalars(points.where(LiaisonPoint.active.is_(True))).all():
        point.active = False
        point.ended_on = max(on, point.since)
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
