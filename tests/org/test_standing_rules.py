"""The standing mechanisms' rules at their numbers (LIFE.HEARING, LIFE.SCREENING, LIFE.SECRETARY_REPORT,
ORG.RESERVE): tables at the boundaries."""
from datetime import date

import pytest

from services.org import rules


@pytest.mark.parametrize("mechanism, frequency, missed, broken", [
    ("hearing", "quarter", [], None),                                   # heard every quarter
    ("hearing", "quarter", ["2025-Q2"], "LIFE.HEARING"),                # one quarter without
    ("screening", "year", [], None),
    ("screening", "year", ["2025"], "LIFE.SCREENING"),
    ("secretary_report", "year", [], None),
    ("secretary_report", "year", ["2025"], "LIFE.SECRETARY_REPORT"),
])
def test_standing_mechanisms_are_due_every_whole_period(mechanism, frequency, missed, broken):
    violation = rules.standing_mechanism(mechanism, frequency, 4, 4 - len(missed), missed)
    assert (violation.code if violation else None) == broken
    if violation:
        assert violation.facts["missed"] == missed


@pytest.mark.parametrize("first, last, periods", [
    ("2025-01-01", "2025-12-31", ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
    ("2025-01-01", "2025-12-30", ["2025-Q1", "2025-Q2", "2025-Q3"]),    # Q4 not over: not yet due
    ("2025-01-02", "2025-12-31", ["2025-Q2", "2025-Q3", "2025-Q4"]),    # Q1 not whole
])
def test_hearings_are_due_in_the_whole_quarters_of_the_period(first, last, periods):
    found = rules.whole_periods("quarter", date.fromisoformat(first), date.fromisoformat(last))
    assert [p.label for p in found] == periods


@pytest.mark.parametrize("assessment, broken", [
    ("good", None), ("fairly_good", None), ("average", None), ("poor", "LIFE.SECRETARY_REPORT"), (None, None)])
def test_only_a_poor_assessment_is_listed(assessment, broken):
    violation = rules.secretary_assessed_poor(assessment, 2025)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("candidates, minimum, broken", [
    (0, 1, "ORG.RESERVE"), (1, 1, None), (1, 2, "ORG.RESERVE"), (2, 2, None)])
def test_the_reserve_pool_keeps_its_minimum(candidates, minimum, broken):
    violation = rules.reserve_pool(candidates, minimum=minimum)
    assert (violation.code if violation else None) == broken


def holder(stage="full", status="active", belongs=True, since=date(2024, 3, 1)):
    return rules.Holder("张三", stage, status, belongs, since)


@pytest.mark.parametrize("candidate, on, broken", [
    (holder(), date(2025, 3, 1), None),                                  # a year's standing to the day
    (holder(), date(2025, 2, 28), "ORG.RESERVE"),                        # one day short
    (holder(since=date(2024, 2, 29)), date(2025, 2, 28), None),          # Feb 29 + 1 year = Feb 28
    (holder(stage="probationary", since=None), date(2025, 3, 1), "ORG.RESERVE"),
    (holder(belongs=False), date(2025, 3, 1), "ORG.RESERVE"),            # another branch's member
    (holder(status="left"), date(2025, 3, 1), "ORG.RESERVE"),
    (None, date(2025, 3, 1), "ORG.RESERVE"),                             # not on any roll that day
])
def test_a_reserve_candidate_is_a_full_member_with_a_years_standing(candidate, on, broken):
    violation = rules.reserve_candidate(candidate, on, min_standing_years=1)
    assert (violation.code if violation else None) == broken
