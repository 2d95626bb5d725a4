"""What a request costs in CPU, process by process: the gateway, the service's web process, its worker (relay),
every consuming worker, and PostgreSQL's backends of each service's database.

The whole suite runs as real processes (``zhibu web`` under gunicorn, ``zhibu worker``, the gateway) on
PostgreSQL + RabbitMQ, each started in its own session. For each kind of request the benchmark sends N of
them through the gateway (4 clients), waits until every outbox is sent and every consumer's inbox has stopped
growing (the events applied everywhere), and takes each process's own CPU accounting (``/proc/<pid>/stat``:
user + system of every process of its session, and of the children it has reaped, such as an import's
worker processes) before and after; PostgreSQL's backends are found through ``pg_stat_activity`` (by
database) and sampled every 0.2 s, so that a backend that ends in between still counts. What each process
spends doing nothing (relays polling, heartbeats, the consumers' timers) is measured first over 8 s and
subtracted for the duration of each measurement. CPU time is the process's own, so it hardly depends on how
busy the shared machine is; wall-clock time does, and is not used.

The request kinds: those of the load test (``load.py``: create a unit, register a person, read a unit, list a
subtree, list people) and the heavy ones: a row of a members import (CSV), the first step of the development
procedure recorded for a person, a meeting recorded, the compliance report of a county.

``python -m bench --only cost`` (``--size small`` sends fewer requests than ``county``/``province``).
"""
from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
import uuid
from collections import defaultdict

import psycopg
import urllib3

from shared.auth import mint_token
from shared.config import SERVICES, Config
from shared.migrations import upgrade
from zhibu.supervisor import start_suite, stop_suite, wait_for

from .common import AMQP_URL, PG_ADMIN_URL, fresh_database, settled
from .members_import import people_csv

NOTE = """How to read it: the first table gives per request (or import row) the CPU milliseconds of Zhibu's
processes together and of PostgreSQL's backends; the second splits them by process. "web" is the service the
request went to, "other web" the rest; the producing service's worker publishes what its web process did
not, every other worker is a consumer of the events the request caused; "db (own)" is the producing
service's database, "db (others)" the consumers'. CPU from /proc (the processes' own accounting), idle
subtracted. On this shared machine CPU time still grows with the load of the other processes (caches, the
cores' clock): a before/after comparison is only fair when both run at the same time
(``ZHIBU_BENCH_COST_PORT``, ``ZHIBU_BENCH_COST_TAG``: two checkouts side by side)."""

#: ``ZHIBU_BENCH_COST_PORT`` and ``ZHIBU_BENCH_COST_TAG`` let two checkouts run side by side (a before/after
#: comparison under the same load on a shared machine): other ports, other databases
_PORT = int(os.environ.get("ZHIBU_BENCH_COST_PORT", "18940"))
PORTS = {name: _PORT + i for i, name in enumerate(("gateway", "org", "members", "training", "evaluation", "webhooks"))}
TAG = os.environ.get("ZHIBU_BENCH_COST_TAG", "")
SECRET = "bench-secret-bench-secret-bench-secret"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CLIENTS = 4
IDLE_SECONDS = 8
#: requests of each kind (the import: rows of one file)
COUNTS = {"small": {"write": 150, "read": 400, "heavy": 60, "report": 15, "rows": 2000},
          "county": {"write": 300, "read": 1000, "heavy": 150, "report": 30, "rows": 5000}}


# ----------------------------------------------------------------------------- CPU accounting

def _stat(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


def session_ticks() -> dict[int, int]:
    """session id -> user + system ticks of its live processes and of the children they reaped."""
    totals: dict[int, int] = defaultdict(int)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            rest = _stat(entry)
            if rest is not None:  # rest[3]: session; rest[11..14]: utime, stime, cutime, cstime
                totals[int(rest[3])] += int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
    return totals


class Backends:
    """CPU ticks of PostgreSQL's backends per database, sampled in a thread so that ended backends count."""

    def __init__(self, admin_url: str, databases: dict[str, str]):
        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.databases = databases  # database name -> label
        self.seen: dict[int, tuple[str, int, int]] = {}  # pid -> (label, first ticks, last ticks)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        rows = self.conn.execute("SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY(%s)",
                                 [list(self.databases)]).fetchall()
        with self.lock:
            for pid, datname in rows:
                rest = _stat(pid)
                if rest is None:
                    continue
                ticks = int(rest[11]) + int(rest[12])
                label, first, _ = self.seen.get(pid, (self.databases[datname], 0, 0))
                self.seen[pid] = (label, first, ticks)

    def _loop(self) -> None:
        while not self.stop.wait(0.2):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a sample missed; the next one counts
                pass

    def totals(self) -> dict[str, int]:
        self.sample()
        out: dict[str, int] = defaultdict(int)
        with self.lock:
            for label, _, last in self.seen.values():
                out[label] += last
        return out

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


