"""A province's party-dues bills for one month (DUES.MONTHLY), target: 7 million members in under 60 s.

A province's tree (as ``members_list``: 16 cities, 144 counties, 1,728 townships, branches) is loaded into
the members service's org read-model with COPY; the members (full and probationary, some admitted in the
billed month or after it, some suspended) and their dues bases of the year (every category, amounts as the
rules give them) are generated server-side with ``INSERT ... SELECT``, indexes built after the load. The
database is kept between runs of the same size (a ``bench_meta`` row says what it holds).

The figure: ``dues.bill_month`` for the province's root and one month, the code path of
``POST /dues/bills`` and of the nightly job (the month's advisory lock, batches of whole branches of about
50,000 members, in each: the members on the roll, the base in force for each, the
bills already there, the payable-from rule per member, one binary COPY of the bills, the per-branch
``members.dues.billed`` events into the outbox), committed.

Baseline, same run, same table, same rows: one ``INSERT INTO dues_bills ... SELECT`` joining the members to
their latest base straight in PostgreSQL (what the database alone needs to write those rows and their
indexes). The bills table is emptied before each.
"""
from __future__ import annotations

import resource
import time
from datetime import date

from .common import PG_ADMIN_URL, kept_database
from .members_list import people_load

SIZES = {"small": (200_000, 20_000), "county": (500_000, 30_000), "city": (1_000_000, 50_000),
         "province": (7_000_000, 330_000)}
MONTH = date(2026, 3, 1)
#: (category, base in fen or None, amount in fen): one of each bracket and flat category, as the rules give them
BASES = [("employed", 280000, 1400), ("employed", 450000, 4500), ("employed", 800000, 12000),
         ("employed", 1200000, 24000), ("retired", 400000, 2000), ("retired", 600000, 6000),
         ("farmer", None, 20), ("student", None, 20), ("unemployed", None, 20), ("minimum_living", None, 20)]


def database(pg_admin_url: str, size: str) -> tuple[str, bool]:
    """The benchmark's own database; True when it already holds this size's data."""
    return kept_database(f"zhibu_bench_members_dues_{size}", SIZES[size][0], pg_admin_url)


def load(url: str, size: str) -> None:
    people, total_units = SIZES[size]
    with people_load(url, people, total_units, analyze=("dues_bases",)) as (cur, nbranch):
        cur.execute("CREATE TEMP TABLE kinds (n int, category text, base_fen bigint, amount_fen bigint)")
        with cur.copy("COPY kinds (n, category, base_fen, amount_fen) FROM STDIN") as copy:
            for n, row in enumerate(BASES):
                copy.write_row((n, *row))
        # 1 in 50 probationary (admitted in the 24 months to April 2026: some after the billed month),
        # 1 in 200 suspended (billed nothing)
        cur.execute(f"""
            INSERT INTO people (id, unit_id, org_path, name, gender, ethnicity, birth_date, stage, status,
                reached_step, probationary_since, extensions, full_member_since, version, created_at,
                updated_at)
            SELECT md5(g::text)::uuid::text, b.id, b.path, '党员' || g,
                CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, '汉族', date '1950-01-01' + g % 18000,
                CASE WHEN g % 50 = 0 THEN 'probationary' ELSE 'full' END,
                CASE WHEN g % 200 = 7 THEN 'suspended' ELSE 'active' END, 25,
                date '2024-05-01' + g % 730, 0,
                CASE WHEN g % 50 = 0 THEN NULL ELSE date '1992-09-01' + g % 9000 END, 1, now(), now()
            FROM generate_series(1, {people}) g JOIN branch b ON b.n = g % {nbranch}""")
        cur.execute(f"""
            INSERT INTO dues_bases (id, person_id, unit_id, org_path, year, effective_from, category, income,
                deductions, base_fen, rate, amount_fen, recorded_by, recorded_at)
            SELECT md5('b' || p.id)::uuid::text, p.id, p.unit_id, p.org_path, 2026, date '2026-01-01',
                k.category, '[]', '[]', k.base_fen, NULL, k.amount_fen, 'bench', now()
            FROM people p JOIN kinds k ON k.n = abs(hashtext(p.id)) % {len(BASES)}""")


BASELINE = """
INSERT INTO dues_bills (person_id, unit_id, org_path, month, category, due_fen, paid_fen, late)
SELECT p.id, p.unit_id, p.org_path, %(month)s, b.category, b.amount_fen, 0, false
FROM people p
JOIN LATERAL (SELECT category, amount_fen FROM dues_bases d
              WHERE d.person_id = p.id AND d.effective_from <= %(month)s
              ORDER BY d.effective_from DESC LIMIT 1) b ON true
WHERE p.stage IN ('probationary', 'full') AND p.status = 'active'
  AND NOT (p.stage = 'probationary' AND p.probationary_since >= %(next)s)
"""


def _empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE dues_bills, outbox")
        conn.execute("CHECKPOINT")


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    import psycopg

    from shared.db import Database
    from services.members.dues import bill_month
    from services.members.models import kit

    size = size if size in SIZES else "small"
    url, ready = database(pg_admin_url, size)
    if not ready:
        started = time.perf_counter()
        load(url, size)
        print(f"   loaded in {time.perf_counter() - started:.0f} s", flush=True)
    _empty(url)
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        conn.execute(BASELINE, {"month": MONTH, "next": date(MONTH.year, MONTH.month + 1, 1)})
        conn.commit()
        baseline = time.perf_counter() - started
        expected = conn.execute("SELECT count(*) FROM dues_bills").fetchone()[0]
        people = conn.execute("SELECT people FROM bench_meta").fetchone()[0]
        root = conn.execute("SELECT path FROM org_unit_view WHERE parent_id IS NULL").fetchone()[0]
    _empty(url)
    db = Database(url)
    started = time.perf_counter()
    with db.transaction() as session:
        result = bill_month(session, kit.OutboxEvent, root, MONTH)
    figure = time.perf_counter() - started
    db.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # the bench's own steps hold little
    if result["created"] != expected:
        raise RuntimeError(f"bill_month made {result['created']} bills, the baseline {expected}")
    return [{
        "name": "a province's dues bills for one month (dues.bill_month, the POST /dues/bills code path)",
        "figure": round(figure, 1), "unit": "s", "target": "< 60 s for 7,000,000 members",
        "baseline_name": "INSERT ... SELECT of the same bills in PostgreSQL", "baseline": f"{baseline:.1f} s",
        "ratio": round(figure / baseline, 2),
        "data_size": f"{people:,} people, {result['created']:,} bills ({result['not_yet_members']:,} admitted "
                     f"later, suspended ones skipped), {result['amount']} yuan; the process's peak memory "
                     f"{peak_mb:,.0f} MB",
    }]


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
