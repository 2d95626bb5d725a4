"""``GET /api/members/v1/people?under=<county>`` with cursor pagination on 7 million people (target p99 < 25 ms).

A province (16 cities, 144 counties, 1,728 townships, branches to 330,000 units) is loaded into the members
service's org read-model with COPY, and 7 million people are generated server-side in one
``INSERT ... SELECT`` (every column filled as a registration fills it: encrypted ID and phone, keyed hash,
masks, stage dates), with the indexes built after the load as a bulk load would. The database is kept
between runs of the same size (a ``bench_meta`` row says what it holds).

The figure: requests through the service's real code path (the Flask test client on that database: token
check, scope resolution, the keyset query, PII masking, JSON), walking counties page by page from the
first page and from random points deep inside them; p99 over every request.

Baseline, same run: the same keyset query sent straight to PostgreSQL with psycopg (p99).
"""
from __future__ import annotations

import random
import statistics
import time
import uuid
from contextlib import contextmanager

from shared.config import Config
from shared.migrations import upgrade
from shared.pii import PiiCipher

from .common import PG_ADMIN_URL, kept_database

SIZES = {"small": (200_000, 20_000), "province": (7_000_000, 330_000)}
REQUESTS = {"small": 600, "province": 3000}
PII_KEY = "bench-pii-key"
LIMIT = 50


def database(pg_admin_url: str, size: str, bench: str = "members_list") -> tuple[str, bool]:
    """The benchmark's own database (``zhibu_bench_<bench>_<size>``); True when it already holds this size's
    people."""
    return kept_database(f"zhibu_bench_{bench}_{size}", SIZES[size][0], pg_admin_url)


def units(total: int, seed: int = 5) -> list[tuple]:
    """(id, path, parent_id, kind, domain, name, code, status, version) in tree order."""
    rnd = random.Random(seed)
    out: list[tuple] = []

    def add(kind, parent, domain=None):
        n = len(out) + 1
        key = format(n, "x")
        uid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        path = (parent[1] if parent else "/") + key + "/"
        row = (uid, path, parent[0] if parent else None, kind, domain, f"{kind}-{n}", f"U{n:07d}", "active", 1)
        out.append(row)
        return row

    province = add("province", None)
    cities = [add("city", province) for _ in range(16)]
    counties = [add("county", c) for c in cities for _ in range(9)]
    townships = [add("township", c) for c in counties for _ in range(12)]
    i = 0
    while len(out) < total:
        add("branch", townships[i % len(townships)], "village" if i % 3 == 0 else "other")
        i += 1
    return out


def copy_tree(cur, tree: list[tuple]) -> int:
    """The tree into the org read-model, and its branches numbered in a temporary table ``branch (n, id, path)``
    for the people's ``INSERT ... SELECT`` to join; returns how many branches."""
    with cur.copy("COPY org_unit_view (id, path, parent_id, kind, domain, name, code, status, version) "
                  "FROM STDIN") as copy:
        for row in tree:
            copy.write_row(row)
    cur.execute("CREATE TEMP TABLE branch (n int, id text, path text)")
    with cur.copy("COPY branch (n, id, path) FROM STDIN") as copy:
        for n, row in enumerate(r for r in tree if r[3] == "branch"):
            copy.write_row((n, row[0], row[1]))
    return cur.execute("SELECT count(*) FROM branch").fetchone()[0]


@contextmanager
def people_load(url: str, people: int, total_units: int, analyze: tuple = ()):
    """A fresh members database filled in bulk: migrated, the tree copied (``copy_tree``), the people table's
    unique constraint and indexes dropped while the body inserts (``(cursor, branches)`` yielded; it writes
    ``people`` people), then rebuilt, ``bench_meta`` written, committed and people, the org read-model and
    ``analyze``'s tables vacuumed and analysed."""
    import psycopg

    upgrade("members", url)
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            nbranch = copy_tree(cur, units(total_units))
            cur.execute("ALTER TABLE people DROP CONSTRAINT uq_people_id_number_hash")
            cur.execute("DROP INDEX ix_people_org_path_id")
            cur.execute("DROP INDEX ix_people_unit_id")
            yield cur, nbranch
            cur.execute("ALTER TABLE people ADD CONSTRAINT uq_people_id_number_hash UNIQUE (id_number_hash)")
            cur.execute("CREATE INDEX ix_people_org_path_id ON people (org_path, id)")
            cur.execute("CREATE INDEX ix_people_unit_id ON people (unit_id)")
            cur.execute("CREATE TABLE bench_meta (people int)")
            cur.execute("INSERT INTO bench_meta VALUES (%s)", (people,))
        conn.commit()
        conn.autocommit = True
        for table in ("people", *analyze, "org_unit_view"):
            conn.execute(f"VACUUM ANALYZE {table}")


