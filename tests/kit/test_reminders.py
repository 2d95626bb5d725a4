"""The kit's deadline reminders (shared/reminders.py): which reminder a deadline is owed on a day, by the
rule's thresholds, and the start dates whose deadline some months later falls in a band."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.dates import add_months
from shared.reminders import OVERDUE, bands, days_before, reminder_for, starts_due_between

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("days_left, thresholds, owed", [
    (31, (30, 7), None),
    (30, (30, 7), 30),
    (29, (30, 7), 30),            # caught up: the run of yesterday did not happen
    (8, (30, 7), 30),
    (7, (30, 7), 7),
    (6, (30, 7), 7),
    (0, (30, 7), 7),              # due today
    (-1, (30, 7), OVERDUE),       # due yesterday
    (-7, (30, 7), OVERDUE),       # within reminder_catch_up_days
    (-8, (30, 7), None),
    (90, (90, 30, 7), 90),
    (31, (90, 30, 7), 90),
    (8, (7,), None),
    (7, (7,), 7),
    (0, (0,), 0),
    (1, (0,), None),
])
def test_the_reminder_a_deadline_is_owed(days_left, thresholds, owed):
    assert reminder_for(TODAY + timedelta(days=days_left), TODAY, thresholds, 7) == owed


def test_the_bands_do_not_overlap_and_leave_no_gap():
    covered = [d for band in bands(TODAY, (30, 7), 7) for d in range((band.last - band.first).days + 1)]
    assert len(covered) == 7 + 31
    assert [(b.threshold, b.first, b.last) for b in bands(TODAY, (30, 7), 7)] == [
        (7, date(2026, 3, 10), date(2026, 3, 17)), (30, date(2026, 3, 18), date(2026, 4, 9)),
        (OVERDUE, date(2026, 3, 3), date(2026, 3, 9))]


def test_no_catch_up_means_no_overdue_band():
    assert [b.threshold for b in bands(TODAY, (30, 7), 0)] == [7, 30]


@pytest.mark.parametrize("cfg, code, thresholds", [
    ({}, "ANY.RULE", (30, 7)),
    ({"reminder_days": {"default": [7, 30]}}, "ANY.RULE", (30, 7)),
    ({"reminder_days": {"default": [30, 7], "ORG.TERM_EXPIRED": [90, 30, 7]}}, "ORG.TERM_EXPIRED", (90, 30, 7)),
    ({"reminder_days": {"LIFE.THEME_DAY": [7]}}, "ORG.VACANCY", (30, 7)),   # no default given: 30 and 7
    ({"reminder_days": {"default": []}}, "ANY.RULE", ()),                   # approaching off, overdue only
])
def test_thresholds_by_rule(cfg, code, thresholds):
    assert days_before(cfg, code) == thresholds


@pytest.mark.parametrize("months, first, last", [
    (3, date(2026, 2, 26), date(2026, 3, 3)),      # Nov 26 .. Nov 30 -> Feb 26 .. Feb 28; Dec 1 .. 3 -> Mar 1 .. 3
    (6, date(2025, 2, 28), date(2025, 2, 28)),     # Aug 28 .. Aug 31 all fall on Feb 28
    (1, date(2026, 3, 29), date(2026, 3, 31)),     # no start date reaches Mar 29..31 in a common year
    (24, date(2028, 2, 29), date(2028, 2, 29)),
])
def test_start_dates_whose_deadline_falls_in_a_band(months, first, last):
    found = starts_due_between(months, first, last)
    every_day = {first - timedelta(days=400) + timedelta(days=i): None for i in range(900)}
    expected = {d: add_months(d, months) for d in every_day if first <= add_months(d, months) <= last}
    assert found == expected
