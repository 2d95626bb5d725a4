"""The members service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from shared.parsing import Blueprint
from marshmallow import Schema, fields

from shared.request import require
from shared.http import PageArgs, with_etag
from shared.idempotency import idempotent
from shared.imports import ImportCheckOut, ImportQuery
from shared.import_jobs import ImportJobOut, import_answer, template_route
from shared.openapi import IMPORT_BODY, requires_if_match

from . import deadlines, imports, management, people, points, procedure, registration, reports, reviews, transfers
from .schemas import (ActionIn, ActionOut, ActionPage, AlertArgs, AlertPage, AwardIn, AwardListArgs, AwardOut,
                      AwardPage, BreachArgs, BreachReportOut, ImportOut, ImportPage, NoDevelopmentArgs,
                      NoDevelopmentOut, PersonIn, PersonListArgs, PersonOut, PersonPage, PersonPatch,
                      PersonPointsArgs, PersonPointsOut, RankingArgs, RankingOut, ReversalIn, ReviewIn,
                      ReviewListArgs, ReviewOut, ReviewPage, StageReportOut, StepIn, StepOut, StepPage,
                      TimelineOut, TransferIn, TransferListArgs, TransferOut, TransferPage, TransferPatch,
                      UnderArgs)

WRITERS = ("admin", "organizer", "secretary", "integration")
PREFIX = "/api/members/v1"

people_blp = Blueprint("people", __name__, url_prefix=PREFIX, description="People and membership")
steps_blp = Blueprint("steps", __name__, url_prefix=PREFIX,
                      description="The development procedure: 25 steps from application to full membership")
management_blp = Blueprint("management", __name__, url_prefix=PREFIX,
                           description="Member management: contact, suspension, unqualified members, leaving")
transfers_blp = Blueprint("transfers", __name__, url_prefix=PREFIX,
                          description="Transfers of organizational relationship (组织关系转接)")
points_blp = Blueprint("points", __name__, url_prefix=PREFIX, description="Quantified points (量化积分)")
reviews_blp = Blueprint("reviews", __name__, url_prefix=PREFIX,
                        description="Yearly democratic review of members (民主评议党员)")
alerts_blp = Blueprint("alerts", __name__, url_prefix=PREFIX, description="What is due or overdue in a subtree")
reports_blp = Blueprint("reports", __name__, url_prefix=PREFIX, description="Development reports")
imports_blp = Blueprint("imports", __name__, url_prefix=PREFIX, description="Bulk import of people (CSV, NDJSON, XLSX)")

BLUEPRINTS = [people_blp, steps_blp, management_blp, transfers_blp, points_blp, reviews_blp, alerts_blp,
              reports_blp, imports_blp]


def tagged(view: dict):
    """A view carrying its ETag (its id and version)."""
    return with_etag(view, view["id"], view["version"])


class AsOfArgs(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "defaults to today (Asia/Shanghai)"})


# ----------------------------------------------------------------------------- people

@people_blp.route("/people")
class People(MethodView):
    @people_blp.arguments(PersonListArgs, location="query")
    @people_blp.response(200, PersonPage)
    def get(self, args):
        """List people in the caller's subtree (or under ``under``), by cursor."""
        return people.list_people(args)

    @idempotent
    @people_blp.arguments(PersonIn)
    @people_blp.response(201, PersonOut)
    def post(self, fields):
        """Register a person in a unit known from org events (a new applicant with ``applied_on`` gets step 1)."""
        require(*WRITERS)
        return tagged(registration.create(fields))


@people_blp.route("/people/<uuid:person_id>")
class PersonItem(MethodView):
    @people_blp.response(200, PersonOut)
    def get(self, person_id):
        """One person; 404 outside the caller's subtree."""
        return tagged(people.present(people.get_in_scope(person_id)))

    @requires_if_match
    @people_blp.arguments(PersonPatch)
    @people_blp.response(200, PersonOut)
    def patch(self, fields, person_id):
        """Change a person's details (If-Match: the ETag you read)."""
        require(*WRITERS)
        return tagged(registration.update(people.get_in_scope(person_id, for_update=True), fields))


@people_blp.route("/people/<uuid:person_id>/timeline")
class Timeline(MethodView):
    @people_blp.arguments(AsOfArgs, location="query")
    @people_blp.response(200, TimelineOut)
    def get(self, args, person_id):
        """Each step done, each step open, and the date each is due by or can happen from."""
        return procedure.timeline(people.get_in_scope(person_id), args.get("as_of"))


