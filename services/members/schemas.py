"""Request and response schemas of the members service.

A step (``POST /people/{id}/steps``) and a management action (``POST /people/{id}/management``) are
discriminated by ``kind``: each kind has its own payload schema, listed in ``STEP_SCHEMAS`` and
``ACTION_SCHEMAS`` and published in the OpenAPI document.
"""
from __future__ import annotations

import re
from datetime import date as _date
from decimal import Decimal as _Decimal, InvalidOperation as _InvalidOperation

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from shared.catalog.members import STAGES, STATUSES
from shared.http import PageArgs, page_schema
from shared.imports import ImportQuery as _ImportQuery
from shared.messages import msg
from shared.numbers import WholeNumber
from shared.pii import valid_id_number

from .rules import STEPS
from .rules import DUES_CATEGORIES, DUES_DEDUCTIONS

GENDERS = ("male", "female")
CLASSIFICATIONS = ("in_work", "retired", "mobile")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
BAD_ID = "not a valid national ID number (18 characters with the GB 11643 check digit)"
#: the years a review, an award or a deadline may fall in (as in every service)
YEAR = validate.Range(min=2000, max=2100)
#: votes counted at one meeting: far above any branch or committee, far below the 32-bit column
VOTES = validate.Range(min=0, max=1_000_000)


