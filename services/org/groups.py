"""Party groups (党小组) inside a branch: units of kind party_group, with their members from the
branch's roll."""
from __future__ import annotations

from sqlalchemy import select, update

from shared.request import audit, db_session
from shared.dates import today
from shared.errors import invalid, not_found

from . import units
from .models import GroupMember, RosterPerson, Unit
from .units import require_active

MEMBER_STAGES = ("probationary", "full")


def _branch(unit: Unit) -> None:
    require_active(unit)
    if unit.kind not in ("branch", "joint_branch"):
        raise invalid("unit_id", f"party groups are set up inside a branch, not a {unit.kind}")


def get(branch: Unit, group_id) -> Unit:
    group = db_session().scalar(select(Unit).where(Unit.id == str(group_id), Unit.parent_id == branch.id,
                                                   Unit.kind == "party_group"))
    if group is None:
        raise not_found("party group")
    return group


def view(group: Unit) -> dict:
    session = db_session()
    rows = session.execute(
        select(GroupMember, RosterPerson.name).outerjoin(RosterPerson, RosterPerson.person_id == GroupMember.person_id)
        .where(GroupMember.group_id == group.id).order_by(GroupMember.leader.desc(), RosterPerson.name)).all()
    return {"id": group.id, "name": group.name, "code": group.code, "path": group.path, "status": group.status,
            "version": group.version,
            "members": [{"person_id": m.person_id, "name": name, "leader": m.leader, "since": m.since}
                        for m, name in rows]}


def list_groups(branch: Unit) -> dict:
    groups = db_session().scalars(select(Unit).where(Unit.parent_id == branch.id, Unit.kind == "party_group",
                                                     Unit.status == "active").order_by(Unit.path)).all()
    return {"items": [view(g) for g in groups]}


def create(branch: Unit, fields: dict) -> dict:
    _branch(branch)
    group = units.create({"kind": "party_group", "name": fields["name"], "code": fields["code"],
                          "domain": branch.domain}, parent=branch)
    leader = str(fields["leader_id"]) if fields.get("leader_id") else None
    member_ids = [str(p) for p in fields["member_ids"]]
    if leader and leader not in member_ids:
        member_ids.append(leader)
    for person_id in member_ids:
        _add(branch, group, person_id, leader=person_id == leader, since=today(), field="member_ids")
    return view(group)


def _add(branch: Unit, group: Unit, person_id: str, *, leader: bool, since, field: str) -> None:
    session = db_session()
    person = session.get(RosterPerson, person_id)
    if person is None or person.unit_id != branch.id or person.status != "active" or person.stage not in MEMBER_STAGES:
        raise invalid(field, f"{person_id} is not a member (full or probationary) on this branch's roll")
    existing = session.get(GroupMember, person_id)
    if existing is not None:
        raise invalid(field, f"{person.name} is already in a party group")
    if leader:
        session.execute(update(GroupMember).where(GroupMember.group_id == group.id).values(leader=False))
    session.add(GroupMember(person_id=person_id, group_id=group.id, path=group.path, leader=leader, since=since))
    session.flush()
    audit("party_group", group.id, "member_added", {"person_id": person_id, "leader": leader})


def add_member(branch: Unit, group: Unit, fields: dict) -> dict:
    require_active(group)
    _add(branch, group, str(fields["person_id"]), leader=fields["leader"], since=fields.get("since") or today(),
         field="person_id")
    return view(group)


def remove_member(branch: Unit, group: Unit, person_id) -> dict:
    session = db_session()
    member = session.get(GroupMember, str(person_id))
    if member is None or member.group_id != group.id:
        raise not_found("group member")
    session.delete(member)
    session.flush()
    audit("party_group", group.id, "member_removed", {"person_id": str(person_id)})
    return view(group)