@people_blp.route("/people/<uuid:person_id>/points")
class PersonPoints(MethodView):
    @people_blp.arguments(PersonPointsArgs, location="query")
    @people_blp.response(200, PersonPointsOut)
    def get(self, args, person_id):
        """A member's points of a year: the ledger and the totals per part of the city's scheme."""
        return points.person_points(people.get_in_scope(person_id), args["year"])


# ----------------------------------------------------------------------------- the procedure

@steps_blp.route("/people/<uuid:person_id>/steps")
class Steps(MethodView):
    @steps_blp.arguments(PageArgs, location="query")
    @steps_blp.response(200, StepPage)
    def get(self, args, person_id):
        """Every record of the person's procedure, reversals included, in the order recorded."""
        return procedure.list_steps(people.get_in_scope(person_id), args)

    @steps_blp.doc(operationId="recordStep")
    @idempotent
    @steps_blp.arguments(StepIn)
    @steps_blp.response(201, StepOut)
    def post(self, step, person_id):
        """Record one step. A broken gate answers 409 with its rule code; a missed deadline is recorded with
        its breach attached."""
        require(*WRITERS)
        return procedure.record(people.get_in_scope(person_id, for_update=True), step)


@steps_blp.route("/people/<uuid:person_id>/steps/<uuid:step_id>/reversal")
class Reversal(MethodView):
    @steps_blp.doc(operationId="reverseStep")
    @idempotent
    @steps_blp.arguments(ReversalIn)
    @steps_blp.response(201, StepOut)
    def post(self, body, person_id, step_id):
        """Reverse the latest record, recorded by mistake: the history keeps both records."""
        require(*WRITERS)
        return procedure.reverse(people.get_in_scope(person_id, for_update=True), step_id, body)


# ----------------------------------------------------------------------------- management

@management_blp.route("/people/<uuid:person_id>/management")
class Management(MethodView):
    @management_blp.arguments(PageArgs, location="query")
    @management_blp.response(200, ActionPage)
    def get(self, args, person_id):
        """The person's management actions, oldest first."""
        return management.list_actions(people.get_in_scope(person_id), args)

    @management_blp.doc(operationId="recordManagementAction")
    @idempotent
    @management_blp.arguments(ActionIn)
    @management_blp.response(201, ActionOut)
    def post(self, body, person_id):
        """Record a management action (out of contact, suspension, correction, removal, leaving, ...)."""
        require(*WRITERS)
        return management.record(people.get_in_scope(person_id, for_update=True), body)


# ----------------------------------------------------------------------------- transfers

@transfers_blp.route("/transfers")
class Transfers(MethodView):
    @transfers_blp.arguments(TransferListArgs, location="query")
    @transfers_blp.response(200, TransferPage)
    def get(self, args):
        """Transfers out of and into the caller's subtree (or ``under``)."""
        return transfers.list_transfers(args)

    @idempotent
    @transfers_blp.arguments(TransferIn)
    @transfers_blp.response(201, TransferOut)
    def post(self, fields):
        """The sending branch requests a transfer of a member to another unit."""
        require(*WRITERS)
        return tagged(transfers.view(transfers.request_transfer(fields)))


@transfers_blp.route("/transfers/<uuid:transfer_id>")
class TransferItem(MethodView):
    @transfers_blp.response(200, TransferOut)
    def get(self, transfer_id):
        """One transfer; both branches see it."""
        return tagged(transfers.view(transfers.get_visible(transfer_id)))

    @requires_if_match
    @transfers_blp.arguments(TransferPatch)
    @transfers_blp.response(200, TransferOut)
    def patch(self, fields, transfer_id):
        """Accept, reject or complete (receiving side), or cancel (sending side); If-Match required."""
        require(*WRITERS)
        return tagged(transfers.view(transfers.change(transfers.get_visible(transfer_id), fields)))


# ----------------------------------------------------------------------------- points

@points_blp.route("/points")
class Points(MethodView):
    @points_blp.arguments(AwardListArgs, location="query")
    @points_blp.response(200, AwardPage)
    def get(self, args):
        """The points ledger of a subtree (or a person, or a year)."""
        return points.list_awards(args)

    @points_blp.doc(operationId="awardPoints")
    @idempotent
    @points_blp.arguments(AwardIn)
    @points_blp.response(201, AwardOut)
    def post(self, fields):
        """Award points from a source of the city's scheme, within its yearly cap (MEMBERS.POINTS)."""
        require(*WRITERS)
        return points.award(fields)


