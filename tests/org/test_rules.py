"""The org rules, table-driven at their boundaries (RULES.md, Organization setup and Organizational life)."""
from datetime import date, timedelta

import pytest

from services.org import rules
from services.org.rules import Holder

D = date.fromisoformat


def codes(*violations):
    return {v.code for v in violations if v}


def setup_codes(kind: str, full: int, probationary: int = 0, covered_units=None) -> set[str]:
    members = full + probationary
    return codes(rules.branch_min_members(kind, full, covered_units), rules.branch_max_members(kind, members),
                 rules.general_branch(kind, members), rules.grassroots_committee(kind, members))


@pytest.mark.parametrize("kind, full, probationary, broken", [
    ("branch", 2, 0, {"ORG.BRANCH_MIN_MEMBERS"}),          # fewer than 3 full members: a joint branch
    ("branch", 2, 5, {"ORG.BRANCH_MIN_MEMBERS"}),          # probationary members do not make up the 3
    ("branch", 3, 0, set()),
    ("branch", 6, 0, set()),
    ("branch", 7, 0, set()),
    ("branch", 50, 0, set()),                              # at most 50
    ("branch", 49, 1, set()),
    ("branch", 51, 0, {"ORG.BRANCH_MAX_MEMBERS", "ORG.GENERAL_BRANCH"}),
    ("branch", 50, 1, {"ORG.BRANCH_MAX_MEMBERS", "ORG.GENERAL_BRANCH"}),
    ("branch", 99, 0, {"ORG.BRANCH_MAX_MEMBERS", "ORG.GENERAL_BRANCH"}),
    ("branch", 100, 0, {"ORG.BRANCH_MAX_MEMBERS", "ORG.GRASSROOTS_COMMITTEE"}),  # 100+: a grassroots committee
    ("joint_branch", 2, 0, set()),                         # a joint branch is the answer to fewer than 3
    ("joint_branch", 51, 0, {"ORG.BRANCH_MAX_MEMBERS", "ORG.GENERAL_BRANCH"}),
    ("general_branch", 51, 0, set()),
    ("general_branch", 99, 0, set()),
    ("general_branch", 100, 0, {"ORG.GRASSROOTS_COMMITTEE"}),
    ("grassroots_committee", 100, 0, set()),
])
def test_setup_thresholds(kind, full, probationary, broken):
    assert setup_codes(kind, full, probationary) == broken


@pytest.mark.parametrize("covered, broken", [(None, set()), (5, set()), (6, {"ORG.BRANCH_MIN_MEMBERS"})])
def test_a_joint_branch_joins_at_most_5_units(covered, broken):
    assert setup_codes("joint_branch", 4, covered_units=covered) == broken


@pytest.mark.parametrize("full, roles, broken", [
    (6, ["secretary"], None),
    (6, ["secretary", "deputy_secretary"], None),
    (6, ["secretary", "organization"], "ORG.COMMITTEE_REQUIRED"),           # no committee below 7
    (6, ["secretary", "organization", "propaganda"], "ORG.COMMITTEE_REQUIRED"),
    (7, ["secretary"], "ORG.COMMITTEE_REQUIRED"),                           # 7+: a committee of 3-5
    (7, ["secretary", "deputy_secretary"], "ORG.COMMITTEE_REQUIRED"),
    (7, ["secretary", "organization", "propaganda"], None),
    (7, ["secretary", "organization", "propaganda", "discipline", "other"], None),
    (7, ["secretary"] + ["other"] * 6, None),                               # at most 7
    (7, ["secretary"] + ["other"] * 7, "ORG.COMMITTEE_REQUIRED"),
    (50, ["secretary", "deputy_secretary", "organization"], None),
])
def test_committee_size_at_the_election(full, roles, broken):
    violation = rules.committee_size(full, roles)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("seats, broken", [
    ([("secretary", "a")], None),
    ([("organization", "a")], "ORG.COMMITTEE_ROLES"),                               # no secretary
    ([("secretary", "a"), ("secretary", "b")], "ORG.COMMITTEE_ROLES"),
    ([("secretary", "a"), ("deputy_secretary", "b"), ("deputy_secretary", "c")], "ORG.COMMITTEE_ROLES"),
    ([("secretary", "a"), ("organization", "a")], "ORG.COMMITTEE_ROLES"),            # one seat per person
    ([("secretary", "a"), ("organization", None), ("propaganda", None)], None),      # vacant seats
])
def test_committee_roles(seats, broken):
    violation = rules.committee_roles(seats)
    assert (violation.code if violation else None) == broken


