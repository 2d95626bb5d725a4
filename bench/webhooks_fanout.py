"""Webhook fan-out: do the fast receivers keep their latency when one receiver answers in 2 s?

The webhooks worker runs as a real process (``zhibu worker webhooks``: consumer + delivery loop) on PostgreSQL
and RabbitMQ; five receivers are HTTP servers on 127.0.0.1 in this process. ``org.unit.created`` events are
published to the broker at a steady rate, as org's relay would; a delivery's latency is the moment the receiver
got it minus the event's ``occurred_at`` (the publish), on one clock.

Two phases in the same run, the same events and rate each: (A, the baseline) four fast subscribers; (B) the
same four plus a fifth whose receiver answers each request after 2 s. The figure is the fast receivers' p99 in
B, the ratio B / A: near 1 when a slow receiver delays only itself.

A warm-up of a tenth of the events (at most 500, not measured) goes first: the first phase would otherwise pay
for the worker's cold start (its connections, the database's caches) and flatter the second.

``ZHIBU_BENCH_FANOUT_EVENTS`` (default 10,000 per phase) and ``ZHIBU_BENCH_FANOUT_RATE`` (events a second,
default 25: 100 fast deliveries a second, what one webhooks worker process keeps up with on the two-core machine
beside PostgreSQL, RabbitMQ and the receivers) size it.
"""
from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kombu import Connection, Producer

from shared.auth import mint_token
from shared.config import Config
from shared.events import events_exchange, make_envelope, publish_envelope
from shared.migrations import upgrade
from zhibu.cli import service_app
from zhibu.supervisor import SuiteProcess, stop_suite

from .common import AMQP_URL, PG_ADMIN_URL, fresh_database

EVENTS = int(os.environ.get("ZHIBU_BENCH_FANOUT_EVENTS", "10000"))
RATE = float(os.environ.get("ZHIBU_BENCH_FANOUT_RATE", "25"))
SLOW_SECONDS = 2.0
FAST = 4


class Receiver:
    """A platform's endpoint that notes when each event arrived; ``delay`` seconds before it answers."""

    def __init__(self, delay: float = 0.0):
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                event_id = json.loads(body)["id"]
                with receiver.lock:
                    receiver.arrived.setdefault(event_id, now)
                if delay:
                    time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _subscribe(app, token: str, url: str, name: str) -> None:
    resp = app.test_client().post("/api/webhooks/v1/subscriptions", headers={"Authorization": f"Bearer {token}"},
                                  json={"name": name, "url": url, "event_types": ["org.unit.created"]})
    if resp.status_code != 201:
        raise RuntimeError(f"subscription refused: {resp.json}")


