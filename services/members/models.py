"""The members service's tables.

Every record that belongs to an org unit carries the unit's path (``org_path``, byte-ordered) so
that scope checks and subtree lists are index range scans.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, HashString, PathString, UTCDateTime, compare_version, new_id, utcnow
from shared.models import kit_models


class Base(DeclarativeBase):
    pass


kit = kit_models(Base, deadline_reminders=True, import_jobs=True)
OrgUnitView = kit.OrgUnitView


class Person(Base):
    """A person on the road to membership or a member (入党申请人 … 正式党员).

    The national ID number and the phone are stored encrypted (AES-GCM) with their masked form for
    roles without PII rights; the ID's keyed hash (HMAC) makes it unique without storing it in clear.
    """

    __tablename__ = "people"
    __table_args__ = (
        Index("ix_people_org_path_id", "org_path", "id"),
        UniqueConstraint("id_number_hash", name="uq_people_id_number_hash"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    #: the unit's path when the person was last placed: scope checks and subtree lists use it
    org_path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(10))
    ethnicity: Mapped[str | None] = mapped_column(String(40), nullable=True)
    birth_date: Mapped[date] = mapped_column(Date)
    id_number_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    id_number_hash: Mapped[str | None] = mapped_column(HashString, nullable=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(24), nullable=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone_masked: Mapped[str | None] = mapped_column(String(24), nullable=True)
    education: Mapped[str | None] = mapped_column(String(40), nullable=True)
    occupation: Mapped[str | None] = mapped_column(String(100), nullable=True)
    stage: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30), default="active")
    classification: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: the last of the 25 steps reached (0: not even the application is recorded)
    reached_step: Mapped[int] = mapped_column(Integer, default=0)
    applied_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    activist_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: the admission vote: probation counts from it (MEMBERS.PROBATION)
    probationary_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    probation_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    #: the conversion: party standing counts from it
    full_member_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    party_group: Mapped[str | None] = mapped_column(String(100), nullable=True)
    out_of_contact_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    suspended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: 留党察看 (probation within the party) and the restoration of rights
    party_probation_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    party_probation_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    rights_restored_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    correction_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    persuasion_refused_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    import_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StepRecord(Base):
    """One recorded step of the procedure (or a side record, or a reversal). Never deleted: a mistaken
    record is reversed by a later record, and the person's fields it changed are restored from ``before``."""

    __tablename__ = "steps"
    __table_args__ = (Index("ix_steps_person_seq", "person_id", "seq"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_on: Mapped[date] = mapped_column(Date)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    #: deadlines this step missed: ``Violation.as_dict()`` each
    breaches: Mapped[list] = mapped_column(JSON, default=list)
    #: the person's fields this step changed, as they were before it (for a reversal)
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    reverses_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reversed_by_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deadline(Base):
    """A date something must happen by (or, for a probation end, the date it can happen from).

    Opened by the step or action that starts the clock, met by the one that stops it, with
    ``breached`` set when the rule says it was late. Alerts read the open ones set-wise.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_open", "org_path", "due_on",
              sqlite_where=text("met_on IS NULL AND cancelled_on IS NULL"),
              postgresql_where=text("met_on IS NULL AND cancelled_on IS NULL")),
        Index("ix_deadlines_person", "person_id"),
        #: the open deadlines by due date alone: the daily reminders read today's bands province-wide
        Index("ix_deadlines_open_due", "due_on", sqlite_where=text("met_on IS NULL AND cancelled_on IS NULL"),
              postgresql_where=text("met_on IS NULL AND cancelled_on IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    kind: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(50))
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    met_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    opened_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    met_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class TrainingCredit(Base):
    """A training requirement met, as the training service reported it (``training.requirement.met``)."""

    __tablename__ = "training_credits"
    __table_args__ = (UniqueConstraint("person_id", "requirement", "year", name="uq_training_credit"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36))
    requirement: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    met_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_id: Mapped[str] = mapped_column(String(36))


class ManagementAction(Base):
    """Member management: out of contact, suspension, unqualified handling, leaving, 留党察看, classification."""

    __tablename__ = "management_actions"
    __table_args__ = (Index("ix_management_person", "person_id", "occurred_on"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Transfer(Base):
    """A transfer of a member's organizational relationship (组织关系转接); both branches see it."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_from_path", "from_path", "id"),
        Index("ix_transfers_to_path", "to_path", "id"),
        Index("ix_transfers_person", "person_id"),
        Index("ix_transfers_completed", "completed_on"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    person_name: Mapped[str] = mapped_column(String(100))
    #: ``within`` the province, ``out_of_province`` (the receiving side is outside Zhibu: ``external_*``),
    #: ``into_province`` (the sending side is outside), or ``dissolution`` (the unit was dissolved: the
    #: members moved with it, recorded as a completed transfer so that history knows where they were)
    direction: Mapped[str] = mapped_column(String(20), default="within")
    from_unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    from_path: Mapped[str | None] = mapped_column(PathString, nullable=True)
    to_unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    to_path: Mapped[str | None] = mapped_column(PathString, nullable=True)
    #: the other side, outside the province: the organization's name and its address
    external_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    external_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requested_on: Mapped[date] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TransferLetter(Base):
    """The introduction letter (介绍信) of a transfer, with its stub (存根) and receipt (回执): TRANSFER.*.

    A letter this province issues has a number unique in the province (``number``: ``seq`` of ``year`` in the
    configured format); a letter from outside keeps the issuer's number (``external_number``). A reissued
    letter is closed (``reissued``) and its successor names it (``reissue_of_id``). The integer id gives the
    letter's alerts their ids in the alerts list (``-id``)."""

    __tablename__ = "transfer_letters"
    __table_args__ = (
        UniqueConstraint("number", name="uq_transfer_letters_number"),
        Index("ix_transfer_letters_transfer", "transfer_id"),
        Index("ix_transfer_letters_open", "status", "valid_until"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    transfer_id: Mapped[str] = mapped_column(String(36))
    person_id: Mapped[str] = mapped_column(String(36))
    number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    external_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    #: the last month the member's dues are paid for (from the dues records), or None: none paid
    dues_paid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: issued, arrived, expired, reissued, cancelled
    status: Mapped[str] = mapped_column(String(20), default="issued")
    arrived_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    receipt_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    receipt_returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    expired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reissue_of_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: deadlines recorded late (TRANSFER.REPORT_IN, TRANSFER.RECEIPT): ``Violation.as_dict()`` each
    breaches: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LetterCounter(Base):
    """The last letter number issued in a year (TRANSFER.LETTER): one row per year, taken under its row lock."""

    __tablename__ = "transfer_letter_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Review(Base):
    """A branch's yearly democratic review of members (民主评议党员)."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_reviews_unit_year"),
                      Index("ix_reviews_org_path", "org_path", "id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    excellent: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    basically_qualified: Mapped[int] = mapped_column(Integer)
    unqualified: Mapped[int] = mapped_column(Integer)
    not_graded: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewGrade(Base):
    __tablename__ = "review_grades"
    review_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grade: Mapped[str] = mapped_column(String(30))


class MeetingAttendance(Base):
    """Who was present at a meeting of organizational life as org last reported it (org.meeting.recorded): the
    attendance points (MEMBERS.POINTS) follow each newer version of the ledger, never an older one."""

    __tablename__ = "meeting_attendance"
    meeting_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    meeting_version: Mapped[int] = mapped_column(Integer)
    present: Mapped[list] = mapped_column(JSON, default=list)


class PointAward(Base):
    """One line of the quantified-points ledger (量化积分), with its source."""

    __tablename__ = "point_awards"
    __table_args__ = (
        Index("ix_points_unit_year", "unit_id", "year"),
        Index("ix_points_person_year", "person_id", "year"),
        Index("ix_points_org_path", "org_path", "id"),
        UniqueConstraint("person_id", "reference", name="uq_points_reference"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    awarded_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(30))
    points: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: the caller's reference (an activity id, say): the same award is not counted twice
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(Base):
    """A bulk import that succeeded (a failed one writes nothing)."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_org_path", "org_path", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_path: Mapped[str] = mapped_column(PathString)
    format: Mapped[str] = mapped_column(String(10))
    total: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    existing: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)



# ----------------------------------------------------------------------------- party dues (DUES.*)
# Amounts are whole fen (分) in integer columns: exact in SQL sums on every database; Decimal in Python.

class DuesBase(Base):
    """A member's dues base for a year from a month on (DUES.BASE), with what it was derived from, or a flat
    category (DUES.RATE), and the monthly amount the rules give. One per person and month it takes effect."""

    __tablename__ = "dues_bases"
    __table_args__ = (UniqueConstraint("person_id", "effective_from", name="uq_dues_bases_person_month"),
                      Index("ix_dues_bases_org_path", "org_path", "id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    #: the first day of the month it takes effect (January, or the month the income changed)
    effective_from: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    #: [{"item": ..., "amount": "1234.56"}] and [{"kind": "income_tax", "amount": ...}]
    income: Mapped[list] = mapped_column(JSON, default=list)
    deductions: Mapped[list] = mapped_column(JSON, default=list)
    base_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rate: Mapped[str | None] = mapped_column(String(12), nullable=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuesBill(Base):
    """What one member owes for one month (DUES.MONTHLY), and what of it is paid, when, by which payment."""

    __tablename__ = "dues_bills"
    __table_args__ = (UniqueConstraint("person_id", "month", name="uq_dues_bills_person_month"),
                      Index("ix_dues_bills_org_path_month", "org_path", "month"),
                      Index("ix_dues_bills_unit_month", "unit_id", "month"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    month: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    due_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    payment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: paid after its month ended: arrears paid later, recorded as such
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class DuesPayment(Base):
    """One payment of whole months (monthly, quarterly, in advance, or arrears), by hand or imported."""

    __tablename__ = "dues_payments"
    __table_args__ = (UniqueConstraint("person_id", "reference", name="uq_dues_payments_reference"),
                      Index("ix_dues_payments_org_path", "org_path", "paid_on"),
                      Index("ix_dues_payments_person", "person_id", "paid_on"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    paid_on: Mapped[date] = mapped_column(Date)
    from_month: Mapped[date] = mapped_column(Date)
    to_month: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_fen: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(20))
    #: the bank's or the platform's transaction number: the same payment imported twice is one
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    import_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuesSubsidy(Base):
    """Part of the dues collected given back to a grassroots organization for its activities (DUES.SUBSIDY),
    by the committee that collected them; org records it as support funds of source ``dues_subsidy``."""

    __tablename__ = "dues_subsidies"
    __table_args__ = (Index("ix_dues_subsidies_org_path", "org_path", "id"),
                      Index("ix_dues_subsidies_from_year", "from_unit_id", "year"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    from_unit_id: Mapped[str] = mapped_column(String(36))
    from_path: Mapped[str] = mapped_column(PathString)
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    granted_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# the org read-model is the kit's; this service looks units up by code (imports) and lists children (reports)
Index("ix_org_unit_view_code", OrgUnitView.__table__.c.code)
Index("ix_org_unit_view_parent", OrgUnitView.__table__.c.parent_id)
