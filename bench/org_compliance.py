"""The org compliance report for a province of 330,000 organizations on PostgreSQL (target < 2 s).

A synthetic province is loaded with COPY: 16 cities, 144 counties, 1,728 townships, and under
each township grassroots committees, general branches and branches, 330,000 units in all; member
counts per unit, a current committee with seats (some vacant, some terms expired) for most
branches, a year of organizational life (month masks) for most, uncovered entities, the leaders of
every party committee above the branches (7 each, most keeping a liaison branch in their subtree)
and a rating for a third of the branches. The
report is then asked through the service's real code path (Flask test client, the org app on
that database) for the whole province and for one county, over the whole previous year.

Baseline, same run: one ``count(*)`` over the subtree's units by the same path index, i.e. the
cost of merely reading the subtree once.
"""
from __future__ import annotations

import bisect
import random
import statistics
import time
import uuid
from datetime import date, timedelta

from shared.config import Config
from services.org.units import to_base36
from shared.migrations import upgrade

from .common import PG_ADMIN_URL, fresh_database

SIZES = {"small": 20_000, "county": 20_000, "city": 100_000, "province": 330_000}
YEAR = 2025
LIFE_TYPES = ("general_meeting", "committee_meeting", "party_lecture", "theme_day", "review_meeting",
              "heart_to_heart_talk", "member_review")
DOMAINS = ("village", "community", "state_owned_enterprise", "private_enterprise", "school", "hospital")