class IdNumber(fields.String):
    """A national ID number: 18 characters, a real birth date, the GB 11643 check digit. Errors never echo it."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not valid_id_number(text):
            raise ValidationError(BAD_ID)
        return text


class Phone(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not PHONE_RE.match(text):
            raise ValidationError("not a phone number (digits, spaces and dashes, 5 to 20)")
        return text


# ----------------------------------------------------------------------------- people

class _PersonDetails(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    ethnicity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    phone = Phone(load_default=None, allow_none=True)
    education = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    occupation = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    party_group = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class PersonIn(_PersonDetails):
    unit_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
    birth_date = fields.Date(load_default=None, metadata={"description": "required unless id_number is given"})
    id_number = IdNumber(load_default=None, allow_none=True,
                         metadata={"description": "national ID number; stored encrypted, shown masked"})
    stage = fields.String(load_default="applicant", validate=validate.OneOf(STAGES))
    classification = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CLASSIFICATIONS))
    applied_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "for a new applicant: records step 1 (the application) at once"})
    activist_since = fields.Date(load_default=None, allow_none=True)
    target_since = fields.Date(load_default=None, allow_none=True)
    probationary_since = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the date of the admission vote"})
    full_member_since = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the conversion date: party standing counts from it"})
    reached_step = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(min=0, max=25),
                                  metadata={"description": "the last of the 25 steps already done (registering "
                                                           "someone mid-way); defaults from the stage"})


class PersonPatch(_PersonDetails):
    id_number = IdNumber(allow_none=True, metadata={"description": "only a role with PII rights may change it"})


class PartyStanding(Schema):
    since = fields.Date(allow_none=True)
    years = WholeNumber(allow_none=True)


class PersonOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    name = fields.String()
    gender = fields.String()
    ethnicity = fields.String(allow_none=True)
    birth_date = fields.Date()
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    phone = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    pii_masked = fields.Boolean()
    education = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)
    stage = fields.String()
    status = fields.String()
    classification = fields.String(allow_none=True)
    reached_step = WholeNumber()
    applied_on = fields.Date(allow_none=True)
    activist_since = fields.Date(allow_none=True)
    target_since = fields.Date(allow_none=True)
    probationary_since = fields.Date(allow_none=True)
    probation_ends_on = fields.Date(allow_none=True)
    extensions = WholeNumber()
    full_member_since = fields.Date(allow_none=True)
    party_standing = fields.Nested(PartyStanding)
    party_group = fields.String(allow_none=True)
    out_of_contact_since = fields.Date(allow_none=True)
    suspended_on = fields.Date(allow_none=True)
    party_probation_since = fields.Date(allow_none=True)
    party_probation_until = fields.Date(allow_none=True)
    rights_restored_on = fields.Date(allow_none=True)
    correction_until = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)
    left_reason = fields.String(allow_none=True)
    version = WholeNumber()


class PersonSummaryOut(Schema):
    """A person as a list shows them (``GET /people/{id}`` has every field)."""
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    name = fields.String()
    gender = fields.String()
    birth_date = fields.Date()
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    phone = fields.String(allow_none=True, metadata={"description": "masked unless the role may see PII"})
    pii_masked = fields.Boolean()
    stage = fields.String()
    status = fields.String()
    classification = fields.String(allow_none=True)
    reached_step = WholeNumber()
    probationary_since = fields.Date(allow_none=True)
    full_member_since = fields.Date(allow_none=True)
    version = WholeNumber()


PersonPage = page_schema(PersonSummaryOut)


class PersonListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata={"description": "limit the list to this unit's subtree"})
    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


# ----------------------------------------------------------------------------- steps (discriminated by kind)

class _Kinded(Schema):
    """Flat body: ``{"kind": ..., <the kind's fields>}``; ``kind`` picks the schema that loads the rest."""

    kinds: dict[str, type[Schema]] = {}
    kind = fields.String(required=True)

    class Meta:
        unknown = INCLUDE

    def load(self, data, *, many=None, partial=None, unknown=None):
        head = super().load(data, many=False, partial=True)
        kind = head.get("kind")
        if kind not in self.kinds:
            raise ValidationError({"kind": [f"must be one of: {', '.join(self.kinds)}"]})
        return self.kinds[kind]().load(data)


class _Step(Schema):
    kind = fields.String(required=True)
    date = fields.Date(required=True, metadata={"description": "the day the step happened (not in the future)"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ApplicationStep(_Step):
    """1 递交入党申请书: the application (MEMBERS.MIN_AGE)."""


class TalkStep(_Step):
    """2 谈话: within 1 month of the application (MEMBERS.TALK_DEADLINE)."""
    held_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ActivistStep(_Step):
    """3 推荐和确定入党积极分子 (MEMBERS.ACTIVIST_SOURCE)."""
    source = fields.String(required=True, validate=validate.OneOf(
        ("member_recommendation", "league_recommendation", "mass_organization_recommendation", "self_nomination",
         "other")))
    recommenders = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    decided_by = fields.String(required=True, validate=validate.OneOf(
        ("branch_committee", "branch_general_meeting", "secretary", "other")))


class FiledStep(_Step):
    """4, 8, 18: filing upward (备案)."""
    filed_with = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SponsorsStep(_Step):
    """5 指定培养联系人: 1-2 full members (MEMBERS.SPONSORS)."""
    sponsors = fields.List(fields.UUID(), required=True)


class AssessmentStep(_Step):
    """6 / 21: a six-monthly assessment (MEMBERS.SPONSORS deadline)."""
    conclusion = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    assessed_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class NoticeStep(Schema):
    """Public notice (公示) before the target decision or before admission (MEMBERS.PUBLIC_NOTICE)."""
    kind = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "defaults to the earliest end: the configured number of working days"})
    posted_at = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    objections = fields.Boolean(load_default=False, metadata={"description": "objections raised and not cleared"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError({"ends_on": ["ends before it starts"]})


class TargetStep(_Step):
    """7 确定发展对象 (MEMBERS.CULTIVATION_PERIOD, MEMBERS.PUBLIC_NOTICE)."""
    decided_by = fields.String(required=True, validate=validate.OneOf(("branch_committee", "branch_general_meeting")))


class IntroducersStep(_Step):
    """9 确定入党介绍人: two full members (MEMBERS.INTRODUCERS)."""
    introducers = fields.List(fields.UUID(), required=True)


class PoliticalReviewStep(_Step):
    """10 政治审查: a written conclusion (MEMBERS.POLITICAL_REVIEW)."""
    conclusion = fields.String(required=True, validate=validate.OneOf(("qualified", "unqualified")))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    covers_person = fields.Boolean(load_default=True)
    covers_relatives = fields.Boolean(required=True)
    leader_relative = fields.Boolean(load_default=False, metadata={
        "description": "the candidate is a near relative of a grassroots leader (MEMBERS.RELATIVE_REVIEW)"})


class Leader(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    relation = fields.String(required=True, validate=validate.Length(min=1, max=40))
    person_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "if a member known here"})


class RelativeReviewStep(_Step):
    """近亲属入党审查 (MEMBERS.RELATIVE_REVIEW)."""
    conclusion = fields.String(required=True, validate=validate.OneOf(("approved", "not_approved")))
    leaders = fields.List(fields.Nested(Leader), required=True, validate=validate.Length(min=1))
    reviewed_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class DepartmentOpinion(Schema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=60))
    conclusion = fields.String(required=True, validate=validate.OneOf(("no_objection", "objection")))


class JointReviewStep(_Step):
    """政审联审 (MEMBERS.JOINT_REVIEW)."""
    departments = fields.List(fields.Nested(DepartmentOpinion), required=True, validate=validate.Length(min=1))


class TrainingStep(_Step):
    """11 集中培训: from the training service, or by hand with evidence (MEMBERS.TARGET_TRAINING)."""
    source = fields.String(required=True, validate=validate.OneOf(("training_service", "manual")))
    days = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=365), metadata={
        "description": "days of training, as given (3.5 is kept as 3.5)"})
    hours = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=2000))
    evidence = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    completed_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "by hand: the day the class was completed (结业), on or before the step's date"})
    assessment = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("passed", "failed")),
                               metadata={"description": "by hand: the class's assessment (结业考核); only a passed "
                                                        "one counts (MEMBERS.TARGET_TRAINING)"})

    @validates_schema
    def _manual(self, data, **kwargs):
        if data.get("source") == "manual":
            errors = {}
            if not data.get("evidence"):
                errors["evidence"] = ["a training recorded by hand names its evidence (certificate, roster)"]
            if data.get("days") is None and data.get("hours") is None:
                errors["days"] = ["give the days or the class hours of the training"]
            if data.get("completed_on") and data.get("date") and data["completed_on"] > data["date"]:
                errors["completed_on"] = [str(msg("members-training-completed-after"))]
            if errors:
                raise ValidationError(errors)