@points_blp.route("/points/ranking")
class Ranking(MethodView):
    @points_blp.arguments(RankingArgs, location="query")
    @points_blp.response(200, RankingOut)
    def get(self, args):
        """A branch's members ranked by their points of the year."""
        return points.ranking(args)


# ----------------------------------------------------------------------------- reviews

@reviews_blp.route("/reviews")
class Reviews(MethodView):
    @reviews_blp.arguments(ReviewListArgs, location="query")
    @reviews_blp.response(200, ReviewPage)
    def get(self, args):
        """Reviews recorded in a subtree."""
        return reviews.list_reviews(args)

    @idempotent
    @reviews_blp.arguments(ReviewIn)
    @reviews_blp.response(201, ReviewOut)
    def post(self, fields):
        """Record a branch's yearly review: at most a third 优秀, probationary members not graded."""
        require(*WRITERS)
        return reviews.record(fields)


@reviews_blp.route("/reviews/<uuid:review_id>")
class ReviewItem(MethodView):
    @reviews_blp.response(200, ReviewOut)
    def get(self, review_id):
        """One review with its grades."""
        return reviews.get_in_scope(review_id)


# ----------------------------------------------------------------------------- alerts and reports

@alerts_blp.route("/alerts")
class Alerts(MethodView):
    @alerts_blp.arguments(AlertArgs, location="query")
    @alerts_blp.response(200, AlertPage)
    def get(self, args):
        """Talks, assessments, approvals, oaths, probation ends, conversions (and more) due or overdue."""
        return deadlines.alerts(args)


@reports_blp.route("/reports/stages")
class StageReport(MethodView):
    @reports_blp.arguments(UnderArgs, location="query")
    @reports_blp.response(200, StageReportOut)
    def get(self, args):
        """People on the roll by development stage: the subtree and each unit directly under it."""
        return reports.stage_counts(args)


@reports_blp.route("/reports/no-development")
class NoDevelopment(MethodView):
    @reports_blp.arguments(NoDevelopmentArgs, location="query")
    @reports_blp.response(200, NoDevelopmentOut)
    def get(self, args):
        """Villages with no new member for 3 or more years (MEMBERS.NO_DEVELOPMENT)."""
        return reports.no_development(args)


@reports_blp.route("/reports/breaches")
class Breaches(MethodView):
    @reports_blp.arguments(BreachArgs, location="query")
    @reports_blp.response(200, BreachReportOut)
    def get(self, args):
        """Deadlines missed (recorded late) and overdue (still open), per rule code."""
        return reports.breaches(args)


# ----------------------------------------------------------------------------- imports

@imports_blp.route("/imports")
class Imports(MethodView):
    @imports_blp.arguments(PageArgs, location="query")
    @imports_blp.response(200, ImportPage)
    def get(self, args):
        """Imports done in the caller's subtree."""
        return imports.list_runs(args)

    @imports_blp.doc(operationId="importPeople", requestBody=IMPORT_BODY)
    @imports_blp.arguments(ImportQuery, location="query")
    @imports_blp.response(201, ImportOut)
    @imports_blp.alt_response(200, schema=ImportCheckOut, description="dry_run=true: the whole file's report; "
                                                                      "nothing written")
    @imports_blp.alt_response(202, schema=ImportJobOut, description="run as a job (async=true, or a large "
                                                                    "file): poll the Location")
    def post(self, args):
        """Import people: CSV with a header row (UTF-8, or GBK declared by charset= or ?encoding=), NDJSON, or an
        XLSX workbook (its first sheet, or ?sheet=); columns by their English or Chinese names (姓名, 身份证号码 ...).
        Any bad row: 422 with a report naming the line, column, value and message (中文 / English) of each error,
        and nothing is written. Re-importing the same rows changes nothing (rows whose ID number is registered
        count as ``existing``), so no Idempotency-Key is needed. The template: GET /imports/template;
        ``errors=xlsx`` answers a file with errors marked; a large file runs as a job (202)."""
        require(*WRITERS)
        return import_answer(args, imports.SPEC, lambda: imports.run(request, args), out=ImportOut, kind="people")


template_route(imports_blp, "/imports/template", imports.SPEC, "人员导入模板", "getPeopleImportTemplate")


# ----------------------------------------------------------------------------- party dues (DUES.*)

from shared import imports as kit_imports  # noqa: E402 (the dues section's imports)

