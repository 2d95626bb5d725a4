"""Deadline reminders as events: ``<service>.deadline.approaching`` N days before a deadline and
``<service>.deadline.overdue`` the day after it passed, each sent once per deadline and threshold.

A service declares the deadlines it owns as ``DeadlineSource``s: a set-wise SQL select of the open
deadlines whose due date lies in a range (the same computation its alert or overdue endpoint makes;
those endpoints stay the source of truth, a reminder is a nudge). ``reminder_job`` is the service's
daily job (``shared.worker.DailyJob``: one run a day across the worker's replicas). Each run reads
only the deadlines inside today's bands, never the whole population:

- approaching, for each threshold N of the rule (``reminder_days``, default ``[30, 7]``): due between
  today + (the next smaller threshold + 1) and today + N, and not yet reminded for N. A run missed
  yesterday is caught up, and a deadline opened 5 days before it is due gets the 7-day reminder only;
- overdue: due between today - ``reminder_catch_up_days`` (default 7) and yesterday, not yet reminded.
  Older breaches are for the overdue lists, not for a flood of late reminders.

Exactly once: the reminders sent are rows of the kit table ``reminders_sent``, keyed by (rule code,
subject id, due date, threshold; ``OVERDUE`` for the overdue one), inserted with ``ON CONFLICT DO
NOTHING ... RETURNING`` in the same transaction as the outbox rows of the events: a key another run
(a rerun, a second replica, a manual run) already holds yields no row, hence no event. The events of
a chunk are written packed (``EventBatch``). Rows whose due date lies ``reminder_keep_days`` (90) in
the past are purged by the same job: no band reaches back that far.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Callable

from sqlalchemy import Date, case, delete, exists, false, literal, select, text
from sqlalchemy.dialects import sqlite

from . import dates
from .dates import add_months
from .events import envelope_head
from .messages import Message, msg
from .outbox import EventBatch, write_events
from .worker import DailyJob

log = logging.getLogger("zhibu.reminders")

#: the threshold under which an overdue reminder is recorded (an approaching one records its days before)
OVERDUE = -1
DEFAULT_DAYS = (30, 7)
DEFAULT_CATCH_UP_DAYS = 7
DEFAULT_KEEP_DAYS = 90
#: deadlines handled per transaction (their sent rows and their events commit together)
CHUNK = 5000
JOB_NAME = "deadline-reminders"
ACTOR = f"job:{JOB_NAME}"

#: the columns a source's select labels, in this order
COLUMNS = ("code", "kind", "subject_id", "subject_name", "due_on", "org_path", "unit_id", "responsible_unit_id")


@dataclass(frozen=True)
class DeadlineSource:
    """Deadlines of a service, read set-wise.

    ``due(session, codes, first, last)`` is a select labelling ``COLUMNS`` for the open deadlines of the
    rule ``codes`` due between ``first`` and ``last`` (inclusive); ``what(kind)`` is what is due, as
    ``(zh, en)``; ``complete(session, rows)`` may fill in what SQL did not (a responsible unit found
    up the tree), returning the rows as dicts.
    """

    name: str
    codes: tuple[str, ...]
    subject_type: str
    due: Callable
    what: Callable[[str], tuple[str, str]]
    complete: Callable | None = None


@dataclass(frozen=True)
class Band:
    """The deadlines a threshold reminds of today: due between ``first`` and ``last``."""

    threshold: int
    first: date
    last: date

    @property
    def overdue(self) -> bool:
        return self.threshold == OVERDUE


# ----------------------------------------------------------------------------- the pure part

def days_before(cfg: dict, code: str) -> tuple[int, ...]:
    """The thresholds of rule ``code`` (days before its deadline), largest first: ``reminder_days`` of the
    service's rule configuration, by rule code, else its ``default``, else 30 and 7."""
    by_code = cfg.get("reminder_days") or {}
    days = by_code.get(code, by_code.get("default", DEFAULT_DAYS))
    return tuple(sorted({int(d) for d in days if int(d) >= 0}, reverse=True))


