"""The evaluation service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

from flask.views import MethodView
from shared.parsing import Blueprint

from shared.request import require
from shared.export import XLSX_MIME
from shared.http import PageArgs, with_etag
from shared.idempotency import idempotent
from shared.openapi import requires_if_match

from . import assessing, dashboard, exemplars, indicators, inputs, problems, ratings, scorecards
from .schemas import (ExemplarIn, ExemplarListArgs, ExemplarOut, ExemplarPage, ExemplarPatch)
from .schemas import (AssessmentDetailOut, AssessmentListArgs, AssessmentPage, BottomPage, CommentIn, CommentOut,
                      CommentPage, DashboardArgs, DashboardOut, EffectiveScorecardOut, EscalationIn, IndicatorArgs,
                      IndicatorPage, IndicatorRowOut, InputChange, InputIn, InputListArgs, InputOut, InputPage,
                      LedgerArgs, LedgerOut, ListArgs, ProblemChange, ProblemIn, ProblemListArgs, ProblemOut,
                      ProblemPage, PublishIn, PublishOut, RatingDetailOut, RatingListArgs, RatingPage, RecomputeIn,
                      RecomputeOut, ScorecardChange, ScorecardIn, ScorecardOut, ScorecardPage, ScorecardVersionOut,
                      ScorecardVersionPage, TransitionIn, WeakArgs, WeakScopeIn, YearArgs)

PREFIX = "/api/evaluation/v1"
ORGANIZERS = ("admin", "organizer")
INPUT_WRITERS = ("admin", "organizer", "integration")
PROBLEM_WRITERS = ("admin", "organizer", "secretary", "integration")

# ----------------------------------------------------------------------------- scorecards

scorecards_blp = Blueprint("scorecards", __name__, url_prefix=PREFIX,
                           description="Scorecard templates: the province default, a city's or county's own; versioned")


@scorecards_blp.route("/scorecards")
class Scorecards(MethodView):
    @scorecards_blp.arguments(ListArgs, location="query")
    @scorecards_blp.response(200, ScorecardPage)
    def get(self, args):
        """Scorecards of the regions in the caller's subtree."""
        return scorecards.list_cards(args)

    @idempotent
    @scorecards_blp.arguments(ScorecardIn)
    @scorecards_blp.response(201, ScorecardOut)
    def post(self, fields):
        """Create a region's scorecard (version 1); weights add up to 100."""
        require(*ORGANIZERS)
        card = scorecards.create(fields)
        return with_etag(scorecards.present(card))


@scorecards_blp.route("/scorecards/<uuid:card_id>")
class ScorecardItem(MethodView):
    @scorecards_blp.response(200, ScorecardOut)
    def get(self, card_id):
        """A scorecard with its version in force."""
        card = scorecards.get_in_scope(card_id)
        return with_etag(scorecards.present(card))

    @requires_if_match
    @scorecards_blp.arguments(ScorecardChange)
    @scorecards_blp.response(200, ScorecardOut)
    def put(self, fields, card_id):
        """Change a scorecard: a new version (If-Match); published ratings keep the version they used."""
        require(*ORGANIZERS)
        card = scorecards.change(card_id, fields)
        return with_etag(scorecards.present(card))


@scorecards_blp.route("/scorecards/<uuid:card_id>/versions")
class ScorecardVersions(MethodView):
    @scorecards_blp.arguments(PageArgs, location="query")
    @scorecards_blp.response(200, ScorecardVersionPage)
    def get(self, args, card_id):
        """Every version of a scorecard, oldest first."""
        return scorecards.list_versions(card_id, args)


@scorecards_blp.route("/scorecards/<uuid:card_id>/versions/<int:number>")
class ScorecardVersionItem(MethodView):
    @scorecards_blp.response(200, ScorecardVersionOut)
    def get(self, card_id, number):
        """One version of a scorecard."""
        return scorecards.version_of(scorecards.get_in_scope(card_id), number)


@scorecards_blp.route("/units/<uuid:unit_id>/scorecard")
class EffectiveScorecard(MethodView):
    @scorecards_blp.response(200, EffectiveScorecardOut)
    def get(self, unit_id):
        """The scorecard that scores this unit's branches (its county's, city's, the province's or built in)."""
        return scorecards.effective_for(unit_id)