def _publish(config: Config, count: int, rate: float) -> dict[str, float]:
    """``count`` events at ``rate`` a second; their ids and publish times."""
    published: dict[str, float] = {}
    with Connection(AMQP_URL, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        exchange = events_exchange(config)
        next_at = time.monotonic()
        for i in range(count):
            key = uuid.uuid4().hex[:8]
            envelope = make_envelope("org.unit.created", {
                "id": str(uuid.uuid4()), "key": key, "path": f"/1/{key}/", "parent_id": None, "kind": "branch",
                "domain": None, "name": f"支部{i}", "code": key, "status": "active", "established_on": None,
                "unit_version": 1}, source="org", org_path=f"/1/{key}/", occurred_at=datetime.now(timezone.utc))
            publish_envelope(producer, exchange, envelope.as_dict())
            published[envelope.id] = envelope.occurred.timestamp()
            next_at += 1 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
    return published


def _phase(config, receivers: list[Receiver], count: int, rate: float) -> list[float]:
    """Publish, wait for every fast receiver to have every event; the fast receivers' latencies (ms)."""
    published = _publish(config, count, rate)
    wait = max(1800.0, 3 * count / rate)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if all(set(published) <= set(r.arrived) for r in receivers):
            break
        time.sleep(0.5)
    latencies, lost = [], 0
    for receiver in receivers:
        for event_id, sent in published.items():
            if event_id in receiver.arrived:
                latencies.append((receiver.arrived[event_id] - sent) * 1000)
            else:
                lost += 1
    if lost:
        raise RuntimeError(f"{lost} deliveries to the fast receivers had not arrived {wait:.0f} s after the last publish")
    return latencies


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL, count: int | None = None,
        rate: float | None = None) -> list[dict]:
    count = count or EVENTS
    rate = rate or RATE
    secret = "bench-secret-bench-secret-bench-secret"
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    database = fresh_database("zhibu_bench_fanout", pg_admin_url)
    upgrade("webhooks", database)
    var = tempfile.mkdtemp(prefix="zhibu-bench-fanout-")
    rules = os.path.join(var, "rules.json")
    with open(rules, "w") as fh:
        json.dump({"webhooks": {"allowed_networks": ["127.0.0.0/8"]}}, fh)
    env = dict(os.environ)
    env.update({"ZHIBU_VAR_DIR": var, "WEBHOOKS_DATABASE_URL": database, "ZHIBU_JWT_SECRET": secret,
                "ZHIBU_PII_KEY": "bench-pii", "ZHIBU_BROKER_URL": AMQP_URL, "ZHIBU_BUS_NAMESPACE": namespace,
                "ZHIBU_RULES_FILE": rules, "ZHIBU_LOG_LEVEL": "WARNING"})
    config = Config(service="webhooks", database_url=database, broker_url=AMQP_URL, bus_namespace=namespace,
                    jwt_secret=secret, pii_key="bench-pii", rules={"allowed_networks": ["127.0.0.0/8"]},
                    publish_in_web=False)
    app = service_app("webhooks", config)
    token = mint_token(config, subject="bench", roles=["admin"])
    fast = [Receiver() for _ in range(FAST)]
    slow = Receiver(delay=SLOW_SECONDS)
    for i, receiver in enumerate(fast):
        _subscribe(app, token, receiver.url, f"fast {i}")
    worker = SuiteProcess(["worker", "webhooks"], env, os.path.join(var, "worker.log"))
    try:
        time.sleep(8)  # the worker declares its queue and bindings before anything is published
        _phase(config, fast, min(500, max(1, count // 10)), rate)   # warm-up, not measured
        baseline = _phase(config, fast, count, rate)
        _subscribe(app, token, slow.url, "slow (2 s)")
        with_slow = _phase(config, fast, count, rate)
        slow_got = len(slow.arrived)
    finally:
        stop_suite([("webhooks worker", worker)])
        for receiver in [*fast, slow]:
            receiver.close()
        app.extensions["zhibu"].db.dispose()
    p99_alone, p99_with = _percentile(baseline, 0.99), _percentile(with_slow, 0.99)
    p50_alone, p50_with = statistics.median(baseline), statistics.median(with_slow)
    data = (f"{count:,} events a phase at {rate:g}/s, {FAST} fast subscribers (+1 answering in {SLOW_SECONDS:g} s in "
            f"phase B: it got {slow_got} meanwhile); {len(with_slow):,} fast deliveries a phase, none lost; "
            "one webhooks worker process (8 delivery threads), PostgreSQL + RabbitMQ")
    return [
        {"name": "webhook delivery to a fast receiver beside a 2 s one (p99)", "figure": round(p99_with, 1),
         "unit": "ms", "target": "ratio near 1: a slow receiver delays only itself",
         "baseline_name": "p99 of the same, without the slow one", "baseline": round(p99_alone, 1),
         "ratio": round(p99_with / p99_alone, 2) if p99_alone else None, "data_size": data},
        {"name": "webhook delivery to a fast receiver beside a 2 s one (p50)", "figure": round(p50_with, 1),
         "unit": "ms", "target": "", "baseline_name": "p50 without the slow one", "baseline": round(p50_alone, 1),
         "ratio": round(p50_with / p50_alone, 2) if p50_alone else None, "data_size": data},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
