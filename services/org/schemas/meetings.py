"""Meetings of organizational life (组织生活: 三会一课 and the rest) and the life report."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.catalog.org import MEETING_TYPES
from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import HEADCOUNT


class AttendeeIn(Schema):
    person_id = fields.UUID(load_default=None, allow_none=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    attendance = fields.String(required=True, validate=validate.OneOf(("present", "absent", "leave")))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AgendaItemIn(Schema):
    topic = fields.String(required=True, validate=validate.Length(min=1, max=300))
    decision = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FollowUpIn(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=500))
    owner = fields.String(required=True, validate=validate.Length(min=1, max=100))
    due_on = fields.Date(required=True)

    @validates_schema
    def _bounded(self, data, **_kwargs):
        if not 2000 <= data["due_on"].year <= 2100:
            raise ValidationError("a due date between 2000-01-01 and 2100-12-31", "due_on")


class MeetingIn(Schema):
    unit_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(MEETING_TYPES))
    held_on = fields.Date(required=True)
    entitled = WholeNumber(load_default=None, allow_none=True, validate=HEADCOUNT,
                              metadata={"description": "general meeting: full members entitled to vote; committee "
                                                       "meeting: committee members. Defaults to the unit's figure."})
    present = WholeNumber(load_default=None, allow_none=True, validate=HEADCOUNT)
    topic = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lecturer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    lecturer_person_id = fields.UUID(load_default=None, allow_none=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    status = fields.String(load_default="held", validate=validate.OneOf(("held", "scheduled")), metadata={
        "description": "held (today or earlier: what happened) or scheduled (a plan, today up to a year ahead; it "
                       "counts once a PATCH records it held)"})
    chair = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "who chaired"})
    recorder = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "who recorded"})
    attendees = fields.List(fields.Nested(AttendeeIn), validate=validate.Length(max=2000), metadata={
        "description": "everyone entitled, by person: present, absent (with a reason) or on leave; the headcounts "
                       "follow from it"})
    agenda = fields.List(fields.Nested(AgendaItemIn), validate=validate.Length(max=100),
                         metadata={"description": "the topics and their decisions"})
    follow_ups = fields.List(fields.Nested(FollowUpIn), validate=validate.Length(max=200),
                             metadata={"description": "items to follow up, with an owner and a due date (a plan: "
                                                      "it may lie ahead)"})

    @validates_schema
    def _present_within_entitled(self, data, **_kwargs):
        if data.get("entitled") is not None and data.get("present") is not None and data["present"] > data["entitled"]:
            raise ValidationError("more present than entitled", "present")


class MeetingPatch(Schema):
    """A correction of a meeting, or a scheduled one recorded as held (If-Match): only the fields given change."""

    held_on = fields.Date()
    status = fields.String(validate=validate.OneOf(("held", "scheduled")))
    entitled = WholeNumber(validate=HEADCOUNT)
    present = WholeNumber(validate=HEADCOUNT)
    topic = fields.String(validate=validate.Length(min=1, max=300))
    lecturer = fields.String(allow_none=True, validate=validate.Length(max=100))
    lecturer_person_id = fields.UUID(allow_none=True)
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    chair = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "who chaired"})
    recorder = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "who recorded"})
    attendees = fields.List(fields.Nested(AttendeeIn), validate=validate.Length(max=2000), metadata={
        "description": "everyone entitled, by person: present, absent (with a reason) or on leave; the headcounts "
                       "follow from it"})
    agenda = fields.List(fields.Nested(AgendaItemIn), validate=validate.Length(max=100),
                         metadata={"description": "the topics and their decisions"})
    follow_ups = fields.List(fields.Nested(FollowUpIn), validate=validate.Length(max=200),
                             metadata={"description": "items to follow up, with an owner and a due date (a plan: "
                                                      "it may lie ahead)"})

    @validates_schema
    def _something(self, data, **_kwargs):
        if not data:
            raise ValidationError("give at least one field to change", "_schema")


class MeetingOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    type = fields.String()
    held_on = fields.Date()
    entitled = WholeNumber(allow_none=True)
    present = WholeNumber(allow_none=True)
    quorate = fields.Boolean()
    counts = fields.Boolean()
    topic = fields.String()
    lecturer = fields.String(allow_none=True)
    lecturer_person_id = fields.String(allow_none=True)
    by_secretary = fields.Boolean()
    notes = fields.String(allow_none=True)
    breach = fields.Dict(allow_none=True, metadata={"description": "the quorum rule missed, if it was"})
    status = fields.String(metadata={"description": "held or scheduled"})
    version = WholeNumber()
    chair = fields.String(allow_none=True)
    recorder = fields.String(allow_none=True)
    attendees = fields.List(fields.Dict())
    agenda = fields.List(fields.Dict())
    follow_ups = fields.List(fields.Dict())


MeetingPage = page_schema(MeetingOut)


class MeetingListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    unit_id = fields.UUID(load_default=None)
    type = fields.String(load_default=None, validate=validate.OneOf(MEETING_TYPES))
    held_from = fields.Date(load_default=None, data_key="from")
    held_to = fields.Date(load_default=None, data_key="to")


class LifeTypeOut(Schema):
    type = fields.String()
    code = fields.String()
    frequency = fields.String()
    required = WholeNumber()
    held = WholeNumber()
    not_counted = WholeNumber()
    missed = fields.List(fields.String())
    ok = fields.Boolean()
    violation = fields.Dict(allow_none=True)


class LifeUnitOut(Schema):
    unit_id = fields.String()
    name = fields.String()
    kind = fields.String()
    types = fields.List(fields.Nested(LifeTypeOut))
    secretary_lectures = fields.Dict(allow_none=True)


class LifeOut(LifeUnitOut):
    held_from = fields.Date(data_key="from")
    held_to = fields.Date(data_key="to")
    groups = fields.List(fields.Nested(LifeUnitOut))