class CommitteeReviewStep(_Step):
    """12 支部委员会审查."""
    opinion = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PreReviewStep(_Step):
    """13 上级党委预审 (MEMBERS.PRE_REVIEW)."""
    passed = fields.Boolean(required=True)
    reviewed_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    leaving_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "when the candidate is known to leave the unit"})


class FormStep(_Step):
    """14 填写入党志愿书."""
    form_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class _Vote(_Step):
    entitled = WholeNumber(required=True, validate=validate.Range(min=1, max=VOTES.max), metadata={
        "description": "full members entitled to vote"})
    present = WholeNumber(required=True, validate=VOTES)
    yes = WholeNumber(required=True, validate=VOTES)
    no = WholeNumber(required=True, validate=VOTES)
    abstain = WholeNumber(load_default=0, validate=VOTES)
    written_yes = WholeNumber(load_default=0, validate=VOTES, metadata={
        "description": "absent members' written opinions in favour (they count)"})
    written_no = WholeNumber(load_default=0, validate=VOTES)
    candidates = WholeNumber(load_default=1, validate=validate.Range(min=1, max=VOTES.max), metadata={
        "description": "candidates decided in this one vote (must be 1)"})
    recused = fields.List(fields.UUID(), load_default=list, metadata={
        "description": "members who stood aside (a leader whose near relative is the candidate)"})

    @validates_schema
    def _counts(self, data, **kwargs):
        errors = {}
        if data["present"] > data["entitled"]:
            errors["present"] = ["more present than entitled"]
        if data["yes"] + data["no"] + data.get("abstain", 0) > data["present"]:
            errors["yes"] = ["yes + no + abstain exceed those present"]
        if data["present"] + data.get("written_yes", 0) + data.get("written_no", 0) > data["entitled"]:
            errors["written_yes"] = ["present + written opinions exceed those entitled"]
        if errors:
            raise ValidationError(errors)


class AdmissionVoteStep(_Vote):
    """15 支部党员大会讨论 (MEMBERS.ADMISSION_VOTE)."""


class UpperTalkStep(_Step):
    """16 上级党委派人谈话."""
    held_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ApprovalStep(_Step):
    """17 上级党委审批 (MEMBERS.APPROVAL_DEADLINE)."""
    approving_unit_id = fields.UUID(required=True)
    special_case = fields.Boolean(load_default=False, metadata={
        "description": "a special case: approval within 6 months instead of 3"})
    special_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    decision = fields.String(load_default="approved", validate=validate.OneOf(("approved", "not_approved")),
                             metadata={"description": "not_approved (不批准): the person stays a development "
                                                      "target and the branch may put them to a general meeting "
                                                      "again (step 15)"})
    refusal_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _reason(self, data, **kwargs):
        if data.get("special_case") and not data.get("special_reason"):
            raise ValidationError({"special_reason": ["a special case states its reason"]})
        if data.get("decision") == "not_approved" and not data.get("refusal_reason"):
            raise ValidationError({"refusal_reason": ["a refusal states its reason"]})


class PlacementStep(_Step):
    """19 编入党支部和党小组."""
    party_group = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class OathStep(_Step):
    """20 入党宣誓 (MEMBERS.OATH)."""
    led_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class PlainStep(_Step):
    """22 提出转正申请, 25 材料归档."""


