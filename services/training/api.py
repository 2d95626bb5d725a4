"""The training service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

from flask.views import MethodView
from shared.parsing import Blueprint

from shared.request import require
from shared.http import PageArgs, etag_of, if_match, with_etag
from shared.idempotency import idempotent
from shared.openapi import requires_if_match

from . import attendance, classes, courses, coverage, hours, overdue, rotation
from .schemas import (AttendanceIn, AttendanceListArgs, AttendancePage, AttendanceResult, ClassIn, ClassListArgs,
                      CompletionIn, CompletionPage, CompletionResult,
                      ClassOut, ClassPage, ClassPatch, CourseIn, CourseOut, CoursePage, CoverageArgs, CoverageOut,
                      EnrollmentListArgs, EnrollmentPage, EnrolResult, OverdueArgs, OverduePage, PeopleIn,
                      PeopleListArgs, PersonHoursPage, PersonYearOut, PlanIn, PlanOut, SessionIn, UnderArgs,
                      YearArgs)

PREFIX = "/api/training/v1"
WRITERS = ("admin", "organizer", "integration")

course_blp = Blueprint("courses", __name__, url_prefix=PREFIX, description="Courses: title, topics, class hours")
class_blp = Blueprint("classes", __name__, url_prefix=PREFIX,
                      description="Classes, their sessions, enrolments and attendance")
people_blp = Blueprint("people", __name__, url_prefix=PREFIX, description="People's class hours by year")
report_blp = Blueprint("reports", __name__, url_prefix=PREFIX,
                       description="Coverage (JSON, CSV, XLSX) and overdue training")
plan_blp = Blueprint("rotation-plans", __name__, url_prefix=PREFIX,
                     description="Rotation plans: a county's secretaries placed in its rotation classes")

BLUEPRINTS = [course_blp, class_blp, people_blp, report_blp, plan_blp]


# ----------------------------------------------------------------------------- courses


@course_blp.route("/courses")
class Courses(MethodView):
    @course_blp.arguments(UnderArgs, location="query")
    @course_blp.response(200, CoursePage)
    def get(self, args):
        """Courses of units in the caller's subtree (or under ``under``)."""
        return courses.list_courses(args)

    @idempotent
    @course_blp.arguments(CourseIn)
    @course_blp.response(201, CourseOut)
    def post(self, fields):
        """Create a course owned by a province, city, county or township unit."""
        require(*WRITERS)
        return with_etag(courses.create(fields))


@course_blp.route("/courses/<uuid:course_id>")
class CourseItem(MethodView):
    @course_blp.response(200, CourseOut)
    def get(self, course_id):
        """One course; 404 outside the caller's subtree."""
        return with_etag(courses.get_in_scope(course_id))


# ----------------------------------------------------------------------------- classes


@class_blp.route("/classes")
class Classes(MethodView):
    @class_blp.arguments(ClassListArgs, location="query")
    @class_blp.response(200, ClassPage)
    def get(self, args):
        """Classes run by units in the caller's subtree (or under ``under``), by kind and year."""
        return classes.list_classes(args)

    @idempotent
    @class_blp.arguments(ClassIn)
    @class_blp.response(201, ClassOut)
    def post(self, fields):
        """Create a class with its sessions; secretary rotation only at county level or higher
        (TRAIN.SECRETARY_ROTATION)."""
        require(*WRITERS)
        return with_etag(classes.create(fields))


@class_blp.route("/classes/<uuid:class_id>")
class ClassItem(MethodView):
    @class_blp.response(200, ClassOut)
    def get(self, class_id):
        """One class with its sessions; 404 outside the caller's subtree."""
        return with_etag(classes.get_in_scope(class_id))

    @requires_if_match
    @class_blp.arguments(ClassPatch)
    @class_blp.response(200, ClassOut)
    def patch(self, changes, class_id):
        """Change title, capacity, place or online (If-Match); capacity never below the enrolled (TRAIN.CAPACITY)."""
        require(*WRITERS)
        cls = if_match(classes.get_in_scope(class_id))
        return with_etag(classes.update(cls, changes))


@class_blp.route("/classes/<uuid:class_id>/sessions")
class ClassSessions(MethodView):
    @requires_if_match
    @class_blp.arguments(SessionIn)
    @class_blp.response(201, ClassOut)
    def post(self, fields, class_id):
        """Add a session within the class dates (If-Match: the class's ETag)."""
        require(*WRITERS)
        cls = if_match(classes.get_in_scope(class_id))
        return with_etag(classes.add_session(cls, fields))


@class_blp.route("/classes/<uuid:class_id>/enrollments")
class Enrollments(MethodView):
    @class_blp.arguments(EnrollmentListArgs, location="query")
    @class_blp.response(200, EnrollmentPage)
    def get(self, args, class_id):
        """The people enrolled in (or withdrawn from) a class."""
        return classes.list_enrollments(class_id, args)

    @idempotent
    @class_blp.arguments(PeopleIn)
    @class_blp.response(201, EnrolResult)
    def post(self, fields, class_id):
        """Enrol people of the organizer's subtree, all or none, up to capacity (TRAIN.CAPACITY):
        201 when anyone was added, 200 when all were enrolled already."""
        require(*WRITERS)
        result = classes.enrol(class_id, fields["person_ids"])
        return result, 201 if result["added"] else 200