from . import dues  # noqa: E402
from .schemas import (BillListArgs, BillPage, BillsIn, BillsOut, DuesArrearsArgs, DuesArrearsOut,  # noqa: E402
                      DuesBaseIn, DuesBaseOut, DuesReportArgs, DuesReportOut, PaymentImportArgs, PaymentImportOut,
                      PaymentIn, PaymentListArgs, PaymentOut, PaymentPage, PersonDuesArgs, PersonDuesOut)

dues_blp = Blueprint("dues", __name__, url_prefix=PREFIX,
                     description="Party dues (党费): bases, monthly bills, payments, arrears and the report")
BLUEPRINTS.append(dues_blp)


@dues_blp.route("/people/<uuid:person_id>/dues")
class PersonDues(MethodView):
    @dues_blp.arguments(PersonDuesArgs, location="query")
    @dues_blp.response(200, PersonDuesOut)
    def get(self, args, person_id):
        """A member's dues bases, bills and payments (of a year, or all), and the arrears as of a day."""
        return dues.person_dues(people.get_in_scope(person_id), args)


@dues_blp.route("/people/<uuid:person_id>/dues/bases")
class DuesBases(MethodView):
    @dues_blp.doc(operationId="recordDuesBase")
    @idempotent
    @dues_blp.arguments(DuesBaseIn)
    @dues_blp.response(201, DuesBaseOut)
    def post(self, body, person_id):
        """Record the dues base of a year from a month on (DUES.BASE) and the monthly amount the brackets give
        (DUES.RATE); the same month again corrects it, and its unpaid bills take the new amount."""
        require(*WRITERS)
        return dues.record_base(people.get_in_scope(person_id, for_update=True), body)


@dues_blp.route("/people/<uuid:person_id>/dues/payments")
class DuesPayments(MethodView):
    @dues_blp.doc(operationId="recordDuesPayment")
    @idempotent
    @dues_blp.arguments(PaymentIn)
    @dues_blp.response(201, PaymentOut)
    def post(self, body, person_id):
        """Record a payment of whole months (DUES.MONTHLY): one month, a quarter, in advance (up to a year) or
        arrears paid later; less than due is refused (409), more is a voluntary extra."""
        require(*WRITERS)
        return dues.record_payment(people.get_in_scope(person_id, for_update=True), body)


@dues_blp.route("/dues/bills")
class DuesBills(MethodView):
    @dues_blp.arguments(BillListArgs, location="query")
    @dues_blp.response(200, BillPage)
    def get(self, args):
        """Dues bills in a subtree (of a month, or the unpaid ones), by cursor."""
        return dues.list_bills(args)

    @dues_blp.doc(operationId="generateDuesBills")
    @dues_blp.arguments(BillsIn)
    @dues_blp.response(201, BillsOut)
    def post(self, body):
        """Make a month's bills for every party member under the unit who has none yet (set-wise; running it
        again adds only the missing ones, so no Idempotency-Key is needed); then record the six months'
        arrears grounds of the subtree (DUES.ARREARS)."""
        require(*WRITERS)
        return dues.generate(body)


@dues_blp.route("/dues/payments")
class DuesPaymentList(MethodView):
    @dues_blp.arguments(PaymentListArgs, location="query")
    @dues_blp.response(200, PaymentPage)
    def get(self, args):
        """Dues payments recorded in a subtree (or of one import), by cursor."""
        return dues.list_payments(args)


@dues_blp.route("/dues/payments/imports")
class DuesPaymentImports(MethodView):
    @dues_blp.doc(operationId="importDuesPayments", requestBody=IMPORT_BODY)
    @dues_blp.arguments(PaymentImportArgs, location="query")
    @dues_blp.response(201, PaymentImportOut)
    @dues_blp.alt_response(200, schema=kit_imports.ImportCheckOut, description="dry_run=true: the whole file's report; "
                                                                  "nothing written")
    @dues_blp.alt_response(202, schema=ImportJobOut, description="run as a job (async=true, or a large "
                                                                 "file): poll the Location")
    def post(self, args):
        """Import payments from the bank's or the payment platform's file (CSV, NDJSON or XLSX; 人员ID or
        身份证号码, 交纳日期, 起始月份, 截止月份, 金额, 流水号). Any bad line: 422 with the report, nothing
        written. A reference already recorded for the person counts as ``existing``: importing a file again
        records nothing twice. The template: GET /dues/payments/imports/template; ``errors=xlsx`` answers a
        file with errors marked; a large file runs as a job (202)."""
        require(*WRITERS)
        return import_answer(args, dues.PAYMENT_SPEC, lambda: dues.import_payments(request, args),
                             out=PaymentImportOut, kind="dues_payments")


