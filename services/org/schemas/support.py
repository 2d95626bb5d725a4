"""Support for a unit: organizers, venue, funds (阵地和经费保障)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.numbers import ExactDecimal, WholeNumber

FUND_SOURCES = ("unit_funds", "fiscal_allocation", "dues_subsidy")
#: a venue's area in m2: the column is NUMERIC(10, 2)
VENUE_AREA = validate.Range(min=0, min_inclusive=False, max=99_999_999.99)
#: one fund's amount in yuan: the column is NUMERIC(14, 2)
FUND_AMOUNT = validate.Range(min=0, min_inclusive=False, max=999_999_999_999.99)


class OrganizerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    full_time = fields.Boolean(load_default=False)


class SupportIn(Schema):
    has_venue = fields.Boolean(required=True)
    venue_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    venue_area_m2 = ExactDecimal(load_default=None, allow_none=True, places=2,
                                   validate=VENUE_AREA, as_string=False)
    organizers = fields.List(fields.Nested(OrganizerIn), load_default=list, validate=validate.Length(max=100))

    @validates_schema
    def _venue(self, data, **_kwargs):
        if not data["has_venue"] and (data.get("venue_area_m2") is not None or data.get("venue_name")):
            raise ValidationError("no venue: leave its name and area out", "venue_area_m2")


class FundIn(Schema):
    year = WholeNumber(required=True, validate=validate.Range(min=2000, max=2100))
    source = fields.String(required=True, validate=validate.OneOf(FUND_SOURCES))
    amount = ExactDecimal(required=True, places=2, validate=FUND_AMOUNT)
    received_on = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class FundOut(Schema):
    id = fields.String()
    year = WholeNumber()
    source = fields.String()
    amount = fields.Float()
    received_on = fields.Date()
    note = fields.String(allow_none=True)


class OrganizerOut(Schema):
    name = fields.String()
    title = fields.String(allow_none=True)
    full_time = fields.Boolean()


class SupportOut(Schema):
    unit_id = fields.String()
    has_venue = fields.Boolean()
    venue_name = fields.String(allow_none=True)
    venue_area_m2 = fields.Float(allow_none=True)
    organizers = fields.List(fields.Nested(OrganizerOut))
    funds = fields.List(fields.Nested(FundOut))
    funds_by_year = fields.Dict(metadata={"description": "{year: {source: amount, total: amount}}"})
    version = WholeNumber()
