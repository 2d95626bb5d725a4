"""The members service's daily deadline reminders (``shared/reminders.py``) on a province's open deadlines.

The people of ``members_list`` (200,000 at ``small``, 7 million at ``province``, on their own database,
kept between runs of the same size) get open deadlines of every kind (5 a person at ``small``, 1 at
``province``), due dates spread evenly over three years around the run's day. Figures, on PostgreSQL:

- the first run of the job (its first day in production: the 30- and 7-day bands and the last 7 days'
  overdue deadlines, everything new), then the run of the next day (one new day per band: the steady
  state), then a second run of that day (nothing new: the keys are taken);
- baseline, same run: what the job must not do, reading every open deadline with its person into Python
  (the alerts' query for the whole province, no horizon) with psycopg.
"""
from __future__ import annotations

import time
from datetime import date, timedelta

from .common import PG_ADMIN_URL
from .members_list import SIZES, database, load, members_app

DEADLINES_PER_PERSON = {"small": 5, "province": 1}
SPREAD_DAYS = 1100
DAY = date(2026, 6, 15)


KINDS = [("talk", "MEMBERS.TALK_DEADLINE"), ("assessment", "MEMBERS.SPONSORS"),
         ("approval", "MEMBERS.APPROVAL_DEADLINE"), ("oath", "MEMBERS.OATH"), ("probation_end", "MEMBERS.PROBATION")]


def add_deadlines(url: str, size: str) -> None:
    import psycopg

    per_person = DEADLINES_PER_PERSON[size]
    first = DAY - timedelta(days=SPREAD_DAYS // 3)
    kinds = ", ".join(f"('{kind}', '{code}', {i})" for i, (kind, code) in enumerate(KINDS))
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.execute("DROP INDEX ix_deadlines_open")
            cur.execute("DROP INDEX ix_deadlines_open_due")
            cur.execute("DROP INDEX ix_deadlines_person")
            cur.execute(f"""
                INSERT INTO deadlines (person_id, org_path, kind, code, opened_on, due_on, breached)
                SELECT p.id, p.org_path, k.kind, k.code, date '{first}' - 30,
                       date '{first}' + ((row_number() OVER () * 7919 + k.i) % {SPREAD_DAYS})::int, false
                FROM people p CROSS JOIN (VALUES {kinds}) AS k(kind, code, i)
                WHERE k.i < {per_person}""")
            cur.execute("CREATE INDEX ix_deadlines_open ON deadlines (org_path, due_on) "
                        "WHERE met_on IS NULL AND cancelled_on IS NULL")
            cur.execute("CREATE INDEX ix_deadlines_open_due ON deadlines (due_on) "
                        "WHERE met_on IS NULL AND cancelled_on IS NULL")
            cur.execute("CREATE INDEX ix_deadlines_person ON deadlines (person_id)")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE deadlines")


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    import psycopg

    from services.members import reminders
    from shared.reminders import send_reminders

    size = size if size in SIZES else "small"
    url, ready = database(pg_admin_url, size, "members_reminders")
    if not ready:
        load(url, size)
    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT count(*) FROM deadlines").fetchone()[0]:
            add_deadlines(url, size)
    with psycopg.connect(url, autocommit=True) as conn:   # every run starts from nothing sent
        conn.execute("TRUNCATE reminders_sent, outbox")
        open_deadlines = conn.execute("SELECT count(*) FROM deadlines").fetchone()[0]
    app = members_app(url)
    kit = app.extensions["zhibu"]

    def job(day: date) -> tuple[float, int]:
        started = time.perf_counter()
        with app.app_context():
            result = send_reminders(kit, reminders.SOURCES, app.config["RULES"], day)
        return time.perf_counter() - started, result["approaching"] + result["overdue"]

    first_seconds, first_events = job(DAY)
    next_seconds, next_events = job(DAY + timedelta(days=1))
    again_seconds, again_events = job(DAY + timedelta(days=1))
    kit.db.dispose()
    if again_events:
        raise RuntimeError(f"a second run of the same day sent {again_events} reminders")

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        rows = conn.execute("""
            SELECT d.code, d.kind, d.person_id, p.name, d.due_on, d.org_path, p.unit_id
            FROM deadlines d JOIN people p ON p.id = d.person_id
            WHERE d.met_on IS NULL AND d.cancelled_on IS NULL""").fetchall()
    baseline = time.perf_counter() - started
    data = f"{open_deadlines:,} open deadlines of {len({r[2] for r in rows}):,} people"
    common = {"baseline_name": "read every open deadline into Python (psycopg)",
              "baseline": f"{baseline:.2f} s", "data_size": data, "unit": "s"}
    return [
        {"name": f"first run: {first_events:,} reminders (30, 7 days; 7 days overdue)",
         "figure": round(first_seconds, 2), "ratio": round(first_seconds / baseline, 3), **common},
        {"name": f"next day: {next_events:,} reminders", "figure": round(next_seconds, 2),
         "ratio": round(next_seconds / baseline, 3), **common},
        {"name": "same day again: 0 reminders", "figure": round(again_seconds, 2),
         "ratio": round(again_seconds / baseline, 3), **common},
    ]