def load(url: str, size: str) -> None:
    people, total_units = SIZES[size]
    with people_load(url, people, total_units) as (cur, nbranch):
        # real ciphertexts (a pool of them), so that a reader with PII rights decrypts as in production
        pii = PiiCipher(PII_KEY)
        cur.execute("CREATE TEMP TABLE sealed (n int, id_enc text, phone_enc text)")
        with cur.copy("COPY sealed (n, id_enc, phone_enc) FROM STDIN") as copy:
            for n in range(1000):
                copy.write_row((n, pii.encrypt(f"37010119900101{n:04d}"), pii.encrypt(f"1380000{n:04d}")))
        cur.execute("ALTER TABLE people SET UNLOGGED")
        cur.execute(f"""
            INSERT INTO people (id, unit_id, org_path, name, gender, ethnicity, birth_date, id_number_enc,
                id_number_hash, id_number_masked, phone_enc, phone_masked, education, occupation, stage, status,
                classification, reached_step, applied_on, activist_since, target_since, probationary_since,
                probation_ends_on, extensions, full_member_since, version, created_at, updated_at)
            SELECT md5(g::text)::uuid::text, b.id, b.path, '党员' || g, CASE WHEN g % 2 = 0 THEN 'male'
                ELSE 'female' END, '汉族', date '1950-01-01' + g % 18000,
                s.id_enc,
                encode(sha256(('h' || g)::bytea), 'hex'), '370***********' || lpad((g % 10000)::text, 4, '0'),
                s.phone_enc, '138****' || lpad((g % 10000)::text, 4, '0'),
                '本科', '农民', 'full', 'active', 'in_work', 25, date '1990-01-01' + g % 9000,
                date '1990-06-01' + g % 9000, date '1991-07-01' + g % 9000, date '1991-09-01' + g % 9000,
                date '1992-09-01' + g % 9000, 0, date '1992-09-01' + g % 9000, 1, now(), now()
            FROM generate_series(1, {people}) g JOIN branch b ON b.n = g % {nbranch}
            JOIN sealed s ON s.n = g % 1000""")
        cur.execute("ALTER TABLE people SET LOGGED")


def members_app(url: str):
    from services.members.app import create_app

    return create_app(Config(service="members", database_url=url, broker_url="memory://",
                             jwt_secret="bench-" * 8, pii_key=PII_KEY, publish_in_web=False,
                             log_level="WARNING"))


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    import psycopg

    from shared.testing import auth

    size = size if size in SIZES else "small"
    url, ready = database(pg_admin_url, size)
    if not ready:
        load(url, size)
    with psycopg.connect(url) as conn:
        counties = conn.execute("SELECT id, path FROM org_unit_view WHERE kind = 'county' ORDER BY path").fetchall()
        province = conn.execute("SELECT id FROM org_unit_view WHERE kind = 'province'").fetchone()[0]
        people = conn.execute("SELECT people FROM bench_meta").fetchone()[0]
        # starting points deep inside counties: a person's (org_path, id) taken at random
        starts = conn.execute("SELECT org_path, id FROM people TABLESAMPLE SYSTEM (0.5) LIMIT 200").fetchall()
    app = members_app(url)
    client = app.test_client()
    headers = auth(app, "organizer", scope=province)
    rnd = random.Random(3)
    from shared.http import encode_cursor

    total = REQUESTS[size]
    plans: list[tuple[str, str | None]] = []
    while len(plans) < total:
        county_id, county_path = rnd.choice(counties)
        plans.append((county_id, None))
        deep = [s for s in starts if s[0].startswith(county_path)]
        if deep:
            plans.append((county_id, encode_cursor(tuple(rnd.choice(deep)))))
    plans = plans[:total]
    for county_id, _ in plans[:20]:  # warm the connection pool and the caches
        client.get(f"/api/members/v1/people?under={county_id}&limit={LIMIT}", headers=headers)
    latencies, rows = [], 0
    for county_id, cursor in plans:
        pages = 0
        while pages < 5:
            query = f"/api/members/v1/people?under={county_id}&limit={LIMIT}" + (f"&cursor={cursor}" if cursor else "")
            started = time.perf_counter()
            resp = client.get(query, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if resp.status_code != 200:
                raise RuntimeError(f"{resp.status_code}: {resp.get_data(as_text=True)[:500]}")
            body = resp.json
            rows += len(body["items"])
            cursor = body["next_cursor"]
            pages += 1
            if not cursor or len(latencies) >= total:
                break
        if len(latencies) >= total:
            break
    app.extensions["zhibu"].db.dispose()

    sql_latencies = []
    with psycopg.connect(url) as conn:
        for county_id, county_path in counties[: max(10, total // 50)]:
            upper = county_path[:-1] + chr(ord(county_path[-1]) + 1)
            cursor_key = (county_path, "")
            for _ in range(5):
                started = time.perf_counter()
                found = conn.execute(
                    "SELECT * FROM people WHERE org_path >= %s AND org_path < %s AND (org_path, id) > (%s, %s) "
                    "ORDER BY org_path, id LIMIT %s", (county_path, upper, *cursor_key, LIMIT + 1)).fetchall()
                sql_latencies.append((time.perf_counter() - started) * 1000)
                if len(found) <= LIMIT:
                    break
                cursor_key = (found[LIMIT - 1][2], found[LIMIT - 1][0])
    figure, baseline = p99(latencies), p99(sql_latencies)
    return [{
        "name": "GET /people?under=<county> by cursor (p99, through the service)", "figure": round(figure, 2),
        "unit": "ms", "target": "< 25 ms", "baseline_name": "the same keyset query straight to PostgreSQL (p99)",
        "baseline": round(baseline, 2), "ratio": round(figure / baseline, 2),
        "data_size": f"{people:,} people, {len(counties)} counties; {len(latencies)} requests of {LIMIT} "
                     f"(median {statistics.median(latencies):.2f} ms)",
    }]


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
