"""Evaluation at province scale: recompute every assessment, then the province dashboard.

A synthetic province is loaded straight into the evaluation database on PostgreSQL, in the
state the event handlers would leave it (org tree read-model, committees, ~27 meetings and 21
people per branch, person-years with hours and points, support, reviews, satisfaction inputs,
problems, and last year's published ratings), with server-side ``INSERT ... SELECT
generate_series`` (faster than COPY from Python for generated rows). Then, through the service's
real code path (the Flask test client):

- ``POST /api/evaluation/v1/assessments/recompute`` for the province (target < 60 s),
  baseline: the bare ``GROUP BY unit_id`` scans of the fact tables it reads, run right after it
  with the same ``work_mem`` (the floor any set-wise recompute pays);
- ``GET /api/evaluation/v1/dashboard`` for the province (median of 7, target < 1 s), baseline:
  ``SELECT count(*)`` of the year's assessments.
"""
from __future__ import annotations

import json
import statistics
import time

from sqlalchemy import create_engine, text

from services.evaluation import rules
from services.evaluation.assessing import RECOMPUTE_WORK_MEM
from services.evaluation.rules import MEETING_TYPES
from zhibu.cli import service_app
from shared.config import Config
from shared.db import normalize_url
from shared.migrations import upgrade
from shared.testing import auth

from .common import PG_ADMIN_URL, fresh_database

SIZES = {"small": 3_300, "county": 2_400, "city": 20_000, "province": 330_000}
YEAR = 2025
BRANCHES_PER_COUNTY = 2_409   # 330,000 branches over 137 counties
COUNTIES_PER_CITY = 9
TOWNSHIPS_PER_COUNTY = 13
PEOPLE_PER_BRANCH = 21        # about 7 million people


def _uuid(prefix: str, key: str) -> str:
    return f"md5('{prefix}' || {key})::uuid::text"


