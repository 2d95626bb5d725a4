"""Every MEMBERS.* rule (and LIFE.MEMBER_REVIEW, MEMBERS.STEP_ORDER) at its boundaries, as the regulation's table.

Dates are counted as RULES.md says (Civil Code arts. 201-203): Jan 31 + 1 month = Feb 28, a Feb 29
birthday is reached on Feb 28 of a common year, working days follow the official calendar.
"""
from __future__ import annotations

from datetime import date

import pytest

from services.members import rules
from services.members.rules import DEFAULTS, MemberFacts
from shared.dates import CalendarNotPublished

D = date.fromisoformat


def code(violation):
    return violation.code if violation else None


# ----------------------------------------------------------------------------- MEMBERS.MIN_AGE

@pytest.mark.parametrize("birth, applied, feb29, broken", [
    ("2008-05-05", "2026-05-04", "feb28", "MEMBERS.MIN_AGE"),
    ("2008-05-05", "2026-05-05", "feb28", None),                 # exactly 18 on the application date
    ("2008-02-29", "2026-02-27", "feb28", "MEMBERS.MIN_AGE"),
    ("2008-02-29", "2026-02-28", "feb28", None),                 # Feb 29 birthday: 18 on Feb 28 of 2026
    ("2008-02-29", "2026-02-28", "mar1", "MEMBERS.MIN_AGE"),     # the other convention (*config*)
    ("2008-02-29", "2026-03-01", "mar1", None),
    ("2006-02-28", "2024-02-28", "feb28", None),
])
def test_min_age(birth, applied, feb29, broken):
    assert code(rules.min_age(D(birth), D(applied), 18, feb29)) == broken


def test_min_age_names_the_day_the_applicant_turns_18():
    violation = rules.min_age(D("2008-02-29"), D("2026-02-27"), 18, "feb28")
    assert "2026-02-28" in violation.en
    assert "2026-02-28" in violation.zh


# ----------------------------------------------------------------------------- MEMBERS.TALK_DEADLINE

@pytest.mark.parametrize("applied, talked, move, broken", [
    ("2026-01-31", "2026-02-28", False, None),                   # Jan 31 + 1 month = Feb 28
    ("2026-01-31", "2026-03-01", False, "MEMBERS.TALK_DEADLINE"),
    ("2028-01-31", "2028-02-29", False, None),                   # leap year
    ("2028-01-31", "2028-03-01", False, "MEMBERS.TALK_DEADLINE"),
    ("2026-09-01", "2026-10-01", False, None),                   # due on a holiday, on time
    ("2026-09-01", "2026-10-08", False, "MEMBERS.TALK_DEADLINE"),
    ("2026-09-01", "2026-10-08", True, None),                    # *config*: a deadline on a holiday moves on
    ("2026-09-01", "2026-10-09", True, "MEMBERS.TALK_DEADLINE"),
])
def test_talk_deadline(applied, talked, move, broken):
    assert code(rules.talk_deadline(D(applied), D(talked), 1, move)) == broken


def test_a_late_talk_says_when_it_was_due_and_how_late():
    violation = rules.talk_deadline(D("2026-01-31"), D("2026-03-03"), 1)
    assert violation.facts["due_on"] == D("2026-02-28")
    assert violation.facts["days_late"] == 3
    assert "2026-02-28" in violation.en
    assert "2026-02-28" in violation.zh


# ----------------------------------------------------------------------------- MEMBERS.ACTIVIST_SOURCE

@pytest.mark.parametrize("source, decided_by, recommenders, broken", [
    ("member_recommendation", "branch_committee", ["王五"], None),
    ("member_recommendation", "branch_committee", [], "MEMBERS.ACTIVIST_SOURCE"),
    ("league_recommendation", "branch_committee", [], None),                 # 推优
    ("mass_organization_recommendation", "branch_general_meeting", [], None),
    ("self_nomination", "branch_committee", [], "MEMBERS.ACTIVIST_SOURCE"),
    ("league_recommendation", "secretary", [], "MEMBERS.ACTIVIST_SOURCE"),    # one person cannot decide
])
def test_activist_source(source, decided_by, recommenders, broken):
    assert code(rules.activist_source(source, decided_by, recommenders)) == broken


# ----------------------------------------------------------------------------- MEMBERS.SPONSORS

