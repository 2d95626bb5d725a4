"""People: registration, details, the list."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.catalog.members import STAGES, STATUSES
from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import IdNumber, Phone

GENDERS = ("male", "female")
CLASSIFICATIONS = ("in_work", "retired", "mobile")


class _PersonDetails(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    ethnicity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    phone = Phone(load_default=None, allow_none=True)
    education = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    occupation = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    party_group = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class PersonIn(_PersonDetails):
    unit_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    gender = fields.String(load_default=None, validate=validate.OneOf(GENDERS), metadata={
        "description": "required unless id_number is given (its 17th digit gives it)"})
    birth_date = fields.Date(load_default=None, metadata={"description": "required unless id_number is given"})
    id_number = IdNumber(load_default=None, allow_none=True,
                         metadata={"description": "national ID number; stored encrypted, shown masked"})
    stage = fields.String(load_default="applicant", validate=validate.OneOf(STAGES))
    classification = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CLASSIFICATIONS))
    applied_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "for a new applicant: records step 1 (the application) at once"})
    activist_since = fields.Date(load_default=None, allow_none=True)
    target_since = fields.Date(load_default=None, allow_none=True)
    probationary_since = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the date of the admission vote"})
    full_member_since = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the conversion date: party standing counts from it"})
    reached_step = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(min=0, max=25),
                                  metadata={"description": "the last of the 25 steps already done (registering "
                                                           "someone mid-way); defaults from the stage"})


class PersonPatch(_PersonDetails):
    id_number = IdNumber(allow_none=True, metadata={"description": "only a role with PII rights may change it"})


class PartyStanding(Schema):
    since = fields.Date(allow_none=True)
    years = WholeNumber(allow_none=True)


class PersonOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    name = fields.String()
    gender = fields.String()
    ethnicity = fields.String(allow_none=True)
    birth_date = fields.Date()
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    phone = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    pii_masked = fields.Boolean()
    education = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)
    stage = fields.String()
    status = fields.String()
    classification = fields.String(allow_none=True)
    reached_step = WholeNumber()
    applied_on = fields.Date(allow_none=True)
    activist_since = fields.Date(allow_none=True)
    target_since = fields.Date(allow_none=True)
    probationary_since = fields.Date(allow_none=True)
    probation_ends_on = fields.Date(allow_none=True)
    extensions = WholeNumber()
    full_member_since = fields.Date(allow_none=True)
    party_standing = fields.Nested(PartyStanding)
    party_group = fields.String(allow_none=True)
    out_of_contact_since = fields.Date(allow_none=True)
    suspended_on = fields.Date(allow_none=True)
    party_probation_since = fields.Date(allow_none=True)
    party_probation_until = fields.Date(allow_none=True)
    rights_restored_on = fields.Date(allow_none=True)
    correction_until = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)
    left_reason = fields.String(allow_none=True)
    version = WholeNumber()


class PersonSummaryOut(Schema):
    """A person as a list shows them (``GET /people/{id}`` has every field)."""
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    name = fields.String()
    gender = fields.String()
    birth_date = fields.Date()
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    phone = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    pii_masked = fields.Boolean()
    stage = fields.String()
    status = fields.String()
    classification = fields.String(allow_none=True)
    reached_step = WholeNumber()
    probationary_since = fields.Date(allow_none=True)
    full_member_since = fields.Date(allow_none=True)
    version = WholeNumber()


PersonPage = page_schema(PersonSummaryOut)


class PersonListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})
    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class PersonBrief(Schema):
    id = fields.String()
    stage = fields.String()
    status = fields.String()
    reached_step = WholeNumber()
    version = WholeNumber()
