"""Deadline reminders of org: ``org.deadline.approaching`` / ``org.deadline.overdue``.

- ORG.TERM_EXPIRED: a current committee's term ends (``term_ends_on``; the day after, it has expired);
- ORG.VACANCY: a secretary's seat empty for 3 months (``secretary_vacancy_weak_months``) from
  ``secretary_vacant_since``: the branch counts as weak and lax the day after;
- LIFE.*: a period of organizational life (a month, a quarter or a year, ``life_frequency``) ends
  and the unit has held no counted meeting of the type in it: approaching while the period runs,
  overdue the day after it ended without one. The units that owe meetings and the month masks are
  the compliance report's (``compliance.life_subject``, ``compliance.month_mask``). The standing
  mechanisms (LIFE.HEARING, LIFE.SCREENING, LIFE.SECRETARY_REPORT, ``reports_frequency``) likewise.

The unit is the subject and answers for it. The kit's job (``shared/reminders.py``) reads only
today's bands: the committees whose date falls in them, and the units that owe a meeting for a
period ending in them.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, and_, false, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from shared.reminders import DeadlineSource, due_after_months, reminder_job
from shared.request import rule_config

from . import rules
from .compliance import LIFE_TYPES, MECHANISMS, life_subject, month_mask
from .models import Committee, LifeYear, Unit

WHAT = {
    "term": ("委员会任期届满，按期换届", "the committee's term ends: hold the election"),
    "vacancy": ("补选空缺的书记", "elect a secretary to the empty seat"),
    **{t: (f"召开{rules.MEETING_NAMES_ZH[t]}", f"hold the {t.replace('_', ' ')}") for t in LIFE_TYPES},
    **{m: rules.REPORT_NAMES[m] for m in MECHANISMS},
}


def _what(kind: str) -> tuple[str, str]:
    return WHAT[kind]


def _columns(code: str, kind: str, due_on):
    """The columns of a reminder about a unit (its own subject, and the one that answers for it)."""
    return (literal(code, String).label("code"), literal(kind, String).label("kind"), Unit.id.label("subject_id"),
            Unit.name.label("subject_name"), due_on.label("due_on"), Unit.path.label("org_path"),
            Unit.id.label("unit_id"), Unit.id.label("responsible_unit_id"))


def _current_committees():
    return Committee.status == "current", Unit.status == "active"


def _terms(session, codes, first: date, last: date):
    return (select(*_columns("ORG.TERM_EXPIRED", "term", Committee.term_ends_on))
            .select_from(Committee).join(Unit, Unit.id == Committee.unit_id)
            .where(*_current_committees(), Committee.term_ends_on.between(first, last)))


def _vacancies(session, codes, first: date, last: date):
    months = rule_config()["secretary_vacancy_weak_months"]
    due_in_band, due_on = due_after_months(Committee.secretary_vacant_since, months, first, last)
    return (select(*_columns("ORG.VACANCY", "vacancy", due_on))
            .select_from(Committee).join(Unit, Unit.id == Committee.unit_id)
            .where(*_current_committees(), due_in_band))


def periods_ending(frequency: str, first: date, last: date) -> list[rules.Period]:
    """The months, quarters or years whose last day lies between ``first`` and ``last``."""
    return [p for p in rules.whole_periods(frequency, date(first.year - 1, 1, 1), last) if p.last >= first]


def _periodic(kind: str, code: str, frequency, owes):
    """A source of the periods a unit owes one record of ``kind`` in (a meeting, a standing mechanism): due on
    each period's last day while the unit's ``LifeYear`` mask has no month of it. ``frequency(cfg)`` is the
    period (month, quarter, year); ``owes(cfg, unit, seats)`` the units held to it."""

    def due(session, codes, first: date, last: date):
        cfg = rule_config()
        selects = []
        for p in periods_ending(frequency(cfg), first, last):
            life = aliased(LifeYear)
            committee = aliased(Committee)
            held = func.coalesce(getattr(life, kind), 0).op("&")(month_mask(p))
            selects.append(
                select(*_columns(code, kind, literal(p.last, Date)))
                .select_from(Unit)
                .outerjoin(committee, and_(committee.unit_id == Unit.id, committee.status == "current"))
                .outerjoin(life, and_(life.unit_id == Unit.id, life.year == p.first.year))
                .where(Unit.status == "active", owes(cfg, Unit, func.coalesce(committee.seats, 0)),
                       or_(Unit.established_on.is_(None), Unit.established_on <= p.first),
                       held == 0))
        if not selects:
            return select(*_columns(code, kind, literal(first, Date))).where(false())
        return selects[0] if len(selects) == 1 else union_all(*selects)

    return DeadlineSource(f"life-{kind}", (code,), "unit", due, _what)


def _meeting(meeting_type: str) -> DeadlineSource:
    """LIFE.* meetings: as often as ``life_frequency`` says, by the units ``compliance.life_subject`` names."""
    return _periodic(meeting_type, rules.LIFE_CODES[meeting_type], lambda cfg: cfg["life_frequency"][meeting_type],
                     lambda cfg, unit, seats: life_subject(meeting_type, cfg, unit, seats))


def _mechanism(mechanism: str) -> DeadlineSource:
    """The standing mechanisms (LIFE.HEARING, LIFE.SCREENING, LIFE.SECRETARY_REPORT): ``reports_frequency``,
    by the units of ``rules.REPORT_SUBJECTS``."""
    return _periodic(mechanism, rules.REPORT_CODES[mechanism], lambda cfg: cfg["reports_frequency"][mechanism],
                     lambda cfg, unit, seats: unit.kind.in_(rules.REPORT_SUBJECTS[mechanism]))


SOURCES = [DeadlineSource("terms", ("ORG.TERM_EXPIRED",), "unit", _terms, _what),
           DeadlineSource("vacancies", ("ORG.VACANCY",), "unit", _vacancies, _what),
           *(_meeting(t) for t in LIFE_TYPES), *(_mechanism(m) for m in MECHANISMS)]
#: the daily job: org.deadline.approaching / overdue, once per deadline and threshold
JOBS = [reminder_job(SOURCES)]
