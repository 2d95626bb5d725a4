"""A 60-second load test through the gateway at a fixed rate, then a check that nothing was lost.

The whole suite runs as real processes on PostgreSQL + RabbitMQ. First a short
closed-loop burst measures saturation (requests per second with every client
busy, counted until the events they caused are applied everywhere: the rate the
whole suite sustains); then an open-loop run sends mixed reads and writes at 80% of it:
create units (org), register people (members), read a unit, list a subtree,
list people. It reports errors, p50/p95/p99 latency (overall and by kind), and the
events lost: every unit created must reach the members service's read-model, checked
afterwards. The saturation's baseline, measured last in the same run with wrk, is the
plain GET of a unit straight to org (issue 18 asks the mix for 0.4 of it).
"""
from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
import uuid

import psycopg
import urllib3
from sqlalchemy import create_engine, text

from shared.auth import mint_token
from shared.config import SERVICES, Config
from shared.db import normalize_url
from shared.migrations import upgrade
from zhibu.supervisor import start_suite, stop_suite, wait_for

from .common import AMQP_URL, PG_ADMIN_URL, fresh_database, settled, wrk

NOTE = """Two runs one after the other on 2026-12-08 (main at 79cc1b8, an otherwise idle machine): saturation
223.4 and 208.5 req/s against the direct plain GET's 1,282 and 1,040 (ratio 0.174 and 0.200; issue 18 asks
0.4); at 80% of it the p99 was 131.9 ms in the first run and 33.7 ms in the second (p50 14.5 and 6.3 ms), 0
errors and nothing lost in both. The burst's events were applied everywhere 0.3 s after it ended: the
consumers keep up, and the p99 by kind is even, so the tail is the two cores' queue, not one kind of request.
How far the p99 moves between two identical runs is how much the machine's speed moves under it."""

PORTS = {"gateway": 18920, "org": 18921, "members": 18922, "training": 18923, "evaluation": 18924,
         "webhooks": 18925}


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else None


class Workload:
    def __init__(self, base: str, token: str, county_ids: list[str]):
        self.base = base
        self.http = urllib3.PoolManager(maxsize=64, retries=False, timeout=urllib3.Timeout(total=30))
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.counties = county_ids
        self.units: list[str] = list(county_ids)
        self.created_units: list[str] = []
        self.created_people: list[str] = []
        self.lock = threading.Lock()
        self.seq = 0

    def one(self) -> tuple[int, float, str]:
        """Send one request of the mix: (status, seconds, kind)."""
        roll = random.random()
        started = time.perf_counter()
        if roll < 0.10:
            kind = "create unit"
            with self.lock:
                self.seq += 1
                code = f"L{uuid.uuid4().hex[:12]}"
            body = {"kind": "township", "name": f"街道{code}", "code": code, "parent_id": random.choice(self.counties)}
            resp = self.http.request("POST", f"{self.base}/api/org/v1/units", body=json.dumps(body), headers=self.headers)
            if resp.status == 201:
                unit_id = json.loads(resp.data)["id"]
                with self.lock:
                    self.created_units.append(unit_id)
                    self.units.append(unit_id)
        elif roll < 0.20:
            kind = "create person"
            body = {"unit_id": random.choice(self.counties), "name": "测试", "gender": "female",
                    "birth_date": "1990-05-01"}
            resp = self.http.request("POST", f"{self.base}/api/members/v1/people", body=json.dumps(body),
                                     headers=self.headers)
            if resp.status == 201:
                with self.lock:
                    self.created_people.append(json.loads(resp.data)["id"])
        elif roll < 0.60:
            kind = "read unit"
            resp = self.http.request("GET", f"{self.base}/api/org/v1/units/{random.choice(self.units)}",
                                     headers=self.headers)
        elif roll < 0.80:
            kind = "list subtree"
            resp = self.http.request("GET", f"{self.base}/api/org/v1/units?under={random.choice(self.counties)}"
                                     "&limit=20", headers=self.headers)
        else:
            kind = "list people"
            resp = self.http.request("GET", f"{self.base}/api/members/v1/people?under="
                                     f"{random.choice(self.counties)}&limit=20", headers=self.headers)
        return resp.status, time.perf_counter() - started, kind