class ConversionVoteStep(_Vote):
    """23 支部党员大会讨论转正 (MEMBERS.PROBATION, MEMBERS.CONVERSION)."""
    outcome = fields.String(required=True, validate=validate.OneOf(("convert", "extend", "cancel")))
    extension_months = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(min=0, max=120),
                                      metadata={"description": "the months proposed (the rule allows 6 to 12)"})

    @validates_schema
    def _extension(self, data, **kwargs):
        if data.get("outcome") == "extend" and data.get("extension_months") is None:
            raise ValidationError({"extension_months": ["an extension states its months"]})


class ConversionApprovalStep(_Step):
    """24 上级党委审批转正 (MEMBERS.CONVERSION deadline)."""
    approving_unit_id = fields.UUID(required=True)


STEP_SCHEMAS: dict[str, type[Schema]] = {
    "application": ApplicationStep, "talk": TalkStep, "activist": ActivistStep, "activist_filed": FiledStep,
    "sponsors": SponsorsStep, "assessment": AssessmentStep, "target_notice": NoticeStep, "target": TargetStep,
    "target_filed": FiledStep, "introducers": IntroducersStep, "political_review": PoliticalReviewStep,
    "relative_review": RelativeReviewStep, "joint_review": JointReviewStep, "training": TrainingStep,
    "committee_review": CommitteeReviewStep, "pre_review": PreReviewStep, "admission_notice": NoticeStep,
    "application_form": FormStep, "admission_vote": AdmissionVoteStep, "upper_talk": UpperTalkStep,
    "approval": ApprovalStep, "approval_filed": FiledStep, "placement": PlacementStep, "oath": OathStep,
    "probation_assessment": AssessmentStep, "conversion_application": PlainStep,
    "conversion_vote": ConversionVoteStep, "conversion_approval": ConversionApprovalStep, "archive": PlainStep,
}
assert set(STEP_SCHEMAS) == {s.kind for s in STEPS}


class StepIn(_Kinded):
    """One step of the procedure: ``kind`` (one of the 25 steps, a public notice or an extra review) and the
    fields of that kind (see the *Step schemas)."""
    kinds = STEP_SCHEMAS
    kind = fields.String(required=True, validate=validate.OneOf(list(STEP_SCHEMAS)))


class ReversalIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    date = fields.Date(load_default=None, allow_none=True, metadata={"description": "defaults to today"})


class PersonBrief(Schema):
    id = fields.String()
    stage = fields.String()
    status = fields.String()
    reached_step = WholeNumber()
    version = WholeNumber()


class ViolationOut(Schema):
    code = fields.String()
    en = fields.String()
    zh = fields.String()
    facts = fields.Dict()


class StepOut(Schema):
    id = fields.String()
    person_id = fields.String()
    number = WholeNumber(allow_none=True)
    kind = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    occurred_on = fields.Date()
    payload = fields.Dict()
    breaches = fields.List(fields.Nested(ViolationOut))
    reverses_id = fields.String(allow_none=True)
    reversed_by_id = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    person = fields.Nested(PersonBrief)


StepPage = page_schema(StepOut)


class TimelineRecord(Schema):
    id = fields.String()
    occurred_on = fields.Date()
    breaches = fields.List(fields.Nested(ViolationOut))
    reversed = fields.Boolean()


class TimelineStep(Schema):
    number = WholeNumber(allow_none=True)
    kind = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    status = fields.String(metadata={"description": "done, open (may be recorded now) or pending"})
    done_on = fields.Date(allow_none=True)
    due_by = fields.Date(allow_none=True)
    can_happen_from = fields.Date(allow_none=True)
    rule = fields.String(allow_none=True)
    records = fields.List(fields.Nested(TimelineRecord))
    breaches = fields.List(fields.Nested(ViolationOut))


class DeadlineOut(Schema):
    id = WholeNumber()
    person_id = fields.String()
    kind = fields.String()
    code = fields.String()
    opened_on = fields.Date()
    due_on = fields.Date()
    met_on = fields.Date(allow_none=True)
    breached = fields.Boolean()
    cancelled_on = fields.Date(allow_none=True)


class TimelineOut(Schema):
    person = fields.Nested(PersonOut)
    as_of = fields.Date()
    reached_step = WholeNumber()
    next = fields.List(fields.String(), metadata={"description": "the kinds that may be recorded now"})
    steps = fields.List(fields.Nested(TimelineStep))
    deadlines = fields.List(fields.Nested(DeadlineOut))
    breaches = fields.List(fields.Nested(ViolationOut))


