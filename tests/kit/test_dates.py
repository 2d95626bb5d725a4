"""The one date module agrees with RULES.md "Counting dates" to the day."""
from datetime import date

import pytest

from shared.dates import CalendarNotPublished, add_months, add_working_days, add_years, age_on, is_working_day


@pytest.mark.parametrize("start, months, end", [
    ("2026-01-31", 1, "2026-02-28"),
    ("2028-01-31", 1, "2028-02-29"),
    ("2026-03-31", 1, "2026-04-30"),
    ("2026-11-30", 3, "2027-02-28"),
    ("2026-05-15", 12, "2027-05-15"),
])
def test_add_months(start, months, end):
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(end)


def test_feb29_plus_one_year_is_feb28():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


@pytest.mark.parametrize("birth, on, age", [
    ("2008-02-29", "2026-02-27", 17),
    ("2008-02-29", "2026-02-28", 18),  # a Feb 29 birthday is reached on Feb 28 of a common year
    ("2008-03-01", "2026-02-28", 17),
    ("2008-03-01", "2026-03-01", 18),
])
def test_age(birth, on, age):
    assert age_on(date.fromisoformat(birth), date.fromisoformat(on)) == age


def test_national_day_and_its_make_up_workday():
    # 2026: Oct 1-7 are holidays; Sunday Sep 20 and Saturday Oct 10 are make-up workdays
    assert not is_working_day(date(2026, 10, 5))
    assert is_working_day(date(2026, 10, 10))
    # 5 working days from Tuesday Sep 29: Sep 29, 30, (holiday), Oct 8, 9, 10
    assert add_working_days(date(2026, 9, 29), 5) == date(2026, 10, 10)


def test_a_year_the_calendar_does_not_cover_is_an_explicit_error():
    with pytest.raises(CalendarNotPublished):
        is_working_day(date(2031, 1, 2))
