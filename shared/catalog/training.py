"""Events the training service publishes."""
from marshmallow import Schema, fields, validate

from . import DeadlineReminder, event

CLASS_KINDS = ("secretary_rotation", "member_training", "committee_training", "target_training",
               "new_member_training", "new_secretary_training")
REQUIREMENTS = ("member_hours", "leader_hours", "secretary_rotation", "target_training", "new_member",
                "new_secretary")


@event("training.class.created")
class ClassCreated(Schema):
    """A training class was created by an organizing unit."""

    class_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CLASS_KINDS))
    organizer_unit_id = fields.UUID(required=True)
    level = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    capacity = fields.Integer(required=True)


@event("training.enrollment.changed")
class EnrollmentChanged(Schema):
    """A person was enrolled in or withdrawn from a class."""

    class_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    enrolled = fields.Boolean(required=True)


@event("training.attendance.recorded")
class AttendanceRecorded(Schema):
    """A person attended a session and was credited its class hours (never twice for one session)."""

    class_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CLASS_KINDS))
    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    attended_on = fields.Date(required=True)
    year = fields.Integer(required=True)
    hours = fields.Float(required=True)
    year_hours = fields.Float(required=True, metadata={"description": "the person's total for the year after this"})


@event("training.requirement.met")
class RequirementMet(Schema):
    """A person met a training requirement; ``target_training`` lets members pass MEMBERS.TARGET_TRAINING."""

    person_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    requirement = fields.String(required=True, validate=validate.OneOf(REQUIREMENTS))
    year = fields.Integer(required=True)
    met_on = fields.Date(required=True)
    hours = fields.Float(required=True)
    days = fields.Integer(allow_none=True)
    due_on = fields.Date(allow_none=True, metadata={
        "description": "for new_secretary and new_member: the date the training was due"})
    breach = fields.String(allow_none=True, metadata={
        "description": "the rule code (TRAIN.NEW_SECRETARY, TRAIN.NEW_MEMBER) when it was met after the due date"})


@event("training.deadline.approaching")
class TrainingDeadlineApproaching(DeadlineReminder):
    """A new secretary's (or new member's) training is due in N days and not yet attended (once per threshold).

    Data: ``DeadlineReminder`` (``shared/catalog/__init__.py``); job: ``shared/reminders.py``.
    """


@event("training.deadline.overdue")
class TrainingDeadlineOverdue(DeadlineReminder):
    """A new secretary's (or new member's) training deadline passed unmet (sent once)."""