def member(pid, stage="full", status="active", since="2010-01-01", probation=None, restored=None):
    return MemberFacts(pid, f"member {pid}", stage, status, D(since) if since else None,
                       D(probation) if probation else None, D(restored) if restored else None)


@pytest.mark.parametrize("people, broken", [
    ([], "MEMBERS.SPONSORS"),
    ([member("a")], None),
    ([member("a"), member("b")], None),
    ([member("a"), member("b"), member("c")], "MEMBERS.SPONSORS"),
    ([member("a"), member("a")], "MEMBERS.SPONSORS"),
    ([member("a", stage="probationary")], "MEMBERS.SPONSORS"),
    ([member("a", since="2026-03-02")], "MEMBERS.SPONSORS"),     # not yet full on the day
    ([member("a", status="suspended")], "MEMBERS.SPONSORS"),
    ([MemberFacts("x", "", None, None)], "MEMBERS.SPONSORS"),     # not known here
])
def test_sponsors(people, broken):
    assert code(rules.sponsors(people, D("2026-03-01"), 1, 2)) == broken


@pytest.mark.parametrize("last, assessed, broken", [
    ("2026-01-31", "2026-07-31", None),
    ("2026-01-31", "2026-08-01", "MEMBERS.SPONSORS"),
    ("2025-08-31", "2026-02-28", None),                          # Aug 31 + 6 months = Feb 28
    ("2025-08-31", "2026-03-01", "MEMBERS.SPONSORS"),
])
def test_six_monthly_assessment(last, assessed, broken):
    assert code(rules.assessment_deadline(D(last), D(assessed), 6)) == broken


# ----------------------------------------------------------------------------- MEMBERS.CULTIVATION_PERIOD

@pytest.mark.parametrize("activist, decided, broken", [
    ("2025-03-01", "2026-02-28", "MEMBERS.CULTIVATION_PERIOD"),
    ("2025-03-01", "2026-03-01", None),
    ("2025-10-01", "2026-09-30", "MEMBERS.CULTIVATION_PERIOD"),
    ("2025-10-01", "2026-10-01", None),                          # the year ends on a holiday: from that day
    ("2024-02-29", "2025-02-28", None),                          # Feb 29 + 1 year = Feb 28
    ("2024-02-29", "2025-02-27", "MEMBERS.CULTIVATION_PERIOD"),
])
def test_cultivation_period(activist, decided, broken):
    assert code(rules.cultivation_period(D(activist), D(decided), 1)) == broken


def test_cultivation_refusal_says_when_it_can_happen():
    violation = rules.cultivation_period(D("2025-03-01"), D("2026-02-20"), 1)
    assert "the activist period ends on 2026-03-01; a development target can be decided from then" in violation.en
    assert "2026-03-01" in violation.zh


# ----------------------------------------------------------------------------- MEMBERS.PUBLIC_NOTICE

@pytest.mark.parametrize("start, earliest_end", [
    ("2026-09-30", "2026-10-12"),   # 9-30, (National Day 10-1..10-7), 10-8, 10-9, 10-10 (make-up Saturday), 10-12
    ("2026-09-28", "2026-10-09"),   # 9-28, 9-29, 9-30, 10-8, 10-9
    ("2026-09-17", "2026-09-22"),   # 9-17, 9-18, 9-20 (make-up Sunday), 9-21, 9-22
    ("2026-09-24", "2026-10-08"),   # 9-24, (Mid-Autumn 9-25..9-27), 9-28, 9-29, 9-30, (National Day), 10-8
    ("2026-03-02", "2026-03-06"),   # an ordinary week
])
def test_notice_length_counts_official_working_days(start, earliest_end):
    assert rules.notice_ends(D(start), 5) == D(earliest_end)
    assert rules.public_notice_length(D(start), D(earliest_end), 5) is None
    assert code(rules.public_notice_length(D(start), date.fromordinal(D(earliest_end).toordinal() - 1), 5)) \
        == "MEMBERS.PUBLIC_NOTICE"


def test_a_notice_over_national_day_that_ends_on_the_make_up_saturday_is_one_day_short():
    violation = rules.public_notice_length(D("2026-09-30"), D("2026-10-10"), 5)
    assert violation.code == "MEMBERS.PUBLIC_NOTICE"
    assert "2026-10-12" in violation.en
    assert "2026-10-12" in violation.zh