# ----------------------------------------------------------------------------- manual inputs

inputs_blp = Blueprint("inputs", __name__, url_prefix=PREFIX,
                       description="Manual inputs: only what no record holds, with who entered it")


@inputs_blp.route("/inputs")
class Inputs(MethodView):
    @inputs_blp.arguments(InputListArgs, location="query")
    @inputs_blp.response(200, InputPage)
    def get(self, args):
        """Manual inputs in the caller's subtree."""
        return inputs.list_inputs(args)

    @idempotent
    @inputs_blp.arguments(InputIn)
    @inputs_blp.response(201, InputOut)
    def post(self, fields):
        """Enter a value for a branch and year, within the input's allowed range."""
        require(*INPUT_WRITERS)
        return with_etag(inputs.enter(fields))


@inputs_blp.route("/inputs/<uuid:input_id>")
class InputItem(MethodView):
    @inputs_blp.response(200, InputOut)
    def get(self, input_id):
        """One manual input."""
        return with_etag(inputs.get_in_scope(input_id))

    @requires_if_match
    @inputs_blp.arguments(InputChange)
    @inputs_blp.response(200, InputOut)
    def patch(self, fields, input_id):
        """Change the value (If-Match); the audit log keeps every earlier one with who entered it."""
        require(*INPUT_WRITERS)
        return with_etag(inputs.change(input_id, fields))


# ----------------------------------------------------------------------------- indicators

indicators_blp = Blueprint("indicators", __name__, url_prefix=PREFIX,
                           description="Indicators per branch and year, computed now from the facts events keep")


@indicators_blp.route("/indicators")
class Indicators(MethodView):
    @indicators_blp.arguments(IndicatorArgs, location="query")
    @indicators_blp.response(200, IndicatorPage)
    def get(self, args):
        """A page of branches with their indicators, weak-and-lax signs and evidence."""
        return indicators.live_page(args)


@indicators_blp.route("/units/<uuid:unit_id>/indicators")
class UnitIndicators(MethodView):
    @indicators_blp.arguments(YearArgs, location="query")
    @indicators_blp.response(200, IndicatorRowOut)
    def get(self, args, unit_id):
        """One branch's indicators now."""
        return indicators.live_unit(unit_id, args.get("year"))


# ----------------------------------------------------------------------------- assessments

assessments_blp = Blueprint("assessments", __name__, url_prefix=PREFIX,
                            description="Assessments: score, stars, category and change, recomputed set-wise")


@assessments_blp.route("/assessments")
class Assessments(MethodView):
    @assessments_blp.arguments(AssessmentListArgs, location="query")
    @assessments_blp.response(200, AssessmentPage)
    def get(self, args):
        """Assessments of the branches in a subtree for a year (as of the last recompute)."""
        return assessing.list_assessments(args)


@assessments_blp.route("/assessments/recompute")
class Recompute(MethodView):
    @idempotent
    @assessments_blp.arguments(RecomputeIn)
    @assessments_blp.response(200, RecomputeOut)
    def post(self, fields):
        """Recompute every assessment of a county, a city or the province for a year."""
        require(*ORGANIZERS)
        return assessing.recompute(fields)


@assessments_blp.route("/units/<uuid:unit_id>/assessment")
class UnitAssessment(MethodView):
    @assessments_blp.arguments(YearArgs, location="query")
    @assessments_blp.response(200, AssessmentDetailOut)
    def get(self, args, unit_id):
        """One branch's assessment with the breakdown by criterion and where each number came from."""
        return assessing.assessment_of(unit_id, args.get("year"))


# ----------------------------------------------------------------------------- ratings and ledgers

ratings_blp = Blueprint("ratings", __name__, url_prefix=PREFIX,
                        description="Published ratings (immutable; a correction is a new version) and ledgers")


@ratings_blp.route("/ratings")
class Ratings(MethodView):
    @ratings_blp.arguments(RatingListArgs, location="query")
    @ratings_blp.response(200, RatingPage)
    def get(self, args):
        """Published ratings in a subtree for a year: the latest version of each, or all versions."""
        return ratings.list_ratings(args)

    @idempotent
    @ratings_blp.arguments(PublishIn)
    @ratings_blp.response(201, PublishOut)
    def post(self, fields):
        """Publish a county's ratings for a year as one batch (again, with a reason, to correct it)."""
        require(*ORGANIZERS)
        return ratings.publish(fields)


