"""Request and response schemas of the org service."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.catalog.org import MEETING_TYPES, SEAT_ROLES, UNIT_KINDS
from shared.dates import today
from shared.http import PageArgs, page_schema
from shared.imports import ImportQuery, ReportEntry
from shared.numbers import ExactDecimal, WholeNumber
from shared.messages import msg

from .rules import LEADER_ROLES

#: the longest period a report of organizational life covers (its work grows with the periods it holds)
PERIOD_MAX_YEARS = 5
PERIOD_EARLIEST, PERIOD_LATEST = date(1921, 7, 1), date(2099, 12, 31)

DOMAINS = ("village", "community", "state_owned_enterprise", "private_enterprise", "social_organization",
           "public_institution", "school", "hospital", "government_agency", "other")
UNIT_STATUSES = ("active", "dissolved")
FUND_SOURCES = ("unit_funds", "fiscal_allocation", "dues_subsidy")
UNCOVERED_STATUSES = ("uncovered", "covered", "closed")
CODE = validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$", error="letters, digits, _ . - (at most 64)")
#: work units one joint branch joins
COVERED_UNITS = validate.Range(min=1, max=10_000)
#: people counted in an enterprise or at a meeting: far above any real one, far below the 32-bit column
HEADCOUNT = validate.Range(min=0, max=10_000_000)
#: a venue's area in m2: the column is NUMERIC(10, 2)
VENUE_AREA = validate.Range(min=0, min_inclusive=False, max=99_999_999.99)
#: one fund's amount in yuan: the column is NUMERIC(14, 2)
FUND_AMOUNT = validate.Range(min=0, min_inclusive=False, max=999_999_999_999.99)


# ----------------------------------------------------------------------------- units

class UnitIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DOMAINS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=CODE)
    external_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    established_on = fields.Date(load_default=None, allow_none=True)
    covered_units = WholeNumber(load_default=None, allow_none=True, validate=COVERED_UNITS,
                                   metadata={"description": "joint branch: how many work units it joins"})


class UnitPatch(Schema):
    """Only the fields sent change; ``kind`` is checked against the parent and the sub-units."""

    kind = fields.String(validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(allow_none=True, validate=validate.OneOf(DOMAINS))
    name = fields.String(validate=validate.Length(min=1, max=200))
    code = fields.String(validate=CODE)
    external_id = fields.String(allow_none=True, validate=validate.Length(max=100))
    established_on = fields.Date(allow_none=True)
    covered_units = WholeNumber(allow_none=True, validate=COVERED_UNITS)


class MoveIn(Schema):
    parent_id = fields.UUID(required=True, metadata={"description": "the new parent; the whole subtree moves"})


class DissolveIn(Schema):
    dissolved_on = fields.Date(required=True)
    members_moved_to = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the unit that takes over everyone on the dissolved unit's roll"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class UnitOut(Schema):
    id = fields.String()
    kind = fields.String()
    domain = fields.String(allow_none=True)
    name = fields.String()
    code = fields.String()
    external_id = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    path = fields.String()
    established_on = fields.Date(allow_none=True)
    covered_units = WholeNumber(allow_none=True)
    status = fields.String()
    dissolved_on = fields.Date(allow_none=True)
    full_members = WholeNumber()
    probationary_members = WholeNumber()
    version = WholeNumber()


UnitPage = page_schema(UnitOut)


class UnitListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})
    kind = fields.String(load_default=None, validate=validate.OneOf(UNIT_KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(UNIT_STATUSES))
    domain = fields.String(load_default=None, validate=validate.OneOf(DOMAINS))
    code = fields.String(load_default=None, validate=validate.Length(max=64))


class RosterOut(Schema):
    person_id = fields.String()
    name = fields.String()
    stage = fields.String()
    status = fields.String()
    full_member_since = fields.Date(allow_none=True)


RosterPage = page_schema(RosterOut)


# ----------------------------------------------------------------------------- committees

class SeatIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(SEAT_ROLES))
    person_id = fields.UUID(required=True)


class EarlyApprovalIn(Schema):
    """The upper committee's approval of an election before the term ends (ORG.TERM_EXPIRED)."""

    approved_on = fields.Date(required=True, metadata={"description": "on or before the election"})
    approved_by = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": "the approving committee (e.g. 某乡镇党委)"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ElectionIn(Schema):
    elected_on = fields.Date(required=True, metadata={
        "description": "the day of the election; the seats and the size are checked against the roster of that day"})
    seats = fields.List(fields.Nested(SeatIn), required=True, validate=validate.Length(min=1, max=15))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    early_approval = fields.Nested(EarlyApprovalIn, load_default=None, allow_none=True, metadata={
        "description": "needed when the election comes before the current term ends (at most 1 year before)"})


