"""Request and response schemas of the evaluation service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.catalog.evaluation import CATEGORIES, PROBLEM_STATUSES
from shared.http import PageArgs, page_schema

from .scoring import INDICATORS, MANUAL_INPUTS, TRANSFORMS, VETO_OPS

YEAR = validate.Range(min=2000, max=2100)
KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="lower-case letters, digits and _ (at most 40)")
#: where a problem was found; ``hearing`` and ``screening`` problems are opened from org's events
PROBLEM_SOURCES = ("self_check", "inspection", "review", "research", "feedback", "hearing", "screening")
UNDER = {"description": "limit to this unit's subtree (default: the caller's whole scope)"}
YEAR_ARG = {"description": "the year assessed (default: this year)"}
#: the range every manual input lies in (each input's own range is narrower: MANUAL_INPUTS)
MANUAL_VALUE = validate.Range(min=min(i["min"] for i in MANUAL_INPUTS.values()),
                              max=max(i["max"] for i in MANUAL_INPUTS.values()))
#: an indicator's figure (counts and rates of one unit's year) at most: a target or a veto's threshold
INDICATOR_MAX = 1_000_000


# ----------------------------------------------------------------------------- scorecards

class SourceSchema(Schema):
    """Where a criterion's number comes from: an indicator (with a transform) or a manual input (with a range)."""

    indicator = fields.String(validate=validate.OneOf(sorted(INDICATORS)))
    transform = fields.String(validate=validate.OneOf(TRANSFORMS), metadata={
        "description": "scaled: weight x min(value/target, 1); flag: weight when value >= 1; "
                       "penalty: weight x max(1 - value/target, 0)"})
    target = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=INDICATOR_MAX))
    manual = fields.String(validate=validate.OneOf(sorted(MANUAL_INPUTS)))
    min = fields.Float(validate=MANUAL_VALUE)
    max = fields.Float(validate=MANUAL_VALUE)
    higher_is_better = fields.Boolean()

    @validates_schema
    def one_source(self, data, **kwargs):
        if ("indicator" in data) == ("manual" in data):
            raise ValidationError("give either an indicator or a manual input", "indicator")
        if "indicator" in data:
            if any(k in data for k in ("min", "max", "higher_is_better")):
                raise ValidationError("min, max and higher_is_better belong to manual inputs", "min")
            return
        if any(k in data for k in ("transform", "target")):
            raise ValidationError("transform and target belong to indicators", "transform")
        allowed = MANUAL_INPUTS[data["manual"]]
        low, high = data.get("min", allowed["min"]), data.get("max", allowed["max"])
        if not allowed["min"] <= low < high <= allowed["max"]:
            raise ValidationError(f"the range must lie within {allowed['min']}..{allowed['max']} with min < max",
                                  "max")

    @post_load
    def defaults(self, data, **kwargs):
        if "indicator" in data:
            data.setdefault("transform", "scaled")
            if data["transform"] != "flag":
                data.setdefault("target", 1.0)
        else:
            allowed = MANUAL_INPUTS[data["manual"]]
            data.setdefault("min", allowed["min"])
            data.setdefault("max", allowed["max"])
            data.setdefault("higher_is_better", True)
        return data


class CriterionSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    weight = fields.Float(required=True, validate=validate.Range(min=0, max=100, min_inclusive=False))
    source = fields.Nested(SourceSchema, required=True)


class VetoSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    indicator = fields.String(validate=validate.OneOf(sorted(INDICATORS)))
    manual = fields.String(validate=validate.OneOf(sorted(MANUAL_INPUTS)))
    op = fields.String(required=True, validate=validate.OneOf(VETO_OPS))
    value = fields.Float(required=True, validate=validate.Range(min=-INDICATOR_MAX, max=INDICATOR_MAX))

    @validates_schema
    def one_source(self, data, **kwargs):
        if ("indicator" in data) == ("manual" in data):
            raise ValidationError("give either an indicator or a manual input", "indicator")


