"""Committees (委员会) and their terms: elections, vacancies, by-elections, approvals, extensions."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.catalog.org import SEAT_ROLES
from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber


class SeatIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(SEAT_ROLES))
    person_id = fields.UUID(required=True)


class EarlyApprovalIn(Schema):
    """The upper committee's approval of an election before the term ends (ORG.TERM_EXPIRED)."""

    approved_on = fields.Date(required=True, metadata={"description": "on or before the election"})
    approved_by = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": "the approving committee (e.g. 某乡镇党委)"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ElectionIn(Schema):
    elected_on = fields.Date(required=True, metadata={
        "description": "the day of the election; the seats and the size are checked against the roster of that day"})
    seats = fields.List(fields.Nested(SeatIn), required=True, validate=validate.Length(min=1, max=15))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    early_approval = fields.Nested(EarlyApprovalIn, load_default=None, allow_none=True, metadata={
        "description": "needed when the election comes before the current term ends (at most 1 year before)"})


class VacancyIn(Schema):
    seat_id = fields.UUID(required=True)
    vacated_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ByElectionIn(Schema):
    """Fill a vacant seat (``seat_id``), or add a seat with ``role`` while the size rules allow."""

    seat_id = fields.UUID(load_default=None, allow_none=True)
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SEAT_ROLES))
    person_id = fields.UUID(required=True)
    elected_on = fields.Date(required=True)

    @validates_schema
    def _seat_or_role(self, data, **_kwargs):
        if (data.get("seat_id") is None) == (data.get("role") is None):
            raise ValidationError("give either seat_id (a vacant seat) or role (a new seat)", "seat_id")


class ApprovalIn(Schema):
    seat_id = fields.UUID(required=True)
    approved_on = fields.Date(required=True)


class ExtensionIn(Schema):
    term_ends_on = fields.Date(required=True, metadata={"description": "the new end, at most 1 year later"})
    approved_on = fields.Date(required=True, metadata={"description": "the upper committee's approval"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class SeatOut(Schema):
    id = fields.String()
    role = fields.String()
    person_id = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True)
    since = fields.Date(allow_none=True)
    vacant_since = fields.Date(allow_none=True)
    vacancy_reason = fields.String(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approval_pending = fields.Boolean()


class TermOut(Schema):
    state = fields.String(metadata={"description": "running, expiring or expired"})
    days_left = WholeNumber(allow_none=True)
    days_overdue = WholeNumber(allow_none=True)


class CommitteeOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    elected_on = fields.Date()
    term_years = WholeNumber()
    term_ends_on = fields.Date()
    original_term_ends_on = fields.Date()
    extension_reason = fields.String(allow_none=True)
    extension_approved_on = fields.Date(allow_none=True)
    early_approved_on = fields.Date(allow_none=True)
    early_approved_by = fields.String(allow_none=True)
    early_reason = fields.String(allow_none=True)
    full_members_at_election = WholeNumber()
    status = fields.String()
    ended_on = fields.Date(allow_none=True)
    secretary_vacant_since = fields.Date(allow_none=True)
    version = WholeNumber()
    seats = fields.List(fields.Nested(SeatOut))
    term = fields.Nested(TermOut)


CommitteePage = page_schema(CommitteeOut)


class TermListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    state = fields.String(load_default="due", validate=validate.OneOf(("expiring", "expired", "due")),
                          metadata={"description": "expiring (within the warning window), expired, or due (both)"})


class TermRowOut(Schema):
    committee_id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    unit_code = fields.String()
    path = fields.String()
    elected_on = fields.Date()
    term_ends_on = fields.Date()
    state = fields.String()
    days_left = WholeNumber(allow_none=True)
    days_overdue = WholeNumber(allow_none=True)
    message = fields.Dict()


TermPage = page_schema(TermRowOut)
