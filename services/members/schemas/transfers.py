"""Transfers of organizational relations (组织关系转接)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .letters import ExternalSide, IncomingLetterIn, LetterOut

TRANSFER_STATUSES = ("requested", "accepted", "completed", "rejected", "cancelled")


class TransferIn(Schema):
    """One of: ``to_unit_id`` (within the province), ``to_external`` (out of it: its letter is issued here) or
    ``from_external`` with ``letter`` (into it: the person registered in the receiving unit has arrived)."""

    person_id = fields.UUID(required=True)
    to_unit_id = fields.UUID(load_default=None)
    to_external = fields.Nested(ExternalSide, load_default=None, metadata={
        "description": "the receiving party organization outside the province"})
    from_external = fields.Nested(ExternalSide, load_default=None, metadata={
        "description": "the sending party organization outside the province"})
    letter = fields.Nested(IncomingLetterIn, load_default=None, metadata={
        "description": "with from_external: the letter the member brought"})
    requested_on = fields.Date(load_default=None, metadata={
        "description": "the day the sending side requests it (its letter is issued that day); not with from_external"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _one_side(self, data, **_kwargs):
        sides = [name for name in ("to_unit_id", "to_external", "from_external") if data.get(name)]
        if len(sides) != 1:
            raise ValidationError("give exactly one of to_unit_id, to_external, from_external", "to_unit_id")
        if data.get("from_external"):
            if not data.get("letter"):
                raise ValidationError("the letter the member brought", "letter")
        else:
            if data.get("letter"):
                raise ValidationError("only a transfer into the province brings a letter", "letter")
            if data.get("requested_on") is None:
                raise ValidationError("Missing data for required field.", "requested_on")


class TransferPatch(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("accepted", "completed", "rejected", "cancelled")))
    on = fields.Date(required=True)


class TransferOut(Schema):
    id = fields.String()
    person_id = fields.String()
    person_name = fields.String()
    from_unit_id = fields.String(allow_none=True, metadata={"description": "null: from outside the province"})
    to_unit_id = fields.String(allow_none=True, metadata={"description": "null: out of the province"})
    scope = fields.String(metadata={"description": "within, out_of_province or into_province"})
    from_external = fields.Nested(ExternalSide, allow_none=True)
    to_external = fields.Nested(ExternalSide, allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    requested_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    direction = fields.String(allow_none=True,
                              metadata={"description": "out, in or both, seen from the caller's subtree"})
    letter = fields.Nested(LetterOut, allow_none=True, metadata={"description": "the letter in force"})
    letters = fields.List(fields.Nested(LetterOut), metadata={"description": "every letter, a reissued one first"})
    version = WholeNumber()


TransferPage = page_schema(TransferOut)


class TransferListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(TRANSFER_STATUSES))
