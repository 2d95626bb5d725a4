"""Each service's own copy of the org tree (id, path, kind, status), fed by org events.

Paths are materialized from the province root, one segment per unit
(``/1/2c/9f/``); a subtree is every path that starts with its root's path.
Handlers upsert by the unit's version, so an older event never undoes a newer
one, and a moved subtree rewrites every path under the old prefix.
"""
from __future__ import annotations

from sqlalchemy import String, func, literal, select, update

from .consumer import Handlers
from .http import under_clause


def resolve_view_path(session, OrgUnitView, unit_id: str) -> str | None:
    if OrgUnitView is None:
        return None
    return session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == str(unit_id)))


def org_view_handlers(OrgUnitView) -> Handlers:
    handlers = Handlers()

    def _path_for(session, data) -> str:
        """Build the path from the parent's current path when we know it: a late event keeps up with moves."""
        parent_id = data.get("parent_id")
        if parent_id:
            parent_path = session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == str(parent_id)))
            if parent_path:
                return f"{parent_path}{data['key']}/"
        return data["path"]

    @handlers.on("org.unit.created", "org.unit.updated", "org.unit.dissolved")
    def upsert_unit(session, event):
        data = event.data
        row = session.get(OrgUnitView, data["id"])
        if row is not None and row.version >= data["unit_version"]:
            return
        values = dict(parent_id=data.get("parent_id"), kind=data["kind"], domain=data.get("domain"),
                      name=data["name"], code=data["code"], status=data["status"],
                      version=data["unit_version"])
        if row is None:
            session.add(OrgUnitView(id=data["id"], path=_path_for(session, data), **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)

    @handlers.on("org.unit.moved")
    def move_subtree(session, event):
        data = event.data
        row = session.get(OrgUnitView, data["id"])
        if row is not None and row.version >= data["unit_version"]:
            return
        new_path = _path_for(session, data)
        old_path = row.path if row is not None else data["old_path"]
        if row is None:
            session.add(OrgUnitView(id=data["id"], path=new_path, parent_id=data.get("parent_id"),
                                    kind=data["kind"], domain=data.get("domain"), name=data["name"],
                                    code=data["code"], status=data["status"], version=data["unit_version"]))
            session.flush()
        if row is not None:
            row.parent_id = data.get("parent_id")
            row.version = data["unit_version"]
            session.flush()  # written before the paths are rewritten: expire_all below would discard them
        session.execute(
            update(OrgUnitView)
            .where(under_clause(OrgUnitView.path, old_path))
            .values(path=literal(new_path, String).concat(func.substr(OrgUnitView.path, len(old_path) + 1)))
            .execution_options(synchronize_session=False)
        )
        session.expire_all()

    return handlers
