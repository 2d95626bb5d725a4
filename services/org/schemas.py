"""Request and response schemas of the org service."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.catalog.org import UNIT_KINDS
from shared.http import PageArgs, page_schema

DOMAINS = ("village", "community", "state_owned_enterprise", "private_enterprise", "social_organization",
           "public_institution", "school", "hospital", "government_agency", "other")
UNIT_STATUSES = ("active", "dissolved")


class UnitIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DOMAINS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$",
                                                                 error="letters, digits, _ . - (at most 64)"))
    external_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    established_on = fields.Date(load_default=None, allow_none=True)


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
    status = fields.String()
    full_members = fields.Integer()
    probationary_members = fields.Integer()
    version = fields.Integer()


UnitPage = page_schema(UnitOut)


class UnitListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})
    kind = fields.String(load_default=None, validate=validate.OneOf(UNIT_KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(UNIT_STATUSES))