class ScorecardChange(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    criteria = fields.List(fields.Nested(CriterionSchema), required=True, validate=validate.Length(min=1, max=50))
    vetoes = fields.List(fields.Nested(VetoSchema), load_default=list, validate=validate.Length(max=20))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def weights_and_keys(self, data, **kwargs):
        total = sum(c["weight"] for c in data.get("criteria", []))
        if abs(total - 100) > 1e-6:
            raise ValidationError(f"the weights add up to {total:g}; they must add up to 100", "criteria")
        for name in ("criteria", "vetoes"):
            keys = [c["key"] for c in data.get(name, [])]
            if len(keys) != len(set(keys)):
                raise ValidationError("each key appears once", name)


class ScorecardIn(ScorecardChange):
    region_id = fields.UUID(required=True, metadata={"description": "the province, city or county it is for"})


class ScorecardOut(Schema):
    id = fields.String()
    region_id = fields.String(attribute="region_unit_id")
    region_path = fields.String()
    region_kind = fields.String()
    name = fields.String()
    version = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    criteria = fields.List(fields.Dict())
    vetoes = fields.List(fields.Dict())


ScorecardPage = page_schema(ScorecardOut)


class ScorecardVersionOut(Schema):
    id = fields.String()
    scorecard_id = fields.String()
    number = fields.Integer()
    name = fields.String()
    criteria = fields.List(fields.Dict())
    vetoes = fields.List(fields.Dict())
    note = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()


ScorecardVersionPage = page_schema(ScorecardVersionOut)


class EffectiveScorecardOut(Schema):
    unit_id = fields.String()
    built_in = fields.Boolean()
    source = fields.Dict(allow_none=True)
    name = fields.String()
    criteria = fields.List(fields.Dict())
    vetoes = fields.List(fields.Dict())


class ListArgs(PageArgs):
    under = fields.UUID(load_default=None, metadata=UNDER)


# ----------------------------------------------------------------------------- manual inputs

class InputIn(Schema):
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True, validate=YEAR)
    name = fields.String(required=True, validate=validate.OneOf(sorted(MANUAL_INPUTS)))
    value = fields.Float(required=True, validate=MANUAL_VALUE)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class InputChange(Schema):
    value = fields.Float(required=True, validate=MANUAL_VALUE)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class InputOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    year = fields.Integer()
    name = fields.String()
    value = fields.Float()
    note = fields.String(allow_none=True)
    entered_by = fields.String()
    entered_at = fields.DateTime()
    version = fields.Integer()


InputPage = page_schema(InputOut)


class InputListArgs(ListArgs):
    year = fields.Integer(load_default=None, validate=YEAR)
    name = fields.String(load_default=None, validate=validate.OneOf(sorted(MANUAL_INPUTS)))


# ----------------------------------------------------------------------------- indicators and assessments

class YearArgs(Schema):
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)


class IndicatorArgs(ListArgs):
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)


class IndicatorRowOut(Schema):
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    org_path = fields.String()
    year = fields.Integer()
    as_of = fields.Date()
    indicators = fields.Dict(metadata={"description": "indicator name -> value (names: docs/evaluation.md)"})
    inputs = fields.Dict(metadata={"description": "manual inputs of the year, with who entered them"})
    signs = fields.List(fields.Dict(), metadata={"description": "weak-and-lax signs (EVAL.WEAK) with evidence"})
    evidence = fields.Dict(metadata={"description": "the figures behind the indicators"})


IndicatorPage = page_schema(IndicatorRowOut)


class RecomputeIn(Schema):
    under = fields.UUID(required=True, metadata={"description": "a county, a city or the province"})
    year = fields.Integer(required=True, validate=YEAR)


class RecomputeOut(Schema):
    under = fields.String()
    year = fields.Integer()
    as_of = fields.Date()
    branches = fields.Integer()
    regions = fields.Integer()
    by_stars = fields.Dict(keys=fields.String(), values=fields.Integer())
    weak = fields.Integer()
    computed_at = fields.DateTime()