def bands(today: date, thresholds: tuple[int, ...], catch_up_days: int) -> list[Band]:
    """Today's bands: each threshold N covers the due dates after the next smaller threshold's, up to N
    days ahead (so a missed run is caught up and only the tightest threshold reached is sent); the overdue
    band covers the last ``catch_up_days`` days up to yesterday."""
    out = []
    ascending = sorted(set(thresholds))
    for i, n in enumerate(ascending):
        nearest = today if i == 0 else today + timedelta(days=ascending[i - 1] + 1)
        out.append(Band(n, nearest, today + timedelta(days=n)))
    if catch_up_days > 0:
        out.append(Band(OVERDUE, today - timedelta(days=catch_up_days), today - timedelta(days=1)))
    return out


def reminder_for(due_on: date, today: date, thresholds: tuple[int, ...], catch_up_days: int) -> int | None:
    """The reminder a deadline due on ``due_on`` is owed today: its band's threshold (``OVERDUE`` past due),
    or None when it lies in no band (further than the largest threshold, or overdue for longer)."""
    for band in bands(today, thresholds, catch_up_days):
        if band.first <= due_on <= band.last:
            return band.threshold
    return None


def message(what: tuple[str, str], due_on: date, as_of: date) -> Message:
    """What is due and by when, from the message catalog: in N days, today, or N days overdue."""
    zh, en = what
    days = (due_on - as_of).days
    if days < 0:
        return msg("deadline-overdue", task_zh=zh, task=en, due_on=due_on, days=-days)
    if days == 0:
        return msg("deadline-due-today", task_zh=zh, task=en, due_on=due_on)
    return msg("deadline-approaching", task_zh=zh, task=en, due_on=due_on, days=days)


def starts_due_between(months: int, first: date, last: date) -> dict[date, date]:
    """Every start date whose deadline ``add_months(start, months)`` falls between ``first`` and ``last``,
    mapped to that deadline (a contiguous run of days: ``add_months`` never decreases)."""
    day = add_months(first, -months) - timedelta(days=4)  # its deadline lies before ``first``
    found = {}
    while (due := add_months(day, months)) <= last:
        if due >= first:
            found[day] = due
        day += timedelta(days=1)
    return found


# ----------------------------------------------------------------------------- SQL helpers for sources

def due_after_months(column, months: int, first: date, last: date):
    """``(condition, due)``: SQL for "``column`` + ``months`` (calendar months, clamped) is due between
    ``first`` and ``last``" and that due date, exact on every backend (a range of ``column`` and a CASE
    over its few dozen days, computed here by ``shared.dates``)."""
    starts = starts_due_between(months, first, last)
    if not starts:
        return false(), literal(first, Date)
    condition = column.between(min(starts), max(starts))
    due = case(*((column == start, literal(due_on, Date)) for start, due_on in starts.items()),
               else_=literal(None, Date))
    return condition, due


# ----------------------------------------------------------------------------- the job

@dataclass
class Tally:
    approaching: int = 0
    overdue: int = 0
    by_rule: dict = field(default_factory=dict)

    def add(self, band: Band, rows: list[dict]) -> None:
        if band.overdue:
            self.overdue += len(rows)
        else:
            self.approaching += len(rows)
        for row in rows:
            self.by_rule[row["code"]] = self.by_rule.get(row["code"], 0) + 1


def send_reminders(kit, sources: list[DeadlineSource], cfg: dict, today: date, *, chunk: int = CHUNK) -> dict:
    """Publish today's reminders of ``sources`` (see the module's docstring); returns the counts."""
    catch_up = int(cfg.get("reminder_catch_up_days", DEFAULT_CATCH_UP_DAYS))
    tally = Tally()
    for source in sources:
        groups: dict[tuple[int, ...], list[str]] = {}
        for code in source.codes:
            groups.setdefault(days_before(cfg, code), []).append(code)
        for thresholds, codes in groups.items():
            for band in bands(today, thresholds, catch_up):
                _send_band(kit, source, tuple(codes), band, today, chunk, tally)
    purged = _purge(kit, today - timedelta(days=int(cfg.get("reminder_keep_days", DEFAULT_KEEP_DAYS))))
    return {"approaching": tally.approaching, "overdue": tally.overdue, "by_rule": tally.by_rule,
            "purged": purged}


