"""Bulk import of a province's units into the org service on PostgreSQL (target: 330,000 in < 60 s).

The file is the synthetic province of ``org_compliance`` as CSV (code, name, kind, parent_code,
domain, external_id), parents before their children. It goes through the service's real code
path: ``POST /api/org/v1/imports?async=false`` on the Flask test client (21 MB would otherwise go as a background
job, which runs the same import), one request, all-or-nothing, every
line validated, keys and paths computed, one org.unit.created event per unit in the outbox. A
second import of the same file must change nothing (idempotent by code) and is timed too.

Baseline, same run: COPY of the same rows straight into the units table of a fresh database (no
validation, no events): the floor of writing them at all.
"""
from __future__ import annotations

import csv
import io
import time

from sqlalchemy import create_engine, text

from shared.db import normalize_url
from shared.migrations import upgrade

from .common import PG_ADMIN_URL, fresh_database
from .org_compliance import SIZES, org_app, province_tree

COLUMNS = ("code", "name", "kind", "parent_code", "domain", "external_id")


def province_csv(units: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for u in units:
        writer.writerow((u["code"], u["name"], u["kind"], u["parent_code"] or "", u["domain"] or "",
                         f"ext-{u['seq']}"))
    return out.getvalue().encode()


def copy_baseline(url: str, units: list[dict]) -> float:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            with cur.copy("COPY units (seq, id, key, path, parent_id, kind, domain, name, code, external_id, status, "
                          "full_members, probationary_members, version, created_at, updated_at) FROM STDIN") as copy:
                for u in units:
                    copy.write_row((u["seq"], u["id"], u["key"], u["path"], u["parent_id"], u["kind"], u["domain"],
                                    u["name"], u["code"], f"ext-{u['seq']}", "active", 0, 0, 1,
                                    "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"))
        conn.commit()
    return time.perf_counter() - started


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    from shared.testing import auth

    total = SIZES.get(size, SIZES["province"])
    units = province_tree(total)
    body = province_csv(units)

    base_url = fresh_database("zhibu_bench_org_copy", pg_admin_url)
    upgrade("org", base_url)
    baseline = copy_baseline(base_url, units)

    url = fresh_database("zhibu_bench_org_import", pg_admin_url)
    upgrade("org", url)
    app = org_app(url)
    client = app.test_client()
    headers = {**auth(app, "admin"), "Content-Type": "text/csv"}

    started = time.perf_counter()
    resp = client.post("/api/org/v1/imports", data=body, headers=headers, query_string={"async": "false"})
    first = time.perf_counter() - started
    assert resp.status_code == 201, resp.get_data(as_text=True)[:2000]
    assert resp.json["created"] == total, resp.json

    started = time.perf_counter()
    again = client.post("/api/org/v1/imports", data=body, headers=headers, query_string={"async": "false"})
    second = time.perf_counter() - started
    assert again.status_code == 201 and again.json["unchanged"] == total and again.json["created"] == 0, again.json

    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        # a bulk write packs its events, a thousand to an outbox row
        events = conn.execute(text(
            "SELECT coalesce(sum(CASE WHEN envelope->'events' IS NULL THEN 1 "
            "ELSE json_array_length(envelope->'events') END), 0) "
            "FROM outbox WHERE type = 'org.unit.created'")).scalar()
    engine.dispose()
    app.extensions["zhibu"].db.dispose()
    assert events == total
    data = f"{total:,} units, {len(body) / 1e6:.1f} MB CSV; {events:,} org.unit.created events in the outbox"
    return [
        {"name": "org import of a province's units (CSV, all-or-nothing)", "figure": round(first, 1), "unit": "s",
         "target": "< 60 s", "baseline_name": "COPY of the same rows", "baseline": round(baseline, 1),
         "ratio": round(first / baseline, 1), "data_size": data},
        {"name": "org re-import of the same file (nothing changes)", "figure": round(second, 1), "unit": "s",
         "target": "", "baseline_name": "COPY of the same rows", "baseline": round(baseline, 1),
         "ratio": round(second / baseline, 1), "data_size": data},
    ]


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
