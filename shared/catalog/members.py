"""Events the members service publishes.

Every event about a person carries the person's current state (event-carried
state transfer): consumers upsert it by ``person_version`` and never need to
ask the members service anything.
"""
from marshmallow import Schema, fields, validate

from . import DeadlineReminder, event

STAGES = ("applicant", "activist", "target", "probationary", "full")
STATUSES = ("active", "suspended", "left")


class PersonState(Schema):
    id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    name = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    full_member_since = fields.Date(allow_none=True, metadata={"description": "conversion date: party standing"})
    probationary_since = fields.Date(allow_none=True)
    classification = fields.String(allow_none=True, metadata={"description": "in_work, retired, mobile"})
    person_version = fields.Integer(required=True)


@event("members.person.created")
class PersonCreated(PersonState):
    """A person was registered in a unit (a branch), by hand or by import."""


@event("members.stage.changed")
class StageChanged(PersonState):
    """A person moved to another stage of the development procedure (or back, by a recorded reversal)."""

    from_stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    changed_on = fields.Date(required=True)
    step = fields.String(required=True)


@event("members.member.transferred")
class MemberTransferred(PersonState):
    """A member's organizational relationship moved to another branch (组织关系转接 completed)."""

    from_unit_id = fields.UUID(required=True)
    transferred_on = fields.Date(required=True)


@event("members.member.left")
class MemberLeft(PersonState):
    """A member left the party (death, withdrawal, removal, expulsion, probation cancelled) or this province's
    roll (``transferred_out``: the organizational relationship moved to a party organization outside it)."""

    reason = fields.String(required=True, validate=validate.OneOf(("death", "withdrawal", "removal", "expulsion",
                                                                   "cancelled", "transferred_out")))
    left_on = fields.Date(required=True)


@event("members.review.recorded")
class ReviewRecorded(Schema):
    """A branch's yearly democratic review of members (民主评议党员) was recorded."""

    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True)
    excellent = fields.Integer(required=True)
    qualified = fields.Integer(required=True)
    basically_qualified = fields.Integer(required=True)
    unqualified = fields.Integer(required=True)


@event("members.points.awarded")
class PointsAwarded(Schema):
    """Quantified points (量化积分) were awarded to a member."""

    award_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True)
    points = fields.Float(required=True)
    source = fields.String(required=True)


@event("members.person.updated")
class PersonUpdated(PersonState):
    """A person's details, classification or status (suspension, restoration) changed; stage changes, transfers
    and leaving have their own events."""


@event("members.step.recorded")
class StepRecorded(Schema):
    """A step of the development procedure was recorded, with the deadlines it missed (or a reversal of one)."""

    step_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    number = fields.Integer(allow_none=True, metadata={"description": "1-25; null for notices and extra reviews"})
    kind = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    breaches = fields.List(fields.String(), required=True,
                           metadata={"description": "rule codes of the deadlines this step missed"})
    reverses_step_id = fields.UUID(allow_none=True, metadata={
        "description": "set on a reversal: the step it undoes (its breaches no longer count)"})
    person_version = fields.Integer(required=True)


# ----------------------------------------------------------------------------- party dues (DUES.*)
# Amounts are decimal text in yuan to the fen ("15.00"), never binary floats; months are "YYYY-MM".

DUES_CATEGORIES = ("employed", "retired", "farmer", "student", "unemployed", "minimum_living")
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$")


@event("members.dues.based")
class DuesBased(Schema):
    """A member's dues base (DUES.BASE) or flat category was recorded, with the monthly amount it gives."""

    base_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True)
    effective_from = fields.String(required=True, validate=MONTH)
    category = fields.String(required=True, validate=validate.OneOf(DUES_CATEGORIES))
    base = fields.Decimal(allow_none=True, as_string=True, metadata={"description": "null for a flat category"})
    rate = fields.Decimal(allow_none=True, as_string=True)
    amount = fields.Decimal(required=True, as_string=True, metadata={"description": "monthly dues, yuan"})


@event("members.dues.billed")
class DuesBilled(Schema):
    """A branch's dues bills for a month were generated (DUES.MONTHLY): how many new ones and what they add up to."""

    unit_id = fields.UUID(required=True)
    month = fields.String(required=True, validate=MONTH)
    bills = fields.Integer(required=True)
    amount = fields.Decimal(required=True, as_string=True)