def province_tree(total: int, seed: int = 7) -> list[dict]:
    """A province of ``total`` units in tree order: every parent comes before its children."""
    rnd = random.Random(seed)
    units: list[dict] = []

    def add(kind, parent, domain=None):
        seq = len(units) + 1
        key = to_base36(seq)
        unit = {"seq": seq, "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "key": key,
                "path": (parent["path"] if parent else "/") + key + "/", "parent_id": parent["id"] if parent else None,
                "kind": kind, "domain": domain, "name": f"{kind}-{seq}", "code": f"B{seq:07d}",
                "parent_code": parent["code"] if parent else None}
        units.append(unit)
        return unit

    province = add("province", None)
    cities = [add("city", province) for _ in range(16)]
    counties = [add("county", c) for c in cities for _ in range(9)]
    townships = [add("township", c) for c in counties for _ in range(12)]
    per_township = max(3, (total - len(units)) // len(townships))
    for township in townships:
        committee = add("grassroots_committee", township, rnd.choice(DOMAINS))
        general = add("general_branch", committee, committee["domain"])
        left = per_township - 2
        for i in range(left):
            if len(units) >= total:
                break
            parent = general if i % 40 == 0 else committee if i % 7 == 0 else township
            add("branch", parent, rnd.choice(DOMAINS))
    while len(units) < total:
        add("branch", rnd.choice(townships), rnd.choice(DOMAINS))
    return units


def _copy(conn, table: str, columns: list[str], rows) -> None:
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def load_province(url: str, total: int, seed: int = 7) -> dict:
    """Units with member counts, committees and seats, a year of life, uncovered entities."""
    import psycopg

    rnd = random.Random(seed)
    units = province_tree(total, seed)
    now = "2026-01-01T00:00:00+00:00"
    branches = [u for u in units if u["kind"] in ("branch", "general_branch", "grassroots_committee")]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        counts = {}
        for u in units:
            if u["kind"] == "branch":
                full = max(0, int(rnd.gauss(22, 14)))
                counts[u["id"]] = (full, rnd.randint(0, 3))
            else:
                counts[u["id"]] = (rnd.randint(0, 8), 0)
        _copy(conn, "units", ["seq", "id", "key", "path", "parent_id", "kind", "domain", "name", "code", "status",
                              "full_members", "probationary_members", "version", "created_at", "updated_at"],
              ((u["seq"], u["id"], u["key"], u["path"], u["parent_id"], u["kind"], u["domain"], u["name"],
                u["code"], "active", *counts[u["id"]], 1, now, now) for u in units))
        conn.execute("SELECT setval(pg_get_serial_sequence('units', 'seq'), %s)", (len(units),))

        committees, seats = [], []
        for u in branches:
            if rnd.random() < 0.05:
                continue  # no election recorded
            elected = date(2021, 1, 1) + timedelta(days=rnd.randint(0, 5 * 365))
            ends = date(elected.year + (5 if u["domain"] in ("village", "community") else 3), elected.month,
                        min(elected.day, 28))
            committee_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            secretary_vacant = rnd.random() < 0.02
            roles = ["secretary", "organization", "propaganda"] if counts[u["id"]][0] >= 7 else ["secretary"]
            vacant_seats = 0
            for position, role in enumerate(roles):
                vacant = (role == "secretary" and secretary_vacant) or rnd.random() < 0.01
                vacant_seats += vacant
                seats.append((str(uuid.UUID(int=rnd.getrandbits(128), version=4)), committee_id, position, role,
                              None if vacant else str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                              None if vacant else "委员", None if vacant else elected,
                              elected + timedelta(days=30) if vacant else None))
            committees.append((committee_id, u["id"], u["path"], elected, 3, ends, ends, counts[u["id"]][0],
                               "current", elected + timedelta(days=30) if secretary_vacant else None, len(roles),
                               vacant_seats, 1, now))
        _copy(conn, "committees", ["id", "unit_id", "path", "elected_on", "term_years", "term_ends_on",
                                   "original_term_ends_on", "full_members_at_election", "status",
                                   "secretary_vacant_since", "seats", "vacant_seats", "version", "created_at"],
              committees)
        _copy(conn, "seats", ["id", "committee_id", "position", "role", "person_id", "person_name", "since",
                              "vacant_since"], seats)

        life = []
        for u in units:
            if u["kind"] != "branch" or rnd.random() < 0.08:
                continue
            masks = []
            for t in LIFE_TYPES:
                full_months = 0xFFF if rnd.random() < 0.9 else rnd.getrandbits(12)
                masks.append(full_months if t not in ("review_meeting", "member_review", "heart_to_heart_talk")
                             else (1 << rnd.randint(0, 11)) if rnd.random() < 0.95 else 0)
            life.append((u["id"], YEAR, u["path"], *masks, 0, rnd.randint(0, 2)))
        _copy(conn, "life_years", ["unit_id", "year", "path", *LIFE_TYPES, "group_meeting", "secretary_lectures"],
              life)

        entities = []
        townships = [u for u in units if u["kind"] == "township"]
        for i in range(max(100, total // 20)):
            t = rnd.choice(townships)
            instructor = rnd.random() < 0.7
            entities.append((str(uuid.UUID(int=rnd.getrandbits(128), version=4)), t["id"], t["path"],
                             f"entity-{i}", "private_enterprise", "uncovered", "指导员" if instructor else None,
                             date(2025, 3, 1) if instructor else None, 1, now))
        _copy(conn, "uncovered_entities", ["id", "unit_id", "path", "name", "domain", "status", "instructor_name",
                                           "instructor_assigned_on", "version", "created_at"], entities)
        leaders, points = leaders_and_points(rnd, units, branches)
        _copy(conn, "leaders", ["id", "unit_id", "path", "name", "title", "role", "since", "active", "version"], leaders)
        _copy(conn, "liaison_points", ["id", "leader_id", "leader_name", "leader_title", "leader_unit_id", "unit_id",
                                       "path", "since", "active", "version"], points)
        categories = ("advanced", "middle", "middle", "backward")
        _copy(conn, "unit_ratings", ["unit_id", "year", "rating_id", "score", "stars", "category", "rating_version"],
              ((u["id"], YEAR, str(uuid.UUID(int=rnd.getrandbits(128), version=4)), 70, 3, rnd.choice(categories), 1)
               for u in branches if rnd.random() < 0.33))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return {"units": units, "committees": len(committees), "life_rows": len(life), "entities": len(entities),
            "leaders": len(leaders), "liaison_points": len(points)}


def leaders_and_points(rnd: random.Random, units: list[dict], branches: list[dict]) -> tuple[list, list]:
    """Seven leaders at each party committee above the branches; 9 in 10 keep a branch of their subtree."""
    by_path = sorted(b["path"] for b in branches)
    branch_of = {b["path"]: b for b in branches}
    leaders, points = [], []
    for unit in units:
        if unit["kind"] not in ("province", "city", "county", "township"):
            continue
        lo = bisect.bisect_left(by_path, unit["path"])
        hi = bisect.bisect_left(by_path, unit["path"][:-1] + "0")
        for n, role in enumerate(("secretary", "deputy_secretary", "deputy_secretary") + ("member",) * 4):
            leader_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            leaders.append((leader_id, unit["id"], unit["path"], f"leader {n}", "班子成员", role, date(2022, 1, 1),
                            True, 1))
            if hi > lo and rnd.random() < 0.9:
                branch = branch_of[by_path[rnd.randrange(lo, hi)]]
                points.append((str(uuid.UUID(int=rnd.getrandbits(128), version=4)), leader_id, f"leader {n}",
                               "班子成员", unit["id"], branch["id"], branch["path"], date(2023, 1, 1), True, 1))
    return leaders, points


def org_app(url: str):
    from services.org.app import create_app

    config = Config(service="org", database_url=url, broker_url="memory://", jwt_secret="bench-" * 8,
                    pii_key="bench", publish_in_web=False, log_level="WARNING")
    return create_app(config)


def _timed(fn, runs: int = 3) -> tuple[float, object]:
    fn()  # warm the caches and the plans
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    from sqlalchemy import create_engine, text

    from shared.db import normalize_url
    from shared.testing import auth

    total = SIZES.get(size, SIZES["province"])
    url = fresh_database("zhibu_bench_org_compliance", pg_admin_url)
    upgrade("org", url)
    loaded = load_province(url, total)
    units = loaded["units"]
    province = units[0]
    county = next(u for u in units if u["kind"] == "county")
    county_size = sum(1 for u in units if u["path"].startswith(county["path"]))

    app = org_app(url)
    client = app.test_client()
    headers = auth(app, "admin")
    period = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}

    def report(unit):
        def call():
            resp = client.get("/api/org/v1/compliance", query_string={"under": unit["id"], **period},
                              headers=headers)
            assert resp.status_code == 200, resp.get_data(as_text=True)
            return resp.json
        return call

    engine = create_engine(normalize_url(url))

    def scan(unit):
        def call():
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM units WHERE path >= :lo AND path < :hi"),
                                    {"lo": unit["path"], "hi": unit["path"][:-1] + "0"}).scalar()
        return call

    rows = []
    for label, unit, n in (("province", province, total), ("county", county, county_size)):
        seconds, body = _timed(report(unit))
        base, _ = _timed(scan(unit))
        offending = {r["code"]: r["count"] for r in body["rules"]}
        rows.append({"name": f"org compliance report, {label} subtree", "figure": round(seconds, 3), "unit": "s",
                     "target": "< 2 s" if label == "province" else "",
                     "baseline_name": "count(*) of the subtree's units", "baseline": round(base, 3),
                     "ratio": round(seconds / base, 1) if base else None,
                     "data_size": f"{n:,} units; {loaded['committees']:,} committees; {loaded['life_rows']:,} "
                                  f"unit-years of life; {loaded['entities']:,} uncovered entities; {loaded['leaders']:,} leaders "
                                  f"with {loaded['liaison_points']:,} liaison points; offenders: "
                                  + ", ".join(f"{k.split('.')[1]} {v}" for k, v in offending.items())})
    engine.dispose()
    app.extensions["zhibu"].db.dispose()
    return rows


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