class VacancyIn(Schema):
    seat_id = fields.UUID(required=True)
    vacated_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ByElectionIn(Schema):
    """Fill a vacant seat (``seat_id``), or add a seat with ``role`` while the size rules allow."""

    seat_id = fields.UUID(load_default=None, allow_none=True)
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SEAT_ROLES))
    person_id = fields.UUID(required=True)
    elected_on = fields.Date(required=True)

    @validates_schema
    def _seat_or_role(self, data, **_kwargs):
        if (data.get("seat_id") is None) == (data.get("role") is None):
            raise ValidationError("give either seat_id (a vacant seat) or role (a new seat)", "seat_id")


class ApprovalIn(Schema):
    seat_id = fields.UUID(required=True)
    approved_on = fields.Date(required=True)


class ExtensionIn(Schema):
    term_ends_on = fields.Date(required=True, metadata={"description": "the new end, at most 1 year later"})
    approved_on = fields.Date(required=True, metadata={"description": "the upper committee's approval"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class SeatOut(Schema):
    id = fields.String()
    role = fields.String()
    person_id = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True)
    since = fields.Date(allow_none=True)
    vacant_since = fields.Date(allow_none=True)
    vacancy_reason = fields.String(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approval_pending = fields.Boolean()


class TermOut(Schema):
    state = fields.String(metadata={"description": "running, expiring or expired"})
    days_left = WholeNumber(allow_none=True)
    days_overdue = WholeNumber(allow_none=True)


class CommitteeOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    elected_on = fields.Date()
    term_years = WholeNumber()
    term_ends_on = fields.Date()
    original_term_ends_on = fields.Date()
    extension_reason = fields.String(allow_none=True)
    extension_approved_on = fields.Date(allow_none=True)
    early_approved_on = fields.Date(allow_none=True)
    early_approved_by = fields.String(allow_none=True)
    early_reason = fields.String(allow_none=True)
    full_members_at_election = WholeNumber()
    status = fields.String()
    ended_on = fields.Date(allow_none=True)
    secretary_vacant_since = fields.Date(allow_none=True)
    version = WholeNumber()
    seats = fields.List(fields.Nested(SeatOut))
    term = fields.Nested(TermOut)


CommitteePage = page_schema(CommitteeOut)


class TermListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    state = fields.String(load_default="due", validate=validate.OneOf(("expiring", "expired", "due")),
                          metadata={"description": "expiring (within the warning window), expired, or due (both)"})


class TermRowOut(Schema):
    committee_id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    unit_code = fields.String()
    path = fields.String()
    elected_on = fields.Date()
    term_ends_on = fields.Date()
    state = fields.String()
    days_left = WholeNumber(allow_none=True)
    days_overdue = WholeNumber(allow_none=True)
    message = fields.Dict()


TermPage = page_schema(TermRowOut)


# ----------------------------------------------------------------------------- party groups

class GroupIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=CODE)
    member_ids = fields.List(fields.UUID(), load_default=list)
    leader_id = fields.UUID(load_default=None, allow_none=True)


class GroupMemberIn(Schema):
    person_id = fields.UUID(required=True)
    leader = fields.Boolean(load_default=False)
    since = fields.Date(load_default=None, allow_none=True)


class GroupMemberOut(Schema):
    person_id = fields.String()
    name = fields.String(allow_none=True)
    leader = fields.Boolean()
    since = fields.Date()


class GroupOut(Schema):
    id = fields.String()
    name = fields.String()
    code = fields.String()
    path = fields.String()
    status = fields.String()
    version = WholeNumber()
    members = fields.List(fields.Nested(GroupMemberOut))


class GroupList(Schema):
    items = fields.List(fields.Nested(GroupOut))


# ----------------------------------------------------------------------------- meetings

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


class PeriodArgs(Schema):
    """A period of organizational life: at most :data:`PERIOD_MAX_YEARS` years, whichever end is given."""

    held_from = fields.Date(load_default=None, data_key="from", metadata={
        "description": "first day of the period (default: January 1 of the year of `to`)"})
    held_to = fields.Date(load_default=None, data_key="to", metadata={"description": "last day (default: today)"})

    @validates_schema
    def _bounded(self, data, **_kwargs):
        for key, name in (("held_from", "from"), ("held_to", "to")):
            if data.get(key) and not PERIOD_EARLIEST <= data[key] <= PERIOD_LATEST:
                raise ValidationError(str(msg("date-range", low=PERIOD_EARLIEST, high=PERIOD_LATEST)), name)
        end = data.get("held_to") or today()
        start = data.get("held_from") or date(end.year, 1, 1)
        if start > end:
            raise ValidationError(str(msg("period-order")), "from")
        if (end - start).days > PERIOD_MAX_YEARS * 366:
            raise ValidationError(str(msg("period-too-long", years=PERIOD_MAX_YEARS, start=start, end=end)),
                                  "to" if data.get("held_to") else "from")


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


# ----------------------------------------------------------------------------- uncovered entities

class UncoveredIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the unit responsible for covering it"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    credit_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^[0-9A-Z]{18}$", error="18 digits or capital letters"))
    employees = WholeNumber(load_default=None, allow_none=True, validate=HEADCOUNT)
    party_members = WholeNumber(load_default=None, allow_none=True, validate=HEADCOUNT)
    instructor_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    instructor_title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    instructor_assigned_on = fields.Date(load_default=None, allow_none=True)


class UncoveredPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    employees = WholeNumber(allow_none=True, validate=HEADCOUNT)
    party_members = WholeNumber(allow_none=True, validate=HEADCOUNT)
    instructor_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    instructor_title = fields.String(allow_none=True, validate=validate.Length(max=200))
    instructor_assigned_on = fields.Date(allow_none=True)
    covered_by_unit_id = fields.UUID(metadata={"description": "the branch now set up: the entity is covered"})
    covered_on = fields.Date()
    closed_on = fields.Date(metadata={"description": "the entity ceased to exist"})


class UncoveredOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    path = fields.String()
    name = fields.String()
    domain = fields.String()
    credit_code = fields.String(allow_none=True)
    employees = WholeNumber(allow_none=True)
    party_members = WholeNumber(allow_none=True)
    instructor_name = fields.String(allow_none=True)
    instructor_title = fields.String(allow_none=True)
    instructor_assigned_on = fields.Date(allow_none=True)
    status = fields.String()
    covered_by_unit_id = fields.String(allow_none=True)
    covered_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    version = WholeNumber()


UncoveredPage = page_schema(UncoveredOut)


class UncoveredListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(UNCOVERED_STATUSES))
    instructor = fields.Boolean(load_default=None, metadata={"description": "with (true) or without an instructor"})


# ----------------------------------------------------------------------------- liaison points

class LeaderIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the party committee's unit (province, city, "
                                                                  "county, township or grassroots committee)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "e.g. 县委书记, 乡镇党委副书记"})
    role = fields.String(required=True, validate=validate.OneOf(list(LEADER_ROLES)))
    person_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "the leader's record in the members service"})
    since = fields.Date(required=True)


class LeaderPatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(list(LEADER_ROLES)))
    person_id = fields.UUID(allow_none=True)
    ended_on = fields.Date(metadata={"description": "the leader left the committee: their liaison points end"})


class LeaderOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    path = fields.String()
    name = fields.String()
    title = fields.String()
    role = fields.String()
    person_id = fields.String(allow_none=True)
    since = fields.Date()
    ended_on = fields.Date(allow_none=True)
    active = fields.Boolean()
    liaison_points = WholeNumber(metadata={"description": "active liaison points the leader keeps"})
    version = WholeNumber()


LeaderPage = page_schema(LeaderOut)


class LeaderListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    active = fields.Boolean(load_default=None)
    without_liaison = fields.Boolean(load_default=False,
                                     metadata={"description": "only serving leaders who keep no liaison point"})


class LiaisonIn(Schema):
    leader_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "a registered leader: name, title and committee come from it"})
    leader_name = fields.String(validate=validate.Length(min=1, max=100))
    leader_title = fields.String(validate=validate.Length(min=1, max=200))
    leader_unit_id = fields.UUID(load_default=None, allow_none=True)
    unit_id = fields.UUID(required=True, metadata={"description": "the liaison branch"})
    since = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _a_leader(self, data, **kwargs):
        if not data.get("leader_id"):
            missing = {name: ["required without leader_id"] for name in ("leader_name", "leader_title")
                       if not data.get(name)}
            if missing:
                raise ValidationError(missing)


class LiaisonPatch(Schema):
    leader_title = fields.String(validate=validate.Length(min=1, max=200))
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    ended_on = fields.Date(metadata={"description": "the leader no longer keeps this liaison point"})


class RatingOut(Schema):
    year = WholeNumber()
    score = fields.Float()
    stars = WholeNumber()
    category = fields.String()


class LiaisonOut(Schema):
    id = fields.String()
    leader_id = fields.String(allow_none=True)
    leader_name = fields.String()
    leader_title = fields.String()
    leader_unit_id = fields.String(allow_none=True)
    unit_id = fields.String()
    unit_name = fields.String()
    path = fields.String()
    since = fields.Date()
    ended_on = fields.Date(allow_none=True)
    active = fields.Boolean()
    note = fields.String(allow_none=True)
    version = WholeNumber()
    latest_rating = fields.Nested(RatingOut, allow_none=True)


