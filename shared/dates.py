"""Counting dates: one convention everywhere (docs/rules.md, "Counting dates", is this text).

Civil Code of the PRC, Arts. 201-203, as the default:
- a period of months or years ends on the corresponding day of the last month,
  or on that month's last day when it has no such day (Jan 31 + 1 month = Feb 28);
- "within 1 month of X" is on or before ``add_months(X, 1)``; "at least 1 year
  after X" is on or after ``add_years(X, 1)``;
- working days follow the official Chinese calendar (holidays off, make-up
  workdays on), from the ``chinese-calendar`` package for the years it covers;
- "today" is the date in Asia/Shanghai.
"""
from __future__ import annotations

import calendar
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today in Asia/Shanghai. Rules never call this: the caller passes "today" in."""
    return datetime.now(SHANGHAI).date()


@lru_cache(maxsize=1 << 16)
def add_months(start: date, months: int) -> date:
    """The corresponding day ``months`` later, or the last day of that month when it has none. (Kept for
    the dates asked most: an import asks it of every stage date of every row, and they repeat.)"""
    if not months:
        return start
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_years(start: date, years: int) -> date:
    return add_months(start, 12 * years)


def age_on(birth: date, on: date, feb29_birthday_in_common_year: str = "feb28") -> int:
    """Completed years of age on ``on``. A Feb 29 birthday falls on Feb 28 of a common year
    (*config*: "mar1" moves it to Mar 1 instead)."""
    years = on.year - birth.year
    birthday = _birthday_in(birth, on.year, feb29_birthday_in_common_year)
    if on < birthday:
        years -= 1
    return years


def birthday_reached(birth: date, years: int, feb29_birthday_in_common_year: str = "feb28") -> date:
    """The date on which a person born on ``birth`` turns ``years`` old."""
    return _birthday_in(birth, birth.year + years, feb29_birthday_in_common_year)


def _birthday_in(birth: date, year: int, feb29_rule: str) -> date:
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1) if feb29_rule == "mar1" else date(year, 2, 28)
    return date(year, birth.month, birth.day)


# ----------------------------------------------------------------------------- working days

@dataclass(frozen=True)
class ExtraCalendar:
    """The years a calendar file publishes, with their holidays and make-up workdays."""

    years: frozenset[int]
    holidays: frozenset[date]
    workdays: frozenset[date]


@lru_cache(maxsize=1)
def _extra_calendar() -> ExtraCalendar:
    """Holidays and make-up workdays for years the package does not cover yet, from
    ``ZHIBU_CALENDAR_FILE`` (``{"years": [2027], "holidays": [...], "workdays": [...]}``, ISO dates).

    The file covers the years it lists (``years``, or else the years its dates fall in) and no
    others: a day of a year neither the package nor the file covers is not guessed.
    """
    path = os.environ.get("ZHIBU_CALENDAR_FILE")
    if not path:
        return ExtraCalendar(frozenset(), frozenset(), frozenset())
    with open(path) as fh:
        data = json.load(fh)
    holidays = frozenset(date.fromisoformat(d) for d in data.get("holidays", []))
    workdays = frozenset(date.fromisoformat(d) for d in data.get("workdays", []))
    years = data.get("years")
    listed = frozenset(int(y) for y in years) if years is not None else frozenset(d.year for d in holidays | workdays)
    return ExtraCalendar(listed, holidays, workdays)


class CalendarNotPublished(ValueError):
    """The State Council has not published (or we have not loaded) that year's holidays."""


def is_working_day(day: date) -> bool:
    """The official calendar: the file's dates first, then the package; a year covered by the file
    alone is weekdays apart from its dates; a year neither covers raises ``CalendarNotPublished``."""
    extra = _extra_calendar()
    if day in extra.workdays:
        return True
    if day in extra.holidays:
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year in extra.years:
            return day.weekday() < 5
        raise CalendarNotPublished(
            f"the official holiday calendar for {day.year} is not loaded; "
            "set ZHIBU_CALENDAR_FILE or update chinesecalendar") from None


def add_working_days(start: date, days: int) -> date:
    """The date on which a period of ``days`` working days that starts on ``start`` ends.

    ``start`` itself counts when it is a working day (a notice published on
    Monday for 5 working days ends on Friday).
    """
    if days < 1:
        raise ValueError("a period of working days is at least 1 day")
    current = start
    counted = 0
    while True:
        if is_working_day(current):
            counted += 1
            if counted == days:
                return current
        current += timedelta(days=1)


def working_days_between(first: date, last: date) -> int:
    """Working days from ``first`` to ``last``, both included."""
    count = 0
    current = first
    while current <= last:
        if is_working_day(current):
            count += 1
        current += timedelta(days=1)
    return count


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
