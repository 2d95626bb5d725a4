"""Alerts and reports: what falls due, the stages under a unit, villages without development, breaches."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import UnderArgs, YEAR

ALERT_KINDS = ("talk", "assessment", "approval", "oath", "probation_end", "conversion_approval", "suspension",
               "removal", "correction", "transfer", "letter_report_in", "letter_receipt")


class AlertArgs(PageArgs):
    under = fields.UUID(load_default=None)
    as_of = fields.Date(load_default=None, metadata={"description": "defaults to today (Asia/Shanghai)"})
    horizon_days = WholeNumber(load_default=None, validate=validate.Range(min=0, max=366), metadata={
        "description": "also list what falls due within this many days (default from configuration)"})
    kind = fields.String(load_default=None, validate=validate.OneOf(ALERT_KINDS))


class AlertOut(Schema):
    id = WholeNumber(metadata={"description": "a deadline's id; an alert of a transfer letter: minus the letter's id"})
    transfer_id = fields.String(allow_none=True, metadata={"description": "the transfer of a letter's alert"})
    person_id = fields.String()
    person_name = fields.String()
    unit_id = fields.String()
    kind = fields.String()
    code = fields.String()
    opened_on = fields.Date()
    due_on = fields.Date()
    overdue = fields.Boolean()
    days = WholeNumber(metadata={"description": "days left (negative: days overdue)"})
    en = fields.String()
    zh = fields.String()


AlertPage = page_schema(AlertOut)


class StageCounts(Schema):
    unit_id = fields.String()
    name = fields.String()
    kind = fields.String()
    counts = fields.Dict(keys=fields.String(), values=WholeNumber())
    total = WholeNumber()


class StageReportOut(Schema):
    unit_id = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=WholeNumber())
    total = WholeNumber()
    children = fields.List(fields.Nested(StageCounts))


class NoDevelopmentArgs(UnderArgs):
    as_of = fields.Date(load_default=None)


class VillageOut(Schema):
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    kind = fields.String()
    last_admitted_on = fields.Date(allow_none=True)
    rule = fields.String()
    en = fields.String()
    zh = fields.String()


class NoDevelopmentOut(Schema):
    as_of = fields.Date()
    years = WholeNumber()
    villages = WholeNumber()
    flagged = fields.List(fields.Nested(VillageOut))


class BreachArgs(UnderArgs):
    year = WholeNumber(load_default=None, validate=YEAR, metadata={"description": "the year the deadline fell due"})


class BreachCount(Schema):
    code = fields.String()
    kind = fields.String()
    breached = WholeNumber(metadata={"description": "steps recorded late"})
    overdue = WholeNumber(metadata={"description": "still open and past due"})


class BreachReportOut(Schema):
    as_of = fields.Date()
    year = WholeNumber(allow_none=True)
    items = fields.List(fields.Nested(BreachCount))
