"""Coverage for a province on PostgreSQL: GET /api/training/v1/coverage?under=<province>&year=.

The province: 16 cities, 144 counties, 1,728 townships, 330,048 branches, each with a secretary,
two committee members and members, about 7.1 million people in all (size "province"); 1/100 of
that for "small". 60% of the people have class hours in the year (and 75% of the secretaries a
rotation class). Data is loaded with COPY into the service's own migrated tables, then the
request runs through the service's real code path (Flask test client, JSON, the first page of
uncovered people included). Baseline, measured in the same run: one ``SELECT count(*)`` over the
people table, the cheapest possible pass over the people a coverage must look at.
"""
from __future__ import annotations

import io
import statistics
import time

from shared.config import Config
from services.org.units import to_base36
from shared.migrations import upgrade

from .common import PG_ADMIN_URL, fresh_database, machine

YEAR = 2026
SIZES = {
    #           cities, counties/city, townships/county, branches/township
    "small": (2, 2, 3, 275),
    "province": (16, 9, 12, 191),
}


def ordered_id(kind: int, number: int) -> str:
    """A UUID-shaped id that sorts in load order (so the primary keys load as appends)."""
    return f"{kind:08x}-0000-4000-8000-{number:012x}"


class Loader:
    """Streams rows into one table with COPY, in chunks of text, on its own connection (one
    connection carries one COPY at a time, and the tree loads several tables at once)."""

    def __init__(self, url: str, table: str, columns: list[str]):
        import psycopg

        self.conn = psycopg.connect(url)
        self.cursor = self.conn.cursor()
        self.copy_cm = self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self.copy = self.copy_cm.__enter__()
        self.buffer = io.StringIO()
        self.rows = 0

    def add(self, *values) -> None:
        self.buffer.write("\t".join("\\N" if v is None else str(v) for v in values))
        self.buffer.write("\n")
        self.rows += 1
        if self.rows % 20000 == 0:
            self.flush()

    def flush(self) -> None:
        self.copy.write(self.buffer.getvalue())
        self.buffer = io.StringIO()

    def close(self) -> int:
        self.flush()
        self.copy_cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()
        return self.rows


def load_tree(url: str, shape, *, people_per_branch=lambda b: 16 + (b % 12), hours=True, members=True) -> dict:
    """The org tree, the people (category from their seat), their hours rows for ``YEAR``."""
    cities, counties_per_city, townships_per_county, branches_per_township = shape
    units = Loader(url, "org_unit_view", ["id", "path", "parent_id", "kind", "domain", "name", "code", "status",
                                           "version"])
    people = Loader(url, "people", ["id", "unit_id", "org_path", "name", "stage", "status", "full_member_since",
                                     "probationary_since", "leader_role", "secretary_since", "category",
                                     "person_version", "updated_at"])
    year_rows = Loader(url, "person_year_hours", ["person_id", "year", "unit_id", "org_path", "category", "hours",
                                                   "sessions", "trained", "rotated"])
    seq = 0
    person_no = 0
    tree = {"counties": [], "members": 0}

    def unit(kind, parent_path, parent_id, name):
        nonlocal seq
        seq += 1
        uid = ordered_id(1, seq)
        path = parent_path + to_base36(seq) + "/"
        units.add(uid, path, parent_id or None, kind, None, name, f"U{seq}", "active", 1)
        return uid, path

    province_id, province_path = unit("province", "/", None, "省委")
    tree["province"] = province_id
    branch_no = 0
    for c in range(cities):
        city_id, city_path = unit("city", province_path, province_id, f"市{c}")
        for k in range(counties_per_city):
            county_id, county_path = unit("county", city_path, city_id, f"县{c}-{k}")
            tree["counties"].append((county_id, county_path))
            for t in range(townships_per_county):
                town_id, town_path = unit("township", county_path, county_id, f"镇{c}-{k}-{t}")
                for _ in range(branches_per_township):
                    branch_no += 1
                    branch_id, branch_path = unit("branch", town_path, town_id, f"支部{branch_no}")
                    count = people_per_branch(branch_no) if members else 1
                    for i in range(count):
                        person_no += 1
                        pid = ordered_id(2, person_no)
                        if i == 0:
                            role, category = "secretary", "secretary"
                        elif i < 3:
                            role, category = "leader", "leader"
                        else:
                            role = None
                            category = None if person_no % 25 == 0 else "member"
                        tree["members"] += category is not None
                        stage = "full" if category else "activist"
                        people.add(pid, branch_id, branch_path, f"党员{person_no}", stage, "active", None, None,
                                   role, "2020-01-01" if role == "secretary" else None, category, 1,
                                   "2026-01-01 00:00:00+00")
                        if hours and category and person_no % 5 < 3:
                            h = (person_no * 7) % 80 + 0.5 * (person_no % 2)
                            rotated = role == "secretary" and person_no % 4 != 0
                            year_rows.add(pid, YEAR, branch_id, branch_path, category, h, 1 + int(h // 8), "t",
                                          "t" if rotated else "f")
    tree["units"] = units.close()
    tree["people"] = people.close()
    tree["hours_rows"] = year_rows.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("org_unit_view", "people", "person_year_hours"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return tree


def bench_app(url: str):
    from services.training.app import create_app

    config = Config(service="training", database_url=url, broker_url="memory://", jwt_secret="bench-" * 8,
                    pii_key="bench", publish_in_web=False, log_level="WARNING")
    return create_app(config)


def admin_headers(app) -> dict:
    from shared.testing import auth

    return auth(app, "admin")


def timed(fn, runs: int = 3) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    import psycopg

    url = fresh_database("zhibu_bench_training", pg_admin_url)
    upgrade("training", url)
    started = time.perf_counter()
    tree = load_tree(url, SIZES[size])
    load_seconds = time.perf_counter() - started

    app = bench_app(url)
    client = app.test_client()
    headers = admin_headers(app)
    path = f"/api/training/v1/coverage?under={tree['province']}&year={YEAR}"

    def coverage():
        resp = client.get(path, headers=headers)
        if resp.status_code != 200:
            raise RuntimeError(f"coverage answered {resp.status_code}: {resp.get_data(as_text=True)[:500]}")
        return resp.get_json()

    body = coverage()  # warm: caches, JIT, the app's first request
    if body["totals"]["members"] != tree["members"]:
        raise RuntimeError(f"coverage counted {body['totals']['members']} members, {tree['members']} were loaded")
    figure, runs = timed(coverage)

    with psycopg.connect(url) as conn:
        def baseline_query():
            conn.execute("SELECT count(*) FROM people").fetchone()

        baseline_query()
        baseline, base_runs = timed(baseline_query)
    app.extensions["zhibu"].db.dispose()
    return [{
        "name": "GET /api/training/v1/coverage for a province (JSON, per city, first page of uncovered)",
        "figure": round(figure, 3), "unit": "s",
        "target": "< 5 s",
        "baseline_name": "SELECT count(*) FROM people (one pass over the people table)",
        "baseline": round(baseline, 3),
        "ratio": round(figure / baseline, 2),
        "data_size": f"{tree['people']:,} people, {tree['hours_rows']:,} hours rows for {YEAR}, "
                     f"{tree['units']:,} units ({size}); PostgreSQL, median of 3 runs after a warm-up "
                     f"(runs {[round(t, 3) for t in runs]}, baseline {[round(t, 3) for t in base_runs]}); "
                     f"loaded in {load_seconds:.0f} s; {machine()}",
    }]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "small"), ensure_ascii=False, indent=2))
