"""Units created at once: how far creations run side by side.

A creation only adds a leaf under a parent it reads, so creations take org's tree lock shared and run side
by side; moves, dissolutions and imports take it alone (``services/org/units.py`` ``lock_tree``). The whole
suite runs as real processes on PostgreSQL + RabbitMQ (``cost.Suite``: org with one gunicorn worker of 4
threads, the gateway in front). First one client creates branches one after the other (the baseline), then
8 clients at once; each phase alternates twice and the best of each counts. The ratio is how many times the
one client's rate 8 clients reach: near 1 when creations queue behind one another on the lock.

``python -m bench --only org_writes``
"""
from __future__ import annotations

import random
import threading
import time
import uuid

from .common import PG_ADMIN_URL
from .cost import Suite, Tree

CLIENTS = 8
NOTE = """Before (creations taking the tree lock alone, main at ba13699) against after (shared), run one after
the other on 2026-12-08 on an otherwise idle machine: 8 clients at once 91.5 against 112.1 creations/s, one client
86.1 against 87.5 (ratio 1.06 against 1.28). In alternating runs beside other load the same day: 84.2 against
106.7 (ratio 1.13 against 1.32); 8 clients, 3 rounds of 480 each: 69-88 against 100-127 creations/s, p50 91-116
against 61-80 ms. What is left is the CPU of one org web process on two cores shared with the gateway, the
consumers and PostgreSQL."""
COUNTS = {"small": 240, "county": 480, "city": 480, "province": 480}


def _create_branches(suite: Suite, tree: Tree, clients: int, total: int) -> tuple[float, list[float]]:
    """``total`` branches created by ``clients`` threads through the gateway: (creations a second, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            code = f"W{uuid.uuid4().hex[:12]}"
            suite.call("POST", "/api/org/v1/units", {"kind": "branch", "name": f"支部{code}", "code": code,
                                                      "parent_id": random.choice(tree.townships),
                                                      "domain": "village"})
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(total // clients,)) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), sorted(latencies)


def _ms(latencies: list[float], q: float) -> float:
    return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    total = COUNTS.get(size, COUNTS["county"])
    suite = Suite(pg_admin_url)
    try:
        suite.ready()
        tree = Tree(suite)
        suite.settled()
        _create_branches(suite, tree, 1, 20)  # every path warm once
        suite.settled()
        alone, together = [], []
        for _ in range(2):
            for clients, runs in ((1, alone), (CLIENTS, together)):
                runs.append(_create_branches(suite, tree, clients, total // 2 if clients == 1 else total))
                suite.settled()  # the events of one phase do not weigh on the next
                print(f"   {clients} client(s): {runs[-1][0]:.1f} creations/s", flush=True)
    finally:
        suite.stop()
    best_alone, best_together = max(alone), max(together)
    return [{
        "name": f"branches created by {CLIENTS} clients at once (POST /api/org/v1/units through the gateway)",
        "figure": round(best_together[0], 1), "unit": "creations/s",
        "target": "well above 1 x one client's rate: creations do not queue on the tree lock",
        "baseline_name": "one client, one creation after the other", "baseline": round(best_alone[0], 1),
        "ratio": round(best_together[0] / best_alone[0], 2),
        "data_size": f"{total} creations a run, best of 2 alternating runs each ({CLIENTS} clients: "
                     f"{[round(r[0], 1) for r in together]}, one: {[round(r[0], 1) for r in alone]}); "
                     f"latency at {CLIENTS} clients p50 {_ms(best_together[1], 0.5)} ms, p99 "
                     f"{_ms(best_together[1], 0.99)} ms; one client p50 {_ms(best_alone[1], 0.5)} ms; org 1 "
                     "gunicorn worker x 4 threads, PostgreSQL + RabbitMQ"}]