def test_a_notice_into_a_year_without_a_published_calendar_cannot_be_counted():
    with pytest.raises(CalendarNotPublished):
        rules.notice_ends(D("2026-12-28"), 5)


@pytest.mark.parametrize("notice_end, step_on, broken", [
    (None, "2026-03-10", "MEMBERS.PUBLIC_NOTICE"),
    ("2026-03-10", "2026-03-10", "MEMBERS.PUBLIC_NOTICE"),       # still running that day
    ("2026-03-10", "2026-03-11", None),
])
def test_the_notice_is_over_before_the_decision(notice_end, step_on, broken):
    assert code(rules.notice_before("target decision", "确定发展对象", D(notice_end) if notice_end else None,
                                    D(step_on))) == broken


@pytest.mark.parametrize("objections, step_on, broken", [
    (True, "2026-03-11", "MEMBERS.PUBLIC_NOTICE"),              # over, but its objections are not cleared
    (False, "2026-03-11", None),
])
def test_a_notice_with_objections_is_published_again(objections, step_on, broken):
    assert code(rules.notice_before("target decision", "确定发展对象", D("2026-03-10"), D(step_on),
                                    objections=objections)) == broken


# ----------------------------------------------------------------------------- MEMBERS.INTRODUCERS

@pytest.mark.parametrize("people, broken", [
    ([member("a"), member("b")], None),
    ([member("a")], "MEMBERS.INTRODUCERS"),
    ([member("a"), member("a")], "MEMBERS.INTRODUCERS"),
    ([member("a"), member("b"), member("c")], "MEMBERS.INTRODUCERS"),
    ([member("a"), member("b", stage="probationary")], "MEMBERS.INTRODUCERS"),
    ([member("a"), member("b", probation="2025-06-01")], "MEMBERS.INTRODUCERS"),              # 留党察看
    ([member("a"), member("b", probation="2025-06-01", restored="2026-03-01")], None),       # rights restored
    ([member("a"), member("b", probation="2025-06-01", restored="2026-03-02")], "MEMBERS.INTRODUCERS"),
    ([member("a"), member("self")], "MEMBERS.INTRODUCERS"),
])
def test_introducers(people, broken):
    assert code(rules.introducers(people, D("2026-03-01"), 2, "self")) == broken


# ----------------------------------------------------------------------------- reviews before admission

@pytest.mark.parametrize("conclusion, person, relatives, broken", [
    ("qualified", True, True, None),
    ("qualified", True, False, "MEMBERS.POLITICAL_REVIEW"),
    ("qualified", False, True, "MEMBERS.POLITICAL_REVIEW"),
    ("unqualified", True, True, "MEMBERS.POLITICAL_REVIEW"),
])
def test_political_review(conclusion, person, relatives, broken):
    assert code(rules.political_review(conclusion, person, relatives)) == broken


@pytest.mark.parametrize("needed, conclusion, leaders, introducers, recused, voting, broken", [
    (False, None, set(), set(), set(), set(), None),
    (True, None, set(), set(), set(), set(), "MEMBERS.RELATIVE_REVIEW"),
    (True, "not_approved", set(), set(), set(), set(), "MEMBERS.RELATIVE_REVIEW"),
    (True, "approved", {"L"}, {"L", "x"}, set(), set(), "MEMBERS.RELATIVE_REVIEW"),     # leader introduces
    (True, "approved", {"L"}, {"x", "y"}, set(), {"L"}, "MEMBERS.RELATIVE_REVIEW"),     # leader votes
    (True, "approved", {"L"}, {"x", "y"}, {"L"}, {"L"}, None),                          # leader stood aside
])
def test_relative_review(needed, conclusion, leaders, introducers, recused, voting, broken):
    assert code(rules.relative_review(needed, conclusion, leaders, introducers, recused, voting)) == broken


@pytest.mark.parametrize("conclusions, broken", [
    ({d: "no_objection" for d in DEFAULTS["joint_review_departments"]}, None),
    ({d: "no_objection" for d in DEFAULTS["joint_review_departments"][1:]}, "MEMBERS.JOINT_REVIEW"),
    ({**{d: "no_objection" for d in DEFAULTS["joint_review_departments"]}, "court": "objection"},
     "MEMBERS.JOINT_REVIEW"),
])
def test_joint_review(conclusions, broken):
    assert code(rules.joint_review(conclusions, DEFAULTS["joint_review_departments"])) == broken


