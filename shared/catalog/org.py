"""Events the org service publishes."""
from marshmallow import Schema, fields, validate

from . import DeadlineReminder, event

UNIT_KINDS = ("province", "city", "county", "township", "grassroots_committee",
              "general_branch", "branch", "joint_branch", "party_group")


class _UnitFields(Schema):
    id = fields.UUID(required=True)
    key = fields.String(required=True, metadata={"description": "this unit's own segment of every path"})
    path = fields.String(required=True)
    parent_id = fields.UUID(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(allow_none=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    status = fields.String(required=True)
    established_on = fields.Date(allow_none=True)
    unit_version = fields.Integer(required=True, metadata={"description": "the unit's version; a newer one wins"})


@event("org.unit.created")
class UnitCreated(_UnitFields):
    """An org unit was created (or imported)."""


@event("org.unit.updated")
class UnitUpdated(_UnitFields):
    """An org unit's name, code, domain, kind or status changed."""


@event("org.unit.moved")
class UnitMoved(_UnitFields):
    """An org unit moved under another parent; every path under ``old_path`` now starts with ``path``."""

    old_path = fields.String(required=True)


@event("org.unit.dissolved")
class UnitDissolved(_UnitFields):
    """An org unit was dissolved; its active members, if any, move to ``members_moved_to`` in the same act."""

    members_moved_to = fields.UUID(allow_none=True, metadata={
        "description": "the unit every active member of the dissolved unit now belongs to"})


SEAT_ROLES = ("secretary", "deputy_secretary", "organization", "propaganda", "discipline", "other")


class Seat(Schema):
    role = fields.String(required=True, validate=validate.OneOf(SEAT_ROLES))
    person_id = fields.UUID(allow_none=True, metadata={"description": "null while the seat is vacant"})
    since = fields.Date(allow_none=True)


class _CommitteeFields(Schema):
    unit_id = fields.UUID(required=True)
    committee_id = fields.UUID(required=True)
    elected_on = fields.Date(required=True)
    term_ends_on = fields.Date(required=True)
    seats = fields.List(fields.Nested(Seat), required=True,
                        metadata={"description": "every seat as it stands now (the full state, not a delta)"})
    secretary_vacant_since = fields.Date(allow_none=True)
    committee_version = fields.Integer(required=True)


@event("org.committee.elected")
class CommitteeElected(_CommitteeFields):
    """A branch (or higher) committee was elected (换届); the seats are its whole membership."""


@event("org.committee.changed")
class CommitteeChanged(_CommitteeFields):
    """A seat fell vacant, was filled by by-election, or the upper committee approved a secretary."""

    change = fields.String(required=True, validate=validate.OneOf(
        ("vacancy", "by_election", "approval", "term_extended")))


MEETING_TYPES = ("general_meeting", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                 "review_meeting", "heart_to_heart_talk", "member_review")


class MeetingAttendee(Schema):
    person_id = fields.UUID(required=True)
    attendance = fields.String(required=True, validate=validate.OneOf(("present", "absent", "leave")))


@event("org.meeting.recorded")
class MeetingRecorded(Schema):
    """A meeting of organizational life (三会一课 and the rest) was recorded."""

    meeting_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(MEETING_TYPES))
    held_on = fields.Date(required=True)
    entitled = fields.Integer(allow_none=True)
    present = fields.Integer(allow_none=True)
    quorate = fields.Boolean(required=True)
    counts = fields.Boolean(required=True, metadata={"description": "false when a quorum was required and missed"})
    by_secretary = fields.Boolean(allow_none=True, metadata={
        "description": "a party lecture given by the unit's secretary (LIFE.LECTURE: at least 1 a year)"})
    meeting_version = fields.Integer(allow_none=True, metadata={
        "description": "the meeting's version: a correction carries a higher one (the newer ledger wins)"})
    attendees = fields.List(fields.Nested(MeetingAttendee), allow_none=True, metadata={
        "description": "the ledger's attendees known by person (members' quantified points count attendance)"})


@event("org.support.changed")
class SupportChanged(Schema):
    """A unit's organizers, activity funds or venue changed."""

    unit_id = fields.UUID(required=True)
    has_venue = fields.Boolean(required=True)
    venue_area_m2 = fields.Float(allow_none=True)
    organizers = fields.Integer(required=True)
    funds_total = fields.Float(required=True, metadata={"description": "activity funds received in funds_year"})
    funds_year = fields.Integer(allow_none=True, metadata={"description": "the year funds_total covers"})


@event("org.liaison.changed")
class LiaisonChanged(Schema):
    """A leader's liaison branch (联系点) was assigned or ended."""

    liaison_id = fields.UUID(required=True)
    leader_name = fields.String(required=True)
    unit_id = fields.UUID(required=True)
    active = fields.Boolean(required=True)


@event("org.deadline.approaching")
class OrgDeadlineApproaching(DeadlineReminder):
    """A committee's term, a secretary seat empty 3 months, or a period without its meeting ends in N days.

    Data: ``DeadlineReminder`` (``shared/catalog/__init__.py``); job: ``shared/reminders.py``.
    """


@event("org.deadline.overdue")
class OrgDeadlineOverdue(DeadlineReminder):
    """A term ended, a secretary seat has been empty 3 months, or a period ended without its meeting (sent once)."""


class RaisedPoint(Schema):
    """A point raised at a hearing or a finding of a screening; ``problem`` puts it on the branch's problem list."""

    text = fields.String(required=True)
    problem = fields.Boolean(required=True)
    responsible = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)


@event("org.hearing.recorded")
class HearingRecorded(Schema):
    """A committee heard a branch's work report (LIFE.HEARING), or a hearing was corrected (the whole new state)."""

    hearing_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True, metadata={"description": "the branch heard"})
    committee_unit_id = fields.UUID(required=True)
    held_on = fields.Date(required=True)
    reporter = fields.String(required=True)
    points = fields.List(fields.Nested(RaisedPoint), required=True)
    hearing_version = fields.Integer(required=True, metadata={"description": "a newer version wins"})


@event("org.screening.recorded")
class ScreeningRecorded(Schema):
    """A branch's record in its county's yearly screening (LIFE.SCREENING), or its correction (the whole state)."""

    record_id = fields.UUID(required=True)
    campaign_id = fields.UUID(required=True)
    county_unit_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True, metadata={"description": "the branch screened"})
    year = fields.Integer(required=True)
    screened_on = fields.Date(required=True)
    screened_by = fields.String(required=True)
    findings = fields.List(fields.Nested(RaisedPoint), required=True)
    record_version = fields.Integer(required=True, metadata={"description": "a newer version wins"})


ASSESSMENTS = ("good", "fairly_good", "average", "poor")


@event("org.secretary.assessed")
class SecretaryAssessed(Schema):
    """A secretary's yearly report and its assessment (述职评议, LIFE.SECRETARY_REPORT), or its correction."""

    report_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True)
    secretary_name = fields.String(required=True)
    secretary_person_id = fields.UUID(allow_none=True)
    assessment = fields.String(required=True, validate=validate.OneOf(ASSESSMENTS), metadata={
        "description": "好 good, 较好 fairly_good, 一般 average, 差 poor"})
    assessed_by = fields.String(required=True)
    assessed_on = fields.Date(required=True)
    report_version = fields.Integer(required=True, metadata={"description": "a newer version wins"})
