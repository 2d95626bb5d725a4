"""Party groups (党小组) and their members."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.numbers import WholeNumber

from .common import CODE


class GroupIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=CODE)
    member_ids = fields.List(fields.UUID(), load_default=list)
    leader_id = fields.UUID(load_default=None, allow_none=True)


class GroupMemberIn(Schema):
    person_id = fields.UUID(required=True)
    leader = fields.Boolean(load_default=False)
    since = fields.Date(load_default=None, allow_none=True)


class GroupMemberOut(Schema):
    person_id = fields.String()
    name = fields.String(allow_none=True)
    leader = fields.Boolean()
    since = fields.Date()


class GroupOut(Schema):
    id = fields.String()
    name = fields.String()
    code = fields.String()
    path = fields.String()
    status = fields.String()
    version = WholeNumber()
    members = fields.List(fields.Nested(GroupMemberOut))


class GroupList(Schema):
    items = fields.List(fields.Nested(GroupOut))
