"""The annual party statistics (党内统计年报, STATS.BALANCE / STATS.MEMBERS / STATS.DEVELOPMENT)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.numbers import WholeNumber

TABLES = ("balance", "members", "development")
#: the first year the tables are asked of, and the last (the records' history; statistics of a year to come
#: would count nothing)
STATS_YEAR = validate.Range(min=1921, max=2100)


class StatisticsArgs(Schema):
    under = fields.UUID(load_default=None, metadata={"description": "the subtree (default: the caller's scope)"})
    year = WholeNumber(required=True, validate=STATS_YEAR, metadata={"description": "counted as of 31 December"})
    tables = fields.List(fields.String(validate=validate.OneOf(TABLES)), load_default=None,
                         validate=validate.Length(max=len(TABLES)),
                         metadata={"description": "which tables (repeat the parameter); default all"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx")), metadata={
        "description": "xlsx: one workbook, a sheet per table, Chinese headers"})
    limit = WholeNumber(load_default=1000, validate=validate.Range(min=0, max=10000), metadata={
        "description": "people listed as making the balance not close (their count is always whole)"})


class Counts(fields.Dict):
    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=WholeNumber(), **kwargs)


class UnbalancedPerson(Schema):
    person_id = fields.String()
    name = fields.String()
    unit_id = fields.String(metadata={"description": "the person's unit now"})
    start = WholeNumber(metadata={"description": "1: counted at the start of the year"})
    end = WholeNumber(metadata={"description": "1: counted at the end of the year"})
    flows = fields.Dict(metadata={"description": "the year's changes counted for the person"})
    difference = WholeNumber(metadata={"description": "end - (start + changes)"})


class BalanceOut(Schema):
    start = WholeNumber()
    admitted = WholeNumber()
    transferred_in = WholeNumber()
    restored = WholeNumber()
    transferred_out = WholeNumber()
    died = WholeNumber()
    expelled = WholeNumber()
    removed = WholeNumber()
    withdrawn = WholeNumber()
    suspended = WholeNumber()
    cancelled = WholeNumber(metadata={"description": "probation cancelled (取消预备党员资格)"})
    expected = WholeNumber(metadata={"description": "start + the year's changes"})
    end = WholeNumber()
    closes = fields.Boolean()
    violation = fields.Dict(allow_none=True, metadata={"description": "STATS.BALANCE when it does not close"})
    unbalanced_total = WholeNumber()
    unbalanced = fields.List(fields.Nested(UnbalancedPerson))


class MembersOut(Schema):
    total = WholeNumber()
    by_stage = Counts()
    by_gender = Counts()
    by_ethnicity = Counts()
    by_age = Counts()
    by_education = Counts()
    by_occupation = Counts()


class DevelopmentOut(Schema):
    admitted = WholeNumber()
    admitted_by_gender = Counts()
    admitted_by_age = Counts(metadata={"description": "35岁及以下 / 36岁及以上 on 31 December"})
    admitted_by_education = Counts()
    admitted_by_occupation = Counts()
    applicants = WholeNumber()
    activists = WholeNumber()
    targets = WholeNumber()
    conversions = WholeNumber()
    extensions = WholeNumber()
    cancellations = WholeNumber()


class StatisticsOut(Schema):
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    year = WholeNumber()
    as_of = fields.Date()
    balance = fields.Nested(BalanceOut)
    members = fields.Nested(MembersOut)
    development = fields.Nested(DevelopmentOut)