def holder(stage="full", status="active", belongs=True, since="2020-03-31"):
    return Holder("张三", stage, status, belongs, D(since) if since else None)


@pytest.mark.parametrize("role, candidate, on, broken", [
    ("secretary", holder(since="2020-03-31"), "2021-03-31", None),                  # exactly 1 year of standing
    ("secretary", holder(since="2020-03-31"), "2021-03-30", "ORG.COMMITTEE_ROLES"),
    ("secretary", holder(since="2020-02-29"), "2021-02-28", None),                  # Feb 29 + 1 year = Feb 28
    ("secretary", holder(since="2020-02-29"), "2021-02-27", "ORG.COMMITTEE_ROLES"),
    ("organization", holder(since="2021-03-01"), "2021-03-02", None),               # only the secretary needs it
    ("organization", holder(stage="probationary", since=None), "2021-03-02", "ORG.COMMITTEE_ROLES"),
    ("organization", holder(status="suspended"), "2021-03-02", "ORG.COMMITTEE_ROLES"),
    ("organization", holder(belongs=False), "2021-03-02", "ORG.COMMITTEE_ROLES"),   # another branch's member
    ("organization", None, "2021-03-02", "ORG.COMMITTEE_ROLES"),                    # unknown to the roster
])
def test_seat_holders(role, candidate, on, broken):
    violation = rules.seat_holder(role, candidate, D(on))
    assert (violation.code if violation else None) == broken


def test_the_secretarys_standing_is_named_with_its_dates():
    violation = rules.seat_holder("secretary", holder(since="2020-03-31"), D("2021-01-05"))
    assert violation.facts["standing_reached_on"] == D("2021-03-31")
    assert "2021-03-31" in violation.en
    assert "2021-03-31" in violation.zh


@pytest.mark.parametrize("kind, domain, years", [
    ("branch", "village", 5), ("branch", "community", 5), ("branch", "school", 3), ("branch", None, 3),
    ("joint_branch", "private_enterprise", 3), ("general_branch", "village", 3),
    ("grassroots_committee", "state_owned_enterprise", 5),
])
def test_term_length_by_domain(kind, domain, years):
    cfg = rules.DEFAULTS
    assert rules.term_years(kind, domain, by_kind=cfg["term_years_by_kind"], by_domain=cfg["term_years_by_domain"],
                            default=cfg["term_years_default"]) == years


@pytest.mark.parametrize("elected, years, ends", [
    ("2024-02-29", 3, "2027-02-28"),   # a term from Feb 29 ends on Feb 28 of a common year
    ("2024-02-29", 4, "2028-02-29"),
    ("2023-02-28", 5, "2028-02-28"),
    ("2021-06-30", 5, "2026-06-30"),
])
def test_term_ends(elected, years, ends):
    assert rules.term_ends(D(elected), years) == D(ends)


