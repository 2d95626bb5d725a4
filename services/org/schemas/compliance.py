"""The compliance report: which rules each unit keeps over a period, the offenders of one rule."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs
from shared.numbers import WholeNumber

from .common import PeriodArgs


class ComplianceArgs(PeriodArgs):
    under = fields.UUID(load_default=None, metadata={"description": "the subtree (default: the caller's scope)"})
    limit = WholeNumber(load_default=20, validate=validate.Range(min=0, max=1000),
                           metadata={"description": "offending units listed per rule (the count is always whole)"})


class ComplianceRuleArgs(PeriodArgs, PageArgs):
    under = fields.UUID(load_default=None)
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")), metadata={
        "description": "csv or xlsx: every offender of the rule in one file (or by the Accept header)"})


class OffenderOut(Schema):
    unit_id = fields.String()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    path = fields.String()
    figures = fields.Dict()
    message = fields.Dict(metadata={"description": "en / zh, in the words of the rule"})


class RuleReportOut(Schema):
    code = fields.String()
    kind = fields.String(metadata={"description": "setup, committee, term, uncovered or life"})
    count = WholeNumber()
    summary = fields.Dict(metadata={"description": "ORG.TERM_EXPIRED: terms expiring soon; ORG.UNCOVERED: entities "
                                                   "with an instructor, covered, closed; LIFE.*: periods required"})
    units = fields.List(fields.Nested(OffenderOut))


class ComplianceOut(Schema):
    under = fields.String()
    as_of = fields.Date()
    held_from = fields.Date(data_key="from")
    held_to = fields.Date(data_key="to")
    units = WholeNumber(metadata={"description": "active units in the subtree"})
    rules = fields.List(fields.Nested(RuleReportOut))


class OffenderPage(Schema):
    code = fields.String()
    count = WholeNumber(allow_none=True)
    items = fields.List(fields.Nested(OffenderOut))
    next_cursor = fields.String(allow_none=True)