@event("members.dues.paid")
class DuesPaid(Schema):
    """A member paid dues for whole months: monthly, quarterly, in advance, or arrears paid later."""

    payment_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    paid_on = fields.Date(required=True)
    from_month = fields.String(required=True, validate=MONTH)
    to_month = fields.String(required=True, validate=MONTH)
    kind = fields.String(required=True, validate=validate.OneOf(("monthly", "quarterly", "advance", "arrears")))
    amount = fields.Decimal(required=True, as_string=True)
    due = fields.Decimal(required=True, as_string=True)


@event("members.dues.overdue")
class DuesOverdue(Schema):
    """A member's dues are unpaid for six consecutive months (DUES.ARREARS): a ground of MEMBERS.UNQUALIFIED
    is in the management records, for the branch to decide on (never a removal by itself)."""

    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    action_id = fields.UUID(required=True)
    since = fields.String(required=True, validate=MONTH)
    until = fields.String(required=True, validate=MONTH)
    months = fields.Integer(required=True)
    outstanding = fields.Decimal(required=True, as_string=True)


@event("members.deadline.approaching")
class MembersDeadlineApproaching(DeadlineReminder):
    """Talk, assessment, approval, oath, probation end or conversion approval due in N days (once per threshold).

    Data: ``DeadlineReminder`` (``shared/catalog/__init__.py``); job: ``shared/reminders.py``.
    """


@event("members.deadline.overdue")
class MembersDeadlineOverdue(DeadlineReminder):
    """A development or membership deadline passed yesterday unmet (or within the catch-up days; sent once)."""
@event("members.dues.subsidized")
class DuesSubsidized(Schema):
    """Part of the dues a committee collected went back to a grassroots organization for its activities
    (DUES.SUBSIDY, 党费补助): org records it as the unit's support funds with source ``dues_subsidy``."""

    subsidy_id = fields.UUID(required=True)
    from_unit_id = fields.UUID(required=True, metadata={"description": "the committee that granted it"})
    unit_id = fields.UUID(required=True, metadata={"description": "the organization that received it"})
    year = fields.Integer(required=True)
    amount = fields.Decimal(required=True, as_string=True, metadata={"description": "yuan, to the fen"})
    granted_on = fields.Date(required=True)
    note = fields.String(allow_none=True)


# ----------------------------------------------------------------------------- transfer letters (TRANSFER.*)

class TransferLetterState(Schema):
    """A transfer letter's whole state (介绍信 with its stub and receipt) and its version."""

    letter_id = fields.Integer(required=True)
    transfer_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    number = fields.String(required=True, metadata={"description": "this province's number (鲁组转〔2026〕第000123号) "
                                                                   "or, for a letter from outside, the issuer's"})
    direction = fields.String(required=True, validate=validate.OneOf(("within", "out_of_province", "into_province")))
    from_unit_id = fields.UUID(allow_none=True, metadata={"description": "null: the sending side is outside"})
    to_unit_id = fields.UUID(allow_none=True, metadata={"description": "null: the receiving side is outside"})
    issued_on = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("issued", "arrived", "expired", "reissued",
                                                                   "cancelled")))
    arrived_on = fields.Date(allow_none=True)
    receipt_due_on = fields.Date(allow_none=True)
    receipt_returned_on = fields.Date(allow_none=True)
    breaches = fields.List(fields.String(), required=True, metadata={
        "description": "deadlines recorded late: TRANSFER.REPORT_IN, TRANSFER.RECEIPT"})
    letter_version = fields.Integer(required=True)


@event("members.letter.issued")
class TransferLetterIssued(TransferLetterState):
    """A transfer letter was issued (TRANSFER.LETTER), or reissued after it expired."""


@event("members.letter.arrived")
class TransferLetterArrived(TransferLetterState):
    """The member reported in with the letter (TRANSFER.REPORT_IN; late: the breach is listed); the receipt is
    now due (TRANSFER.RECEIPT)."""


@event("members.letter.receipt_returned")
class TransferLetterReceiptReturned(TransferLetterState):
    """The receipt (回执) came back to the sending committee (TRANSFER.RECEIPT; late: the breach is listed)."""


@event("members.letter.expired")
class TransferLetterExpired(TransferLetterState):
    """A letter past its validity without arrival was recorded expired (TRANSFER.LETTER); it may be reissued."""
