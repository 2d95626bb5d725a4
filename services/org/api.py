"""The org service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

import io

from flask import request
from flask.views import MethodView
from shared.parsing import Blueprint

from shared.request import require
from shared.http import PageArgs, with_etag
from shared.idempotency import idempotent
from shared.openapi import IMPORT_BODY, requires_if_match
from shared.imports import ImportCheckOut
from shared.import_jobs import ImportJobOut, import_answer, template_route

from . import (committees, compliance, dissolution, groups, hearings, imports, liaison, meetings, screenings, secretaries,
               support, uncovered, units)
from .schemas import (ApprovalIn, ByElectionIn, CommitteeOut, CommitteePage, ComplianceArgs, ComplianceOut,
                      ComplianceRuleArgs, DissolveIn, ElectionIn, ExtensionIn, FundIn, GroupIn, GroupList,
                      GroupMemberIn, GroupOut, ImportArgs, ImportOut, LeaderIn, LeaderListArgs, LeaderOut,
                      LeaderPage, LeaderPatch, LiaisonIn, LiaisonListArgs, LiaisonOut,
                      LiaisonPage, LiaisonPatch, LifeOut, MeetingIn, MeetingListArgs, MeetingOut, MeetingPage, MeetingPatch,
                      MoveIn, OffenderPage, PeriodArgs, RosterPage, SupportIn, SupportOut, TermListArgs, TermPage,
                      UncoveredIn, UncoveredListArgs, UncoveredOut, UncoveredPage, UncoveredPatch, UnitIn,
                      UnitListArgs, UnitOut, UnitPage, UnitPatch, VacancyIn)
from .schemas import (HearingIn, HearingListArgs, HearingOut, HearingPage, HearingPatch, ReserveCandidateIn,
                               ReserveCandidateOut, ReserveCandidatePage, ReserveCandidatePatch, ReserveListArgs,
                               ScreeningIn, ScreeningListArgs, ScreeningOut, ScreeningPage, ScreeningPatch,
                               ScreeningRecordIn, ScreeningRecordOut, ScreeningRecordPage, ScreeningRecordPatch,
                               SecretaryReportIn, SecretaryReportListArgs, SecretaryReportOut, SecretaryReportPage,
                               SecretaryReportPatch, UnderArgs)

PREFIX = "/api/org/v1"
#: who changes the tree, the uncovered entities and the liaison points: organization departments and platforms
WRITERS = ("admin", "organizer", "integration")
#: who records a branch's own work (elections, meetings, groups, support): the branch secretary too
BRANCH_WRITERS = ("admin", "organizer", "secretary", "integration")
#: the upper committee's approval of a secretary or deputy
APPROVERS = ("admin", "organizer")

blp = Blueprint("units", __name__, url_prefix=PREFIX, description="Org units: the organization tree")
committee_blp = Blueprint("committees", __name__, url_prefix=PREFIX,
                          description="Committees and terms: elections, vacancies, by-elections, approvals")
group_blp = Blueprint("groups", __name__, url_prefix=PREFIX, description="Party groups inside a branch")
meeting_blp = Blueprint("meetings", __name__, url_prefix=PREFIX,
                        description="Organizational life: meetings and their frequency (LIFE.*)")
uncovered_blp = Blueprint("uncovered", __name__, url_prefix=PREFIX,
                          description="Uncovered entities and their instructors (ORG.UNCOVERED)")
liaison_blp = Blueprint("liaison", __name__, url_prefix=PREFIX,
                        description="Party committee leaders and their liaison points (ORG.LIAISON)")
support_blp = Blueprint("support", __name__, url_prefix=PREFIX,
                        description="Support: organizers, activity funds, venue")
compliance_blp = Blueprint("compliance", __name__, url_prefix=PREFIX,
                           description="Setup compliance of a subtree, per rule code")
import_blp = Blueprint("imports", __name__, url_prefix=PREFIX, description="Bulk import of units (CSV, NDJSON, XLSX)")
standing_blp = Blueprint("standing", __name__, url_prefix=PREFIX, description=(
    "The standing mechanisms: hearings of branches' work reports (LIFE.HEARING), the county's yearly screening "
    "(LIFE.SCREENING), the secretaries' 述职评议 (LIFE.SECRETARY_REPORT) and the reserve pool (ORG.RESERVE)"))

BLUEPRINTS = [blp, committee_blp, group_blp, meeting_blp, uncovered_blp, liaison_blp, support_blp, compliance_blp,
              import_blp, standing_blp]


# ----------------------------------------------------------------------------- units

@blp.route("/units")
class Units(MethodView):
    @blp.arguments(UnitListArgs, location="query")
    @blp.response(200, UnitPage)
    def get(self, args):
        """List units in the caller's subtree (or under ``under``), in tree order."""
        return units.list_units(args)

    @idempotent
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut)
    def post(self, fields):
        """Create a unit under a parent; the kinds must nest legally (ORG.UNIT_NESTING)."""
        require(*WRITERS)
        return with_etag(units.create(fields))