class AssessmentOut(Schema):
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    org_path = fields.String()
    region_id = fields.String()
    year = fields.Integer()
    scorecard_version_id = fields.String(allow_none=True)
    score = fields.Float()
    stars_by_score = fields.Integer()
    stars = fields.Integer()
    category = fields.String()
    previous_stars = fields.Integer(allow_none=True)
    change = fields.String(metadata={"description": "up (晋位升级), down (降级), same, new"})
    weak = fields.Boolean()
    signs = fields.List(fields.Dict())
    vetoes = fields.List(fields.Dict())
    limits = fields.List(fields.Dict(), metadata={"description": "EVAL.VETO / EVAL.STARS limits applied"})
    as_of = fields.Date()
    computed_at = fields.DateTime()


AssessmentPage = page_schema(AssessmentOut)


class AssessmentListArgs(ListArgs):
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)
    stars = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    weak = fields.Boolean(load_default=None)
    region_id = fields.UUID(load_default=None)


class CriterionScoreOut(Schema):
    key = fields.String()
    name = fields.String()
    weight = fields.Float(allow_none=True)
    source = fields.Dict()
    value = fields.Raw(allow_none=True)
    points = fields.Float()
    provenance = fields.Dict()


class AssessmentDetailOut(Schema):
    assessment = fields.Nested(AssessmentOut)
    scorecard = fields.Dict()
    criteria = fields.List(fields.Nested(CriterionScoreOut))


# ----------------------------------------------------------------------------- ratings and ledgers

class PublishIn(Schema):
    region_id = fields.UUID(required=True, metadata={"description": "the county (or city / province) to publish"})
    year = fields.Integer(required=True, validate=YEAR)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "required for a correction of a published batch"})


class BatchOut(Schema):
    id = fields.String()
    region_id = fields.String()
    region_name = fields.String()
    year = fields.Integer()
    version = fields.Integer()
    branches = fields.Integer()
    scorecard_version_id = fields.String(allow_none=True)
    scorecard_name = fields.String()
    reason = fields.String(allow_none=True)
    published_by = fields.String()
    published_at = fields.DateTime()


class PublishOut(Schema):
    batch = fields.Nested(BatchOut)
    by_stars = fields.Dict(keys=fields.String(), values=fields.Integer())


class RatingOut(Schema):
    id = fields.String()
    batch_id = fields.String()
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    org_path = fields.String()
    region_id = fields.String()
    region_name = fields.String()
    year = fields.Integer()
    rating_version = fields.Integer()
    score = fields.Float()
    stars_by_score = fields.Integer()
    stars = fields.Integer()
    category = fields.String()
    previous_stars = fields.Integer(allow_none=True)
    change = fields.String()
    weak = fields.Boolean()
    signs = fields.List(fields.Dict())
    vetoes = fields.List(fields.Dict())
    limits = fields.List(fields.Dict())
    as_of = fields.Date()
    published_at = fields.DateTime()


RatingPage = page_schema(RatingOut)


class RatingDetailOut(Schema):
    rating = fields.Nested(RatingOut)
    batch = fields.Nested(BatchOut)
    criteria = fields.List(fields.Nested(CriterionScoreOut))


class RatingListArgs(ListArgs):
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)
    all_versions = fields.Boolean(load_default=False, metadata={"description": "every version, not only the latest"})


class LedgerArgs(Schema):
    under = fields.UUID(load_default=None, metadata=UNDER)
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")),
                           metadata={"description": "or the Accept header (text/csv, the XLSX media type)"})


class LedgerEntryOut(Schema):
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    score = fields.Float()
    stars = fields.Integer()
    previous_stars = fields.Integer(allow_none=True)
    change = fields.String()
    weak = fields.Boolean()
    rating_id = fields.String()
    rating_version = fields.Integer()
    published_on = fields.Date()


class LedgerCountyOut(Schema):
    region_id = fields.String()
    region_name = fields.String()
    advanced = fields.List(fields.Nested(LedgerEntryOut))
    middle = fields.List(fields.Nested(LedgerEntryOut))
    backward = fields.List(fields.Nested(LedgerEntryOut))