template_route(dues_blp, "/dues/payments/imports/template", dues.PAYMENT_SPEC, "党费交纳导入模板",
               "getDuesPaymentsImportTemplate")


@dues_blp.route("/dues/arrears")
class DuesArrears(MethodView):
    @dues_blp.arguments(DuesArrearsArgs, location="query")
    @dues_blp.response(200, DuesArrearsOut)
    def get(self, args):
        """Members three or more consecutive months in arrears (an alert) or six or more (a ground of
        MEMBERS.UNQUALIFIED, recorded in the management records; never a removal by itself)."""
        return dues.arrears(args)


@dues_blp.route("/dues/report")
class DuesReport(MethodView):
    @dues_blp.arguments(DuesReportArgs, location="query")
    @dues_blp.response(200, DuesReportOut)
    def get(self, args):
        """Due, paid and outstanding by month for the subtree and each branch in it; JSON, CSV or XLSX by
        ``format=`` or Accept."""
        return dues.report(args)


# ----------------------------------------------------------------------------- transfer letters (TRANSFER.*)

from . import letters, statistics, subsidies  # noqa: E402 (the section's domain modules)
from .schemas import (LetterArgs, LetterOut, LetterPatch, StatisticsArgs, StatisticsOut, SubsidyIn,  # noqa: E402
                      SubsidyListArgs, SubsidyOut, SubsidyPage)


@transfers_blp.route("/transfers/<uuid:transfer_id>/letter")
class TransferLetter(MethodView):
    @transfers_blp.arguments(LetterArgs, location="query")
    @transfers_blp.response(200, LetterOut)
    def get(self, args, transfer_id):
        """The transfer's letter in force (介绍信: number, validity, dues paid to, arrival, receipt); both sides see
        it. ``format=xlsx``: the printable letter in the official three-part layout (存根, 介绍信, 回执)."""
        transfer = transfers.get_visible(transfer_id)
        letter = letters.in_force(transfer)
        if args["format"] == "xlsx":
            return letters.printable(transfer, letter)
        return tagged(letters.view(letter))

    @requires_if_match
    @transfers_blp.doc(operationId="recordTransferLetter")
    @transfers_blp.arguments(LetterPatch)
    @transfers_blp.response(200, LetterOut)
    def patch(self, fields, transfer_id):
        """Record the letter's arrival (out of the province: the sending side), the receipt's return, its
        expiry (past its validity, not arrived) or its reissue (an expired letter, once: a new number, answered
        here); If-Match on the letter's ETag. A late arrival or receipt is recorded with its breach."""
        require(*WRITERS)
        return tagged(transfers.record_letter(transfers.get_visible(transfer_id), fields))


# ----------------------------------------------------------------------------- dues subsidies (DUES.SUBSIDY)

@dues_blp.route("/dues/subsidies")
class DuesSubsidies(MethodView):
    @dues_blp.arguments(SubsidyListArgs, location="query")
    @dues_blp.response(200, SubsidyPage)
    def get(self, args):
        """Dues subsidies received in a subtree (of a year), by cursor."""
        return subsidies.list_subsidies(args)

    @idempotent
    @dues_blp.doc(operationId="grantDuesSubsidy")
    @dues_blp.arguments(SubsidyIn)
    @dues_blp.response(201, SubsidyOut)
    def post(self, body):
        """Give part of the dues a committee collected back to an organization under it (DUES.SUBSIDY: within
        what its organizations paid that year); org records it as support funds of source ``dues_subsidy``."""
        require("admin", "organizer")
        return subsidies.grant(body)


# ----------------------------------------------------------------------------- annual statistics (STATS.*)

statistics_blp = Blueprint("statistics", __name__, url_prefix=PREFIX,
                           description="The annual party statistics (党内统计年报): balance, members, development")
BLUEPRINTS.append(statistics_blp)


@statistics_blp.route("/statistics")
class Statistics(MethodView):
    @statistics_blp.arguments(StatisticsArgs, location="query")
    @statistics_blp.response(200, StatisticsOut)
    def get(self, args):
        """The annual tables of a subtree as of 31 December of ``year``, from the records' history (a person
        who moved counts where they were that day): the balance (STATS.BALANCE, with the people who make it
        not close), members (STATS.MEMBERS) and development (STATS.DEVELOPMENT). ``format=xlsx``: one
        workbook, Chinese headers."""
        result = statistics.annual(args)
        return statistics.workbook(result, args["year"]) if args["format"] == "xlsx" else result