@ratings_blp.route("/ratings/<uuid:rating_id>")
class RatingItem(MethodView):
    @ratings_blp.response(200, RatingDetailOut)
    def get(self, rating_id):
        """One published rating with its breakdown, as published."""
        return ratings.get_in_scope(rating_id)


@ratings_blp.route("/ledgers")
class Ledgers(MethodView):
    @ratings_blp.arguments(LedgerArgs, location="query")
    @ratings_blp.response(200, LedgerOut, content_type="application/json")
    @ratings_blp.alt_response(200, content_type="text/csv", success=True, description="one table, 类别 column")
    @ratings_blp.alt_response(200, content_type=XLSX_MIME, success=True,
                              description="sheets 先进 / 中间 / 后进, Chinese headers")
    def get(self, args):
        """Advanced / middle / backward branches per county from the published ratings (JSON, CSV, XLSX)."""
        return ratings.ledgers(args)


# ----------------------------------------------------------------------------- weak and lax

weak_blp = Blueprint("weak", __name__, url_prefix=PREFIX,
                     description="Weak-and-lax branches (EVAL.WEAK) and each county's bottom for re-ranking")


@weak_blp.route("/weak")
class Weak(MethodView):
    @weak_blp.arguments(WeakArgs, location="query")
    @weak_blp.response(200, AssessmentPage)
    def get(self, args):
        """Branches showing a weak-and-lax sign, with the signs and their evidence."""
        return assessing.list_weak(args)


@weak_blp.route("/weak/bottom")
class WeakBottom(MethodView):
    @weak_blp.arguments(WeakArgs, location="query")
    @weak_blp.response(200, BottomPage)
    def get(self, args):
        """Each county's bottom 5-10% by score, lowest first (ties share a rank)."""
        return assessing.list_bottom(args)


# ----------------------------------------------------------------------------- problems

problems_blp = Blueprint("problems", __name__, url_prefix=PREFIX,
                         description="Problem lists (EVAL.PROBLEMS): rectification, escalation, weak-and-lax scope")


@problems_blp.route("/problems")
class Problems(MethodView):
    @problems_blp.arguments(ProblemListArgs, location="query")
    @problems_blp.response(200, ProblemPage)
    def get(self, args):
        """Problems in a subtree; ``overdue=true`` gives the overdue list."""
        return problems.list_problems(args)

    @idempotent
    @problems_blp.arguments(ProblemIn)
    @problems_blp.response(201, ProblemOut)
    def post(self, fields):
        """Put a problem on a branch's list."""
        require(*PROBLEM_WRITERS)
        return with_etag(problems.open_problem(fields))


@problems_blp.route("/problems/<uuid:problem_id>")
class ProblemItem(MethodView):
    @problems_blp.response(200, ProblemOut)
    def get(self, problem_id):
        """One problem."""
        return with_etag(problems.view(problems.get_in_scope(problem_id)))

    @requires_if_match
    @problems_blp.arguments(ProblemChange)
    @problems_blp.response(200, ProblemOut)
    def patch(self, fields, problem_id):
        """Change the description, the responsible person, the measures or the deadline (If-Match)."""
        require(*PROBLEM_WRITERS)
        return with_etag(problems.change(problem_id, fields))


@problems_blp.route("/problems/<uuid:problem_id>/transitions")
class ProblemTransitions(MethodView):
    @problems_blp.doc(operationId="transitionProblem")
    @requires_if_match
    @problems_blp.arguments(TransitionIn)
    @problems_blp.response(200, ProblemOut)
    def post(self, fields, problem_id):
        """Move the problem along open -> in_progress -> rectified -> verified (If-Match)."""
        require(*PROBLEM_WRITERS)
        return with_etag(problems.transition(problem_id, fields))