@pytest.mark.parametrize("ends, today, state, days", [
    ("2026-05-10", "2026-05-10", "expiring", 0),    # a term that ends today is still due, not yet expired
    ("2026-05-11", "2026-05-10", "expiring", 1),    # ends tomorrow
    ("2026-05-09", "2026-05-10", "expired", 1),
    ("2028-02-29", "2028-02-28", "expiring", 1),    # ends on Feb 29
    ("2028-02-29", "2028-02-29", "expiring", 0),
    ("2028-02-29", "2028-03-01", "expired", 1),
    ("2026-08-08", "2026-05-10", "expiring", 90),   # the 90-day warning window opens
    ("2026-08-09", "2026-05-10", None, None),
])
def test_term_state(ends, today, state, days):
    violation = rules.term_state(D(ends), D(today), warning_days=90)
    if state is None:
        assert violation is None
        return
    assert violation.code == "ORG.TERM_EXPIRED"
    assert violation.facts["state"] == state
    assert violation.facts.get("days_left", violation.facts.get("days_overdue")) == days
    assert ends in violation.en
    assert ends in violation.zh


@pytest.mark.parametrize("original, asked, broken", [
    ("2027-02-28", "2028-02-28", None),                  # at most 1 year
    ("2027-02-28", "2028-02-29", "ORG.TERM_EXPIRED"),
    ("2027-02-28", "2027-02-28", "ORG.TERM_EXPIRED"),    # an extension lies after the end
    ("2027-12-31", "2028-06-30", None),
])
def test_term_extension(original, asked, broken):
    violation = rules.term_extension(D(original), D(asked))
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("since, today, weak", [
    ("2026-01-31", "2026-04-30", False),   # Jan 31 + 3 months = Apr 30: not yet over 3 months
    ("2026-01-31", "2026-05-01", True),
    (None, "2026-05-01", False),           # only the secretary's seat makes a branch weak
])
def test_vacancy_marks_the_branch_weak_after_3_months(since, today, weak):
    roles = ["secretary"] if since else ["propaganda"]
    violation = rules.vacancy(roles, D(since) if since else None, D(today))
    assert violation.code == "ORG.VACANCY"
    assert violation.facts["weak"] is weak


def test_no_vacancy_no_violation():
    assert rules.vacancy([], None, D("2026-01-01")) is None


@pytest.mark.parametrize("meeting_type, entitled, present, quorate", [
    ("general_meeting", 10, 6, True),
    ("general_meeting", 10, 5, False),     # exactly half is not more than half
    ("general_meeting", 7, 4, True),
    ("general_meeting", 7, 3, False),
    ("committee_meeting", 3, 2, True),
    ("committee_meeting", 4, 2, False),
    ("committee_meeting", 1, 1, True),
    ("party_lecture", None, None, True),   # no quorum for the others
    ("theme_day", 30, 2, True),
])
def test_quorum(meeting_type, entitled, present, quorate):
    assert (rules.quorum(meeting_type, entitled, present) is None) is quorate


@pytest.mark.parametrize("frequency, start, end, labels", [
    ("month", "2026-01-01", "2026-03-31", ["2026-01", "2026-02", "2026-03"]),
    ("month", "2026-01-15", "2026-03-30", ["2026-02"]),               # only whole months count
    ("quarter", "2026-01-01", "2026-12-31", ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]),
    ("quarter", "2026-02-01", "2026-09-30", ["2026-Q2", "2026-Q3"]),
    ("year", "2026-01-01", "2026-12-30", []),
    ("year", "2025-01-01", "2026-12-31", ["2025", "2026"]),
    ("month", "2028-02-01", "2028-02-29", ["2028-02"]),               # February of a leap year
    ("month", "2027-02-01", "2027-02-28", ["2027-02"]),
])
def test_whole_periods(frequency, start, end, labels):
    assert [p.label for p in rules.whole_periods(frequency, D(start), D(end))] == labels