@blp.route("/units/<uuid:unit_id>")
class UnitItem(MethodView):
    @blp.response(200, UnitOut)
    def get(self, unit_id):
        """One unit; 404 outside the caller's subtree."""
        return with_etag(units.get_in_scope(unit_id))

    @requires_if_match
    @blp.arguments(UnitPatch)
    @blp.response(200, UnitOut)
    def patch(self, fields, unit_id):
        """Change name, code, domain, external id, establishment date or kind (If-Match)."""
        require(*WRITERS)
        return with_etag(units.change(unit_id, fields))


@blp.route("/units/<uuid:unit_id>/move")
class UnitMove(MethodView):
    @requires_if_match
    @blp.arguments(MoveIn)
    @blp.response(200, UnitOut)
    def post(self, fields, unit_id):
        """Re-parent a unit: its whole subtree moves, every path in one transaction (If-Match)."""
        require(*WRITERS)
        return with_etag(units.move(units.for_tree_change(unit_id), fields["parent_id"]))


@blp.route("/units/<uuid:unit_id>/dissolve")
class UnitDissolve(MethodView):
    @requires_if_match
    @blp.arguments(DissolveIn)
    @blp.response(200, UnitOut)
    def post(self, fields, unit_id):
        """Dissolve a unit; refused while people are on its roll unless ``members_moved_to`` takes them
        (ORG.DISSOLVE_MEMBERS) or while it leads active units (ORG.UNIT_NESTING). If-Match."""
        require(*WRITERS)
        return with_etag(dissolution.dissolve(units.for_tree_change(unit_id), fields))


@blp.route("/units/<uuid:unit_id>/roster")
class UnitRoster(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, RosterPage)
    def get(self, args, unit_id):
        """The people on the unit's roll, as the members service last reported them."""
        return units.roster(units.get_in_scope(unit_id), args)


# ----------------------------------------------------------------------------- committees

@committee_blp.route("/units/<uuid:unit_id>/committee")
class CurrentCommittee(MethodView):
    @committee_blp.response(200, CommitteeOut)
    def get(self, unit_id):
        """The current committee (or secretary and deputy), its seats and the state of its term."""
        committee = committees.current_of(units.get_in_scope(unit_id))
        return with_etag(committees.view(committee))


@committee_blp.route("/units/<uuid:unit_id>/elections")
class Elections(MethodView):
    @committee_blp.arguments(PageArgs, location="query")
    @committee_blp.response(200, CommitteePage)
    def get(self, args, unit_id):
        """Every election of the unit, oldest first."""
        return committees.history(units.get_in_scope(unit_id), args)

    @idempotent
    @committee_blp.arguments(ElectionIn)
    @committee_blp.response(201, CommitteeOut)
    def post(self, fields, unit_id):
        """Record an election (换届): size by full members (ORG.COMMITTEE_REQUIRED), roles and holders
        (ORG.COMMITTEE_ROLES), term by domain (ORG.TERM_LENGTH)."""
        require(*BRANCH_WRITERS)
        view = committees.elect(units.get_in_scope(unit_id), fields)
        return with_etag(view)


def _committee_change(unit_id, change, fields):
    return with_etag(committees.change_current(unit_id, change, fields))


@committee_blp.route("/units/<uuid:unit_id>/committee/vacancies")
class Vacancies(MethodView):
    @requires_if_match
    @committee_blp.arguments(VacancyIn)
    @committee_blp.response(200, CommitteeOut)
    def post(self, fields, unit_id):
        """A seat falls vacant (ORG.VACANCY); If-Match on the committee."""
        require(*BRANCH_WRITERS)
        return _committee_change(unit_id, committees.vacate, fields)


