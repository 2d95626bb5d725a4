"""Entities without a party organization (未覆盖单位) and their coverage."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import DOMAINS, HEADCOUNT

UNCOVERED_STATUSES = ("uncovered", "covered", "closed")


class UncoveredIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the unit responsible for covering it"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    credit_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^[0-9A-Z]{18}$", error="18 digits or capital letters"))
    employees = WholeNumber(load_default=None, allow_none=True, validate=HEADCOUNT)
    party_members = WholeNumber(load_default=None, allow_none=True, validate=HEADCOUNT)
    instructor_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    instructor_title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    instructor_assigned_on = fields.Date(load_default=None, allow_none=True)


class UncoveredPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    employees = WholeNumber(allow_none=True, validate=HEADCOUNT)
    party_members = WholeNumber(allow_none=True, validate=HEADCOUNT)
    instructor_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    instructor_title = fields.String(allow_none=True, validate=validate.Length(max=200))
    instructor_assigned_on = fields.Date(allow_none=True)
    covered_by_unit_id = fields.UUID(metadata={"description": "the branch now set up: the entity is covered"})
    covered_on = fields.Date()
    closed_on = fields.Date(metadata={"description": "the entity ceased to exist"})


class UncoveredOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    name = fields.String()
    domain = fields.String()
    credit_code = fields.String(allow_none=True)
    employees = WholeNumber(allow_none=True)
    party_members = WholeNumber(allow_none=True)
    instructor_name = fields.String(allow_none=True)
    instructor_title = fields.String(allow_none=True)
    instructor_assigned_on = fields.Date(allow_none=True)
    status = fields.String()
    covered_by_unit_id = fields.String(allow_none=True)
    covered_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    version = WholeNumber()


UncoveredPage = page_schema(UncoveredOut)


class UncoveredListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(UNCOVERED_STATUSES))
    instructor = fields.Boolean(load_default=None, metadata={"description": "with (true) or without an instructor"})
