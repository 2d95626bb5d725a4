"""The EVAL.* rules (and the LIFE.* / ORG.* ones they lean on) at their boundaries, as tables."""
from datetime import date

import pytest

from services.evaluation import rules
from shared.violations import Violation

THRESHOLDS = rules.DEFAULTS["EVAL.STARS"]
FREQUENCIES = rules.DEFAULTS["LIFE.FREQUENCIES"]


@pytest.mark.parametrize("score, stars", [
    (100, 5), (90, 5), (89.99, 4), (80, 4), (79.99, 3), (70, 3), (69.99, 2), (60, 2), (59.99, 1), (0, 1),
])
def test_stars_by_score(score, stars):
    assert rules.stars_for(score, THRESHOLDS) == stars


@pytest.mark.parametrize("branches, share, quota", [
    (10, 0.30, 3), (9, 0.30, 2), (3, 0.30, 0), (4, 0.30, 1), (100, 0.30, 30), (7, 0.30, 2), (1, 0.30, 0),
    (20, 0.30, 6),  # 0.3 * 20 is 6.000000000000001 in floats: the quota is still 6
])
def test_five_star_quota_rounds_down(branches, share, quota):
    assert rules.five_star_quota(branches, share) == quota


@pytest.mark.parametrize("scores, quota, keep", [
    ([95, 94, 93], 3, [95, 94, 93]),                 # within the quota: all keep five stars
    ([95, 94, 93, 92], 3, [95, 94, 93]),             # the fourth is cut
    ([95, 94, 93, 93], 3, [95, 94]),                 # a tie at the cut line: both tied drop
    ([93, 93, 93, 93], 3, []),                       # everyone tied: nobody can be preferred
    ([95, 93, 93, 92], 3, [95, 93, 93]),             # the tie sits inside the quota: both keep
    ([99], 0, []),                                   # a quota of 0
])
def test_five_star_cut_line_and_ties(scores, quota, keep):
    cut = rules.five_star_cut(scores, quota)
    kept = scores if cut is None else [s for s in scores if s > cut]
    assert sorted(kept, reverse=True) == keep
    assert len(kept) <= quota or cut is None


@pytest.mark.parametrize("stars, vetoes, signs, limited", [
    (5, [{"name": "严重违纪"}], [], 2),
    (3, [], ["weak"], 2),
    (2, [{"name": "严重违纪"}], [], None),  # already at 2: nothing to limit
    (5, [], [], None),
])
def test_veto_or_weak_limits_to_two_stars(stars, vetoes, signs, limited):
    signs = [Violation("EVAL.WEAK", en="", zh="", facts={"sign": s}) for s in signs]
    violation = rules.veto_limit(stars, vetoes, signs, 2)
    assert (violation.facts["max_stars"] if violation else None) == limited
    if violation:
        assert violation.code == "EVAL.VETO"


@pytest.mark.parametrize("stars, category", [(5, "advanced"), (4, "advanced"), (3, "middle"), (2, "backward"),
                                             (1, "backward")])
def test_category(stars, category):
    assert rules.category_for(stars, rules.DEFAULTS["EVAL.CATEGORY"]) == category


@pytest.mark.parametrize("stars, previous, change", [(4, 3, "up"), (3, 4, "down"), (3, 3, "same"), (3, None, "new")])
def test_change_from_last_year(stars, previous, change):
    assert rules.change_from_last_year(stars, previous) == change
    assert rules.CHANGE_NAMES_ZH[change]


@pytest.mark.parametrize("year, as_of, ended", [
    (2026, date(2026, 1, 30), 0), (2026, date(2026, 1, 31), 1), (2026, date(2026, 3, 31), 3),
    (2026, date(2026, 4, 1), 3), (2026, date(2026, 12, 30), 11), (2026, date(2026, 12, 31), 12),
    (2026, date(2027, 1, 1), 12), (2026, date(2025, 6, 1), 0),
    (2028, date(2028, 2, 28), 1), (2028, date(2028, 2, 29), 2),  # a leap February ends on the 29th
])
def test_months_ended(year, as_of, ended):
    assert rules.months_ended(year, as_of) == ended