@committee_blp.route("/units/<uuid:unit_id>/committee/by-elections")
class ByElections(MethodView):
    @requires_if_match
    @committee_blp.arguments(ByElectionIn)
    @committee_blp.response(200, CommitteeOut)
    def post(self, fields, unit_id):
        """A by-election fills a vacant seat or adds one; If-Match on the committee."""
        require(*BRANCH_WRITERS)
        return _committee_change(unit_id, committees.by_elect, fields)


@committee_blp.route("/units/<uuid:unit_id>/committee/approvals")
class Approvals(MethodView):
    @requires_if_match
    @committee_blp.arguments(ApprovalIn)
    @committee_blp.response(200, CommitteeOut)
    def post(self, fields, unit_id):
        """The upper committee approves the secretary or deputy; If-Match on the committee."""
        require(*APPROVERS)
        return _committee_change(unit_id, committees.approve, fields)


@committee_blp.route("/units/<uuid:unit_id>/committee/extension")
class Extension(MethodView):
    @requires_if_match
    @committee_blp.arguments(ExtensionIn)
    @committee_blp.response(200, CommitteeOut)
    def post(self, fields, unit_id):
        """An approved extension of the term, at most 1 year (ORG.TERM_EXPIRED); If-Match."""
        require(*APPROVERS)
        return _committee_change(unit_id, committees.extend, fields)


@committee_blp.route("/terms")
class Terms(MethodView):
    @committee_blp.arguments(TermListArgs, location="query")
    @committee_blp.response(200, TermPage)
    def get(self, args):
        """Terms expiring within the warning window, or expired (ORG.TERM_EXPIRED), in the subtree."""
        return committees.terms_due(args)


# ----------------------------------------------------------------------------- party groups

@group_blp.route("/units/<uuid:unit_id>/groups")
class Groups(MethodView):
    @group_blp.response(200, GroupList)
    def get(self, unit_id):
        """The branch's party groups with their members."""
        return groups.list_groups(units.get_in_scope(unit_id))

    @idempotent
    @group_blp.arguments(GroupIn)
    @group_blp.response(201, GroupOut)
    def post(self, fields, unit_id):
        """Set up a party group (a unit of kind party_group) with members from the branch's roll."""
        require(*BRANCH_WRITERS)
        view = groups.create(units.get_in_scope(unit_id), fields)
        return with_etag(view)


@group_blp.route("/units/<uuid:unit_id>/groups/<uuid:group_id>/members")
class GroupMembers(MethodView):
    @idempotent
    @group_blp.arguments(GroupMemberIn)
    @group_blp.response(201, GroupOut)
    def post(self, fields, unit_id, group_id):
        """Add a member of the branch to the group (one group per member); ``leader`` makes them its leader."""
        require(*BRANCH_WRITERS)
        branch = units.get_in_scope(unit_id)
        return groups.add_member(branch, groups.get(branch, group_id), fields)


@group_blp.route("/units/<uuid:unit_id>/groups/<uuid:group_id>/members/<uuid:person_id>")
class GroupMemberItem(MethodView):
    @group_blp.response(200, GroupOut)
    def delete(self, unit_id, group_id, person_id):
        """Take a member out of the group."""
        require(*BRANCH_WRITERS)
        branch = units.get_in_scope(unit_id)
        return groups.remove_member(branch, groups.get(branch, group_id), person_id)


# ----------------------------------------------------------------------------- meetings

@meeting_blp.route("/meetings")
class Meetings(MethodView):
    @meeting_blp.arguments(MeetingListArgs, location="query")
    @meeting_blp.response(200, MeetingPage)
    def get(self, args):
        """Meetings in the subtree, filtered by unit, type and dates."""
        return meetings.list_meetings(args)

    @idempotent
    @meeting_blp.arguments(MeetingIn)
    @meeting_blp.response(201, MeetingOut)
    def post(self, fields):
        """Record a meeting; a general or committee meeting without quorum is kept with the breach and
        does not count."""
        require(*BRANCH_WRITERS)
        return meetings.record(fields)


