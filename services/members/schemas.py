"""Request and response schemas of the members service."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema

STAGES = ("applicant", "activist", "target", "probationary", "full")
GENDERS = ("male", "female")


class PersonIn(Schema):
    unit_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
    birth_date = fields.Date(required=True)
    stage = fields.String(load_default="applicant", validate=validate.OneOf(STAGES))


class PersonOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    name = fields.String()
    gender = fields.String()
    birth_date = fields.Date()
    stage = fields.String()
    status = fields.String()
    version = fields.Integer()


PersonPage = page_schema(PersonOut)


class PersonListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})
    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))