def load(url: str, branches: int) -> dict:
    """The province, written with set-wise SQL; returns the ids the benchmark needs."""
    counties = max(1, round(branches / BRANCHES_PER_COUNTY))
    cities = max(1, -(-counties // COUNTIES_PER_CITY))
    townships = counties * TOWNSHIPS_PER_COUNTY
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO org_unit_view (id, path, parent_id, kind, domain, name, code, status, version)
            VALUES (md5('province')::uuid::text, '/p/', NULL, 'province', NULL, '省委', 'P', 'active', 1)"""))
        conn.execute(text(f"""
            INSERT INTO org_unit_view (id, path, parent_id, kind, domain, name, code, status, version)
            SELECT {_uuid('c', 'c')}, '/p/c' || c || '/', md5('province')::uuid::text, 'city', NULL,
                   '市委' || c, 'C' || c, 'active', 1
            FROM generate_series(0, {cities - 1}) c"""))
        conn.execute(text(f"""
            INSERT INTO org_unit_view (id, path, parent_id, kind, domain, name, code, status, version)
            SELECT {_uuid('k', 'k')}, '/p/c' || (k % {cities}) || '/k' || k || '/', {_uuid('c', '(k % ' + str(cities) + ')')},
                   'county', NULL, '县委' || k, 'K' || k, 'active', 1
            FROM generate_series(0, {counties - 1}) k"""))
        conn.execute(text(f"""
            INSERT INTO org_unit_view (id, path, parent_id, kind, domain, name, code, status, version)
            SELECT {_uuid('t', 't')}, '/p/c' || ((t % {counties}) % {cities}) || '/k' || (t % {counties}) || '/t' || t || '/',
                   {_uuid('k', '(t % ' + str(counties) + ')')}, 'township', NULL, '街道党工委' || t, 'T' || t, 'active', 1
            FROM generate_series(0, {townships - 1}) t"""))
        conn.execute(text(f"""
            INSERT INTO org_unit_view (id, path, parent_id, kind, domain, name, code, status, version)
            SELECT {_uuid('b', 'g')}, t.path || 'b' || g || '/', t.id, 'branch', 'village', '第' || g || '党支部',
                   'B' || g, 'active', 1
            FROM generate_series(0, {branches - 1}) g
            JOIN org_unit_view t ON t.kind = 'township' AND t.code = 'T' || (g % {townships})"""))
        conn.execute(text(f"""
            INSERT INTO org_unit_view (id, path, parent_id, kind, domain, name, code, status, version)
            SELECT {_uuid('g', 'b.code')}, b.path || 'g/', b.id, 'party_group', NULL, '党小组', 'G' || b.code, 'active', 1
            FROM org_unit_view b WHERE b.kind = 'branch' AND substr(b.code, 2)::int % 3 = 0"""))

        # committees: 90% with a committee of 3 (16 full members need one), 2% secretary seat empty since January,
        # 5% term ended mid-year
        conn.execute(text(f"""
            INSERT INTO committee_facts (unit_id, committee_id, elected_on, term_ends_on, seats, seats_total,
                                         seats_filled, secretary_id, secretary_vacant_since, committee_version)
            SELECT {_uuid('b', 'g')}, {_uuid('cm', 'g')}, DATE '{YEAR - 2}-06-01',
                   CASE WHEN g % 20 = 0 THEN DATE '{YEAR}-06-30' ELSE DATE '{YEAR + 2}-05-31' END, '[]',
                   CASE WHEN g % 10 < 9 THEN 3 ELSE 1 END,
                   CASE WHEN g % 10 < 9 THEN 3 ELSE 1 END - CASE WHEN g % 50 = 0 THEN 1 ELSE 0 END,
                   CASE WHEN g % 50 = 0 THEN NULL ELSE {_uuid('p', "g || '-0'")} END,
                   CASE WHEN g % 50 = 0 THEN DATE '{YEAR}-01-15' END, 1
            FROM generate_series(0, {branches - 1}) g"""))
        # meetings: the LIFE.* schedule, about one in thirteen missed, one in seventeen without a quorum
        conn.execute(text(f"""
            INSERT INTO meeting_facts (meeting_id, unit_id, type, held_on, year, counts, event_at)
            SELECT {_uuid('m', "g || '-' || s.type || '-' || m")}, {_uuid('b', 'g')}, s.type, make_date({YEAR}, m, 10),
                   {YEAR}, (g + m) % 17 <> 0, now()
            FROM generate_series(0, {branches - 1}) g
            CROSS JOIN (VALUES ('theme_day', 1), ('general_meeting', 3), ('party_lecture', 3),
                               ('review_meeting', 12), ('heart_to_heart_talk', 12), ('member_review', 12),
                               ('committee_meeting', 1), ('group_meeting', 1)) AS s(type, every)
            CROSS JOIN generate_series(1, 12) m
            WHERE m % s.every = 0 AND (s.type <> 'committee_meeting' OR g % 10 < 9)
              AND (s.type <> 'group_meeting' OR g % 3 = 0) AND (g * 7 + m) % 13 <> 0"""))
        # the per-branch tallies the meeting handler keeps beside the meetings
        conn.execute(text(f"""
            INSERT INTO meeting_tallies (unit_id, year, {', '.join(MEETING_TYPES)})
            SELECT unit_id, year, {', '.join(f"sum(CASE WHEN type = '{t}' THEN 1 ELSE 0 END)" for t in MEETING_TYPES)}
            FROM meeting_facts WHERE counts GROUP BY unit_id, year"""))
        # people: 16 full, 2 probationary (admitted this year), a target, an activist, an applicant;
        # every nineteenth branch has developed nobody
        conn.execute(text(f"""
            INSERT INTO person_facts (person_id, unit_id, stage, status, probationary_since, full_member_since,
                                      person_version)
            SELECT {_uuid('p', "g || '-' || j")}, {_uuid('b', 'g')},
                   CASE WHEN j < 16 OR (j < 18 AND g % 19 = 0) THEN 'full' WHEN j < 18 THEN 'probationary'
                        WHEN j = 18 AND g % 19 <> 0 THEN 'target' WHEN j <= 19 THEN 'activist' ELSE 'applicant' END,
                   'active',
                   CASE WHEN j < 16 OR (j < 18 AND g % 19 = 0) THEN DATE '{YEAR - 6}-07-01'
                        WHEN j < 18 THEN make_date({YEAR}, 1 + g % 12, 1) END,
                   CASE WHEN j < 16 OR (j < 18 AND g % 19 = 0) THEN DATE '{YEAR - 5}-07-01' END, 1
            FROM generate_series(0, {branches - 1}) g CROSS JOIN generate_series(0, {PEOPLE_PER_BRANCH - 1}) j"""))
        conn.execute(text(f"""
            INSERT INTO person_years (person_id, year, hours, points, member_hours_met, leader_hours_met, rotation_met)
            SELECT {_uuid('p', "g || '-' || j")}, {YEAR}, 16 + (g + j * 3) % 30, 55 + (g * 7 + j) % 46,
                   false, false, j = 0 AND g % 5 <> 0
            FROM generate_series(0, {branches - 1}) g CROSS JOIN generate_series(0, 17) j"""))
        conn.execute(text(f"""
            INSERT INTO support_facts (unit_id, has_venue, venue_area_m2, organizers, funds_total, event_at)
            SELECT {_uuid('b', 'g')}, g % 40 <> 0, 80, 2, 10000, now() FROM generate_series(0, {branches - 1}) g"""))
        conn.execute(text(f"""
            INSERT INTO review_facts (unit_id, year, excellent, qualified, basically_qualified, unqualified, event_at)
            SELECT {_uuid('b', 'g')}, {YEAR}, 4, 12, 1, 0, now() FROM generate_series(0, {branches - 1}) g
            WHERE g % 9 <> 0"""))
        conn.execute(text(f"""
            INSERT INTO manual_inputs (id, unit_id, org_path, year, name, value, note, entered_by, entered_at, version)
            SELECT {_uuid('i', 'b.code')}, b.id, b.path, {YEAR}, 'public_satisfaction', 58 + substr(b.code, 2)::int % 43,
                   NULL, 'bench', now(), 1
            FROM org_unit_view b WHERE b.kind = 'branch'"""))
        conn.execute(text(f"""
            INSERT INTO problems (id, unit_id, org_path, year, source, description, responsible, measures, deadline,
                                  status, level_unit_id, level_path, escalations, in_weak_scope, opened_on,
                                  created_by, version, created_at, updated_at)
            SELECT {_uuid('q', 'b.code')}, b.id, b.path, {YEAR}, 'inspection', '台账不全', '书记', '整改',
                   make_date({YEAR}, 1 + substr(b.code, 2)::int % 12, 28),
                   (ARRAY['open', 'in_progress', 'rectified', 'verified'])[1 + substr(b.code, 2)::int % 4],
                   b.id, b.path, 0, substr(b.code, 2)::int % 301 = 0, DATE '{YEAR}-01-10', 'bench', 1, now(), now()
            FROM org_unit_view b WHERE b.kind = 'branch' AND substr(b.code, 2)::int % 7 = 0"""))
        # last year's published ratings: one batch per county
        conn.execute(text(f"""
            INSERT INTO rating_batches (id, region_id, region_path, region_name, year, version, branches,
                                        scorecard_version_id, scorecard_name, criteria, vetoes, reason, published_by,
                                        published_at)
            SELECT {_uuid('rb', 'k.code')}, k.id, k.path, k.name, {YEAR - 1}, 1, 0, NULL, 'bench', '[]', '[]', NULL,
                   'bench', now()
            FROM org_unit_view k WHERE k.kind = 'county'"""))
        conn.execute(text(f"""
            INSERT INTO ratings (id, batch_id, unit_id, year, rating_version, org_path, name, code, region_id,
                                 region_name, score, stars_by_score, stars, category, previous_stars, change, weak,
                                 breakdown, inputs, vetoes, signs, limits, as_of, published_at)
            SELECT {_uuid('r', 'b.code')}, {_uuid('rb', 'k.code')}, b.id, {YEAR - 1}, 1, b.path, b.name, b.code, k.id,
                   k.name, 60 + substr(b.code, 2)::int % 40, 1 + substr(b.code, 2)::int % 5,
                   1 + substr(b.code, 2)::int % 5, 'middle', NULL, 'new', false, '[]', '{{}}', '[]', '[]', '[]',
                   DATE '{YEAR - 1}-12-31', now()
            FROM org_unit_view b JOIN org_unit_view k ON k.kind = 'county' AND b.path LIKE k.path || '%'
            WHERE b.kind = 'branch'"""))
        # scorecards: the province's default, and a county of every city with its own
        default = rules.DEFAULTS["EVAL.DEFAULT_SCORECARD"]
        conn.execute(text("""
            INSERT INTO scorecards (id, region_unit_id, region_path, region_kind, name, version, created_by,
                                    created_at, updated_at)
            SELECT md5('sc' || u.code)::uuid::text, u.id, u.path, u.kind, :name, 1, 'bench', now(), now()
            FROM org_unit_view u WHERE u.kind = 'province' OR (u.kind = 'county' AND substr(u.code, 2)::int % 9 = 0)"""),
                     {"name": default["name"]})
        conn.execute(text("""
            INSERT INTO scorecard_versions (id, scorecard_id, number, name, criteria, vetoes, note, created_by,
                                            created_at)
            SELECT md5('scv' || s.id)::uuid::text, s.id, 1, s.name, CAST(:criteria AS json), CAST(:vetoes AS json),
                   NULL, 'bench', now()
            FROM scorecards s"""), {"criteria": json.dumps(default["criteria"]), "vetoes": json.dumps(default["vetoes"])})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    with engine.connect() as conn:
        counts = {table: conn.scalar(text(f"SELECT count(*) FROM {table}"))
                  for table in ("org_unit_view", "meeting_facts", "person_facts", "person_years", "problems", "ratings")}
        province = conn.scalar(text("SELECT id FROM org_unit_view WHERE kind = 'province'"))
    engine.dispose()
    return {"province": province, "counts": counts, "counties": counties}


FACT_SCANS = [
    f"SELECT unit_id, max(theme_day) FROM meeting_tallies WHERE year = {YEAR} GROUP BY unit_id",
    "SELECT unit_id, count(*) FROM person_facts GROUP BY unit_id",
    f"SELECT count(*), sum(hours), sum(points) FROM person_years WHERE year = {YEAR}",
    "SELECT unit_id, max(seats_total) FROM committee_facts GROUP BY unit_id",
    "SELECT unit_id, bool_or(has_venue) FROM support_facts GROUP BY unit_id",
    f"SELECT unit_id, count(*) FROM manual_inputs WHERE year = {YEAR} GROUP BY unit_id",
    f"SELECT unit_id, max(stars) FROM ratings WHERE year = {YEAR - 1} GROUP BY unit_id",
]


def _timed_sql(url: str, statements: list[str], work_mem: str | None = None) -> float:
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        if work_mem:
            conn.execute(text(f"SET work_mem = '{work_mem}'"))
        started = time.perf_counter()
        for statement in statements:
            conn.execute(text(statement)).fetchall()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    branches = SIZES[size]
    url = fresh_database("zhibu_bench_evaluation", pg_admin_url)
    upgrade("evaluation", url)
    started = time.perf_counter()
    loaded = load(url, branches)
    load_seconds = time.perf_counter() - started
    app = service_app("evaluation", Config(service="evaluation", database_url=url, broker_url="memory://",
                                           jwt_secret="bench-secret-bench-secret-bench-secret", pii_key="bench",
                                           publish_in_web=False, log_level="WARNING"))
    client = app.test_client()
    headers = auth(app, "admin")
    data = (f"{branches:,} branches in {loaded['counties']} counties; {loaded['counts']['meeting_facts']:,} meetings, "
            f"{loaded['counts']['person_facts']:,} people, {loaded['counts']['ratings']:,} last-year ratings "
            f"(loaded in {load_seconds:.0f} s)")
    try:
        started = time.perf_counter()
        resp = client.post("/api/evaluation/v1/assessments/recompute", headers=headers,
                           json={"under": loaded["province"], "year": YEAR})
        recompute = time.perf_counter() - started
        if resp.status_code != 200:
            raise RuntimeError(f"recompute answered {resp.status_code}: {resp.get_data(as_text=True)[:500]}")
        summary = resp.get_json()
        if summary["branches"] != branches:
            raise RuntimeError(f"recomputed {summary['branches']} of {branches} branches")
        # measured after the recompute (caches as warm) and with the recompute's work_mem: a fair floor
        baseline = _timed_sql(url, FACT_SCANS, RECOMPUTE_WORK_MEM)

        count_sql = [f"SELECT count(*) FROM assessments WHERE year = {YEAR}"]
        dash_times, count_times = [], []
        for _ in range(7):
            started = time.perf_counter()
            dash = client.get(f"/api/evaluation/v1/dashboard?year={YEAR}", headers=headers)
            dash_times.append(time.perf_counter() - started)
            if dash.status_code != 200 or dash.get_json()["branches"] != branches:
                raise RuntimeError(f"dashboard answered {dash.status_code}: {dash.get_data(as_text=True)[:300]}")
            count_times.append(_timed_sql(url, count_sql))
        dashboard, counted = statistics.median(dash_times), statistics.median(count_times)
    finally:
        app.extensions["zhibu"].db.dispose()
    return [
        {"name": "evaluation: recompute every assessment of the province", "figure": round(recompute, 2),
         "unit": "s", "target": "< 60 s", "baseline_name": "bare GROUP BY scans of the facts read",
         "baseline": f"{baseline:.2f} s", "ratio": round(recompute / baseline, 2), "data_size": data,
         "by_stars": summary["by_stars"], "weak": summary["weak"]},
        {"name": "evaluation: the province dashboard (median of 7)", "figure": round(dashboard * 1000, 1),
         "unit": "ms", "target": "< 1000 ms", "baseline_name": "SELECT count(*) of the year's assessments",
         "baseline": f"{counted * 1000:.1f} ms", "ratio": round(dashboard / counted, 2),
         "data_size": f"{branches:,} assessments"},
    ]


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