@meeting_blp.route("/meetings/<uuid:meeting_id>")
class MeetingItem(MethodView):
    @meeting_blp.response(200, MeetingOut)
    def get(self, meeting_id):
        """One meeting."""
        return with_etag(meetings.get(meeting_id))

    @requires_if_match
    @meeting_blp.doc(operationId="correctMeeting")
    @meeting_blp.arguments(MeetingPatch)
    @meeting_blp.response(200, MeetingOut)
    def patch(self, changes, meeting_id):
        """Correct a meeting, or record a scheduled one as held (If-Match): the quorum, the counts and the
        frequency are recomputed, the audit log keeps what it was."""
        require(*BRANCH_WRITERS)
        return with_etag(meetings.correct(meeting_id, changes))


@meeting_blp.route("/units/<uuid:unit_id>/life")
class Life(MethodView):
    @meeting_blp.doc(operationId="getUnitLife")
    @meeting_blp.arguments(PeriodArgs, location="query")
    @meeting_blp.response(200, LifeOut)
    def get(self, args, unit_id):
        """Frequency compliance of a branch (and its party groups) for any period: required against held,
        per type of meeting (LIFE.*)."""
        return meetings.life(units.get_in_scope(unit_id), args)


# ----------------------------------------------------------------------------- uncovered entities

@uncovered_blp.route("/uncovered")
class Uncovered(MethodView):
    @uncovered_blp.arguments(UncoveredListArgs, location="query")
    @uncovered_blp.response(200, UncoveredPage)
    def get(self, args):
        """Entities without an organization in the subtree, by status and instructor."""
        return uncovered.list_entities(args)

    @idempotent
    @uncovered_blp.arguments(UncoveredIn)
    @uncovered_blp.response(201, UncoveredOut)
    def post(self, fields):
        """List an entity that should have a party organization, with its instructor if assigned."""
        require(*WRITERS)
        return with_etag(uncovered.create(fields))


@uncovered_blp.route("/uncovered/<uuid:entity_id>")
class UncoveredItem(MethodView):
    @uncovered_blp.response(200, UncoveredOut)
    def get(self, entity_id):
        """One uncovered entity."""
        return with_etag(uncovered.get_in_scope(entity_id))

    @requires_if_match
    @uncovered_blp.arguments(UncoveredPatch)
    @uncovered_blp.response(200, UncoveredOut)
    def patch(self, fields, entity_id):
        """Assign the instructor, record the branch that now covers it, or its closing (If-Match)."""
        require(*WRITERS)
        return with_etag(uncovered.update(entity_id, fields))


# ----------------------------------------------------------------------------- leaders and liaison points

@liaison_blp.route("/leaders")
class Leaders(MethodView):
    @liaison_blp.arguments(LeaderListArgs, location="query")
    @liaison_blp.response(200, LeaderPage)
    def get(self, args):
        """Party committee leaders in the subtree, each with the liaison points they keep."""
        return liaison.list_leaders(args)

    @idempotent
    @liaison_blp.arguments(LeaderIn)
    @liaison_blp.response(201, LeaderOut)
    def post(self, fields):
        """Register a party committee's secretary or team member."""
        require(*WRITERS)
        view = liaison.create_leader(fields)
        return with_etag(view)


@liaison_blp.route("/leaders/<uuid:leader_id>")
class LeaderItem(MethodView):
    @liaison_blp.response(200, LeaderOut)
    def get(self, leader_id):
        """One leader with the number of liaison points kept."""
        leader = liaison.leader_in_scope(leader_id)
        return with_etag(liaison.leader_view(leader))

    @requires_if_match
    @liaison_blp.arguments(LeaderPatch)
    @liaison_blp.response(200, LeaderOut)
    def patch(self, fields, leader_id):
        """Change the title, role or member record, or record that the leader left (If-Match)."""
        require(*WRITERS)
        view = liaison.update_leader(leader_id, fields)
        return with_etag(view)


@liaison_blp.route("/liaison-points")
class LiaisonPoints(MethodView):
    @liaison_blp.arguments(LiaisonListArgs, location="query")
    @liaison_blp.response(200, LiaisonPage)
    def get(self, args):
        """Liaison points in the subtree, each with its branch's latest rating."""
        return liaison.list_points(args)

    @idempotent
    @liaison_blp.arguments(LiaisonIn)
    @liaison_blp.response(201, LiaisonOut)
    def post(self, fields):
        """A leader takes a branch as liaison point."""
        require(*WRITERS)
        view = liaison.create(fields)
        return with_etag(view)


