"""What a consumer's worker spends applying events: ``members.person.created`` in each service that consumes
it (org's roster, training, evaluation, webhooks), on PostgreSQL, in this process.

Each service gets a fresh database holding a small org tree (a province and 10 branches, from
``org.unit.created`` events); ``n`` new people's events are then applied through the kit's inbox path one at a
time (a transaction each: what a worker does with a lone event), and ``n`` others in runs of
``ZHIBU_CONSUME_BATCH`` (what it does with the events of an import or a backlog). The figure is the CPU of this
process per event in runs; the baseline, measured in the same run, the same one at a time. The broker is left
out (consuming from RabbitMQ adds about 0.3 ms an event alone, 0.1 ms in runs), and so is the database's own
CPU (the cost table, bench/cost.py, has both).
"""
from __future__ import annotations

import importlib
import time
import uuid
from datetime import date

from shared.config import Config
from shared.consumer import apply_event, apply_events
from shared.events import make_envelope
from shared.migrations import upgrade

NOTE = """Training's worker, before (main at 79cc1b8: the person read, the unit's path read, the seats read and
the row written through the ORM's unit of work) against after (one read, one write), alternating on
2026-12-08: in runs of 25, 1.528 and 1.955 against 0.865 and 0.750 ms CPU an event; one at a time, 1.938 and
3.255 against 1.468 and 1.352. Evaluation's, before (main at 62ff716: a read, then the unit of work's write)
against after (one upsert), alternating the same day: in runs of 25, 0.651 and 0.668 against 0.300 and 0.213
ms; one at a time, 1.325 and 1.453 against 0.771 and 0.597. Org's, before (main at 44bd1cb: the roster row
read and written through the unit of work) against after (read and written as statements): in runs of 25,
1.174 and 0.941 against 0.755 and 0.886 ms; one at a time, 2.428 and 1.668 against 1.552 and 1.345."""

from .common import PG_ADMIN_URL, fresh_database

CONSUMERS = ("org", "training", "evaluation", "webhooks")
SIZES = {"small": 1000, "province": 5000}
BRANCHES = 10


def _unit(unit_id: str, parent_id: str | None, path: str, kind: str, code: str):
    return make_envelope("org.unit.created", {"id": unit_id, "key": path.rstrip("/").rsplit("/", 1)[-1], "path": path,
                                              "parent_id": parent_id, "kind": kind, "name": code, "code": code,
                                              "status": "active", "unit_version": 1},
                         source="org", org_path=path)


def _people(n: int, branches: list[tuple[str, str]]):
    return [make_envelope("members.person.created", {
        "id": str(uuid.uuid4()), "unit_id": branches[i % len(branches)][0], "name": f"党员{i}", "stage": "full",
        "status": "active", "full_member_since": date(2010, 7, 1), "probationary_since": None,
        "classification": None, "person_version": 1}, source="members", org_path=branches[i % len(branches)][1])
        for i in range(n)]


def measure(service: str, n: int, pg_admin_url: str = PG_ADMIN_URL) -> tuple[float, float, int]:
    """(ms CPU per event alone, ms CPU per event in runs, run size) for ``service``."""
    url = fresh_database(f"zhibu_bench_consumers_{service}", pg_admin_url)
    upgrade(service, url)
    app = importlib.import_module(f"services.{service}.app").create_app(Config(
        service=service, database_url=url, broker_url="memory://", jwt_secret="bench-secret-" * 3,
        pii_key="bench", publish_in_web=False, log_level="WARNING"))
    kit = app.extensions["zhibu"]
    try:
        province = str(uuid.uuid4())
        branches = [(str(uuid.uuid4()), f"/1/{i + 2}/") for i in range(BRANCHES)]
        apply_events(kit.db, kit.handlers, kit.models.InboxEvent,
                     [_unit(province, None, "/1/", "province", "P")]
                     + [_unit(b, province, path, "branch", f"B{i}") for i, (b, path) in enumerate(branches)])
        alone, together = _people(n, branches), _people(n, branches)
        started = time.process_time()
        for envelope in alone:
            apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)
        one_by_one = (time.process_time() - started) * 1000 / n
        size = kit.config.consume_batch
        started = time.process_time()
        for start in range(0, n, size):
            apply_events(kit.db, kit.handlers, kit.models.InboxEvent, together[start:start + size])
        in_runs = (time.process_time() - started) * 1000 / n
    finally:
        kit.db.dispose()
    return one_by_one, in_runs, size


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    n = SIZES.get(size, SIZES["small"])
    rows = []
    for service in CONSUMERS:
        one_by_one, in_runs, batch = measure(service, n, pg_admin_url)
        rows.append({"name": f"{service} worker applying members.person.created (in-process, PostgreSQL)",
                     "figure": round(in_runs, 3), "unit": f"ms CPU an event in runs of {batch}",
                     "target": "(the consumers' part of a write, issue 18)", "baseline_name": "one at a time",
                     "baseline": round(one_by_one, 3), "ratio": round(in_runs / one_by_one, 2),
                     "data_size": f"{n:,} events each way, {BRANCHES} branches"})
    return rows


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