@problems_blp.route("/problems/<uuid:problem_id>/escalations")
class ProblemEscalations(MethodView):
    @problems_blp.doc(operationId="escalateProblem")
    @requires_if_match
    @problems_blp.arguments(EscalationIn)
    @problems_blp.response(200, ProblemOut)
    def post(self, fields, problem_id):
        """Send the problem one level up when the branch cannot solve it (If-Match)."""
        require(*PROBLEM_WRITERS)
        return with_etag(problems.escalate(problem_id, fields))


@problems_blp.route("/problems/<uuid:problem_id>/weak-scope")
class ProblemWeakScope(MethodView):
    @requires_if_match
    @problems_blp.arguments(WeakScopeIn)
    @problems_blp.response(200, ProblemOut)
    def put(self, fields, problem_id):
        """Put the branch inside (or out of) the weak-and-lax rectification scope for this problem (If-Match)."""
        require(*ORGANIZERS)
        return with_etag(problems.mark_weak_scope(problem_id, fields))


@problems_blp.route("/problems/<uuid:problem_id>/comments")
class ProblemComments(MethodView):
    @problems_blp.arguments(PageArgs, location="query")
    @problems_blp.response(200, CommentPage)
    def get(self, args, problem_id):
        """Comments on a problem, oldest first."""
        return problems.list_comments(problem_id, args)

    @idempotent
    @problems_blp.arguments(CommentIn)
    @problems_blp.response(201, CommentOut)
    def post(self, fields, problem_id):
        """Comment on a problem."""
        require(*PROBLEM_WRITERS)
        return problems.add_comment(problem_id, fields)


# ----------------------------------------------------------------------------- dashboard

dashboard_blp = Blueprint("dashboard", __name__, url_prefix=PREFIX, description="One call for a subtree and year")


@dashboard_blp.route("/dashboard")
class Dashboard(MethodView):
    @dashboard_blp.arguments(DashboardArgs, location="query")
    @dashboard_blp.response(200, DashboardOut)
    def get(self, args):
        """Branches by stars and category, weak-and-lax, problems, training, terms, meeting shortfalls."""
        return dashboard.summary(args)


# ----------------------------------------------------------------------------- exemplars

exemplars_blp = Blueprint("exemplars", __name__, url_prefix=PREFIX, description=(
    "Demonstration branches and advanced examples (EVAL.EXEMPLARS), per county with their ratings"))


@exemplars_blp.route("/exemplars")
class Exemplars(MethodView):
    @exemplars_blp.arguments(ExemplarListArgs, location="query")
    @exemplars_blp.response(200, ExemplarPage, content_type="application/json")
    @exemplars_blp.alt_response(200, content_type="text/csv", success=True, description="the whole list")
    @exemplars_blp.alt_response(200, content_type=XLSX_MIME, success=True,
                                description="sheets 示范党支部 / 先进典型, Chinese headers")
    def get(self, args):
        """Demonstration branches and advanced examples in the subtree with their ratings (JSON, CSV, XLSX)."""
        return exemplars.list_exemplars(args)

    @idempotent
    @exemplars_blp.arguments(ExemplarIn)
    @exemplars_blp.response(201, ExemplarOut)
    def post(self, fields):
        """Name a demonstration branch (five-star and advanced in the year's published rating, else 409
        EVAL.EXEMPLARS) or record an advanced example with what it is recognised for."""
        require(*ORGANIZERS)
        return with_etag(exemplars.create(fields))


@exemplars_blp.route("/exemplars/<uuid:exemplar_id>")
class ExemplarItem(MethodView):
    @exemplars_blp.response(200, ExemplarOut)
    def get(self, exemplar_id):
        """One exemplar with its rating."""
        return with_etag(exemplars.view(exemplars.in_scope(exemplar_id)))

    @requires_if_match
    @exemplars_blp.arguments(ExemplarPatch)
    @exemplars_blp.response(200, ExemplarOut)
    def patch(self, fields, exemplar_id):
        """Correct what it is recognised for, or withdraw the title with the reason (If-Match)."""
        require(*ORGANIZERS)
        return with_etag(exemplars.change(exemplar_id, fields))


BLUEPRINTS = [scorecards_blp, inputs_blp, indicators_blp, assessments_blp, ratings_blp, weak_blp, problems_blp,
              dashboard_blp, exemplars_blp]