class LedgerOut(Schema):
    year = fields.Integer()
    counties = fields.List(fields.Nested(LedgerCountyOut))


# ----------------------------------------------------------------------------- weak and lax

class WeakArgs(ListArgs):
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)


class BottomOut(Schema):
    region_id = fields.String()
    region_branches = fields.Integer()
    rank = fields.Integer(metadata={"description": "1 = the lowest score in the county; ties share a rank"})
    least = fields.Integer(metadata={"description": "the county's bottom 5%, rounded up"})
    most = fields.Integer(metadata={"description": "the county's bottom 10%, rounded up"})
    within_least = fields.Boolean()
    unit_id = fields.String()
    name = fields.String()
    code = fields.String()
    org_path = fields.String()
    score = fields.Float()
    stars = fields.Integer()
    weak = fields.Boolean()


BottomPage = page_schema(BottomOut)


# ----------------------------------------------------------------------------- problems

class ProblemIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the branch"})
    year = fields.Integer(load_default=None, validate=YEAR)
    source = fields.String(required=True, validate=validate.OneOf(PROBLEM_SOURCES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    responsible = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                metadata={"description": "the person who answers for the rectification"})
    responsible_person_id = fields.UUID(load_default=None, allow_none=True)
    measures = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    deadline = fields.Date(required=True)


class ProblemChange(Schema):
    description = fields.String(validate=validate.Length(min=1, max=4000))
    responsible = fields.String(validate=validate.Length(min=1, max=100))
    responsible_person_id = fields.UUID(allow_none=True)
    measures = fields.String(allow_none=True, validate=validate.Length(max=4000))
    deadline = fields.Date()

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("change at least one field", "_schema")


class TransitionIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(PROBLEM_STATUSES[1:]))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=4000))


class EscalationIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                           metadata={"description": "why the branch cannot solve it"})