LiaisonPage = page_schema(LiaisonOut)


class LiaisonListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    active = fields.Boolean(load_default=None)


# ----------------------------------------------------------------------------- support

class OrganizerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    full_time = fields.Boolean(load_default=False)


class SupportIn(Schema):
    has_venue = fields.Boolean(required=True)
    venue_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    venue_area_m2 = ExactDecimal(load_default=None, allow_none=True, places=2,
                                   validate=VENUE_AREA, as_string=False)
    organizers = fields.List(fields.Nested(OrganizerIn), load_default=list, validate=validate.Length(max=100))

    @validates_schema
    def _venue(self, data, **_kwargs):
        if not data["has_venue"] and (data.get("venue_area_m2") is not None or data.get("venue_name")):
            raise ValidationError("no venue: leave its name and area out", "venue_area_m2")


class FundIn(Schema):
    year = WholeNumber(required=True, validate=validate.Range(min=2000, max=2100))
    source = fields.String(required=True, validate=validate.OneOf(FUND_SOURCES))
    amount = ExactDecimal(required=True, places=2, validate=FUND_AMOUNT)
    received_on = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class FundOut(Schema):
    id = fields.String()
    year = WholeNumber()
    source = fields.String()
    amount = fields.Float()
    received_on = fields.Date()
    note = fields.String(allow_none=True)


class OrganizerOut(Schema):
    name = fields.String()
    title = fields.String(allow_none=True)
    full_time = fields.Boolean()


class SupportOut(Schema):
    unit_id = fields.String()
    has_venue = fields.Boolean()
    venue_name = fields.String(allow_none=True)
    venue_area_m2 = fields.Float(allow_none=True)
    organizers = fields.List(fields.Nested(OrganizerOut))
    funds = fields.List(fields.Nested(FundOut))
    funds_by_year = fields.Dict(metadata={"description": "{year: {source: amount, total: amount}}"})
    version = WholeNumber()


# ----------------------------------------------------------------------------- compliance

class ComplianceArgs(PeriodArgs):
    under = fields.UUID(load_default=None, metadata={"description": "the subtree (default: the caller's scope)"})
    limit = WholeNumber(load_default=20, validate=validate.Range(min=0, max=1000),
                           metadata={"description": "offending units listed per rule (the count is always whole)"})


class ComplianceRuleArgs(PeriodArgs, PageArgs):
    under = fields.UUID(load_default=None)
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")), metadata={
        "description": "csv or xlsx: every offender of the rule in one file (or by the Accept header)"})


class OffenderOut(Schema):
    unit_id = fields.String()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    path = fields.String()
    figures = fields.Dict()
    message = fields.Dict(metadata={"description": "en / zh, in the words of the rule"})


class RuleReportOut(Schema):
    code = fields.String()
    kind = fields.String(metadata={"description": "setup, committee, term, uncovered or life"})
    count = WholeNumber()
    summary = fields.Dict(metadata={"description": "ORG.TERM_EXPIRED: terms expiring soon; ORG.UNCOVERED: entities "
                                                   "with an instructor, covered, closed; LIFE.*: periods required"})
    units = fields.List(fields.Nested(OffenderOut))


class ComplianceOut(Schema):
    under = fields.String()
    as_of = fields.Date()
    held_from = fields.Date(data_key="from")
    held_to = fields.Date(data_key="to")
    units = WholeNumber(metadata={"description": "active units in the subtree"})
    rules = fields.List(fields.Nested(RuleReportOut))


class OffenderPage(Schema):
    code = fields.String()
    count = WholeNumber(allow_none=True)
    items = fields.List(fields.Nested(OffenderOut))
    next_cursor = fields.String(allow_none=True)


# ----------------------------------------------------------------------------- imports

class ImportArgs(ImportQuery):
    mode = fields.String(load_default="all_or_nothing", validate=validate.OneOf(("all_or_nothing", "valid_lines")),
                         metadata={"description": "all_or_nothing (default): any error writes nothing; "
                                                  "valid_lines: write the lines that pass"})


class ImportOut(Schema):
    id = fields.String()
    format = fields.String()
    mode = fields.String()
    total = WholeNumber()
    created = WholeNumber()
    updated = WholeNumber()
    unchanged = WholeNumber()
    error_count = WholeNumber()
    errors = fields.List(fields.Nested(ReportEntry), metadata={"description": "the lines skipped (valid_lines)"})
    created_at = fields.DateTime()
