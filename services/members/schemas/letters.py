"""Transfer letters (介绍信 with their stubs and receipts, TRANSFER.*) and the other side of a transfer to or
from outside the province."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.numbers import WholeNumber

from .dues import Month

LETTER_STATUSES = ("issued", "arrived", "expired", "reissued", "cancelled")
LETTER_ACTIONS = ("arrived", "receipt_returned", "expired", "reissued")


class ExternalSide(Schema):
    """The party organization on the other side, outside the province: its name and its address."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class IncomingLetterIn(Schema):
    """The letter a member brought from outside the province, and the day the member reported in."""

    number = fields.String(required=True, validate=validate.Length(min=1, max=60),
                           metadata={"description": "the issuing province's number"})
    issued_on = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "as the letter states (default: issued_on + transfer_letter_valid_months_outside)"})
    dues_paid_to = Month(load_default=None, allow_none=True, metadata={"description": "YYYY-MM, as the letter states"})
    arrived_on = fields.Date(required=True)


class LetterOut(Schema):
    id = WholeNumber()
    transfer_id = fields.String()
    person_id = fields.String()
    number = fields.String(metadata={"description": "鲁组转〔2026〕第000123号 (this province's), or the issuer's"})
    issued_here = fields.Boolean()
    issued_on = fields.Date()
    valid_until = fields.Date()
    dues_paid_to = fields.String(allow_none=True, metadata={"description": "YYYY-MM: dues paid up to this month"})
    status = fields.String(metadata={"description": ", ".join(LETTER_STATUSES)})
    arrived_on = fields.Date(allow_none=True)
    receipt_due_on = fields.Date(allow_none=True)
    receipt_returned_on = fields.Date(allow_none=True)
    expired_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    reissue_of_id = WholeNumber(allow_none=True)
    breaches = fields.List(fields.Dict(), metadata={"description": "deadlines recorded late: code, en, zh, facts"})
    version = WholeNumber()


class LetterPatch(Schema):
    action = fields.String(required=True, validate=validate.OneOf(LETTER_ACTIONS), metadata={
        "description": "arrived (a letter out of the province: the sending side records it), receipt_returned, "
                       "expired (past its validity, not arrived), reissued (an expired letter, once: a new number)"})
    on = fields.Date(required=True)


class LetterArgs(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx")), metadata={
        "description": "xlsx: the printable letter in the three-part layout (存根, 介绍信, 回执)"})
