"""Event propagation latency: an API write in org to the members service's read-model.

Org and members run as real processes (gunicorn web + worker each) on PostgreSQL
and RabbitMQ. 1,000 units are created through the org API at a steady pace; for
each event the latency is the members inbox's ``processed_at`` (the handler's
transaction) minus the org outbox's ``created_at`` (the write's transaction),
read from the two databases afterwards, so polling adds no error.
"""
from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import urllib.request
import uuid

from sqlalchemy import create_engine, text

from shared.auth import mint_token
from shared.config import Config
from shared.db import normalize_url
from shared.migrations import upgrade
from zhibu.supervisor import start_suite, stop_suite, wait_for

from .common import AMQP_URL, PG_ADMIN_URL, fresh_database

PORTS = {"gateway": 18910, "org": 18911, "members": 18912, "training": 18913, "evaluation": 18914}


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    count = 200 if size == "small" else 1000
    secret = "bench-secret-bench-secret-bench-secret"
    org_url = fresh_database("zhibu_bench_ev_org", pg_admin_url)
    members_url = fresh_database("zhibu_bench_ev_members", pg_admin_url)
    upgrade("org", org_url)
    upgrade("members", members_url)
    env = dict(os.environ)
    env.update({"ZHIBU_VAR_DIR": tempfile.mkdtemp(prefix="zhibu-bench-ev-"), "ORG_DATABASE_URL": org_url,
                "MEMBERS_DATABASE_URL": members_url, "ZHIBU_JWT_SECRET": secret, "ZHIBU_PII_KEY": "bench",
                "ZHIBU_BROKER_URL": AMQP_URL, "ZHIBU_BUS_NAMESPACE": f"bench{uuid.uuid4().hex[:6]}",
                "ZHIBU_LOG_LEVEL": "WARNING"})
    processes = start_suite(env, names=("org", "members"), ports=PORTS, workers="2")
    try:
        for name in ("org", "members"):
            wait_for(f"http://127.0.0.1:{PORTS[name]}/healthz")
        time.sleep(2)  # the members worker declares its queue
        token = mint_token(Config(service="bench", jwt_secret=secret), subject="bench", roles=["admin"])
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        base = f"http://127.0.0.1:{PORTS['org']}/api/org/v1/units"

        def post(body):
            request = urllib.request.Request(base, method="POST", data=json.dumps(body).encode(), headers=headers)
            with urllib.request.urlopen(request) as resp:
                return json.loads(resp.read())

        province = post({"kind": "province", "name": "省委", "code": "P"})
        interval = 1 / 50
        next_at = time.monotonic()
        for i in range(count):
            next_at += interval
            post({"kind": "city", "name": f"市{i}", "code": f"C{i}", "parent_id": province["id"]})
            time.sleep(max(0.0, next_at - time.monotonic()))
        org_engine = create_engine(normalize_url(org_url))
        members_engine = create_engine(normalize_url(members_url))
        deadline = time.monotonic() + 60
        while True:
            with members_engine.connect() as conn:
                done = conn.execute(text("SELECT count(*) FROM inbox")).scalar()
            if done >= count + 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        with org_engine.connect() as conn:
            written = dict(conn.execute(text("SELECT event_id, created_at FROM outbox")).all())
        with members_engine.connect() as conn:
            applied = dict(conn.execute(text("SELECT event_id, processed_at FROM inbox")).all())
        org_engine.dispose()
        members_engine.dispose()
    finally:
        stop_suite(processes)
    latencies = [(applied[e] - written[e]).total_seconds() * 1000 for e in written if e in applied]
    lost = len(written) - len(latencies)
    p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
    return [{
        "name": "event propagation, org API write -> members read-model (p99)",
        "figure": round(p99, 1), "unit": "ms", "target": "p99 <= 50 ms on RabbitMQ",
        "baseline_name": "p50 of the same events", "baseline": round(p50, 1),
        "ratio": round(p99 / p50, 2) if p50 else None,
        "data_size": f"{len(latencies)} events at 50/s, {lost} not applied; org and members each gunicorn 2 "
                     "workers + 1 worker process, PostgreSQL + RabbitMQ",
    }]