@pytest.mark.parametrize("as_of, committee, groups, due", [
    (date(2026, 12, 31), False, False, {"general_meeting": 4, "committee_meeting": 0, "group_meeting": 0,
                                        "party_lecture": 4, "theme_day": 12, "review_meeting": 1,
                                        "heart_to_heart_talk": 1, "member_review": 1}),
    (date(2026, 12, 31), True, True, {"general_meeting": 4, "committee_meeting": 12, "group_meeting": 12,
                                      "party_lecture": 4, "theme_day": 12, "review_meeting": 1,
                                      "heart_to_heart_talk": 1, "member_review": 1}),
    (date(2026, 3, 30), True, False, {"general_meeting": 0, "committee_meeting": 2, "group_meeting": 0,
                                      "party_lecture": 0, "theme_day": 2, "review_meeting": 0,
                                      "heart_to_heart_talk": 0, "member_review": 0}),
    (date(2026, 3, 31), True, False, {"general_meeting": 1, "committee_meeting": 3, "group_meeting": 0,
                                      "party_lecture": 1, "theme_day": 3, "review_meeting": 0,
                                      "heart_to_heart_talk": 0, "member_review": 0}),
])
def test_meetings_due_by_period_ended(as_of, committee, groups, due):
    assert rules.meetings_required(FREQUENCIES, 2026, as_of, has_committee=committee, has_groups=groups) == due


def test_a_surplus_of_one_meeting_type_never_covers_another():
    required = {"general_meeting": 4, "theme_day": 12}
    assert rules.meeting_shortfall({"general_meeting": 2, "theme_day": 20}, required) == (2, 16)


@pytest.mark.parametrize("vacant_since, as_of, weak", [
    (None, date(2026, 6, 1), False),
    (date(2026, 1, 31), date(2026, 4, 29), False),
    (date(2026, 1, 31), date(2026, 4, 30), True),   # Jan 31 + 3 months = Apr 30
    (date(2025, 11, 30), date(2026, 2, 27), False),
    (date(2025, 11, 30), date(2026, 2, 28), True),  # Nov 30 + 3 months = Feb 28
])
def test_secretary_seat_empty_three_months(vacant_since, as_of, weak):
    found = rules.secretary_vacancy(vacant_since, as_of, 3)
    assert (found is not None) == weak
    if found:
        assert found.code == "EVAL.WEAK"
        assert found.facts["sign"] == "secretary_vacant"


@pytest.mark.parametrize("term_ends_on, as_of, expired", [
    (date(2026, 5, 31), date(2026, 5, 31), False), (date(2026, 5, 31), date(2026, 6, 1), True),
    (None, date(2026, 1, 1), False),
])
def test_term_expired(term_ends_on, as_of, expired):
    assert (rules.term_expired(term_ends_on, as_of) is not None) == expired


@pytest.mark.parametrize("on_record, filled, full_members, sign", [
    (False, 0, 3, True),   # no election on record
    (True, 1, 6, False),   # fewer than 7 full members: a secretary is enough
    (True, 2, 7, True),    # 7 full members need a committee of 3
    (True, 3, 7, False),
])
def test_committee_structure(on_record, filled, full_members, sign):
    found = rules.committee_structure(on_record, filled, full_members, min_full_members=7, min_seats=3)
    assert (found is not None) == sign


@pytest.mark.parametrize("developed, targets, weak", [(0, 0, True), (1, 0, False), (0, 1, False)])
def test_no_development_for_two_years(developed, targets, weak):
    assert (rules.no_development(developed, targets, None, 2, date(2026, 12, 31)) is not None) == weak


@pytest.mark.parametrize("satisfaction, weak", [(59.9, True), (60, False), (None, False)])
def test_low_public_satisfaction(satisfaction, weak):
    assert (rules.low_satisfaction(satisfaction, 60, "inspector") is not None) == weak


@pytest.mark.parametrize("branches, least, most", [(20, 1, 2), (100, 5, 10), (101, 6, 11), (7, 1, 1), (0, 0, 0)])
def test_bottom_share_rounds_up(branches, least, most):
    assert rules.review_bottom_sizes(branches, [0.05, 0.10]) == (least, most)


@pytest.mark.parametrize("current, wanted, allowed", [
    ("open", "in_progress", True), ("open", "rectified", False), ("open", "verified", False),
    ("in_progress", "rectified", True), ("in_progress", "verified", False), ("in_progress", "open", False),
    ("rectified", "verified", True), ("rectified", "in_progress", True), ("verified", "in_progress", False),
])
def test_problem_status_flow(current, wanted, allowed):
    found = rules.problem_transition(current, wanted)
    assert (found is None) == allowed
    if found:
        assert found.code == "EVAL.PROBLEMS"


@pytest.mark.parametrize("status, deadline, as_of, overdue", [
    ("open", date(2026, 6, 30), date(2026, 6, 30), False),
    ("open", date(2026, 6, 30), date(2026, 7, 1), True),
    ("in_progress", date(2027, 3, 1), date(2027, 1, 1), True),   # all rectified by the year's end
    ("rectified", date(2026, 6, 30), date(2026, 7, 1), False),
    ("verified", date(2026, 6, 30), date(2027, 7, 1), False),
])
def test_problem_overdue(status, deadline, as_of, overdue):
    assert (rules.problem_overdue(status, deadline, 2026, as_of) is not None) == overdue
