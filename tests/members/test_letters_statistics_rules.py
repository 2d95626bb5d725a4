"""The transfer-letter rules (TRANSFER.*), the dues subsidy (DUES.SUBSIDY) and the annual statistics' rules
(STATS.*) at their boundaries, as RULES.md's tables read."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.members import rules
from shared.dates import age_on


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("prefix, year, seq, number", [
    ("鲁组转", 2026, 1, "鲁组转〔2026〕第000001号"),
    ("鲁组转", 2026, 123, "鲁组转〔2026〕第000123号"),
    ("京组转", 2027, 999999, "京组转〔2027〕第999999号"),
])
def test_letter_number(prefix, year, seq, number):
    assert rules.letter_number(prefix, year, seq) == number


@pytest.mark.parametrize("issued, months, valid_until", [
    ("2026-03-01", 3, "2026-06-01"),
    ("2025-11-30", 3, "2026-02-28"),      # no 30 February: the month's last day
    ("2027-11-30", 3, "2028-02-29"),      # leap year
    ("2027-11-29", 3, "2028-02-29"),
    ("2026-12-31", 3, "2027-03-31"),      # across the year
    ("2026-10-01", 3, "2027-01-01"),      # ends on 1 January
])
def test_letter_validity_ends_on_the_corresponding_day(issued, months, valid_until):
    assert rules.letter_valid_until(d(issued), months) == d(valid_until)


@pytest.mark.parametrize("valid_until, arrived, broken", [
    ("2026-06-01", "2026-06-01", None),                   # the validity's last day is still in time
    ("2026-06-01", "2026-06-02", "TRANSFER.REPORT_IN"),
    ("2028-02-29", "2028-02-29", None),
    ("2028-02-29", "2028-03-01", "TRANSFER.REPORT_IN"),
    ("2026-12-31", "2027-01-01", "TRANSFER.REPORT_IN"),   # arrived on 1 January, a day late
])
def test_report_in_is_a_deadline(valid_until, arrived, broken):
    violation = rules.report_in(d(valid_until), d(arrived))
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("arrived, returned, broken", [
    ("2026-01-31", "2026-02-28", None),                   # Jan 31 + 1 month = Feb 28
    ("2026-01-31", "2026-03-01", "TRANSFER.RECEIPT"),
    ("2028-01-31", "2028-02-29", None),                   # leap year
    ("2028-01-31", "2028-03-01", "TRANSFER.RECEIPT"),
    ("2026-12-01", "2027-01-01", None),                   # the month ends on 1 January
    ("2026-12-01", "2027-01-02", "TRANSFER.RECEIPT"),
])
def test_receipt_returned_within_a_month_of_arrival(arrived, returned, broken):
    violation = rules.receipt_returned(d(arrived), d(returned), 1)
    assert (violation.code if violation else None) == broken


def test_late_receipt_says_by_how_much():
    violation = rules.receipt_returned(d("2026-01-31"), d("2026-03-03"), 1)
    assert violation.facts["due_on"] == d("2026-02-28")
    assert violation.facts["days_late"] == 3


@pytest.mark.parametrize("valid_until, on, broken", [
    ("2026-06-01", "2026-06-01", "TRANSFER.LETTER"),      # still valid on its last day
    ("2026-06-01", "2026-06-02", None),
    ("2028-02-29", "2028-03-01", None),
])
def test_a_letter_expires_only_after_its_validity(valid_until, on, broken):
    violation = rules.letter_expired(d(valid_until), d(on))
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("status, reissues, allowed, broken", [
    ("expired", 0, 1, None),
    ("expired", 1, 1, "TRANSFER.LETTER"),                 # reissued once already
    ("issued", 0, 1, "TRANSFER.LETTER"),                  # not expired: no reissue
    ("arrived", 0, 1, "TRANSFER.LETTER"),
    ("expired", 1, 2, None),                              # a province allowing two
])
def test_a_letter_is_reissued_once(status, reissues, allowed, broken):
    violation = rules.letter_reissue(status, reissues, allowed)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("granted, amount, collected, broken", [
    (0, 100_00, 100_00, None),                            # all of it back: allowed
    (0, 100_01, 100_00, "DUES.SUBSIDY"),                  # one fen over
    (60_00, 40_00, 100_00, None),
    (60_00, 40_01, 100_00, "DUES.SUBSIDY"),
    (0, 1, 0, "DUES.SUBSIDY"),                            # nothing collected
])
def test_dues_subsidy_stays_within_what_was_collected(granted, amount, collected, broken):
    violation = rules.dues_subsidy(granted, amount, collected, 2026)
    assert (violation.code if violation else None) == broken


def test_dues_subsidy_figures_are_in_yuan():
    violation = rules.dues_subsidy(60_00, 40_01, 100_00, 2026)
    assert violation.facts["granted"] == "60.00"
    assert violation.facts["collected"] == "100.00"


# ----------------------------------------------------------------------------- STATS.MEMBERS

@pytest.mark.parametrize("birth, on, group", [
    ("1996-12-31", "2026-12-31", "30岁及以下"),            # 30 on the day
    ("1995-12-31", "2026-12-31", "31-35岁"),               # 31 on the day itself
    ("1996-01-01", "2026-12-31", "30岁及以下"),
    ("1991-12-31", "2026-12-31", "31-35岁"),               # 35
    ("1990-12-31", "2026-12-31", "36-40岁"),               # 36
    ("1966-01-01", "2026-12-31", "56-60岁"),               # 60
    ("1965-12-31", "2026-12-31", "61-70岁"),               # 61
    ("1956-01-01", "2026-12-31", "61-70岁"),               # 70
    ("1955-12-31", "2026-12-31", "71岁及以上"),            # 71
    ("1996-02-29", "2027-02-28", "31-35岁"),               # a Feb 29 birthday reached on Feb 28 of a common year
    ("1996-02-29", "2027-02-27", "30岁及以下"),
])
def test_age_groups_at_their_edges(birth, on, group):
    assert rules.age_group(d(birth), d(on)) == group


@pytest.mark.parametrize("age", [30, 31, 35, 36, 61, 71])
@pytest.mark.parametrize("on", ["2026-12-31", "2027-02-28", "2028-02-29", "2028-02-28", "2026-03-01"])
def test_latest_birth_for_age_agrees_with_age_on(age, on):
    """The bound the statistics' SQL compares birth dates with gives the ages ``age_on`` gives, day by day
    around it (Feb 29 births included)."""
    day = d(on)
    bound = rules.latest_birth_for_age(age, day)
    for offset in range(-3, 4):
        birth = bound + timedelta(days=offset)
        assert (age_on(birth, day) >= age) == (birth <= bound), (birth, day)


@pytest.mark.parametrize("education, group", [
    ("博士研究生", "研究生"), ("硕士", "研究生"), ("大学本科", "大学本科"), ("本科", "大学本科"),
    ("大专", "大学专科"), ("大学专科", "大学专科"), ("中专", "中专"), ("职高", "中专"), ("高中", "高中"),
    ("初中", "初中及以下"), ("小学", "初中及以下"), (None, "未填报"), ("", "未填报"),
])
def test_education_groups(education, group):
    assert rules.education_group(education) == group


@pytest.mark.parametrize("ethnicity, group", [("汉族", "汉族"), ("回族", "少数民族"), ("蒙古族", "少数民族"),
                                              (None, "未填报")])
def test_ethnicity_groups(ethnicity, group):
    assert rules.ethnicity_group(ethnicity) == group


# ----------------------------------------------------------------------------- STATS.BALANCE

@pytest.mark.parametrize("start, flows, end, broken", [
    (100, {}, 100, None),
    (100, {"admitted": 3, "transferred_in": 2, "restored": 1}, 106, None),
    (100, {"transferred_out": 2, "died": 1, "expelled": 1, "removed": 1, "withdrawn": 1, "suspended": 1}, 93, None),
    (100, {"cancelled": 1}, 99, None),
    (100, {"admitted": 1}, 100, "STATS.BALANCE"),          # someone admitted is missing at the end
    (0, {}, 1, "STATS.BALANCE"),                           # someone at the end came from nowhere
])
def test_balance(start, flows, end, broken):
    violation = rules.balance(start, flows, end)
    assert (violation.code if violation else None) == broken


def test_balance_names_the_difference():
    violation = rules.balance(10, {"admitted": 2}, 11)
    assert violation.facts["expected"] == 12
    assert violation.facts["difference"] == -1