# ----------------------------------------------------------------------------- management (discriminated by kind)

class _Action(Schema):
    kind = fields.String(required=True)
    date = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class PlainAction(_Action):
    """out_of_contact, contact_restored, suspension, withdrawal, death, rights_restored."""


class RemovalAction(_Action):
    """除名 on a ground of MEMBERS.OUT_OF_CONTACT or MEMBERS.UNQUALIFIED."""
    ground = fields.String(required=True, validate=validate.OneOf(
        ("out_of_contact", "no_party_life", "correction_failed", "persuasion_refused")))
    since = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "no_party_life: since when no party life, dues or assigned work"})


class CorrectionAction(_Action):
    """限期改正 (MEMBERS.UNQUALIFIED): at most 1 year."""
    until = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CorrectionResultAction(_Action):
    corrected = fields.Boolean(required=True)


class PersuasionAction(_Action):
    """劝退: accepted, the member withdraws; refused, it is a ground for removal."""
    accepted = fields.Boolean(required=True)


class ExpulsionAction(_Action):
    decided_by = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PartyProbationAction(_Action):
    """留党察看 for 1 or 2 years."""
    months = WholeNumber(required=True, validate=validate.OneOf((12, 24)))


class ClassificationAction(_Action):
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    fixed_place = fields.Boolean(load_default=False, metadata={
        "description": "mobile at a fixed place: the membership should transfer after 6 months (MEMBERS.TRANSFER)"})


ACTION_SCHEMAS: dict[str, type[Schema]] = {
    "out_of_contact": PlainAction, "contact_restored": PlainAction, "suspension": PlainAction,
    "removal": RemovalAction, "correction": CorrectionAction, "correction_result": CorrectionResultAction,
    "persuasion": PersuasionAction, "withdrawal": PlainAction, "death": PlainAction, "expulsion": ExpulsionAction,
    "party_probation": PartyProbationAction, "rights_restored": PlainAction, "classification": ClassificationAction,
}


class ActionIn(_Kinded):
    """One management action: ``kind`` and its fields."""
    kinds = ACTION_SCHEMAS
    kind = fields.String(required=True, validate=validate.OneOf(list(ACTION_SCHEMAS)))


class ActionOut(Schema):
    id = fields.String()
    person_id = fields.String()
    kind = fields.String()
    occurred_on = fields.Date()
    payload = fields.Dict()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    person = fields.Nested(PersonBrief)


ActionPage = page_schema(ActionOut)


# ----------------------------------------------------------------------------- transfers

TRANSFER_STATUSES = ("requested", "accepted", "completed", "rejected", "cancelled")


class TransferIn(Schema):
    person_id = fields.UUID(required=True)
    to_unit_id = fields.UUID(required=True)
    requested_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class TransferPatch(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("accepted", "completed", "rejected", "cancelled")))
    on = fields.Date(required=True)


class TransferOut(Schema):
    id = fields.String()
    person_id = fields.String()
    person_name = fields.String()
    from_unit_id = fields.String()
    to_unit_id = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    requested_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    direction = fields.String(metadata={"description": "out, in or both, seen from the caller's subtree"})
    version = WholeNumber()


TransferPage = page_schema(TransferOut)


class TransferListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(TRANSFER_STATUSES))


# ----------------------------------------------------------------------------- reviews

GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")


class GradeIn(Schema):
    person_id = fields.UUID(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))


class ReviewIn(Schema):
    unit_id = fields.UUID(required=True)
    year = WholeNumber(required=True, validate=YEAR)
    held_on = fields.Date(required=True)
    grades = fields.List(fields.Nested(GradeIn), required=True, validate=validate.Length(min=1))
    not_graded = fields.List(fields.UUID(), load_default=list, metadata={
        "description": "probationary members who took part (they are not graded)"})


class GradeOut(Schema):
    person_id = fields.String()
    grade = fields.String()


class ReviewOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    year = WholeNumber()
    held_on = fields.Date()
    excellent = WholeNumber()
    qualified = WholeNumber()
    basically_qualified = WholeNumber()
    unqualified = WholeNumber()
    not_graded = WholeNumber()
    grades = fields.List(fields.Nested(GradeOut))


ReviewPage = page_schema(ReviewOut)


class ReviewListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)


# ----------------------------------------------------------------------------- points

POINT_SOURCES = ("base", "attendance", "training", "volunteer_service", "commitment", "bonus")


