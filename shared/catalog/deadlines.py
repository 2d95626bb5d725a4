"""The data of every service's deadline reminders (``<service>.deadline.approaching`` and
``<service>.deadline.overdue``), published by its daily job (``shared/reminders.py``).

One shape for all four services, so that a platform or the e-mail digest reads them alike: the rule
code, what is due (``kind``), who or what it is about (the subject: a person, a unit or a problem;
the envelope's ``org_path`` is the subject's, for scope filtering), the unit that answers for it, the
due date, the threshold that fired and the message in Chinese and English. The service's alert and
overdue endpoints stay the source of truth: a reminder is sent once, the state is read there.
"""
from marshmallow import Schema, fields, validate

SUBJECT_TYPES = ("person", "unit", "problem")


class DeadlineReminder(Schema):
    rule = fields.String(required=True, metadata={"description": "the rule code, e.g. MEMBERS.TALK_DEADLINE"})
    kind = fields.String(required=True, metadata={"description": "what is due, e.g. talk, term, general_meeting"})
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.UUID(required=True)
    subject_name = fields.String(allow_none=True)
    unit_id = fields.UUID(required=True, metadata={"description": "the unit the subject belongs to"})
    responsible_unit_id = fields.UUID(allow_none=True, metadata={"description": "the unit that answers for it"})
    due_on = fields.Date(required=True)
    days_before = fields.Integer(allow_none=True, metadata={
        "description": "the threshold that fired (30, 7, ... days before); null for the overdue reminder"})
    days_left = fields.Integer(required=True, metadata={
        "description": "days from as_of to due_on (fewer than days_before when a run was caught up; "
                       "negative when overdue)"})
    as_of = fields.Date(required=True)
    message_zh = fields.String(required=True)
    message_en = fields.String(required=True)