@pytest.mark.parametrize("days, hours, assessment, broken", [
    (3, None, "passed", None),
    (2, 23.5, "passed", "MEMBERS.TARGET_TRAINING"),
    (None, 24, "passed", None),
    (2, 24, "passed", None),
    (0, 0, "passed", "MEMBERS.TARGET_TRAINING"),
    (2.5, None, "passed", "MEMBERS.TARGET_TRAINING"),     # a fraction counts as given: 2.5 days are short
    (3.5, None, "passed", None),
    (3, 24, "failed", "MEMBERS.TARGET_TRAINING"),         # attended in full but not passed: no 结业
    (3, 24, None, "MEMBERS.TARGET_TRAINING"),             # no assessment recorded
])
def test_target_training(days, hours, assessment, broken):
    assert code(rules.target_training(days, hours, 3, 24, assessment=assessment)) == broken


@pytest.mark.parametrize("passed, leaving, broken", [
    (True, None, None),
    (False, None, "MEMBERS.PRE_REVIEW"),
    (True, "2026-04-30", "MEMBERS.PRE_REVIEW"),     # Jan 31 + 3 months = Apr 30: leaving within
    (True, "2026-05-01", None),
])
def test_pre_review(passed, leaving, broken):
    assert code(rules.pre_review(passed, D("2026-01-31"), D(leaving) if leaving else None, 3)) == broken


# ----------------------------------------------------------------------------- MEMBERS.ADMISSION_VOTE

@pytest.mark.parametrize("entitled, present, yes, written, candidates, broken", [
    (10, 6, 6, 0, 1, None),
    (10, 6, 5, 0, 1, "MEMBERS.ADMISSION_VOTE"),     # exactly half the entitled in favour: refused
    (10, 6, 5, 1, 1, None),                         # an absent member's written yes counts
    (10, 5, 5, 1, 1, "MEMBERS.ADMISSION_VOTE"),     # half present: no quorum
    (9, 5, 5, 0, 1, None),
    (9, 5, 4, 0, 1, "MEMBERS.ADMISSION_VOTE"),
    (10, 8, 8, 0, 2, "MEMBERS.ADMISSION_VOTE"),     # one candidate at a time
])
def test_admission_vote(entitled, present, yes, written, candidates, broken):
    assert code(rules.general_meeting_vote("MEMBERS.ADMISSION_VOTE", entitled, present, yes, written,
                                           candidates)) == broken


# ----------------------------------------------------------------------------- MEMBERS.APPROVAL_DEADLINE

@pytest.mark.parametrize("approved, special, broken", [
    ("2026-04-01", False, None),                            # day 90 after a vote on Jan 1
    ("2026-04-03", False, "MEMBERS.APPROVAL_DEADLINE"),     # day 92
    ("2026-07-01", True, None),                             # special case: 6 months
    ("2026-07-02", True, "MEMBERS.APPROVAL_DEADLINE"),
])
def test_approval_deadline(approved, special, broken):
    assert code(rules.approval_deadline(D("2026-01-01"), D(approved), special, 3, 6)) == broken


KINDS = DEFAULTS["approving_unit_kinds"]


@pytest.mark.parametrize("kind, parent, upper, broken", [
    ("township", "county", True, None),
    ("county", "city", True, None),
    ("grassroots_committee", "county", True, None),
    ("grassroots_committee", "township", True, "MEMBERS.APPROVAL_DEADLINE"),   # a committee under a township
    ("general_branch", "township", True, "MEMBERS.APPROVAL_DEADLINE"),
    ("branch", "township", True, "MEMBERS.APPROVAL_DEADLINE"),
    ("township", "county", False, "MEMBERS.APPROVAL_DEADLINE"),                # not the person's upper committee
    (None, None, False, "MEMBERS.APPROVAL_DEADLINE"),
])
def test_the_approving_level_is_a_gate(kind, parent, upper, broken):
    assert code(rules.approving_level(kind, parent, upper, KINDS)) == broken


# ----------------------------------------------------------------------------- MEMBERS.PROBATION, OATH, CONVERSION

