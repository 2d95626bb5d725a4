"""``GET /api/<service>/v1/audit``: who changed what and when, read from the service's audit log.

Every service has it (the kit registers it). An audit entry names the record, not the subtree it lies
in, so the log is read province-wide, by an admin whose token has no scope; a scoped token gets 403.
"""
from __future__ import annotations

from flask.views import MethodView
from .parsing import Blueprint
from marshmallow import Schema, fields, validate

from .request import current_kit, current_principal, db_session
from .errors import Problem
from .http import PageArgs, page_schema, paginate


class AuditArgs(PageArgs):
    entity = fields.String(load_default=None, validate=validate.Length(max=100),
                           metadata={"description": "the kind of record, e.g. unit, person, leader"})
    entity_id = fields.String(load_default=None, validate=validate.Length(max=100))
    actor = fields.String(load_default=None, validate=validate.Length(max=200),
                          metadata={"description": "the token subject that made the change"})
    since = fields.AwareDateTime(load_default=None, metadata={"description": "entries at or after this moment"})
    until = fields.AwareDateTime(load_default=None, metadata={"description": "entries before this moment"})


class AuditEntryOut(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    action = fields.String()
    change = fields.Dict(metadata={"description": "{field: [before, after]} or what the action recorded"})
    request_id = fields.String(allow_none=True)


AuditPage = page_schema(AuditEntryOut)


def audit_blueprint(service: str) -> Blueprint:
    blp = Blueprint("audit", __name__, url_prefix=f"/api/{service}/v1",
                    description="The audit log: who changed what, when (province-wide admins)")

    @blp.route("/audit")
    class AuditLog(MethodView):
        @blp.doc(operationId=f"list{service.title()}AuditEntries")  # unique in the gateway's merged document
        @blp.arguments(AuditArgs, location="query")
        @blp.response(200, AuditPage)
        def get(self, args):
            """The service's audit entries, oldest first, filtered by record, actor and time."""
            return entries(args)

    return blp


def entries(args: dict) -> dict:
    if not current_principal().province_wide:
        raise Problem(403, "Forbidden", "the audit log is read province-wide, with an admin token without scope",
                      kind="forbidden")
    Entry = current_kit().models.AuditEntry
    stmt = Entry.__table__.select()
    for name in ("entity", "entity_id", "actor"):
        if args.get(name):
            stmt = stmt.where(Entry.__table__.c[name] == args[name])
    if args.get("since"):
        stmt = stmt.where(Entry.occurred_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(Entry.occurred_at < args["until"])
    return paginate(db_session(), stmt, [Entry.id], cursor=args.get("cursor"), limit=args["limit"],
                    row_key=lambda row: (row.id,))
