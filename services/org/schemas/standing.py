"""Schemas of the standing mechanisms: hearings (LIFE.HEARING), screenings (LIFE.SCREENING), the secretaries'
述职评议 (LIFE.SECRETARY_REPORT) and the reserve pool (ORG.RESERVE)."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http import PageArgs, page_schema
from shared.messages import msg
from shared.numbers import WholeNumber

from ..rules import ASSESSMENTS
from .common import PERIOD_EARLIEST as EARLIEST, PERIOD_LATEST as LATEST

YEAR = validate.Range(min=EARLIEST.year, max=LATEST.year)
NAME = validate.Length(min=1, max=100)
TEXT = validate.Length(max=5000)


def _in_range(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(str(msg("date-range", low=EARLIEST, high=LATEST)))


def Day(**kwargs) -> fields.Date:
    """A date between 1921-07-01 and 2099-12-31."""
    return fields.Date(validate=_in_range, **kwargs)


class RaisedPointIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    problem = fields.Boolean(load_default=False, metadata={
        "description": "put it on the branch's problem list in evaluation (source hearing / screening)"})
    responsible = fields.String(load_default=None, allow_none=True, validate=NAME, metadata={
        "description": "who answers for it (default: who reported / the branch's secretary)"})
    deadline = Day(load_default=None, allow_none=True, metadata={"description": "default: the year's end"})


POINTS = dict(validate=validate.Length(max=200))


class _Something(Schema):
    @validates_schema
    def _something(self, data, **_kwargs):
        if not data:
            raise ValidationError("give at least one field to change", "_schema")


# ----------------------------------------------------------------------------- hearings

class HearingIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the branch heard"})
    committee_unit_id = fields.UUID(required=True, metadata={
        "description": "the committee hearing it: the branch's grassroots committee, or the township or county above"})
    held_on = Day(required=True)
    reporter = fields.String(required=True, validate=NAME, metadata={"description": "who reported (the secretary)"})
    reporter_person_id = fields.UUID(load_default=None, allow_none=True)
    points = fields.List(fields.Nested(RaisedPointIn), load_default=list, **POINTS)
    notes = fields.String(load_default=None, allow_none=True, validate=TEXT)


class HearingPatch(_Something):
    held_on = Day()
    reporter = fields.String(validate=NAME)
    reporter_person_id = fields.UUID(allow_none=True)
    points = fields.List(fields.Nested(RaisedPointIn), **POINTS)
    notes = fields.String(allow_none=True, validate=TEXT)


class RaisedPointOut(Schema):
    text = fields.String()
    problem = fields.Boolean()
    responsible = fields.String(allow_none=True)
    deadline = fields.String(allow_none=True)


class HearingOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    committee_unit_id = fields.String()
    held_on = fields.Date()
    reporter = fields.String()
    reporter_person_id = fields.String(allow_none=True)
    points = fields.List(fields.Nested(RaisedPointOut))
    notes = fields.String(allow_none=True)
    version = WholeNumber()


HearingPage = page_schema(HearingOut)


class HearingListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    unit_id = fields.UUID(load_default=None)
    held_from = Day(load_default=None, data_key="from")
    held_to = Day(load_default=None, data_key="to")


# ----------------------------------------------------------------------------- screenings

class ScreeningIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the county screening its branches"})
    year = WholeNumber(required=True, validate=YEAR)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = Day(required=True)
    ends_on = Day(load_default=None, allow_none=True)


class ScreeningPatch(_Something):
    title = fields.String(validate=validate.Length(min=1, max=200))
    starts_on = Day()
    ends_on = Day(allow_none=True)


class ScreeningOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    year = WholeNumber()
    title = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    version = WholeNumber()
    branches = WholeNumber(metadata={"description": "active branches of the county"})
    screened = WholeNumber(metadata={"description": "of them, those with a record"})
    screened_share = fields.Float(allow_none=True)


ScreeningPage = page_schema(ScreeningOut)


class ScreeningListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)


class ScreeningRecordIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the branch screened (in the county)"})
    screened_on = Day(required=True)
    screened_by = fields.String(required=True, validate=validate.Length(min=1, max=200))
    findings = fields.List(fields.Nested(RaisedPointIn), load_default=list, **POINTS)
    conclusion = fields.String(load_default=None, allow_none=True, validate=TEXT)


class ScreeningRecordPatch(_Something):
    screened_on = Day()
    screened_by = fields.String(validate=validate.Length(min=1, max=200))
    findings = fields.List(fields.Nested(RaisedPointIn), **POINTS)
    conclusion = fields.String(allow_none=True, validate=TEXT)


class ScreeningRecordOut(Schema):
    id = fields.String()
    campaign_id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    year = WholeNumber()
    screened_on = fields.Date()
    screened_by = fields.String()
    findings = fields.List(fields.Nested(RaisedPointOut))
    conclusion = fields.String(allow_none=True)
    version = WholeNumber()


ScreeningRecordPage = page_schema(ScreeningRecordOut)


class UnderArgs(PageArgs):
    under = fields.UUID(load_default=None)


# ----------------------------------------------------------------------------- 述职评议

ASSESSMENT = validate.OneOf(tuple(ASSESSMENTS))
ASSESSMENT_DOC = {"description": "好 good, 较好 fairly_good, 一般 average, 差 poor"}


class SecretaryReportIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "a branch, general branch or grassroots committee"})
    year = WholeNumber(required=True, validate=YEAR, metadata={"description": "the year reported on"})
    secretary_name = fields.String(required=True, validate=NAME)
    secretary_person_id = fields.UUID(load_default=None, allow_none=True)
    report = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    reported_on = Day(required=True)
    assessment = fields.String(required=True, validate=ASSESSMENT, metadata=ASSESSMENT_DOC)
    assessed_by = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": "the committee or meeting that assessed it"})
    assessed_on = Day(required=True)


class SecretaryReportPatch(_Something):
    secretary_name = fields.String(validate=NAME)
    secretary_person_id = fields.UUID(allow_none=True)
    report = fields.String(validate=validate.Length(min=1, max=20000))
    reported_on = Day()
    assessment = fields.String(validate=ASSESSMENT, metadata=ASSESSMENT_DOC)
    assessed_by = fields.String(validate=validate.Length(min=1, max=200))
    assessed_on = Day()


class SecretaryReportOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    year = WholeNumber()
    secretary_name = fields.String()
    secretary_person_id = fields.String(allow_none=True)
    report = fields.String()
    reported_on = fields.Date()
    assessment = fields.String()
    assessment_zh = fields.String()
    assessed_by = fields.String()
    assessed_on = fields.Date()
    version = WholeNumber()


SecretaryReportPage = page_schema(SecretaryReportOut)


class SecretaryReportListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)
    assessment = fields.String(load_default=None, validate=ASSESSMENT)


# ----------------------------------------------------------------------------- the reserve pool

CANDIDATE_STATUSES = ("active", "appointed", "withdrawn")


class ReserveCandidateIn(Schema):
    person_id = fields.UUID(required=True, metadata={"description": "a full member of the branch, a year's standing"})
    listed_on = Day(required=True)
    training = fields.String(load_default=None, allow_none=True, validate=TEXT,
                             metadata={"description": "the training received (a class, a post, a mentor)"})
    trained_on = Day(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=TEXT)


class ReserveCandidatePatch(_Something):
    training = fields.String(allow_none=True, validate=TEXT)
    trained_on = Day(allow_none=True)
    note = fields.String(allow_none=True, validate=TEXT)
    status = fields.String(validate=validate.OneOf(CANDIDATE_STATUSES), metadata={
        "description": "appointed (took the post) or withdrawn: the candidate leaves the pool on ended_on"})
    ended_on = Day()


class ReserveCandidateOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    person_id = fields.String()
    name = fields.String()
    full_member_since = fields.Date(allow_none=True)
    listed_on = fields.Date()
    training = fields.String(allow_none=True)
    trained_on = fields.Date(allow_none=True)
    status = fields.String()
    ended_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    version = WholeNumber()


ReserveCandidatePage = page_schema(ReserveCandidateOut)


class ReserveListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(CANDIDATE_STATUSES))