@liaison_blp.route("/liaison-points/<uuid:liaison_id>")
class LiaisonItem(MethodView):
    @liaison_blp.response(200, LiaisonOut)
    def get(self, liaison_id):
        """One liaison point with its branch's latest rating."""
        point = liaison.get_in_scope(liaison_id)
        return with_etag(liaison.view(point))

    @requires_if_match
    @liaison_blp.arguments(LiaisonPatch)
    @liaison_blp.response(200, LiaisonOut)
    def patch(self, fields, liaison_id):
        """Change the leader's title or note, or end the liaison point (If-Match)."""
        require(*WRITERS)
        view = liaison.update(liaison_id, fields)
        return with_etag(view)


# ----------------------------------------------------------------------------- support

@support_blp.route("/units/<uuid:unit_id>/support")
class Support(MethodView):
    @support_blp.response(200, SupportOut)
    def get(self, unit_id):
        """The unit's organizers, funds by year and source, and venue."""
        unit = units.get_in_scope(unit_id)
        return with_etag(support.view(unit), unit.id, support.version_of(unit))

    @requires_if_match
    @support_blp.arguments(SupportIn)
    @support_blp.response(200, SupportOut)
    def put(self, fields, unit_id):
        """Set the venue and the organizers (If-Match; the first time the ETag ends in .0)."""
        require(*BRANCH_WRITERS)
        view = support.replace(unit_id, fields)
        return with_etag(view, str(unit_id))


@support_blp.route("/units/<uuid:unit_id>/support/funds")
class Funds(MethodView):
    @idempotent
    @support_blp.arguments(FundIn)
    @support_blp.response(201, SupportOut)
    def post(self, fields, unit_id):
        """Record activity funds received: unit funds, fiscal allocation or party-dues subsidy."""
        require(*BRANCH_WRITERS)
        unit = units.get_in_scope(unit_id)
        view = support.add_fund(unit, fields)
        return with_etag(view, unit.id, view["version"])


# ----------------------------------------------------------------------------- compliance

@compliance_blp.route("/compliance")
class Compliance(MethodView):
    @compliance_blp.arguments(ComplianceArgs, location="query")
    @compliance_blp.response(200, ComplianceOut)
    def get(self, args):
        """Per rule code: how many units of the subtree break it, and the first of them with their figures.
        ``from`` / ``to`` set the period of the LIFE.* rules (default: this year so far)."""
        return compliance.report(args)


@compliance_blp.route("/compliance/<string:code>")
class ComplianceRule(MethodView):
    @compliance_blp.doc(operationId="listRuleOffenders")
    @compliance_blp.arguments(ComplianceRuleArgs, location="query")
    @compliance_blp.response(200, OffenderPage)
    def get(self, args, code):
        """Every unit breaking one rule, page by page in tree order; ``format=csv|xlsx`` gives them all as a
        file (Chinese headers) for the departments' own records."""
        return compliance.offenders_page(code, args)


# ----------------------------------------------------------------------------- imports

@import_blp.route("/imports")
class Imports(MethodView):
    @import_blp.doc(operationId="importUnits", requestBody=IMPORT_BODY)
    @idempotent
    @import_blp.arguments(ImportArgs, location="query")
    @import_blp.response(201, ImportOut)
    @import_blp.alt_response(200, schema=ImportCheckOut, description="dry_run=true: the whole file's report; "
                                                                     "nothing written")
    @import_blp.alt_response(202, schema=ImportJobOut, description="run as a job (async=true, or a large "
                                                                   "file): poll the Location")
    def post(self, args):
        """Import units: CSV with a header row (UTF-8, or GBK declared by charset= or ?encoding=), NDJSON, or an
        XLSX workbook (its first sheet, or ?sheet=); columns by their English or Chinese names (单位编码, 单位名称,
        单位类型, 上级单位编码 ...; the template: GET /imports/template). Idempotent by code, parents by
        ``parent_code``; a 422 report names the line, column, value and message (中文 / English) of each error
        (nothing written by default), or with ``errors=xlsx`` the file comes back marked; a large file runs as
        a job (202)."""
        require(*WRITERS)
        return import_answer(args, imports.SPEC, lambda: imports.import_units(request, args), out=ImportOut,
                             kind="units")


template_route(import_blp, "/imports/template", imports.SPEC, "组织导入模板", "getUnitsImportTemplate")


@import_blp.route("/imports/<uuid:import_id>")
class ImportItem(MethodView):
    @import_blp.response(200, ImportOut)
    def get(self, import_id):
        """One import: what it created, updated and left unchanged, and the lines it skipped."""
        return imports.get_run(import_id)