class WeakScopeIn(Schema):
    in_scope = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CommentIn(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CommentOut(Schema):
    id = fields.Integer()
    problem_id = fields.String()
    author = fields.String()
    body = fields.String()
    status_from = fields.String(allow_none=True)
    status_to = fields.String(allow_none=True)
    created_at = fields.DateTime()


CommentPage = page_schema(CommentOut)


class ProblemOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    year = fields.Integer()
    source = fields.String()
    description = fields.String()
    responsible = fields.String()
    responsible_person_id = fields.String(allow_none=True)
    measures = fields.String(allow_none=True)
    deadline = fields.Date()
    due = fields.Date(metadata={"description": "the deadline, or the year's end if earlier (EVAL.PROBLEMS)"})
    overdue = fields.Boolean()
    status = fields.String()
    level_unit_id = fields.String()
    escalations = fields.Integer()
    in_weak_scope = fields.Boolean()
    weak_scope_reason = fields.String(allow_none=True)
    opened_on = fields.Date()
    rectified_on = fields.Date(allow_none=True)
    verified_on = fields.Date(allow_none=True)
    created_by = fields.String()
    version = fields.Integer()


ProblemPage = page_schema(ProblemOut)


class ProblemListArgs(ListArgs):
    level = fields.UUID(load_default=None, metadata={"description": "problems this unit now answers for"})
    year = fields.Integer(load_default=None, validate=YEAR)
    status = fields.String(load_default=None, validate=validate.OneOf(PROBLEM_STATUSES))
    overdue = fields.Boolean(load_default=None, metadata={"description": "only overdue (true) or not (false)"})
    in_weak_scope = fields.Boolean(load_default=None)


# ----------------------------------------------------------------------------- dashboard

class DashboardArgs(Schema):
    under = fields.UUID(load_default=None, metadata=UNDER)
    year = fields.Integer(load_default=None, validate=YEAR, metadata=YEAR_ARG)


class ComputedOut(Schema):
    first = fields.DateTime(allow_none=True)
    last = fields.DateTime(allow_none=True)


class ReportFiguresOut(Schema):
    """EVAL.REPORTS: the standing mechanisms of the rated branches (live from org's events)."""

    branches = fields.Integer()
    quarters_due = fields.Integer(metadata={"description": "quarters of the year ended so far"})
    heard_every_quarter = fields.Integer(metadata={"description": "branches heard in each quarter due (LIFE.HEARING)"})
    heard_share = fields.Float(allow_none=True)
    screened = fields.Integer(metadata={"description": "branches with a screening record this year (LIFE.SCREENING)"})
    screened_share = fields.Float(allow_none=True)
    secretaries_assessed = fields.Integer(metadata={
        "description": "branches with a 述职评议 of the year or the year before (LIFE.SECRETARY_REPORT)"})
    secretaries_poor = fields.Integer(metadata={"description": "of them assessed 差"})


class CountyReportsOut(ReportFiguresOut):
    unit_id = fields.String()
    name = fields.String()


class ReportsOut(ReportFiguresOut):
    counties = fields.List(fields.Nested(CountyReportsOut), metadata={"description": "each county in the subtree"})


class DashboardOut(Schema):
    year = fields.Integer()
    as_of = fields.Date()
    computed = fields.Nested(ComputedOut, metadata={"description": "when the assessments added up were computed"})
    branches = fields.Integer()
    stars = fields.Dict(keys=fields.String(), values=fields.Integer())
    categories = fields.Dict(keys=fields.String(), values=fields.Integer())
    weak = fields.Integer()
    problems = fields.Dict(keys=fields.String(), values=fields.Integer())
    training = fields.Dict()
    terms_expired = fields.Integer()
    meetings = fields.Dict(keys=fields.String(), values=fields.Integer())
    reports = fields.Nested(ReportsOut, metadata={"description": "EVAL.REPORTS: hearings, screening, 述职评议"})


# ----------------------------------------------------------------------------- exemplars

EXEMPLAR_KINDS = ("demonstration", "advanced_example")


class ExemplarIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EXEMPLAR_KINDS), metadata={
        "description": "demonstration 示范党支部 (five-star and advanced in the year's rating) or advanced_example 先进典型"})
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True, validate=YEAR)
    recognised_for = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                                   metadata={"description": "what it is recognised for (主要事迹)"})
    subject_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                 metadata={"description": "an advanced example: the person (or the branch) named"})
    person_id = fields.UUID(load_default=None, allow_none=True)


class ExemplarPatch(Schema):
    recognised_for = fields.String(validate=validate.Length(min=1, max=4000))
    subject_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    person_id = fields.UUID(allow_none=True)
    status = fields.String(validate=validate.OneOf(("withdrawn",)))
    withdrawn_reason = fields.String(validate=validate.Length(min=1, max=2000))

    @validates_schema
    def _something(self, data, **_kwargs):
        if not data:
            raise ValidationError("give at least one field to change", "_schema")


class ExemplarRatingOut(Schema):
    stars = fields.Integer()
    category = fields.String()
    score = fields.Float()
    rating_version = fields.Integer()


class ExemplarOut(Schema):
    id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    unit_id = fields.String()
    org_path = fields.String()
    name = fields.String()
    code = fields.String()
    county = fields.String(allow_none=True)
    year = fields.Integer()
    subject_name = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    recognised_for = fields.String()
    rating_id = fields.String(allow_none=True)
    rating = fields.Nested(ExemplarRatingOut, allow_none=True, metadata={"description": "latest of the year"})
    status = fields.String()
    withdrawn_on = fields.Date(allow_none=True)
    withdrawn_reason = fields.String(allow_none=True)
    created_by = fields.String()
    version = fields.Integer()


ExemplarPage = page_schema(ExemplarOut)


class ExemplarListArgs(ListArgs):
    year = fields.Integer(load_default=None, validate=YEAR)
    kind = fields.String(load_default=None, validate=validate.OneOf(EXEMPLAR_KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(("active", "withdrawn")))
    format = fields.String(load_default=None, validate=validate.OneOf(("json", "csv", "xlsx")),
                           metadata={"description": "csv or xlsx: the whole list for publication (or by Accept)"})