@class_blp.route("/classes/<uuid:class_id>/enrollments/<uuid:person_id>")
class EnrollmentItem(MethodView):
    @class_blp.doc(operationId="withdrawEnrollment")
    @class_blp.response(204)
    def delete(self, class_id, person_id):
        """Withdraw a person from a class (hours already credited stay)."""
        require(*WRITERS)
        classes.withdraw(class_id, person_id)


@class_blp.route("/classes/<uuid:class_id>/completions")
class ClassCompletions(MethodView):
    @class_blp.arguments(PageArgs, location="query")
    @class_blp.response(200, CompletionPage)
    def get(self, args, class_id):
        """Who completed the class (结业) and their assessment."""
        return attendance.list_completions(class_id, args)

    @class_blp.doc(operationId="recordCompletions")
    @class_blp.arguments(CompletionIn)
    @class_blp.response(200, CompletionResult)
    def post(self, fields, class_id):
        """Record completions (结业) with their assessment, passed or failed, for people who attended; a make-up
        assessment replaces the one before. A passed development-target class meets MEMBERS.TARGET_TRAINING."""
        require(*WRITERS)
        return attendance.complete(class_id, fields)


@class_blp.route("/classes/<uuid:class_id>/attendance")
class ClassAttendance(MethodView):
    @class_blp.arguments(AttendanceListArgs, location="query")
    @class_blp.response(200, AttendancePage)
    def get(self, args, class_id):
        """Attendance recorded for a class (or one session)."""
        return attendance.list_attendance(class_id, args)

    @class_blp.doc(operationId="recordAttendance")
    @idempotent
    @class_blp.arguments(AttendanceIn)
    @class_blp.response(201, AttendanceResult)
    def post(self, fields, class_id):
        """Record who attended a session: its class hours are credited once per person (201), and a
        repeat credits nothing (200)."""
        require(*WRITERS)
        result, credited = attendance.record(class_id, fields)
        return result, 201 if credited else 200


# ----------------------------------------------------------------------------- people


@people_blp.route("/people")
class People(MethodView):
    @people_blp.doc(operationId="listTrainingPeople")
    @people_blp.arguments(PeopleListArgs, location="query")
    @people_blp.response(200, PersonHoursPage)
    def get(self, args):
        """Members, secretaries and committee members of the subtree with their hours for the year."""
        return hours.list_people(args)


@people_blp.route("/people/<uuid:person_id>/hours")
class PersonHours(MethodView):
    @people_blp.arguments(YearArgs, location="query")
    @people_blp.response(200, PersonYearOut)
    def get(self, args, person_id):
        """A person's class hours in a year, against TRAIN.MEMBER_HOURS or TRAIN.LEADER_HOURS."""
        return hours.person_year(person_id, args.get("year"))


# ----------------------------------------------------------------------------- reports


@report_blp.route("/coverage")
class Coverage(MethodView):
    @report_blp.arguments(CoverageArgs, location="query")
    @report_blp.response(200, CoverageOut)
    def get(self, args):
        """Coverage of the subtree for a year (TRAIN.COVERAGE): figures per unit below and the people
        not yet covered; JSON, CSV (``rows=people|units``) or XLSX by ``format=`` or Accept."""
        return coverage.report(args)


@report_blp.route("/overdue")
class Overdue(MethodView):
    @report_blp.arguments(OverdueArgs, location="query")
    @report_blp.response(200, OverduePage)
    def get(self, args):
        """New secretaries (TRAIN.NEW_SECRETARY) or new members (TRAIN.NEW_MEMBER) whose training is overdue."""
        return overdue.list_overdue(args)


# ----------------------------------------------------------------------------- rotation plans


@plan_blp.route("/rotation-plans")
class RotationPlans(MethodView):
    @idempotent
    @plan_blp.arguments(PlanIn)
    @plan_blp.response(201, PlanOut)
    def post(self, fields):
        """Propose the year's rotation for a county's secretaries not yet covered (201 when written,
        200 when the open proposal already says the same)."""
        require(*WRITERS)
        plan, written = rotation.propose(fields)
        return rotation.plan_out(plan), 201 if written else 200, {"ETag": etag_of(plan.id, plan.version)}


@plan_blp.route("/rotation-plans/<uuid:plan_id>")
class RotationPlanItem(MethodView):
    @plan_blp.response(200, PlanOut)
    def get(self, plan_id):
        """A rotation plan with every secretary's class (or overflow)."""
        plan = rotation.get_in_scope(plan_id)
        return with_etag(rotation.plan_out(plan))


@plan_blp.route("/rotation-plans/<uuid:plan_id>/confirm")
class RotationPlanConfirm(MethodView):
    @requires_if_match
    @plan_blp.response(200, PlanOut)
    def post(self, plan_id):
        """Confirm a proposal (If-Match): its people are enrolled in their classes."""
        require(*WRITERS)
        plan = rotation.confirm(rotation.get_in_scope(plan_id))
        return with_etag(rotation.plan_out(plan))