# ----------------------------------------------------------------------------- the standing mechanisms

@standing_blp.route("/hearings")
class Hearings(MethodView):
    @standing_blp.arguments(HearingListArgs, location="query")
    @standing_blp.response(200, HearingPage)
    def get(self, args):
        """Hearings of branches' work reports in the subtree, by branch and dates."""
        return hearings.list_hearings(args)

    @idempotent
    @standing_blp.arguments(HearingIn)
    @standing_blp.response(201, HearingOut)
    def post(self, fields):
        """Record a committee's hearing of a branch's work report (LIFE.HEARING); points marked ``problem`` enter
        the branch's problem list in evaluation."""
        require(*WRITERS)
        return with_etag(hearings.record(fields))


@standing_blp.route("/hearings/<uuid:hearing_id>")
class HearingItem(MethodView):
    @standing_blp.response(200, HearingOut)
    def get(self, hearing_id):
        """One hearing."""
        return with_etag(hearings.view(hearings.get_in_scope_hearing(hearing_id)))

    @requires_if_match
    @standing_blp.doc(operationId="correctHearing")
    @standing_blp.arguments(HearingPatch)
    @standing_blp.response(200, HearingOut)
    def patch(self, changes, hearing_id):
        """Correct a hearing (If-Match); the quarters heard are recomputed."""
        require(*WRITERS)
        return with_etag(hearings.correct(hearing_id, changes))


@standing_blp.route("/screenings")
class Screenings(MethodView):
    @standing_blp.arguments(ScreeningListArgs, location="query")
    @standing_blp.response(200, ScreeningPage)
    def get(self, args):
        """Screening campaigns in the subtree, each with its progress (branches screened of all)."""
        return screenings.list_campaigns(args)

    @idempotent
    @standing_blp.arguments(ScreeningIn)
    @standing_blp.response(201, ScreeningOut)
    def post(self, fields):
        """Open a county's screening of all its branches for a year (LIFE.SCREENING); one per county and year."""
        require(*WRITERS)
        return with_etag(screenings.open_campaign(fields))


@standing_blp.route("/screenings/<uuid:campaign_id>")
class ScreeningItem(MethodView):
    @standing_blp.response(200, ScreeningOut)
    def get(self, campaign_id):
        """One screening campaign with its progress."""
        return with_etag(screenings.campaign_view(screenings.campaign_in_scope(campaign_id)))

    @requires_if_match
    @standing_blp.arguments(ScreeningPatch)
    @standing_blp.response(200, ScreeningOut)
    def patch(self, changes, campaign_id):
        """Change the campaign's title or dates (If-Match)."""
        require(*WRITERS)
        return with_etag(screenings.change_campaign(campaign_id, changes))


@standing_blp.route("/screenings/<uuid:campaign_id>/records")
class ScreeningRecords(MethodView):
    @standing_blp.arguments(UnderArgs, location="query")
    @standing_blp.response(200, ScreeningRecordPage)
    def get(self, args, campaign_id):
        """The branches' records of a screening."""
        return screenings.list_records(campaign_id, args)

    @idempotent
    @standing_blp.arguments(ScreeningRecordIn)
    @standing_blp.response(201, ScreeningRecordOut)
    def post(self, fields, campaign_id):
        """A branch's screening record with its findings; findings marked ``problem`` enter its problem list."""
        require(*WRITERS)
        return with_etag(screenings.record(campaign_id, fields))


@standing_blp.route("/screening-records/<uuid:record_id>")
class ScreeningRecordItem(MethodView):
    @standing_blp.response(200, ScreeningRecordOut)
    def get(self, record_id):
        """One branch's screening record."""
        return with_etag(screenings.record_view(screenings.record_in_scope(record_id)))

    @requires_if_match
    @standing_blp.doc(operationId="correctScreeningRecord")
    @standing_blp.arguments(ScreeningRecordPatch)
    @standing_blp.response(200, ScreeningRecordOut)
    def patch(self, changes, record_id):
        """Correct a screening record (If-Match)."""
        require(*WRITERS)
        return with_etag(screenings.correct(record_id, changes))


