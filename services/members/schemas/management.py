"""Management actions (党员管理: removal, correction, persuasion, expulsion, probation, classification),
discriminated by ``kind``: each kind has its own payload schema, listed in ``ACTION_SCHEMAS``."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import page_schema
from shared.numbers import WholeNumber

from .common import Kinded
from .people import CLASSIFICATIONS, PersonBrief


class _Action(Schema):
    kind = fields.String(required=True)
    date = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class PlainAction(_Action):
    """out_of_contact, contact_restored, suspension, withdrawal, death, rights_restored."""


class RemovalAction(_Action):
    """除名 on a ground of MEMBERS.OUT_OF_CONTACT or MEMBERS.UNQUALIFIED."""
    ground = fields.String(required=True, validate=validate.OneOf(
        ("out_of_contact", "no_party_life", "correction_failed", "persuasion_refused")))
    since = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "no_party_life: since when no party life, dues or assigned work"})


class CorrectionAction(_Action):
    """限期改正 (MEMBERS.UNQUALIFIED): at most 1 year."""
    until = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CorrectionResultAction(_Action):
    corrected = fields.Boolean(required=True)


class PersuasionAction(_Action):
    """劝退: accepted, the member withdraws; refused, it is a ground for removal."""
    accepted = fields.Boolean(required=True)


class ExpulsionAction(_Action):
    decided_by = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PartyProbationAction(_Action):
    """留党察看 for 1 or 2 years."""
    months = WholeNumber(required=True, validate=validate.OneOf((12, 24)))


class ClassificationAction(_Action):
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    fixed_place = fields.Boolean(load_default=False, metadata={
        "description": "mobile at a fixed place: the membership should transfer after 6 months (MEMBERS.TRANSFER)"})


ACTION_SCHEMAS: dict[str, type[Schema]] = {
    "out_of_contact": PlainAction, "contact_restored": PlainAction, "suspension": PlainAction,
    "removal": RemovalAction, "correction": CorrectionAction, "correction_result": CorrectionResultAction,
    "persuasion": PersuasionAction, "withdrawal": PlainAction, "death": PlainAction, "expulsion": ExpulsionAction,
    "party_probation": PartyProbationAction, "rights_restored": PlainAction, "classification": ClassificationAction,
}


class ActionIn(Kinded):
    """One management action: ``kind`` and its fields."""
    kinds = ACTION_SCHEMAS
    kind = fields.String(required=True, validate=validate.OneOf(list(ACTION_SCHEMAS)))


class ActionOut(Schema):
    id = fields.String()
    person_id = fields.String()
    kind = fields.String()
    occurred_on = fields.Date()
    payload = fields.Dict()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    person = fields.Nested(PersonBrief)


ActionPage = page_schema(ActionOut)