def _send_band(kit, source: DeadlineSource, codes: tuple[str, ...], band: Band, today: date, chunk: int,
               tally: Tally) -> None:
    Sent = kit.models.ReminderSent
    type_ = f"{kit.name}.deadline.{'overdue' if band.overdue else 'approaching'}"
    while True:
        with kit.db.transaction() as session:
            due = source.due(session, codes, band.first, band.last).subquery()
            pending = select(*(due.c[name] for name in COLUMNS)).where(~exists().where(
                Sent.rule == due.c.code, Sent.subject_id == due.c.subject_id, Sent.due_on == due.c.due_on,
                Sent.threshold == band.threshold)).limit(chunk)
            rows = [dict(zip(COLUMNS, row)) for row in session.execute(pending)]
            for row in rows:
                row["due_on"] = _as_date(row["due_on"])
            if source.complete is not None and rows:
                rows = source.complete(session, rows)
            fresh = _claim(session, Sent, rows, band.threshold, today)
            sent = [row for row in rows if (row["code"], row["subject_id"], row["due_on"]) in fresh]
            if sent:
                batch = EventBatch(type_, head=envelope_head(type_, actor=ACTOR))
                for row in sent:
                    batch.add(_event_data(source, row, band, today), row["org_path"])
                write_events(session, kit.models.OutboxEvent, batch)
        tally.add(band, sent)
        if len(rows) < chunk or not sent:  # the last chunk; or another run holds these keys (it sends them)
            return


def _claim(session, Sent, rows: list[dict], threshold: int, today: date) -> set[tuple]:
    """Insert the sent rows of ``rows``; the keys inserted now (a key already held is left alone)."""
    if not rows:
        return set()
    keys = sorted({(row["code"], row["subject_id"], row["due_on"]) for row in rows})
    if session.get_bind().dialect.name == "postgresql":
        # three arrays, not a VALUES list of thousands of rows: psycopg's query parsing cost more than the insert
        claimed = session.execute(text(
            f"INSERT INTO {Sent.__tablename__} (rule, subject_id, due_on, threshold, sent_on) "
            "SELECT rule, subject_id, due_on, :threshold, :today FROM unnest(CAST(:rules AS text[]), "
            "CAST(:subjects AS text[]), CAST(:dues AS date[])) AS claimed(rule, subject_id, due_on) "
            "ON CONFLICT DO NOTHING RETURNING rule, subject_id, due_on"),
            {"threshold": threshold, "today": today, "rules": [k[0] for k in keys],
             "subjects": [k[1] for k in keys], "dues": [k[2] for k in keys]})
    else:
        stmt = (sqlite.insert(Sent).on_conflict_do_nothing(index_elements=["rule", "subject_id", "due_on", "threshold"])
                .returning(Sent.rule, Sent.subject_id, Sent.due_on))
        claimed = session.execute(stmt, [{"rule": code, "subject_id": subject_id, "due_on": due_on,
                                          "threshold": threshold, "sent_on": today}
                                         for code, subject_id, due_on in keys])
    return {(rule, subject_id, _as_date(due_on)) for rule, subject_id, due_on in claimed}


def _event_data(source: DeadlineSource, row: dict, band: Band, today: date) -> dict:
    text = message(source.what(row["kind"]), row["due_on"], today)
    return {"rule": row["code"], "kind": row["kind"], "subject_type": source.subject_type,
            "subject_id": row["subject_id"], "subject_name": row["subject_name"], "unit_id": row["unit_id"],
            "responsible_unit_id": row["responsible_unit_id"], "due_on": row["due_on"],
            "days_before": None if band.overdue else band.threshold, "days_left": (row["due_on"] - today).days,
            "as_of": today, "message_zh": text.zh, "message_en": text.en}


def _purge(kit, before: date) -> int:
    Sent = kit.models.ReminderSent
    with kit.db.transaction() as session:
        return session.execute(delete(Sent).where(Sent.due_on < before)).rowcount or 0


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def reminder_job(sources: list[DeadlineSource], at: time = time(4, 0)) -> DailyJob:
    """The service's daily job ``deadline-reminders`` (``ZHIBU_JOB_DEADLINE_REMINDERS_AT`` moves it)."""

    def run(app) -> dict:
        return send_reminders(app.extensions["zhibu"], sources, app.config["RULES"], dates.today())

    return DailyJob(JOB_NAME, at, run)