@standing_blp.route("/secretary-reports")
class SecretaryReports(MethodView):
    @standing_blp.arguments(SecretaryReportListArgs, location="query")
    @standing_blp.response(200, SecretaryReportPage)
    def get(self, args):
        """The secretaries' 述职评议 in the subtree, by year and assessment."""
        return secretaries.list_reports(args)

    @idempotent
    @standing_blp.arguments(SecretaryReportIn)
    @standing_blp.response(201, SecretaryReportOut)
    def post(self, fields):
        """Record a secretary's yearly report and its assessment (LIFE.SECRETARY_REPORT); one per unit and year."""
        require(*WRITERS)
        return with_etag(secretaries.record_report(fields))


@standing_blp.route("/secretary-reports/<uuid:report_id>")
class SecretaryReportItem(MethodView):
    @standing_blp.response(200, SecretaryReportOut)
    def get(self, report_id):
        """One 述职评议."""
        return with_etag(secretaries.report_view(secretaries.report_in_scope(report_id)))

    @requires_if_match
    @standing_blp.doc(operationId="correctSecretaryReport")
    @standing_blp.arguments(SecretaryReportPatch)
    @standing_blp.response(200, SecretaryReportOut)
    def patch(self, changes, report_id):
        """Correct a 述职评议 (If-Match)."""
        require(*WRITERS)
        return with_etag(secretaries.correct_report(report_id, changes))


@standing_blp.route("/units/<uuid:unit_id>/reserve")
class UnitReserve(MethodView):
    @standing_blp.arguments(ReserveListArgs, location="query")
    @standing_blp.response(200, ReserveCandidatePage)
    def get(self, args, unit_id):
        """A branch's reserve candidates for secretary."""
        return secretaries.list_candidates(args, unit_id)

    @idempotent
    @standing_blp.doc(operationId="addReserveCandidate")
    @standing_blp.arguments(ReserveCandidateIn)
    @standing_blp.response(201, ReserveCandidateOut)
    def post(self, fields, unit_id):
        """List a reserve candidate for secretary: a full member of the branch with a year's standing on the day
        listed (ORG.RESERVE, 409 otherwise)."""
        require(*BRANCH_WRITERS)
        return with_etag(secretaries.add_candidate(unit_id, fields))


@standing_blp.route("/reserve")
class Reserve(MethodView):
    @standing_blp.arguments(ReserveListArgs, location="query")
    @standing_blp.response(200, ReserveCandidatePage)
    def get(self, args):
        """Reserve candidates in the subtree (the branches without one: GET /compliance/ORG.RESERVE)."""
        return secretaries.list_candidates(args)


@standing_blp.route("/reserve/<uuid:candidate_id>")
class ReserveItem(MethodView):
    @standing_blp.response(200, ReserveCandidateOut)
    def get(self, candidate_id):
        """One reserve candidate."""
        return with_etag(secretaries.candidate_view(secretaries.candidate_in_scope(candidate_id)))

    @requires_if_match
    @standing_blp.doc(operationId="changeReserveCandidate")
    @standing_blp.arguments(ReserveCandidatePatch)
    @standing_blp.response(200, ReserveCandidateOut)
    def patch(self, changes, candidate_id):
        """Record the candidate's training, or their leaving the pool (appointed or withdrawn), If-Match."""
        require(*BRANCH_WRITERS)
        return with_etag(secretaries.change_candidate(candidate_id, changes))
# ----------------------------------------------------------------------------- annual statistics (STATS.ORGANIZATIONS)

from . import statistics  # noqa: E402 (the section's domain module)
from .schemas import OrgStatisticsArgs, OrgStatisticsOut  # noqa: E402

statistics_blp = Blueprint("statistics", __name__, url_prefix=PREFIX,
                           description="The annual party statistics (党内统计年报): grassroots organizations")
BLUEPRINTS.append(statistics_blp)


@statistics_blp.route("/statistics")
class Statistics(MethodView):
    @statistics_blp.doc(operationId="getOrgStatistics")
    @statistics_blp.arguments(OrgStatisticsArgs, location="query")
    @statistics_blp.response(200, OrgStatisticsOut)
    def get(self, args):
        """The organizations table of a subtree as of 31 December of ``year`` (STATS.ORGANIZATIONS): grassroots
        organizations by kind and sector, branches with and without a committee, committees whose term ended
        in the year and whether they were re-elected on time. ``format=xlsx``: the workbook, Chinese headers."""
        result = statistics.organizations(args)
        return statistics.workbook(result) if args["format"] == "xlsx" else result
