"""Points (积分): awards, a person's year, the ranking of a unit."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import YEAR

POINT_SOURCES = ("base", "attendance", "training", "volunteer_service", "commitment", "bonus")


class AwardIn(Schema):
    person_id = fields.UUID(required=True)
    awarded_on = fields.Date(required=True)
    source = fields.String(required=True, validate=validate.OneOf(POINT_SOURCES))
    points = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "the activity this award is for: the same reference is not awarded twice"})


class AwardOut(Schema):
    id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    year = WholeNumber()
    awarded_on = fields.Date()
    source = fields.String()
    category = fields.String()
    points = fields.Float()
    note = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)


AwardPage = page_schema(AwardOut)


class AwardListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    person_id = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)


class RankingArgs(Schema):
    unit_id = fields.UUID(required=True)
    year = WholeNumber(required=True, validate=YEAR)


class RankedMember(Schema):
    rank = WholeNumber()
    person_id = fields.String()
    name = fields.String()
    total = fields.Float()
    by_category = fields.Dict(keys=fields.String(), values=fields.Float())


class RankingOut(Schema):
    unit_id = fields.String()
    year = WholeNumber()
    scheme = fields.String()
    caps = fields.Dict(keys=fields.String(), values=fields.Float())
    items = fields.List(fields.Nested(RankedMember))


class PersonPointsArgs(Schema):
    year = WholeNumber(required=True, validate=YEAR)


class PersonPointsOut(Schema):
    person_id = fields.String()
    year = WholeNumber()
    scheme = fields.String()
    total = fields.Float()
    by_category = fields.Dict(keys=fields.String(), values=fields.Float())
    caps = fields.Dict(keys=fields.String(), values=fields.Float())
    awards = fields.List(fields.Nested(AwardOut))
