"""The annual party statistics' organizations table (STATS.ORGANIZATIONS)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.numbers import WholeNumber


class OrgStatisticsArgs(Schema):
    under = fields.UUID(load_default=None, metadata={"description": "the subtree (default: the caller's scope)"})
    year = WholeNumber(required=True, validate=validate.Range(min=1921, max=2100),
                       metadata={"description": "counted as of 31 December"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx")), metadata={
        "description": "xlsx: the workbook, Chinese headers"})


class Counts(fields.Dict):
    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=WholeNumber(), **kwargs)


class KindSectorCount(Schema):
    kind = fields.String()
    sector = fields.String()
    count = WholeNumber()


class OrganizationsOut(Schema):
    total = WholeNumber()
    by_kind = Counts(metadata={"description": "grassroots_committee, general_branch, branch, joint_branch"})
    by_sector = Counts()
    by_kind_and_sector = fields.List(fields.Nested(KindSectorCount))


class BranchesOut(Schema):
    total = WholeNumber()
    with_committee = WholeNumber(metadata={"description": "a committee of 3 or more seats in office on 31 December"})
    without_committee = WholeNumber()


class TermsOut(Schema):
    ended = WholeNumber(metadata={"description": "committees whose term ended in the year"})
    re_elected_on_time = WholeNumber(metadata={"description": "the next committee elected by the term's end "
                                                                "(an approved extension counted)"})
    re_elected_late = WholeNumber()
    not_re_elected = WholeNumber()


class OrgStatisticsOut(Schema):
    year = WholeNumber()
    as_of = fields.Date()
    organizations = fields.Nested(OrganizationsOut)
    branches = fields.Nested(BranchesOut)
    terms = fields.Nested(TermsOut)