@pytest.mark.parametrize("required, held, missed, broken", [
    (4, 4, [], None),
    (4, 5, ["2026-Q2"], "LIFE.GENERAL_MEETING"),   # five meetings, but none in Q2
    (4, 0, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"], "LIFE.GENERAL_MEETING"),
])
def test_life_frequency(required, held, missed, broken):
    violation = rules.life_frequency("general_meeting", "quarter", required, held, missed)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("by_year, broken", [({2025: 1}, None), ({2025: 0}, "LIFE.LECTURE"), ({}, "LIFE.LECTURE")])
def test_the_secretary_lectures_yearly(by_year, broken):
    violation = rules.secretary_lectures([2025], by_year)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("kind, parent, broken", [
    ("branch", "township", None), ("branch", "grassroots_committee", None), ("branch", "general_branch", None),
    ("branch", "branch", "ORG.UNIT_NESTING"), ("branch", "city", "ORG.UNIT_NESTING"),
    ("party_group", "branch", None), ("party_group", "township", "ORG.UNIT_NESTING"),
    ("province", None, None), ("city", None, "ORG.UNIT_NESTING"),
])
def test_unit_nesting(kind, parent, broken):
    violation = rules.unit_nesting(kind, parent)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("on_roll, moved_to, broken", [
    (0, None, None), (1, None, "ORG.DISSOLVE_MEMBERS"), (12, "some-unit", None),
])
def test_dissolving_with_people_on_the_roll(on_roll, moved_to, broken):
    violation = rules.dissolve_members(on_roll, moved_to)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("status, instructor, broken", [
    ("uncovered", None, "ORG.UNCOVERED"), ("uncovered", "李四", None), ("covered", None, None),
])
def test_uncovered_entities_get_an_instructor(status, instructor, broken):
    violation = rules.uncovered(status, instructor)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("role, points, broken", [
    ("secretary", 0, "ORG.LIAISON"),
    ("secretary", 1, None),
    ("deputy_secretary", 0, "ORG.LIAISON"),
    ("member", 2, None),                     # two branches are allowed; the rule asks for at least one
])
def test_every_leader_keeps_a_liaison_branch(role, points, broken):
    violation = rules.liaison(role, points)
    assert (violation.code if violation else None) == broken
    if violation:
        assert violation.facts == {"role": role, "liaison_points": points}
        assert "联系点" in violation.zh


# ----------------------------------------------------------------------------- the roster of the election's day

@pytest.mark.parametrize("since, on, broken", [
    ("2025-03-01", "2025-03-01", None),                     # a full member from the day of the election
    ("2025-03-02", "2025-03-01", "ORG.COMMITTEE_ROLES"),    # converted the day after: not yet a full member
])
def test_a_seat_holder_is_a_full_member_on_the_election_day(since, on, broken):
    violation = rules.seat_holder("organization", holder(since=since), D(on))
    assert (violation.code if violation else None) == broken
    if violation:
        assert since in violation.en
        assert on in violation.zh


@pytest.mark.parametrize("belongs, stage, status, since, on, counts", [
    (True, "full", "active", "2025-03-01", "2025-03-01", True),
    (True, "full", "active", "2025-03-02", "2025-03-01", False),
    (True, "full", "active", None, "2025-03-01", True),          # conversion date unknown: the roster's word
    (True, "probationary", "active", None, "2025-03-01", False),
    (True, "full", "suspended", "2010-01-01", "2025-03-01", False),
    (False, "full", "active", "2010-01-01", "2025-03-01", False),
])
def test_who_counts_towards_the_committee_size_on_a_date(belongs, stage, status, since, on, counts):
    assert rules.full_member_on(belongs, stage, status, D(since) if since else None, D(on)) is counts


# ----------------------------------------------------------------------------- early elections (ORG.TERM_EXPIRED)

@pytest.mark.parametrize("ends, elected, approved, broken", [
    ("2027-03-01", "2027-03-01", None, None),                       # on the day the term ends: on time
    ("2027-03-01", "2027-03-02", None, None),                       # late is a deadline breach, never refused
    ("2027-03-01", "2027-02-28", None, "ORG.TERM_EXPIRED"),         # a day early needs the upper approval
    ("2027-03-01", "2027-02-28", "2027-02-01", None),
    ("2027-03-01", "2026-03-01", "2026-02-01", None),               # advanced by exactly 1 year
    ("2027-03-01", "2026-02-28", "2026-02-01", "ORG.TERM_EXPIRED"), # by more than 1 year, approved or not
    ("2028-02-29", "2027-02-28", "2027-01-01", None),               # Feb 29 - 1 year = Feb 28
    ("2028-02-29", "2027-02-27", "2027-01-01", "ORG.TERM_EXPIRED"),
])
def test_an_early_election(ends, elected, approved, broken):
    violation = rules.early_election(D(ends), D(elected), D(approved) if approved else None, max_years=1)
    assert (violation.code if violation else None) == broken
    if violation:
        assert ends in violation.en
        assert ends in violation.zh


# ----------------------------------------------------------------------------- ORG.TERM_LENGTH at its numbers

@pytest.mark.parametrize("kind, domain, elected, ends", [
    ("branch", "village", "2026-03-01", "2031-03-01"),               # village and community: 5 years
    ("branch", "community", "2024-02-29", "2029-02-28"),
    ("branch", "school", "2026-03-01", "2029-03-01"),                # other branches: 3 years
    ("joint_branch", "private_enterprise", "2024-02-29", "2027-02-28"),
    ("general_branch", "village", "2026-03-01", "2029-03-01"),       # a general branch: 3, whatever its domain
    ("grassroots_committee", "school", "2026-03-01", "2031-03-01"),  # a grassroots committee: 5
])
def test_org_term_length(kind, domain, elected, ends):
    """ORG.TERM_LENGTH: the term an election starts, to the day."""
    cfg = rules.DEFAULTS
    years = rules.term_years(kind, domain, by_kind=cfg["term_years_by_kind"], by_domain=cfg["term_years_by_domain"],
                             default=cfg["term_years_default"])
    assert rules.term_ends(D(elected), years) == D(ends)
    # the day after the end the term is expired (ORG.TERM_EXPIRED), on it still due
    assert rules.term_state(D(ends), D(ends)).facts["state"] == "expiring"
    assert rules.term_state(D(ends), D(ends) + timedelta(days=1)).facts["state"] == "expired"


# ----------------------------------------------------------------------------- LIFE.* frequencies at their numbers

LIFE_TABLE = [
    # (meeting type, rule code, frequency, whole periods in 2026)
    ("committee_meeting", "LIFE.COMMITTEE_MEETING", "month", 12),
    ("group_meeting", "LIFE.GROUP_MEETING", "month", 12),
    ("review_meeting", "LIFE.REVIEW_MEETING", "year", 1),
    ("heart_to_heart_talk", "LIFE.TALKS", "year", 1),
]


@pytest.mark.parametrize("meeting_type, code, frequency, periods", LIFE_TABLE)
def test_life_frequency_of_each_meeting(meeting_type, code, frequency, periods):
    """The rule's frequency and its code, from the defaults; one whole period missed breaks it."""
    assert rules.DEFAULTS["life_frequency"][meeting_type] == frequency
    assert rules.LIFE_CODES[meeting_type] == code
    whole = rules.whole_periods(frequency, D("2026-01-01"), D("2026-12-31"))
    assert len(whole) == periods
    assert rules.life_frequency(meeting_type, frequency, periods, periods, []) is None
    violation = rules.life_frequency(meeting_type, frequency, periods, periods - 1, [whole[-1].label])
    assert violation.code == code
    assert violation.facts["missed"] == [whole[-1].label]
    assert whole[-1].label in violation.en
    assert whole[-1].label in violation.zh


@pytest.mark.parametrize("present, entitled, broken", [
    (3, 5, None),                            # more than half of the committee
    (2, 4, "LIFE.COMMITTEE_MEETING"),        # exactly half is not enough
    (3, 4, None),
    (2, 5, "LIFE.COMMITTEE_MEETING"),
])
def test_life_committee_meeting_quorum(present, entitled, broken):
    violation = rules.quorum("committee_meeting", entitled, present)
    assert (violation.code if violation else None) == broken
