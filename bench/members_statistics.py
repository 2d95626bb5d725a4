"""The annual party statistics of a province (STATS.BALANCE, STATS.MEMBERS, STATS.DEVELOPMENT), target: 7 million
members in under 30 s.

A province's tree (as ``members_list``) is loaded into the members service's org read-model with COPY; the people
are generated server-side with ``INSERT ... SELECT``: members admitted over forty years (some in the counted year,
some on its last day), full or probationary, men and women, Han and minorities, every education group, a few
occupations; applicants, activists and development targets; one in 100 transferred in the counted year (half
within the province, some into it), one in 500 left (death, withdrawal, removal, expulsion), one in 1,000
suspended; the indexes built after the load. The database is kept between runs of the same size.

The figure: ``GET /api/members/v1/statistics?under=<province>&year=2025`` through the service's real code path
(the Flask test client on that database: token, scope, the grouped query over every person's history, JSON).

Baseline, same run: the bare scan of the same rows: one ``SELECT`` reading every person's columns the tables use
(count and maxima), straight to PostgreSQL.
"""
from __future__ import annotations

import time

from .common import PG_ADMIN_URL, kept_database
from .members_dues import SIZES as DUES_SIZES
from .members_list import members_app, people_load

SIZES = DUES_SIZES
YEAR = 2025


def database(pg_admin_url: str, size: str) -> tuple[str, bool]:
    """The benchmark's own database; True when it already holds this size's data."""
    return kept_database(f"zhibu_bench_members_statistics_{size}", SIZES[size][0], pg_admin_url)


def load(url: str, size: str) -> None:
    people, total_units = SIZES[size]
    with people_load(url, people, total_units, analyze=("transfers", "management_actions")) as (cur, nbranch):
        # g % 20: 0 applicant, 1 activist, 2 target, 3 probationary (admitted in 2025, some on 31 December),
        # others full members admitted over forty years
        cur.execute(f"""
            INSERT INTO people (id, unit_id, org_path, name, gender, ethnicity, birth_date, education, occupation,
                stage, status, reached_step, applied_on, activist_since, target_since, probationary_since,
                extensions, full_member_since, left_on, left_reason, suspended_on, version, created_at,
                updated_at)
            SELECT md5(g::text)::uuid::text, b.id, b.path, '党员' || g,
                CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END,
                CASE WHEN g % 13 = 0 THEN '回族' ELSE '汉族' END, date '1940-01-01' + g % 24000,
                (ARRAY['研究生','大学本科','大学专科','中专','高中','初中'])[1 + g % 6],
                (ARRAY['农民','工人','企业管理人员','专业技术人员','学生','离退休人员'])[1 + g % 7 % 6],
                CASE g % 20 WHEN 0 THEN 'applicant' WHEN 1 THEN 'activist' WHEN 2 THEN 'target'
                    WHEN 3 THEN 'probationary' ELSE 'full' END,
                CASE WHEN g % 500 = 7 THEN 'left' WHEN g % 1000 = 9 THEN 'suspended' ELSE 'active' END,
                CASE g % 20 WHEN 0 THEN 1 WHEN 1 THEN 3 WHEN 2 THEN 7 WHEN 3 THEN 20 ELSE 25 END,
                date '1985-01-01' + g % 14000,
                CASE WHEN g % 20 >= 1 THEN date '1986-01-01' + g % 14000 END,
                CASE WHEN g % 20 >= 2 THEN date '1987-01-01' + g % 14000 END,
                CASE WHEN g % 20 = 3 THEN date '2025-01-01' + g % 365
                     WHEN g % 20 > 3 THEN date '1987-06-01' + g % 13000 END, 0,
                CASE WHEN g % 20 > 3 THEN date '1988-06-01' + g % 13000 END,
                CASE WHEN g % 500 = 7 THEN date '2025-01-01' + g % 365 END,
                CASE WHEN g % 500 = 7 THEN (ARRAY['death','withdrawal','removal','expulsion'])[1 + g % 4] END,
                CASE WHEN g % 1000 = 9 THEN date '2025-01-01' + g % 365 END, 1, now(), now()
            FROM generate_series(1, {people}) g JOIN branch b ON b.n = g % {nbranch}""")
        cur.execute("""
            INSERT INTO management_actions (id, person_id, org_path, kind, occurred_on, payload, recorded_by,
                recorded_at)
            SELECT md5('s' || id)::uuid::text, id, org_path, 'suspension', suspended_on, '{}', 'bench', now()
            FROM people WHERE suspended_on IS NOT NULL""")
        # transfers completed in the year: from the branch before in the tree (within the province), or from
        # outside it (every tenth of them)
        cur.execute(f"""
            INSERT INTO transfers (id, person_id, person_name, direction, from_unit_id, from_path, to_unit_id,
                to_path, external_name, status, requested_on, accepted_on, completed_on, closed_on, version,
                created_at)
            SELECT md5('t' || p.id)::uuid::text, p.id, p.name,
                CASE WHEN g % 1000 = 11 THEN 'into_province' ELSE 'within' END,
                CASE WHEN g % 1000 = 11 THEN NULL ELSE f.id END, CASE WHEN g % 1000 = 11 THEN NULL ELSE f.path END,
                p.unit_id, p.org_path, CASE WHEN g % 1000 = 11 THEN '外省某县委组织部' END, 'completed',
                date '2025-01-01' + g % 300, date '2025-01-01' + g % 300, date '2025-01-05' + g % 300,
                date '2025-01-05' + g % 300, 3, now()
            FROM (SELECT g, md5(g::text)::uuid::text AS pid FROM generate_series(1, {people}) g
                  WHERE g % 100 = 11 AND g % 20 > 3) s
            JOIN people p ON p.id = s.pid
            JOIN branch f ON f.n = (g + 1) % {nbranch}""")


