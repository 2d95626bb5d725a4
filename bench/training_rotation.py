"""A rotation plan for a county of 2,000 branch secretaries: POST /api/training/v1/rotation-plans.

The county has 40 townships of 50 branches, each branch a secretary, two committee members and
a member; next year it runs 20 secretary rotation classes of 105 places (created through the
API). Size "small" is that county alone; "province" puts it among 144 such counties (288,000
branches, 1.15 million people) so that the plan must find its county by index, not by a scan.
Measured through the service's real code path (Flask test client) on PostgreSQL:
- the first run, which plans and writes the 2,000-line proposal (the target: under 1 s);
- a re-run with nothing changed (same answer, nothing written);
- the confirmation, which enrols the 2,000 (and writes their 2,000 events to the outbox).
Baseline, measured in the same run: the planner's input query alone (the county's secretaries
not yet covered).
"""
from __future__ import annotations

import time
from datetime import date, datetime

from sqlalchemy import text

from shared.dates import today
from shared.migrations import upgrade

from .common import PG_ADMIN_URL, fresh_database, machine
from .training_coverage import admin_headers, bench_app, load_tree, timed

SIZES = {"small": (1, 1, 40, 50), "province": (16, 9, 40, 50)}
API = "/api/training/v1"


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    url = fresh_database("zhibu_bench_training_rotation", pg_admin_url)
    upgrade("training", url)
    tree = load_tree(url, SIZES[size], people_per_branch=lambda b: 4, hours=False)
    county_id, county_path = tree["counties"][len(tree["counties"]) // 2]
    year = today().year + 1

    app = bench_app(url)
    client = app.test_client()
    headers = admin_headers(app)
    for i in range(20):
        day = date(year, 3 + i // 3, 1 + 9 * (i % 3))
        resp = client.post(f"{API}/classes", headers=headers, json={
            "kind": "secretary_rotation", "title": f"{year}年支部书记轮训第{i + 1}期", "organizer_unit_id": county_id,
            "starts_on": day.isoformat(), "ends_on": day.isoformat(), "capacity": 105, "place": "县委党校",
            "sessions": [{"starts_at": datetime(year, day.month, day.day, 9).isoformat(),
                          "ends_at": datetime(year, day.month, day.day, 17).isoformat(), "hours": 8}]})
        if resp.status_code != 201:
            raise RuntimeError(f"class not created: {resp.get_json()}")
    kit = app.extensions["zhibu"]
    body = {"county_id": county_id, "year": year}

    def forget_plans():
        with kit.db.transaction() as session:
            session.execute(text("DELETE FROM rotation_plan_items"))
            session.execute(text("DELETE FROM rotation_plans"))

    def plan(expected_status: int = 201):
        resp = client.post(f"{API}/rotation-plans", headers=headers, json=body)
        if resp.status_code != expected_status:
            raise RuntimeError(f"plan answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
        return resp

    def first_run():
        forget_plans()
        started = time.perf_counter()
        resp = plan()
        elapsed = time.perf_counter() - started
        return resp, elapsed

    first_run()  # warm-up
    firsts = [first_run()[1] for _ in range(3)]
    resp, _ = first_run()
    planned = resp.get_json()
    if planned["assigned"] != 2000 or planned["overflow"] != 0:
        raise RuntimeError(f"the plan placed {planned['assigned']} (overflow {planned['overflow']})")
    rerun, rerun_times = timed(lambda: plan(200))
    started = time.perf_counter()
    confirmed = client.post(f"{API}/rotation-plans/{planned['id']}/confirm",
                            headers={**headers, "If-Match": resp.headers["ETag"]})
    confirm_seconds = time.perf_counter() - started
    if confirmed.status_code != 200:
        raise RuntimeError(f"confirm answered {confirmed.status_code}: {confirmed.get_data(as_text=True)[:300]}")

    from services.training import rotation

    with app.app_context():
        def baseline_query():
            with kit.db.Session() as session:
                return len(session.execute(rotation._not_yet_covered(county_path, year)).all())

        baseline_query()
        baseline, base_runs = timed(baseline_query)
    kit.db.dispose()
    first = sorted(firsts)[1]
    size_note = (f"county of 2,000 secretaries in 40 townships, 20 classes x 105 places; {tree['people']:,} people "
                 f"in {tree['units']:,} units ({size}); PostgreSQL; {machine()}")
    return [
        {"name": "POST /api/training/v1/rotation-plans: plan a county of 2,000 secretaries (first run, writes the proposal)",
         "figure": round(first, 3), "unit": "s", "target": "< 1 s",
         "baseline_name": "the planner's input query alone (the county's secretaries not yet covered)",
         "baseline": round(baseline, 3), "ratio": round(first / baseline, 2),
         "data_size": f"{size_note}; median of 3 (runs {[round(t, 3) for t in firsts]}, baseline "
                      f"{[round(t, 3) for t in base_runs]})"},
        {"name": "POST /api/training/v1/rotation-plans: re-run with nothing changed (nothing written)",
         "figure": round(rerun, 3), "unit": "s", "target": "< 1 s",
         "baseline_name": "the planner's input query alone", "baseline": round(baseline, 3),
         "ratio": round(rerun / baseline, 2),
         "data_size": f"{size_note}; median of 3 (runs {[round(t, 3) for t in rerun_times]})"},
        {"name": "POST /api/training/v1/rotation-plans/{id}/confirm: enrol the 2,000 (with their events)",
         "figure": round(confirm_seconds, 3), "unit": "s", "target": "none (informative)",
         "baseline_name": "the planner's input query alone", "baseline": round(baseline, 3),
         "ratio": round(confirm_seconds / baseline, 2), "data_size": f"{size_note}; one run"},
    ]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "small"), ensure_ascii=False, indent=2))