class AwardIn(Schema):
    person_id = fields.UUID(required=True)
    awarded_on = fields.Date(required=True)
    source = fields.String(required=True, validate=validate.OneOf(POINT_SOURCES))
    points = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "the activity this award is for: the same reference is not awarded twice"})


class AwardOut(Schema):
    id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    year = WholeNumber()
    awarded_on = fields.Date()
    source = fields.String()
    category = fields.String()
    points = fields.Float()
    note = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)


AwardPage = page_schema(AwardOut)


class AwardListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    person_id = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)


class RankingArgs(Schema):
    unit_id = fields.UUID(required=True)
    year = WholeNumber(required=True, validate=YEAR)


class RankedMember(Schema):
    rank = WholeNumber()
    person_id = fields.String()
    name = fields.String()
    total = fields.Float()
    by_category = fields.Dict(keys=fields.String(), values=fields.Float())


class RankingOut(Schema):
    unit_id = fields.String()
    year = WholeNumber()
    scheme = fields.String()
    caps = fields.Dict(keys=fields.String(), values=fields.Float())
    items = fields.List(fields.Nested(RankedMember))


class PersonPointsArgs(Schema):
    year = WholeNumber(required=True, validate=YEAR)


class PersonPointsOut(Schema):
    person_id = fields.String()
    year = WholeNumber()
    scheme = fields.String()
    total = fields.Float()
    by_category = fields.Dict(keys=fields.String(), values=fields.Float())
    caps = fields.Dict(keys=fields.String(), values=fields.Float())
    awards = fields.List(fields.Nested(AwardOut))


# ----------------------------------------------------------------------------- alerts and reports

ALERT_KINDS = ("talk", "assessment", "approval", "oath", "probation_end", "conversion_approval", "suspension",
               "removal", "correction", "transfer")


class AlertArgs(PageArgs):
    under = fields.UUID(load_default=None)
    as_of = fields.Date(load_default=None, metadata={"description": "defaults to today (Asia/Shanghai)"})
    horizon_days = WholeNumber(load_default=None, validate=validate.Range(min=0, max=366), metadata={
        "description": "also list what falls due within this many days (default from configuration)"})
    kind = fields.String(load_default=None, validate=validate.OneOf(ALERT_KINDS))


class AlertOut(Schema):
    id = WholeNumber()
    person_id = fields.String()
    person_name = fields.String()
    unit_id = fields.String()
    kind = fields.String()
    code = fields.String()
    opened_on = fields.Date()
    due_on = fields.Date()
    overdue = fields.Boolean()
    days = WholeNumber(metadata={"description": "days left (negative: days overdue)"})
    en = fields.String()
    zh = fields.String()


AlertPage = page_schema(AlertOut)


class UnderArgs(Schema):
    under = fields.UUID(load_default=None)


class StageCounts(Schema):
    unit_id = fields.String()
    name = fields.String()
    kind = fields.String()
    counts = fields.Dict(keys=fields.String(), values=WholeNumber())
    total = WholeNumber()


class StageReportOut(Schema):
    unit_id = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=WholeNumber())
    total = WholeNumber()
    children = fields.List(fields.Nested(StageCounts))


class NoDevelopmentArgs(UnderArgs):
    as_of = fields.Date(load_default=None)


class VillageOut(Schema):
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    kind = fields.String()
    last_admitted_on = fields.Date(allow_none=True)
    rule = fields.String()
    en = fields.String()
    zh = fields.String()


class NoDevelopmentOut(Schema):
    as_of = fields.Date()
    years = WholeNumber()
    villages = WholeNumber()
    flagged = fields.List(fields.Nested(VillageOut))


class BreachArgs(UnderArgs):
    year = WholeNumber(load_default=None, validate=YEAR, metadata={"description": "the year the deadline fell due"})


class BreachCount(Schema):
    code = fields.String()
    kind = fields.String()
    breached = WholeNumber(metadata={"description": "steps recorded late"})
    overdue = WholeNumber(metadata={"description": "still open and past due"})


class BreachReportOut(Schema):
    as_of = fields.Date()
    year = WholeNumber(allow_none=True)
    items = fields.List(fields.Nested(BreachCount))


# ----------------------------------------------------------------------------- imports

class ImportOut(Schema):
    id = fields.String()
    format = fields.String()
    total = WholeNumber()
    created = WholeNumber()
    existing = WholeNumber(metadata={"description": "rows whose ID number is already registered (unchanged)"})
    created_at = fields.DateTime()


ImportPage = page_schema(ImportOut)