class Meter:
    """CPU seconds of every labelled process (its session) and of each database's backends."""

    def __init__(self, sessions: dict[str, int], backends: Backends):
        self.sessions, self.backends = sessions, backends

    def read(self) -> dict[str, float]:
        ticks = session_ticks()
        out = {label: ticks.get(sid, 0) / CLOCK_TICKS for label, sid in self.sessions.items()}
        for label, value in self.backends.totals().items():
            out[label] = value / CLOCK_TICKS
        return out


# ----------------------------------------------------------------------------- the suite and its traffic

def ports_free() -> None:
    """Refuse to start over another suite still listening on these ports (its processes would be measured)."""
    import socket

    for name, port in PORTS.items():
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(f"port {port} ({name}) is taken: another suite is still running")


class Suite:
    def __init__(self, pg_admin_url: str):
        ports_free()
        self.urls = {s: fresh_database(f"zhibu_bench_cost{TAG}_{s}", pg_admin_url) for s in SERVICES}
        for service, url in self.urls.items():
            upgrade(service, url)
        env = dict(os.environ)
        env.update({f"{s.upper()}_DATABASE_URL": u for s, u in self.urls.items()})
        env.update({"ZHIBU_VAR_DIR": tempfile.mkdtemp(prefix="zhibu-bench-cost-"), "ZHIBU_JWT_SECRET": SECRET,
                    "ZHIBU_PII_KEY": "bench", "ZHIBU_BROKER_URL": AMQP_URL,
                    "ZHIBU_BUS_NAMESPACE": f"cost{uuid.uuid4().hex[:6]}", "ZHIBU_LOG_LEVEL": "INFO",
                    "ZHIBU_WEB_WORKERS": "1", "ZHIBU_RATE_LIMIT_PER_SECOND": "100000",
                    "ZHIBU_RATE_LIMIT_BURST": "100000"})
        self.processes = start_suite(env, ports=PORTS, workers="1")
        self.base = f"http://127.0.0.1:{PORTS['gateway']}"
        self.http = urllib3.PoolManager(maxsize=CLIENTS * 2, retries=False, timeout=urllib3.Timeout(total=120))
        token = mint_token(Config(service="bench", jwt_secret=SECRET), subject="cost", roles=["admin"])
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.dbs = {s: psycopg.connect(u, autocommit=True) for s, u in self.urls.items()}

    def ready(self) -> None:
        for name, port in PORTS.items():
            wait_for(f"http://127.0.0.1:{port}/healthz", seconds=60)
        time.sleep(3)  # the workers bind their queues

    def labels(self) -> dict[str, int]:
        """'org web' -> its session id (gunicorn's master and workers, or the worker process)"""
        return {label: proc.pid for label, proc in self.processes}

    def call(self, method: str, path: str, body=None, expect=(200, 201), headers=None) -> dict:
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        resp = self.http.request(method, self.base + path, body=data, headers={**self.headers, **(headers or {})})
        if resp.status not in expect:
            raise RuntimeError(f"{method} {path} answered {resp.status}: {resp.data[:500]!r}")
        return json.loads(resp.data) if resp.data else {}

    def settled(self, quiet: float = 1.5, limit: float = 900) -> None:
        """Every outbox sent and every inbox unchanged for ``quiet`` seconds: the events applied everywhere."""
        settled(self.dbs.values(), quiet, limit)

    def wait_units(self, count: int, limit: float = 120) -> None:
        """Every service keeping the org tree knows ``count`` units."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if all(c.execute("SELECT count(*) FROM org_unit_view").fetchone()[0] >= count
                   for s, c in self.dbs.items() if s != "org"):
                return
            time.sleep(0.25)
        raise RuntimeError("the org tree did not reach every service")

    def stop(self) -> None:
        for conn in self.dbs.values():
            conn.close()
        stop_suite(self.processes)


def in_parallel(calls: list, clients: int = CLIENTS) -> None:
    """Run the callables with ``clients`` threads; the first failure is raised."""
    queue = list(reversed(calls))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client():
        while True:
            with lock:
                if not queue or failures:
                    return
                call = queue.pop()
            try:
                call()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                with lock:
                    failures.append(exc)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


class Tree:
    """A province, a city, 2 counties of 4 townships with 5 branches each, through the gateway."""

    def __init__(self, suite: Suite):
        def unit(kind, code, parent=None, **extra):
            return suite.call("POST", "/api/org/v1/units", {"kind": kind, "name": f"{kind}{code}", "code": code,
                                                             "parent_id": parent, **extra})["id"]

        self.province = unit("province", "CP")
        self.city = unit("city", "CC", self.province)
        self.counties, self.townships, self.branches = [], [], []
        for c in range(2):
            county = unit("county", f"CK{c}", self.city)
            self.counties.append(county)
            for t in range(4):
                township = unit("township", f"CK{c}T{t}", county)
                self.townships.append(township)
                self.branches += [unit("branch", f"CK{c}T{t}B{b}", township, domain="village") for b in range(5)]


def measure(suite: Suite, meter: Meter, idle: dict[str, float], name: str, calls: list, count: int,
            unit: str = "request") -> dict:
    """Send ``calls`` (``count`` requests or rows), wait for the events to settle; CPU ms per request by label."""
    random.shuffle(calls)
    before, started = meter.read(), time.monotonic()
    in_parallel(calls)
    suite.settled()
    seconds = time.monotonic() - started
    after = meter.read()
    per = {label: round(1000 * max(0.0, after[label] - before.get(label, 0.0) - idle.get(label, 0.0) * seconds)
                        / count, 3) for label in after}
    print(f"   {name}: {count} in {seconds:.1f} s; " + ", ".join(f"{k} {v}" for k, v in per.items() if v), flush=True)
    return {"name": name, "count": count, "unit": unit, "seconds": round(seconds, 1), "cpu_ms": per}


def scenarios(suite: Suite, tree: Tree, counts: dict) -> list[tuple[str, list, int, str]]:
    """(name, calls, count, unit) in the order they run; each builds on what the previous ones made."""
    out = []
    n = counts["write"]

    def create_unit(i):
        return lambda: suite.call("POST", "/api/org/v1/units", {
            "kind": "branch", "name": f"支部{i}", "code": f"CU{uuid.uuid4().hex[:10]}",
            "parent_id": random.choice(tree.townships), "domain": "village"})

    out.append(("create unit (POST /api/org/v1/units)", [create_unit(i) for i in range(n)], n, "request"))
    people: list[str] = []

    def register(i):
        def call():
            person = suite.call("POST", "/api/members/v1/people", {
                "unit_id": random.choice(tree.branches), "name": f"测试{i}", "gender": "female",
                "birth_date": "1990-05-01"})
            people.append(person["id"])
        return call

    out.append(("create person (POST /api/members/v1/people)", [register(i) for i in range(n)], n, "request"))
    r = counts["read"]
    out.append(("read unit (GET /api/org/v1/units/{id})", [
        (lambda u=random.choice(tree.branches): suite.call("GET", f"/api/org/v1/units/{u}")) for _ in range(r)],
        r, "request"))
    out.append(("list subtree (GET /api/org/v1/units?under=&limit=20)", [
        (lambda c=random.choice(tree.counties): suite.call("GET", f"/api/org/v1/units?under={c}&limit=20"))
        for _ in range(r // 2)], r // 2, "request"))
    out.append(("list people (GET /api/members/v1/people?under=&limit=20)", [
        (lambda c=random.choice(tree.counties): suite.call("GET", f"/api/members/v1/people?under={c}&limit=20"))
        for _ in range(r // 2)], r // 2, "request"))
    h = counts["heavy"]

    def step(k):
        return lambda: suite.call("POST", f"/api/members/v1/people/{people[k]}/steps",
                                  {"kind": "application", "date": "2023-03-01"})

    out.append(("step recorded (POST /api/members/v1/people/{id}/steps, an application)",
                [step(k) for k in range(min(h, n))], min(h, n), "request"))

    def meeting(i):
        return lambda: suite.call("POST", "/api/org/v1/meetings", {
            "unit_id": tree.branches[i % len(tree.branches)], "type": "theme_day",
            "held_on": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "topic": "学习贯彻"})

    out.append(("meeting recorded (POST /api/org/v1/meetings)", [meeting(i) for i in range(h)], h, "request"))
    c = counts["report"]
    out.append(("compliance report of a county (GET /api/org/v1/compliance?under=)", [
        (lambda k=tree.counties[i % 2]: suite.call("GET", f"/api/org/v1/compliance?under={k}")) for i in range(c)],
        c, "request"))
    rows = counts["rows"]
    body = people_csv(rows, tree.branches, seed=5)
    out.append((f"members import, per row (POST /api/members/v1/imports, CSV of {rows:,} rows)", [
        lambda: suite.call("POST", "/api/members/v1/imports", body, headers={"Content-Type": "text/csv"})],
        rows, "row"))
    return out


def breakdown(result: dict, producer: str) -> dict:
    """The columns of the cost table: the gateway, the service's web process and the others', every service's
    worker (the producer's own is its relay), the databases (the producer's, the others')."""
    cpu = result["cpu_ms"]
    cols = {"gateway": cpu.get("gateway web", 0.0), "web": cpu.get(f"{producer} web", 0.0)}
    cols["other web"] = round(sum(v for k, v in cpu.items() if k.endswith(" web") and k not in
                                  ("gateway web", f"{producer} web")), 3)
    for service in SERVICES:
        cols[f"{service} worker"] = cpu.get(f"{service} worker", 0.0)
    cols["db (own)"] = cpu.get(f"db {producer}", 0.0)
    cols["db (others)"] = round(sum(v for k, v in cpu.items() if k.startswith("db ") and k != f"db {producer}"), 3)
    return cols


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    counts = COUNTS.get(size, COUNTS["county"])
    suite = Suite(pg_admin_url)
    backends = None
    results = []
    try:
        suite.ready()
        backends = Backends(pg_admin_url, {u.rsplit("/", 1)[1]: f"db {s}" for s, u in suite.urls.items()})
        meter = Meter(suite.labels(), backends)
        tree = Tree(suite)
        suite.wait_units(2 + len(tree.counties) + len(tree.townships) + len(tree.branches))
        suite.settled()
        suite.call("GET", f"/api/org/v1/units/{tree.province}")  # every path warm once
        suite.call("GET", f"/api/members/v1/people?under={tree.province}&limit=1")
        time.sleep(1)
        before, started = meter.read(), time.monotonic()
        time.sleep(IDLE_SECONDS)
        seconds = time.monotonic() - started
        after = meter.read()
        idle = {label: max(0.0, after[label] - before.get(label, 0.0)) / seconds for label in after}
        print("   idle CPU (ms/s): " + ", ".join(f"{k} {1000 * v:.1f}" for k, v in idle.items()), flush=True)
        for name, calls, count, unit in scenarios(suite, tree, counts):
            results.append(measure(suite, meter, idle, name, calls, count, unit))
    finally:
        if backends is not None:
            backends.close()
        suite.stop()
    return rows_of(results)


def rows_of(results: list[dict]) -> list[dict]:
    """The benchmark's rows (docs/benchmarks.md) from the measurements."""
    rows = []
    for result in results:
        producer = "members" if "/members/" in result["name"] else "org"
        cols = breakdown(result, producer)
        zhibu = round(sum(v for k, v in cols.items() if not k.startswith("db")), 2)
        database = round(cols["db (own)"] + cols["db (others)"], 2)
        rows.append({"name": f"CPU per {result['unit']}: {result['name']}", "figure": zhibu,
                     "unit": "ms CPU (Zhibu processes)", "target": "(the map for the cuts)",
                     "baseline_name": "PostgreSQL backends", "baseline": database,
                     "ratio": round(zhibu / database, 2) if database else None,
                     "data_size": f"{result['count']} {result['unit']}s through the gateway, {CLIENTS} clients, "
                                  f"events applied everywhere in {result['seconds']} s",
                     "breakdown": {k: round(v, 2) for k, v in cols.items()}})
    return rows

if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
