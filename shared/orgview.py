"""Each service's own copy of the org tree (id, path, kind, status), fed by org events.

Paths are materialized from the province root, one segment per unit
(``/1/2c/9f/``); a subtree is every path that starts with its root's path.
Handlers upsert by the unit's version, so an older event never undoes a newer
one, and a moved subtree rewrites every path under the old prefix.
"""
from __future__ import annotations

import functools

from sqlalchemy import String, bindparam, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .consumer import Handlers
from .http import under_clause


def resolve_view_path(session, OrgUnitView, unit_id: str) -> str | None:
    if OrgUnitView is None:
        return None
    return session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == str(unit_id)))


UPDATED_COLUMNS = ("parent_id", "kind", "domain", "name", "code", "status", "version")


@functools.lru_cache(maxsize=None)
def _upsert_statement(table, dialect: str):
    """Built once per table (building a statement costs more than running it): the unit inserted with its path
    from its parent's current one (``:path`` when the parent is unknown here), or its columns but the path
    updated when the stored version is older."""
    parent_path = (select(table.c.path.concat(bindparam("parent_key", type_=String)))
                   .where(table.c.id == bindparam("parent")).scalar_subquery())
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(id=bindparam("id"), path=func.coalesce(parent_path, bindparam("path", type_=String)),
                                **{column: bindparam(column) for column in UPDATED_COLUMNS})
    return stmt.on_conflict_do_update(index_elements=[table.c.id],
                                      set_={column: stmt.excluded[column] for column in UPDATED_COLUMNS},
                                      where=table.c.version < stmt.excluded.version)


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
        """One statement: insert the unit (its path from its parent's current one when known), or update it
        unless the row holds this version or a newer one; the path of a known unit changes only by a move."""
        data = event.data
        session.execute(_upsert_statement(OrgUnitView.__table__, session.get_bind().dialect.name), {
            "id": data["id"], "parent_id": data.get("parent_id"), "kind": data["kind"], "domain": data.get("domain"),
            "name": data["name"], "code": data["code"], "status": data["status"], "version": data["unit_version"],
            "path": data["path"], "parent_key": f"{data['key']}/", "parent": str(data.get("parent_id") or "")})

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