# ----------------------------------------------------------------------------- party dues (DUES.*)

#: the largest amount a dues field takes (yuan): far above any salary, far below the fen columns
MONEY_MAX = _Decimal("100000000.00")


class Money(fields.Decimal):
    """An amount in yuan, to the fen: a JSON number or decimal text, at most 2 decimals, never read as a binary
    float (15.1 is 15.10, not 15.0999...). Answered as text ("15.10")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("as_string", True)
        kwargs.setdefault("validate", validate.Range(min=0, max=MONEY_MAX))
        kwargs.setdefault("metadata", {"description": "yuan, at most 2 decimals"})
        super().__init__(places=2, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("an amount in yuan, as a number or decimal text")
        try:
            number = _Decimal(str(value).strip())
        except _InvalidOperation:
            raise ValidationError("an amount in yuan, as a number or decimal text") from None
        if not number.is_finite():
            raise ValidationError("a finite amount")
        if number.as_tuple().exponent < -2:
            raise ValidationError("at most 2 decimals (the fen)")
        if not 0 <= number <= MONEY_MAX:
            raise ValidationError(f"from 0 to {MONEY_MAX}")
        return number.quantize(_Decimal("0.01"))


class Month(fields.String):
    """A month as ``YYYY-MM`` (2000-2100), loaded as the first day of that month."""

    PATTERN = re.compile(r"^(20\d\d|2100)-(0[1-9]|1[0-2])$")

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "YYYY-MM"})
        super().__init__(**kwargs)
        self.metadata.setdefault("pattern", self.PATTERN.pattern)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.PATTERN.match(text):
            raise ValidationError("a month as YYYY-MM (2000-01 to 2100-12)")
        return _date(int(text[:4]), int(text[5:7]), 1)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, _date):
            return f"{value.year}-{value.month:02d}"
        return value


class IncomeItem(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "基本工资, 津贴补贴 ..."})
    amount = Money(required=True)


class Deduction(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DUES_DEDUCTIONS))
    amount = Money(required=True)


class DuesBaseIn(Schema):
    """A member's dues base for a year from a month on (DUES.BASE): employed and retired members from their
    income items less the deductions; the other categories pay a flat amount (a farmer's set by the branch)."""

    year = fields.Integer(required=True, strict=True, validate=YEAR)
    from_month = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=12),
                                metadata={"description": "the month it takes effect (January, or when the income changed)"})
    category = fields.String(required=True, validate=validate.OneOf(DUES_CATEGORIES))
    income = fields.List(fields.Nested(IncomeItem), load_default=list, validate=validate.Length(max=30))
    deductions = fields.List(fields.Nested(Deduction), load_default=list, validate=validate.Length(max=10))
    amount = Money(load_default=None, allow_none=True, metadata={"description": "farmers: the monthly amount"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class DuesBaseOut(Schema):
    id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    effective_from = fields.String(metadata={"description": "YYYY-MM"})
    category = fields.String()
    income = fields.List(fields.Dict())
    deductions = fields.List(fields.Dict())
    base = fields.Decimal(as_string=True, allow_none=True)
    rate = fields.Decimal(as_string=True, allow_none=True)
    amount = fields.Decimal(as_string=True, metadata={"description": "monthly dues, yuan"})
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    bills_repriced = fields.Integer(metadata={"description": "unpaid bills that took the new amount"})


class BillsIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "a branch, or any unit: every branch under it"})
    month = Month(required=True)


class BillsOut(Schema):
    unit_id = fields.String()
    month = fields.String()
    created = fields.Integer()
    existing = fields.Integer(metadata={"description": "members billed for the month already (unchanged)"})
    amount = fields.Decimal(as_string=True, metadata={"description": "what the new bills add up to"})
    without_base = fields.Integer(metadata={"description": "members with no dues base recorded: not billed"})
    without_base_people = fields.List(fields.String())
    bases_of_earlier_years = fields.Integer(metadata={"description": "billed on a base not renewed this year"})
    not_yet_members = fields.Integer(metadata={"description": "probationary members admitted after the month"})
    grounds_recorded = fields.Integer(metadata={"description": "six months' arrears recorded as grounds"})


class BillListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    month = Month(load_default=None)
    unpaid = fields.Boolean(load_default=False)


class BillOut(Schema):
    id = fields.Integer()
    person_id = fields.String()
    unit_id = fields.String()
    month = fields.String()
    category = fields.String()
    due = fields.Decimal(as_string=True)
    paid = fields.Decimal(as_string=True)
    paid_on = fields.Date(allow_none=True)
    payment_id = fields.String(allow_none=True)
    late = fields.Boolean(metadata={"description": "paid after its month: arrears paid later"})