@pytest.mark.parametrize("voted, conversion_vote, broken", [
    ("2025-03-10", "2026-03-09", "MEMBERS.PROBATION"),
    ("2025-03-10", "2026-03-10", None),
    ("2024-02-29", "2025-02-28", None),
    ("2024-02-29", "2025-02-27", "MEMBERS.PROBATION"),
])
def test_probation_is_a_year_from_the_admission_vote(voted, conversion_vote, broken):
    assert code(rules.probation(rules.probation_ends(D(voted), 1), D(conversion_vote))) == broken


@pytest.mark.parametrize("approved, oath, broken", [
    ("2026-01-31", "2026-02-28", None),             # 1 month after Jan 31
    ("2026-01-31", "2026-03-01", "MEMBERS.OATH"),
    ("2026-03-15", "2026-04-15", None),
    ("2026-03-15", "2026-04-16", "MEMBERS.OATH"),
])
def test_oath_deadline(approved, oath, broken):
    assert code(rules.oath_deadline(D(approved), D(oath), 1)) == broken


@pytest.mark.parametrize("months, used, broken", [
    (5, 0, "MEMBERS.CONVERSION"),
    (6, 0, None),
    (12, 0, None),
    (13, 0, "MEMBERS.CONVERSION"),
    (6, 1, "MEMBERS.CONVERSION"),                   # once only
])
def test_extension(months, used, broken):
    assert code(rules.extension(months, used, 6, 12, 1)) == broken


@pytest.mark.parametrize("approved, broken", [
    ("2026-04-01", None),
    ("2026-04-02", "MEMBERS.CONVERSION"),
])
def test_conversion_approval_deadline(approved, broken):
    assert code(rules.conversion_approval_deadline(D("2026-01-01"), D(approved), 3)) == broken


def test_conversion_vote_counts_like_the_admission_vote_under_its_own_code():
    assert code(rules.general_meeting_vote("MEMBERS.CONVERSION", 10, 6, 5, 0, 1)) == "MEMBERS.CONVERSION"


# ----------------------------------------------------------------------------- MEMBERS.NO_DEVELOPMENT

@pytest.mark.parametrize("last, broken", [
    (None, "MEMBERS.NO_DEVELOPMENT"),
    ("2023-11-28", "MEMBERS.NO_DEVELOPMENT"),       # exactly 3 years without a new member
    ("2023-11-29", None),
    ("2026-01-01", None),
])
def test_no_development(last, broken):
    assert code(rules.no_development(D(last) if last else None, D("2026-11-28"), 3)) == broken


# ----------------------------------------------------------------------------- management

@pytest.mark.parametrize("since, on, broken", [
    (None, "2026-07-31", "MEMBERS.OUT_OF_CONTACT"),
    ("2026-01-31", "2026-07-30", "MEMBERS.OUT_OF_CONTACT"),
    ("2026-01-31", "2026-07-31", None),
])
def test_suspension_after_six_months_out_of_contact(since, on, broken):
    assert code(rules.out_of_contact_suspension(D(since) if since else None, D(on), 6)) == broken


@pytest.mark.parametrize("suspended, on, broken", [
    ("2024-02-29", "2026-02-27", "MEMBERS.OUT_OF_CONTACT"),
    ("2024-02-29", "2026-02-28", None),
    (None, "2026-02-28", "MEMBERS.OUT_OF_CONTACT"),
])
def test_removal_after_two_years_suspended(suspended, on, broken):
    assert code(rules.out_of_contact_removal(D(suspended) if suspended else None, D(on), 2)) == broken


@pytest.mark.parametrize("start, until, broken", [
    ("2026-01-31", "2027-01-31", None),
    ("2026-01-31", "2027-02-01", "MEMBERS.UNQUALIFIED"),     # more than 1 year
    ("2026-01-31", "2026-01-31", "MEMBERS.UNQUALIFIED"),
])
def test_correction_period(start, until, broken):
    assert code(rules.correction_period(D(start), D(until), 12)) == broken


@pytest.mark.parametrize("ground, on, since, until, refused, broken", [
    ("no_party_life", "2026-07-30", "2026-01-31", None, False, "MEMBERS.UNQUALIFIED"),
    ("no_party_life", "2026-07-31", "2026-01-31", None, False, None),
    ("correction_failed", "2026-06-30", None, "2026-06-30", False, "MEMBERS.UNQUALIFIED"),
    ("correction_failed", "2026-07-01", None, "2026-06-30", False, None),
    ("correction_failed", "2026-07-01", None, None, False, "MEMBERS.UNQUALIFIED"),
    ("persuasion_refused", "2026-07-01", None, None, True, None),
    ("persuasion_refused", "2026-07-01", None, None, False, "MEMBERS.UNQUALIFIED"),
])
def test_removal_grounds(ground, on, since, until, refused, broken):
    assert code(rules.removal_ground(ground, D(on), D(since) if since else None, D(until) if until else None,
                                     refused, 6)) == broken


