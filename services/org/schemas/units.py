"""Units (党组织): create, amend, move, dissolve, the tree and the roster."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.catalog.org import UNIT_KINDS
from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import CODE, DOMAINS

UNIT_STATUSES = ("active", "dissolved")
#: work units one joint branch joins
COVERED_UNITS = validate.Range(min=1, max=10_000)


class UnitIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DOMAINS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=CODE)
    external_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    established_on = fields.Date(load_default=None, allow_none=True)
    covered_units = WholeNumber(load_default=None, allow_none=True, validate=COVERED_UNITS,
                                   metadata={"description": "joint branch: how many work units it joins"})


class UnitPatch(Schema):
    """Only the fields sent change; ``kind`` is checked against the parent and the sub-units."""

    kind = fields.String(validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(allow_none=True, validate=validate.OneOf(DOMAINS))
    name = fields.String(validate=validate.Length(min=1, max=200))
    code = fields.String(validate=CODE)
    external_id = fields.String(allow_none=True, validate=validate.Length(max=100))
    established_on = fields.Date(allow_none=True)
    covered_units = WholeNumber(allow_none=True, validate=COVERED_UNITS)


class MoveIn(Schema):
    parent_id = fields.UUID(required=True, metadata={"description": "the new parent; the whole subtree moves"})


class DissolveIn(Schema):
    dissolved_on = fields.Date(required=True)
    members_moved_to = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the unit that takes over everyone on the dissolved unit's roll"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class UnitOut(Schema):
    id = fields.String()
    kind = fields.String()
    domain = fields.String(allow_none=True)
    name = fields.String()
    code = fields.String()
    external_id = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    path = fields.String()
    established_on = fields.Date(allow_none=True)
    covered_units = WholeNumber(allow_none=True)
    status = fields.String()
    dissolved_on = fields.Date(allow_none=True)
    full_members = WholeNumber()
    probationary_members = WholeNumber()
    version = WholeNumber()


UnitPage = page_schema(UnitOut)


class UnitListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})
    kind = fields.String(load_default=None, validate=validate.OneOf(UNIT_KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(UNIT_STATUSES))
    domain = fields.String(load_default=None, validate=validate.OneOf(DOMAINS))
    code = fields.String(load_default=None, validate=validate.Length(max=64))


class RosterOut(Schema):
    person_id = fields.String()
    name = fields.String()
    stage = fields.String()
    status = fields.String()
    full_member_since = fields.Date(allow_none=True)


RosterPage = page_schema(RosterOut)