BillPage = page_schema(BillOut)


class PaymentIn(Schema):
    """Whole months paid at once: one month, a quarter, months in advance (up to a year) or arrears."""

    paid_on = fields.Date(required=True)
    from_month = Month(required=True)
    to_month = Month(load_default=None, metadata={"description": "YYYY-MM; default: from_month"})
    amount = Money(required=True, metadata={"description": "yuan; more than due is a voluntary extra"})
    channel = fields.String(load_default="cash", validate=validate.OneOf(("cash", "bank", "platform")))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class PaymentOut(Schema):
    id = fields.String()
    person_id = fields.String()
    unit_id = fields.String()
    paid_on = fields.Date()
    from_month = fields.String()
    to_month = fields.String()
    kind = fields.String(metadata={"description": "monthly, quarterly, advance or arrears"})
    amount = fields.Decimal(as_string=True)
    due = fields.Decimal(as_string=True)
    extra = fields.Decimal(as_string=True, metadata={"description": "paid beyond the dues (自愿多交)"})
    channel = fields.String()
    reference = fields.String(allow_none=True)
    import_id = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


PaymentPage = page_schema(PaymentOut)


class PaymentListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    import_id = fields.UUID(load_default=None)


class PaymentImportArgs(_ImportQuery):
    pass


class PaymentImportOut(Schema):
    import_id = fields.String(allow_none=True)
    format = fields.String()
    total = fields.Integer()
    created = fields.Integer()
    existing = fields.Integer(metadata={"description": "lines whose reference the person's payments hold already"})
    amount = fields.Decimal(as_string=True)


class ArrearsOut(Schema):
    code = fields.String()
    level = fields.String(metadata={"description": "alert (3+ months) or ground (6+: MEMBERS.UNQUALIFIED)"})
    since = fields.String()
    until = fields.String()
    months = fields.Integer()
    en = fields.String()
    zh = fields.String()


class PersonDuesArgs(Schema):
    year = fields.Integer(load_default=None, validate=YEAR)
    as_of = fields.Date(load_default=None)


class PersonDuesOut(Schema):
    person_id = fields.String()
    as_of = fields.Date()
    bases = fields.List(fields.Nested(DuesBaseOut))
    bills = fields.List(fields.Nested(BillOut))
    payments = fields.List(fields.Nested(PaymentOut))
    arrears = fields.Nested(ArrearsOut, allow_none=True)


class DuesArrearsArgs(PageArgs):
    under = fields.UUID(load_default=None)
    as_of = fields.Date(load_default=None, metadata={"description": "defaults to today (Asia/Shanghai)"})
    level = fields.String(load_default=None, validate=validate.OneOf(("alert", "ground")))


class DuesAlertOut(ArrearsOut):
    person_id = fields.String()
    person_name = fields.String()
    unit_id = fields.String()
    kind = fields.String()
    outstanding = fields.Decimal(as_string=True)
    ground_recorded = fields.Boolean(metadata={"description": "the ground is in the management records"})


class DuesArrearsOut(Schema):
    as_of = fields.Date()
    items = fields.List(fields.Nested(DuesAlertOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DuesReportArgs(UnderArgs):
    year = fields.Integer(load_default=None, validate=YEAR, metadata={"description": "default: this year"})
    from_month = Month(load_default=None, metadata={"description": "YYYY-MM (default: January of year)"})
    to_month = Month(load_default=None, metadata={"description": "YYYY-MM (default: December)"})
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")),
                           metadata={"description": "or the Accept header"})


class DuesFigures(Schema):
    due = fields.Decimal(as_string=True)
    paid = fields.Decimal(as_string=True)
    outstanding = fields.Decimal(as_string=True)
    bills = fields.Integer()
    paid_bills = fields.Integer()
    late = fields.Integer(metadata={"description": "bills paid after their month (arrears paid later)"})


class DuesMonthFigures(DuesFigures):
    month = fields.String()


class DuesBranchFigures(DuesFigures):
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    months = fields.List(fields.Nested(DuesMonthFigures))


class DuesReportOut(Schema):
    unit_id = fields.String(allow_none=True)
    from_month = fields.String()
    to_month = fields.String()
    total = fields.Nested(DuesFigures)
    months = fields.List(fields.Nested(DuesMonthFigures))
    branches = fields.List(fields.Nested(DuesBranchFigures))
