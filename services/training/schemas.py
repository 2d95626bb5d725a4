"""Request and response schemas of the training service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.catalog.training import CLASS_KINDS
from shared.dates import SHANGHAI
from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from . import rules

RULE_CODES = ("TRAIN.NEW_SECRETARY", "TRAIN.NEW_MEMBER")
GAPS = tuple(rules.GAP_NAMES)
CATEGORIES = ("secretary", "leader", "member")
YEAR = validate.Range(min=2000, max=2100)
#: a course's class hours at most (a session's at most 24)
MAX_HOURS = 2000


def half_hours(value: float) -> None:
    """Class hours are counted in halves (0.5, 1, 1.5 ...)."""
    if not 0 < value <= MAX_HOURS or (value * 2) != int(value * 2):
        raise ValidationError("class hours are a positive multiple of 0.5")


# ----------------------------------------------------------------------------- courses


class CourseIn(Schema):
    organizer_unit_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    topics = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                         validate=validate.Length(max=100))
    hours = fields.Float(required=True, validate=[validate.Range(min=0, min_inclusive=False, max=MAX_HOURS),
                                                  half_hours])


class CourseOut(Schema):
    id = fields.String()
    organizer_unit_id = fields.String()
    org_path = fields.String()
    title = fields.String()
    topics = fields.List(fields.String())
    hours = fields.Float()
    version = WholeNumber()


CoursePage = page_schema(CourseOut)


class UnderArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})


# ----------------------------------------------------------------------------- classes and sessions


class SessionIn(Schema):
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    starts_at = fields.DateTime(required=True, metadata={"description": "ISO 8601; without an offset: Asia/Shanghai"})
    ends_at = fields.DateTime(required=True)
    hours = fields.Float(required=True, validate=[validate.Range(min=0, min_inclusive=False, max=24), half_hours],
                         metadata={"description": "class hours credited to each person who attends"})

    @post_load
    def in_shanghai(self, data, **_):
        for key in ("starts_at", "ends_at"):
            if data[key].tzinfo is None:
                data[key] = data[key].replace(tzinfo=SHANGHAI)
        return data

    @validates_schema
    def ends_after_start(self, data, **_):
        if "starts_at" in data and "ends_at" in data:
            starts = data["starts_at"] if data["starts_at"].tzinfo else data["starts_at"].replace(tzinfo=SHANGHAI)
            ends = data["ends_at"] if data["ends_at"].tzinfo else data["ends_at"].replace(tzinfo=SHANGHAI)
            if ends <= starts:
                raise ValidationError("a session ends after it starts", "ends_at")


def _check_sessions_in_dates(starts_on, ends_on, sessions) -> None:
    errors = {}
    for i, s in enumerate(sessions):
        day = rules.session_day(s["starts_at"])
        if not starts_on <= day <= ends_on:
            errors[i] = {"starts_at": [f"the session starts on {day}, outside the class dates "
                                       f"{starts_on} to {ends_on}"]}
    if errors:
        raise ValidationError(errors, "sessions")


class ClassIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CLASS_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    course_id = fields.UUID(load_default=None, allow_none=True)
    organizer_unit_id = fields.UUID(required=True, metadata={
        "description": "a province, city, county or township unit in the caller's scope"})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    capacity = WholeNumber(required=True, validate=validate.Range(min=1, max=100_000))
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    online = fields.Boolean(load_default=False)
    sessions = fields.List(fields.Nested(SessionIn), required=True, validate=validate.Length(min=1, max=500))

    @validates_schema
    def dates_and_place(self, data, **_):
        if "starts_on" in data and "ends_on" in data:
            if data["ends_on"] < data["starts_on"]:
                raise ValidationError("a class ends on or after the day it starts", "ends_on")
            if "sessions" in data:
                _check_sessions_in_dates(data["starts_on"], data["ends_on"], data["sessions"])
        if not data.get("online") and not data.get("place"):
            raise ValidationError("an offline class needs a place", "place")


class ClassPatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    capacity = WholeNumber(validate=validate.Range(min=1, max=100_000))
    place = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    online = fields.Boolean()


class SessionOut(Schema):
    id = fields.String()
    title = fields.String(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    held_on = fields.Date(metadata={"description": "the start date in Asia/Shanghai: the hours count in its year"})
    year = WholeNumber()
    hours = fields.Float()


class ClassOut(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    course_id = fields.String(allow_none=True)
    organizer_unit_id = fields.String()
    org_path = fields.String()
    level = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    capacity = WholeNumber()
    enrolled = WholeNumber()
    place = fields.String(allow_none=True)
    online = fields.Boolean()
    version = WholeNumber()
    hours = fields.Float(metadata={"description": "class hours of all sessions"})
    sessions = fields.List(fields.Nested(SessionOut))


ClassPage = page_schema(ClassOut)


class ClassListArgs(UnderArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf(CLASS_KINDS))
    year = WholeNumber(load_default=None, validate=YEAR, metadata={"description": "classes starting that year"})


# ----------------------------------------------------------------------------- enrolments and attendance


class PeopleIn(Schema):
    person_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=5000))


class EnrollmentOut(Schema):
    class_id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    name = fields.String()
    status = fields.String()
    source = fields.String()
    plan_id = fields.String(allow_none=True)
    changed_at = fields.DateTime()


EnrollmentPage = page_schema(EnrollmentOut)


class EnrolResult(Schema):
    items = fields.List(fields.Nested(EnrollmentOut), metadata={"description": "the people of the request"})
    added = WholeNumber(metadata={"description": "people newly enrolled (the rest already were)"})


class EnrollmentListArgs(PageArgs):
    status = fields.String(load_default="enrolled", validate=validate.OneOf(("enrolled", "withdrawn")))


class AttendanceIn(PeopleIn):
    session_id = fields.UUID(required=True)


class Credited(Schema):
    person_id = fields.String()
    year_hours = fields.Float(metadata={"description": "the person's class hours in the year after this session"})


class AttendanceResult(Schema):
    class_id = fields.String()
    session_id = fields.String()
    year = WholeNumber()
    hours = fields.Float()
    credited = fields.List(fields.Nested(Credited))
    already_recorded = fields.List(fields.String(), metadata={
        "description": "people whose attendance of this session was recorded before: not credited again"})


class AttendanceOut(Schema):
    session_id = fields.String()
    class_id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    attended_on = fields.Date()
    year = WholeNumber()
    hours = fields.Float()
    recorded_at = fields.DateTime()


AttendancePage = page_schema(AttendanceOut)


class AttendanceListArgs(PageArgs):
    session_id = fields.UUID(load_default=None)


class CompletionItem(Schema):
    person_id = fields.UUID(required=True)
    completed_on = fields.Date(required=True, metadata={"description": "the day of 结业 (not before the class, not "
                                                                       "after today)"})
    assessment = fields.String(required=True, validate=validate.OneOf(("passed", "failed")),
                               metadata={"description": "结业考核: only a passed one counts"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CompletionIn(Schema):
    items = fields.List(fields.Nested(CompletionItem), required=True, validate=validate.Length(min=1, max=5000))


class CompletionOut(Schema):
    class_id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    completed_on = fields.Date()
    assessment = fields.String()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class CompletionResult(Schema):
    class_id = fields.String()
    items = fields.List(fields.Nested(CompletionOut))


CompletionPage = page_schema(CompletionOut)


# ----------------------------------------------------------------------------- people and hours


class YearArgs(Schema):
    year = WholeNumber(load_default=None, validate=YEAR, metadata={"description": "default: this year"})


class ViolationOut(Schema):
    code = fields.String()
    en = fields.String()
    zh = fields.String()
    facts = fields.Dict()


class AttendedOut(Schema):
    class_id = fields.String()
    class_title = fields.String()
    kind = fields.String()
    session_id = fields.String()
    attended_on = fields.Date()
    hours = fields.Float()


class PersonHoursOut(Schema):
    person_id = fields.String()
    name = fields.String()
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    org_path = fields.String()
    category = fields.String(allow_none=True, metadata={"description": "secretary, leader, member or null"})
    year = WholeNumber()
    hours = fields.Float()
    required_hours = fields.Float(allow_none=True)
    trained = fields.Boolean(metadata={"description": "attended a centralized class this year"})
    rotated = fields.Boolean(metadata={"description": "attended a secretary rotation class this year"})
    gaps = fields.List(fields.String(), metadata={"description": f"what is still missing: {', '.join(GAPS)}"})


PersonHoursPage = page_schema(PersonHoursOut)


class PersonYearOut(PersonHoursOut):
    violations = fields.List(fields.Nested(ViolationOut))
    attended = fields.List(fields.Nested(AttendedOut))


class PeopleListArgs(UnderArgs):
    year = WholeNumber(load_default=None, validate=YEAR)
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))


# ----------------------------------------------------------------------------- coverage and deadlines


class CoverageArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "the subtree (default: the caller's scope)"})
    year = WholeNumber(load_default=None, validate=YEAR, metadata={"description": "default: this year"})
    gap = fields.String(load_default=None, validate=validate.OneOf(GAPS),
                        metadata={"description": "list only the people missing this"})
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")),
                           metadata={"description": "or the Accept header"})
    rows = fields.String(load_default="people", validate=validate.OneOf(("people", "units")),
                         metadata={"description": "CSV only: the uncovered people, or the figures per unit"})


class Figures(Schema):
    secretaries_in_post = WholeNumber()
    secretaries_rotated = WholeNumber()
    secretary_rotation_rate = fields.Float(allow_none=True)
    members = WholeNumber()
    members_trained = WholeNumber()
    member_training_rate = fields.Float(allow_none=True)
    members_meeting_hours = WholeNumber()
    member_hours_rate = fields.Float(allow_none=True)
    leaders = WholeNumber()
    leaders_meeting_hours = WholeNumber()
    leader_hours_rate = fields.Float(allow_none=True)


class UnitFigures(Figures):
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    org_path = fields.String()


class Requirements(Schema):
    member_hours = fields.Float()
    leader_hours = fields.Float()


class CoverageOut(Schema):
    unit_id = fields.String(allow_none=True)
    org_path = fields.String()
    year = WholeNumber()
    requirements = fields.Nested(Requirements)
    totals = fields.Nested(Figures)
    by_unit = fields.List(fields.Nested(UnitFigures), metadata={
        "description": "per unit directly below (people placed in the unit itself under its own row)"})
    uncovered = fields.Nested(PersonHoursPage)


class OverdueArgs(UnderArgs):
    rule = fields.String(required=True, validate=validate.OneOf(RULE_CODES))


class OverdueOut(Schema):
    person_id = fields.String()
    name = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    rule = fields.String()
    since = fields.Date(metadata={"description": "took the post (new secretary) or was admitted (new member)"})
    due_on = fields.Date()
    days_overdue = WholeNumber()
    en = fields.String()
    zh = fields.String()


OverduePage = page_schema(OverdueOut)


# ----------------------------------------------------------------------------- rotation plans


class PlanIn(Schema):
    county_id = fields.UUID(required=True)
    year = WholeNumber(required=True, validate=YEAR)


class PlanClassOut(Schema):
    class_id = fields.String()
    title = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    capacity = WholeNumber()
    assigned = WholeNumber()


class PlanItemOut(Schema):
    person_id = fields.String()
    name = fields.String(allow_none=True)
    unit_id = fields.String()
    group = fields.String(attribute="group_key", metadata={"description": "the township's path"})
    class_id = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "proposed, overflow, enrolled or skipped"})


class PlanOut(Schema):
    id = fields.String()
    county_id = fields.String()
    org_path = fields.String()
    year = WholeNumber()
    status = fields.String()
    version = WholeNumber()
    assigned = WholeNumber()
    overflow = WholeNumber()
    split_groups = fields.List(fields.String())
    classes = fields.List(fields.Nested(PlanClassOut))
    items = fields.List(fields.Nested(PlanItemOut))