def closed_loop(work: Workload, seconds: float, clients: int) -> float:
    done = [0]
    stop = time.monotonic() + seconds

    def client():
        while time.monotonic() < stop:
            work.one()
            done[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds


def open_loop(work: Workload, rate: float, seconds: float, clients: int = 48) -> dict:
    """Send at a fixed rate whatever the latency (no coordinated omission): each request has a slot."""
    slots = int(rate * seconds)
    start = time.monotonic() + 0.5
    next_slot = [0]
    lock = threading.Lock()
    results: list[tuple[int, float, str]] = []

    def client():
        while True:
            with lock:
                i = next_slot[0]
                next_slot[0] += 1
            if i >= slots:
                return
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                status, _, kind = work.one()
            except Exception:  # noqa: BLE001 - counted as an error
                status, kind = 599, "failed"
            latency = time.monotonic() - due  # from the slot, not from the send
            with lock:
                results.append((status, latency, kind))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = [lat * 1000 for _, lat, _ in results]
    errors = sum(1 for status, _, _ in results if status >= 400)
    by_kind: dict[str, list[float]] = {}
    for _, lat, kind in results:
        by_kind.setdefault(kind, []).append(lat * 1000)
    return {"sent": len(results), "errors": errors, "p50": _percentile(latencies, 0.5),
            "p95": _percentile(latencies, 0.95), "p99": _percentile(latencies, 0.99),
            "p99_by_kind": {kind: _percentile(values, 0.99) for kind, values in sorted(by_kind.items())}}


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    seconds = 15 if size == "small" else 60
    secret = "bench-secret-bench-secret-bench-secret"
    urls = {s: fresh_database(f"zhibu_bench_load_{s}", pg_admin_url) for s in SERVICES}
    for service, url in urls.items():
        upgrade(service, url)
    env = dict(os.environ)
    env.update({f"{s.upper()}_DATABASE_URL": u for s, u in urls.items()})
    env.update({"ZHIBU_VAR_DIR": tempfile.mkdtemp(prefix="zhibu-bench-load-"), "ZHIBU_JWT_SECRET": secret,
                "ZHIBU_PII_KEY": "bench", "ZHIBU_BROKER_URL": AMQP_URL,
                "ZHIBU_BUS_NAMESPACE": f"load{uuid.uuid4().hex[:6]}", "ZHIBU_LOG_LEVEL": "WARNING",
                "ZHIBU_RATE_LIMIT_PER_SECOND": "100000", "ZHIBU_RATE_LIMIT_BURST": "100000"})
    processes = start_suite(env, ports=PORTS, workers="2")
    try:
        wait_for(f"http://127.0.0.1:{PORTS['gateway']}/healthz")
        for service in SERVICES:
            wait_for(f"http://127.0.0.1:{PORTS[service]}/healthz")
        time.sleep(2)
        token = mint_token(Config(service="bench", jwt_secret=secret), subject="load", roles=["admin"])
        base = f"http://127.0.0.1:{PORTS['gateway']}"
        http = urllib3.PoolManager()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(body):
            resp = http.request("POST", f"{base}/api/org/v1/units", body=json.dumps(body), headers=headers)
            assert resp.status == 201, resp.data
            return json.loads(resp.data)["id"]

        province = post({"kind": "province", "name": "省委", "code": "P"})
        city = post({"kind": "city", "name": "市委", "code": "C", "parent_id": province})
        counties = [post({"kind": "county", "name": f"县{i}", "code": f"K{i}", "parent_id": city}) for i in range(8)]
        time.sleep(2)  # members learns of the counties
        work = Workload(base, token, counties)
        databases = [psycopg.connect(url, autocommit=True) for url in urls.values()]
        settled(databases)
        burst_seconds = 8 if size == "small" else 15
        burst = closed_loop(work, burst_seconds, clients=24)
        # the events of the burst are still being applied when it ends: the rate the suite sustains counts
        # the time until they all are (every process's share of a request, not only the web's)
        drain_seconds = settled(databases)
        for connection in databases:
            connection.close()
        saturation = burst * burst_seconds / (burst_seconds + drain_seconds)
        rate = 0.8 * saturation
        outcome = open_loop(work, rate, seconds)
        time.sleep(5)
        # the baseline of the saturation: the plain GET of a unit straight to org, in the same run
        direct = wrk(f"http://127.0.0.1:{PORTS['org']}/api/org/v1/units/{counties[0]}",
                     {"Authorization": f"Bearer {token}"}, seconds=5)
        members = create_engine(normalize_url(urls["members"]))
        with members.connect() as conn:
            known = set(conn.execute(text("SELECT id FROM org_unit_view")).scalars())
            people = set(conn.execute(text("SELECT id FROM people")).scalars())
        members.dispose()
        lost = sum(1 for unit_id in work.created_units if unit_id not in known)
        missing_people = sum(1 for person_id in work.created_people if person_id not in people)
    finally:
        stop_suite(processes)
    data = (f"{seconds} s at {rate:.0f} req/s (80% of {saturation:.0f} req/s sustained: a closed-loop burst of "
            f"{burst:.0f} req/s for {burst_seconds} s, its events applied everywhere {drain_seconds:.1f} s after), "
            f"{outcome['sent']} requests: 10% create unit, 10% create person, 40% read unit, 20% list subtree, "
            f"20% list people; {len(work.created_units)} units created")
    return [
        {"name": "load test: the mix's saturation through the gateway (24 clients, events applied)",
         "figure": round(saturation, 1), "unit": "req/s", "target": ">= 0.4 x the direct plain GET (issue 18)",
         "baseline_name": "GET /api/org/v1/units/{id} straight to org (wrk -t2 -c16, 5 s)",
         "baseline": round(direct["rps"], 1), "ratio": round(saturation / direct["rps"], 3), "data_size": data},
        {"name": "load test: p99 latency through the gateway", "figure": round(outcome["p99"], 1), "unit": "ms",
         "target": "errors 0, events lost 0", "baseline_name": "p50", "baseline": round(outcome["p50"], 1),
         "ratio": round(outcome["p99"] / outcome["p50"], 2),
         "data_size": data + f"; p95 {outcome['p95']:.1f} ms; p99 by kind: " + ", ".join(
             f"{kind} {value:.1f} ms" for kind, value in outcome["p99_by_kind"].items())},
        {"name": "load test: errors", "figure": outcome["errors"], "unit": "responses >= 400", "target": "0",
         "baseline_name": "requests", "baseline": outcome["sent"], "ratio": None, "data_size": data},
        {"name": "load test: events lost", "figure": lost, "unit": "units missing from members' read-model",
         "target": "0", "baseline_name": "units created", "baseline": len(work.created_units), "ratio": None,
         "data_size": data},
        {"name": "load test: acknowledged writes lost", "figure": missing_people, "unit": "people answered 201 "
         "but absent", "target": "0", "baseline_name": "people created", "baseline": len(work.created_people),
         "ratio": None, "data_size": data},
    ]
