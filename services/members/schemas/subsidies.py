"""Dues subsidies (党费补助, DUES.SUBSIDY): part of the dues collected given back to a grassroots organization."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import YEAR
from .dues import MONEY_MAX, Money


class SubsidyIn(Schema):
    from_unit_id = fields.UUID(required=True, metadata={"description": "the committee whose collected dues it is"})
    unit_id = fields.UUID(required=True, metadata={"description": "the organization under it that receives it"})
    year = WholeNumber(load_default=None, allow_none=True, validate=YEAR, metadata={
        "description": "the year of the dues it comes from (default: the year of granted_on)"})
    amount = Money(required=True, validate=validate.Range(min=Decimal("0.01"), max=MONEY_MAX),
                   metadata={"description": "yuan, at most 2 decimals"})
    granted_on = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class SubsidyOut(Schema):
    id = fields.String()
    from_unit_id = fields.String()
    unit_id = fields.String()
    year = WholeNumber()
    amount = fields.Decimal(as_string=True, metadata={"description": "yuan"})
    granted_on = fields.Date()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


SubsidyPage = page_schema(SubsidyOut)


class SubsidyListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)
