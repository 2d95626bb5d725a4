"""The steps of the development procedure (发展党员), discriminated by ``kind``: each kind has its own payload
schema, listed in ``STEP_SCHEMAS`` and published in the OpenAPI document; the timeline and deadlines."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http import page_schema
from shared.messages import msg
from shared.numbers import WholeNumber

from .common import Kinded, VOTES, ViolationOut
from .people import PersonBrief, PersonOut


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


class StepIn(Kinded):
    """One step of the procedure: ``kind`` (one of the 25 steps, a public notice or an extra review) and the
    fields of that kind (see the *Step schemas)."""
    kinds = STEP_SCHEMAS
    kind = fields.String(required=True, validate=validate.OneOf(list(STEP_SCHEMAS)))


class ReversalIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    date = fields.Date(load_default=None, allow_none=True, metadata={"description": "defaults to today"})


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
