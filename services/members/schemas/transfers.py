"""Transfers of organizational relations (组织关系转接)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

TRANSFER_STATUSES = ("requested", "accepted", "completed", "rejected", "cancelled")


class TransferIn(Schema):
    person_id = fields.UUID(required=True)
    to_unit_id = fields.UUID(required=True)
    requested_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class TransferPatch(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("accepted", "completed", "rejected", "cancelled")))
    on = fields.Date(required=True)


class TransferOut(Schema):
    id = fields.String()
    person_id = fields.String()
    person_name = fields.String()
    from_unit_id = fields.String()
    to_unit_id = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    requested_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    direction = fields.String(metadata={"description": "out, in or both, seen from the caller's subtree"})
    version = WholeNumber()


TransferPage = page_schema(TransferOut)


class TransferListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(TRANSFER_STATUSES))
