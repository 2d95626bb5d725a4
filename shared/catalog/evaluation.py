"""Events the evaluation service publishes."""
from marshmallow import Schema, fields, validate

from . import DeadlineReminder, event

CATEGORIES = ("advanced", "middle", "backward")
PROBLEM_STATUSES = ("open", "in_progress", "rectified", "verified")


@event("evaluation.rating.published")
class RatingPublished(Schema):
    """A branch's rating for a year was published (a correction is a new version)."""

    rating_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True)
    score = fields.Float(required=True)
    stars = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    rating_version = fields.Integer(required=True)
    batch_id = fields.UUID(allow_none=True, metadata={"description": "the county batch it was published in"})
    region_id = fields.UUID(allow_none=True, metadata={"description": "the county (or city / province) rating it"})
    change = fields.String(allow_none=True, validate=validate.OneOf(("up", "down", "same", "new")), metadata={
        "description": "against last year's stars: up 晋位升级, down 降级, same, new"})
    weak = fields.Boolean(allow_none=True, metadata={"description": "showed a weak-and-lax sign (EVAL.WEAK)"})


class _ProblemFields(Schema):
    problem_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PROBLEM_STATUSES))
    deadline = fields.Date(allow_none=True)
    level_unit_id = fields.UUID(allow_none=True, metadata={"description": "the unit now responsible"})
    problem_version = fields.Integer(required=True)
    year = fields.Integer(allow_none=True)
    in_weak_scope = fields.Boolean(allow_none=True, metadata={
        "description": "the branch is inside the weak-and-lax rectification scope for this problem"})


@event("evaluation.problem.opened")
class ProblemOpened(_ProblemFields):
    """A problem was put on a branch's problem list."""


@event("evaluation.problem.changed")
class ProblemChanged(_ProblemFields):
    """A problem's status, measures or deadline changed."""


@event("evaluation.problem.escalated")
class ProblemEscalated(_ProblemFields):
    """A problem the branch cannot solve went to the next level up."""


@event("evaluation.problem.closed")
class ProblemClosed(_ProblemFields):
    """A rectified problem was verified and closed."""


@event("evaluation.deadline.approaching")
class EvaluationDeadlineApproaching(DeadlineReminder):
    """A problem on a branch's list is due for rectification in N days (once per threshold).

    Data: ``DeadlineReminder`` (``shared/catalog/__init__.py``); job: ``shared/reminders.py``.
    """


@event("evaluation.deadline.overdue")
class EvaluationDeadlineOverdue(DeadlineReminder):
    """A problem's rectification deadline passed and it is not rectified (sent once)."""


@event("evaluation.exemplar.changed")
class ExemplarChanged(Schema):
    """A demonstration branch or an advanced example was recorded, corrected or withdrawn (EVAL.EXEMPLARS)."""

    exemplar_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("demonstration", "advanced_example")))
    unit_id = fields.UUID(required=True)
    year = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("active", "withdrawn")))
    recognised_for = fields.String(required=True)
    exemplar_version = fields.Integer(required=True)