BASELINE = """
SELECT count(*), max(gender), max(ethnicity), max(birth_date), max(education), max(occupation),
       max(probationary_since), max(full_member_since), max(left_on), max(applied_on)
FROM people WHERE org_path >= %s AND org_path < %s
"""


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    import psycopg

    from shared.testing import auth

    size = size if size in SIZES else "small"
    url, ready = database(pg_admin_url, size)
    if not ready:
        started = time.perf_counter()
        load(url, size)
        print(f"   loaded in {time.perf_counter() - started:.0f} s", flush=True)
    with psycopg.connect(url) as conn:
        root_id, root = conn.execute("SELECT id, path FROM org_unit_view WHERE parent_id IS NULL").fetchone()
        people = conn.execute("SELECT people FROM bench_meta").fetchone()[0]
        moved = conn.execute("SELECT count(*) FROM transfers").fetchone()[0]
        started = time.perf_counter()
        scanned = conn.execute(BASELINE, (root, root[:-1] + chr(ord(root[-1]) + 1))).fetchone()[0]
        baseline = time.perf_counter() - started
    app = members_app(url)
    client = app.test_client()
    headers = auth(app, "organizer", scope=root_id)
    started = time.perf_counter()
    resp = client.get(f"/api/members/v1/statistics?under={root_id}&year={YEAR}&limit=100", headers=headers)
    figure = time.perf_counter() - started
    app.extensions["zhibu"].db.dispose()
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.status_code}: {resp.get_data(as_text=True)[:500]}")
    balance = resp.json["balance"]
    return [{
        "name": f"GET /statistics?under=<province>&year={YEAR} (balance, members, development; through the service)",
        "figure": round(figure, 1), "unit": "s", "target": "< 30 s for 7,000,000 members",
        "baseline_name": "a bare scan of the same people's columns in PostgreSQL", "baseline": f"{baseline:.1f} s",
        "ratio": round(figure / baseline, 2),
        "data_size": f"{people:,} people ({scanned:,} scanned), {moved:,} transfers in the year; balance "
                     f"{balance['start']:,} + {balance['admitted']:,} admitted ... = {balance['end']:,} "
                     f"({'closes' if balance['closes'] else 'does not close'})",
    }]


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
