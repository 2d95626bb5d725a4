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


@pytest.fixture
def calendar_file(tmp_path, monkeypatch):
    """``ZHIBU_CALENDAR_FILE`` holding what the test writes (the module reads it once: cache cleared)."""
    import json

    from shared import dates

    def write(data: dict):
        path = tmp_path / "calendar.json"
        path.write_text(json.dumps(data))
        monkeypatch.setenv("ZHIBU_CALENDAR_FILE", str(path))
        dates._extra_calendar.cache_clear()
    yield write
    monkeypatch.delenv("ZHIBU_CALENDAR_FILE", raising=False)
    dates._extra_calendar.cache_clear()


# a 2027 as a file might publish it: Feb 6-12 off, Sunday Feb 14 a make-up workday
CAL_2027 = {"holidays": ["2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
                         "2027-02-12"], "workdays": ["2027-02-14"]}


@pytest.mark.parametrize("day, working", [
    ("2027-02-05", True),     # Friday before the holiday
    ("2027-02-08", False),    # Monday in the holiday
    ("2027-02-14", True),     # the make-up Sunday
    ("2027-02-20", False),    # a plain Saturday of a covered year
    ("2027-02-22", True),     # a plain Monday of a covered year
    ("2026-10-05", False),    # the package still answers its years
])
def test_a_calendar_file_covers_the_years_it_lists(calendar_file, day, working):
    calendar_file(CAL_2027)
    assert is_working_day(date.fromisoformat(day)) is working


@pytest.mark.parametrize("data, day", [
    ({"holidays": ["2027-10-01"]}, "2028-01-28"),   # one date of 2027: 2028 is still not published
    (CAL_2027, "2028-02-14"),                        # Spring Festival 2028 is not guessed as weekdays
    ({"years": [2027], "holidays": []}, "2028-01-03"),
])
def test_a_year_neither_the_package_nor_the_file_covers_is_not_published(calendar_file, data, day):
    calendar_file(data)
    with pytest.raises(CalendarNotPublished):
        is_working_day(date.fromisoformat(day))


def test_a_count_reaching_an_uncovered_year_is_not_published(calendar_file):
    calendar_file(CAL_2027)
    assert add_working_days(date(2027, 12, 27), 5) == date(2027, 12, 31)
    with pytest.raises(CalendarNotPublished):
        add_working_days(date(2027, 12, 27), 6)                 # the sixth working day falls in 2028


def test_a_file_listing_its_years_covers_them_without_a_date(calendar_file):
    calendar_file({"years": [2027]})
    assert is_working_day(date(2027, 3, 1))
    assert not is_working_day(date(2027, 3, 6))