@pytest.mark.parametrize("stage, status, under_way, broken", [
    ("full", "active", False, None),
    ("probationary", "active", False, None),
    ("target", "active", False, "MEMBERS.TRANSFER"),
    ("full", "suspended", False, "MEMBERS.TRANSFER"),
    ("full", "active", True, "MEMBERS.TRANSFER"),
])
def test_transfer(stage, status, under_way, broken):
    assert code(rules.transfer_eligible(stage, status, under_way)) == broken


def test_a_member_away_six_months_transfers():
    assert rules.transfer_due(D("2026-01-31"), 6) == D("2026-07-31")


@pytest.mark.parametrize("excellent, graded, probationary, broken", [
    (1, 3, [], None),
    (2, 5, [], "LIFE.MEMBER_REVIEW"),
    (2, 6, [], None),
    (0, 2, ["p"], "LIFE.MEMBER_REVIEW"),            # probationary members are not graded
])
def test_review_grades(excellent, graded, probationary, broken):
    assert code(rules.review_grades(excellent, graded, probationary, (1, 3), 2026)) == broken


@pytest.mark.parametrize("already, points, cap, broken", [
    (65, 5, 70, None),
    (65, 6, 70, "MEMBERS.POINTS"),
    (0, 5, None, "MEMBERS.POINTS"),                 # not a source of the city's scheme
])
def test_points_cap(already, points, cap, broken):
    assert code(rules.points_cap("tasks", already, points, cap, 2026, "attendance")) == broken


@pytest.mark.parametrize("stage, status, broken", [
    ("full", "active", None), ("probationary", "suspended", None), ("target", "active", "MEMBERS.POINTS"),
    ("full", "left", "MEMBERS.POINTS"),
])
def test_points_are_for_members_on_the_roll(stage, status, broken):
    assert code(rules.member_for_points(stage, status)) == broken


# ----------------------------------------------------------------------------- MEMBERS.STEP_ORDER

@pytest.mark.parametrize("kind, reached, status, broken", [
    ("application", 0, "active", None),
    ("talk", 1, "active", None),
    ("activist", 1, "active", "MEMBERS.STEP_ORDER"),           # the talk comes first
    ("assessment", 5, "active", None),
    ("assessment", 6, "active", None),                         # repeated every six months
    ("target", 5, "active", "MEMBERS.STEP_ORDER"),             # at least one assessment first
    ("target", 6, "active", None),
    ("target_notice", 3, "active", "MEMBERS.STEP_ORDER"),
    ("target_notice", 4, "active", None),
    ("target_notice", 7, "active", "MEMBERS.STEP_ORDER"),
    ("admission_notice", 13, "active", None),
    ("admission_notice", 15, "active", "MEMBERS.STEP_ORDER"),
    ("admission_vote", 13, "active", "MEMBERS.STEP_ORDER"),
    ("probation_assessment", 21, "active", None),
    ("archive", 25, "active", "MEMBERS.STEP_ORDER"),
    ("talk", 1, "suspended", "MEMBERS.STEP_ORDER"),
])
def test_step_order(kind, reached, status, broken):
    assert code(rules.step_order(kind, reached, status, "applicant")) == broken


def test_party_standing_counts_from_the_conversion():
    assert rules.party_standing_years(D("2016-03-01"), D("2026-02-28")) == 9
    assert rules.party_standing_years(D("2016-03-01"), D("2026-03-01")) == 10
    assert rules.party_standing_years(None, D("2026-03-01")) is None


# ----------------------------------------------------------------------------- who the management measures apply to

@pytest.mark.parametrize("stage, broken", [
    ("full", None),
    ("probationary", None),
    ("target", "MEMBERS.UNQUALIFIED"),                         # not yet a party member
    ("applicant", "MEMBERS.UNQUALIFIED"),
])
def test_management_measures_apply_to_party_members(stage, broken):
    assert code(rules.party_member("MEMBERS.UNQUALIFIED", stage)) == broken
