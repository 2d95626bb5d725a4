"""Two replicas of every process of the suite under a write load, then a rolling restart of every process mid-load.

Per replica: every service's web (gunicorn) and worker, and a gateway in front of that replica's services, on one
PostgreSQL database per service, one RabbitMQ virtual host whose default queue type is quorum (how a province
selects quorum queues) and one Redis for the gateways' rate limits. The clients write through both gateways:
units (org) and people (members), each write with its own Idempotency-Key, sent to one gateway and, when it
does not answer or answers 502/503/504 (a process behind it is restarting), to the other with the same key.

Counted, and returned as figures (tests/deploy/test_replicas.py asserts them on a small run; ``python -m bench
--only replicas`` writes them to docs/benchmarks.md):

- acknowledged writes lost or doubled (every 201 is in its database, once);
- events lost or published twice: a probe queue bound to ``#`` sees what reaches the exchange, compared with
  every outbox row of every service;
- events not applied by a consumer service: every event of a type a service's queue is bound to is in that
  service's inbox (its primary key: applied once);
- the rate limit shared by the two gateway processes (2 gunicorn workers each): a client's burst is spent
  across both, then both answer 429;
- the daily job due at the same minute in both workers of each service: one claim per service;
- CPU per write (Zhibu's processes, PostgreSQL, RabbitMQ) and the resident memory of each kind of process.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from kombu import Connection, Queue
from sqlalchemy import create_engine, text

from shared.auth import mint_token
from shared.config import SERVICES, Config
from shared.dates import SHANGHAI
from shared.db import normalize_url
from shared.events import events_exchange, stored_envelopes
from zhibu.supervisor import start_suite, stop_suite, wait_for

from .common import AMQP_URL, PG_ADMIN_URL, fresh_database

REDIS_URL = os.environ.get("ZHIBU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "replica-secret-replica-secret-replica"
#: every client has this many requests at once, then one every 10 s (a write uses one, its retries a few more)
BURST, RATE = 30, 0.1
RETRY_STATUSES = (502, 503, 504)


def post(url: str, token: str, body: dict, key: str, timeout: float = 30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def get_status(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until(check, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached in {seconds:.0f} s: {what}")


def wait_for_log(path: Path, text_: str, seconds: float = 60, times: int = 1) -> None:
    wait_until(lambda: path.exists() and path.read_text(errors="replace").count(text_) >= times, seconds,
               f"{path.name} saying {text_!r} {times} time(s)")


def rabbitmqctl(*args: str) -> str:
    found = shutil.which("rabbitmqctl")
    if found is None:
        raise RuntimeError("rabbitmqctl is needed to make the quorum-queue virtual host")
    return subprocess.run([found, "-q", *args], capture_output=True, text=True, check=True).stdout


class QuorumVhost:
    """A virtual host of the real RabbitMQ whose default queue type is quorum (``rabbitmqctl add_vhost zhibu
    --default-queue-type quorum``, or the topology operator's Vhost ``defaultQueueType: quorum``): the kit's
    durable queues are declared there as quorum queues."""

    def __init__(self, amqp_url: str):
        self.name = f"zhibu-rep-{uuid.uuid4().hex[:8]}"
        parts = urlsplit(amqp_url)
        rabbitmqctl("add_vhost", self.name, "--default-queue-type", "quorum")
        rabbitmqctl("set_permissions", "-p", self.name, parts.username or "guest", ".*", ".*", ".*")
        self.url = f"{parts.scheme}://{parts.netloc}/{self.name}"

    def queue_types(self) -> dict[str, str]:
        out = rabbitmqctl("list_queues", "-p", self.name, "name", "type")
        return dict(line.split("\t")[:2] for line in out.splitlines()[1:] if "\t" in line)

    def bindings(self, exchange: str) -> dict[str, set[str]]:
        """queue -> the routing keys binding it to ``exchange``"""
        out = rabbitmqctl("list_bindings", "-p", self.name, "source_name", "destination_name", "routing_key")
        found: dict[str, set[str]] = {}
        for line in out.splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 3 and parts[0] == exchange:
                found.setdefault(parts[1], set()).add(parts[2])
        return found

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` one word, ``#`` zero or more."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])
    return match(pattern.split("."), key.split("."))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _stat(pid: str):
    with open(f"/proc/{pid}/stat") as fh:
        stat = fh.read()
    return stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()


def cpu_seconds(sessions=frozenset(), names: tuple = ()) -> float:
    """User + system CPU of every live process in one of ``sessions`` or named one of ``names`` (/proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            name, rest = _stat(entry)
        except OSError:
            continue
        if int(rest[3]) in sessions or name in names:  # rest[3]: session id; rest[11], rest[12]: utime, stime
            total += int(rest[11]) + int(rest[12])
    return total / CLOCK_TICKS


def resident_mib(session: int) -> list[float]:
    """Resident memory (MiB) of each process of one session: the leader (gunicorn's master) first."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            _, rest = _stat(entry)
            if int(rest[3]) != session:
                continue
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        found.append((int(entry) != session, pages * PAGE_KB / 1024))
    return [mib for _, mib in sorted(found)]


class Load:
    """Writes from ``threads`` clients through the gateways until stopped (and at least ``at_least``): even
    numbers create a city under ``root`` (org), odd ones register a person in it (members). Each write has its
    own Idempotency-Key and its own client (token subject), kept across its retries."""

    def __init__(self, gateways: list[str], config: Config, root: str, prefix: str):
        self.gateways, self.config, self.root, self.prefix = gateways, config, root, prefix
        self.units: dict[str, str] = {}  # key -> id answered 201
        self.people: dict[str, str] = {}
        self.failures: list = []
        self.retries = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def write(self, n: int) -> None:
        key = f"{self.prefix}-{n}"
        token = mint_token(self.config, subject=f"writer-{key}", roles=["admin"])
        if n % 2 == 0:
            path, body, into = "/api/org/v1/units", {"kind": "city", "name": f"市{key}", "code": key,
                                                      "parent_id": self.root}, self.units
        else:
            path, body, into = "/api/members/v1/people", {"unit_id": self.root, "name": f"副本{key}",
                                                           "gender": "female", "birth_date": "1990-05-01"}, self.people
        for attempt in range(300):
            gateway = self.gateways[(n + attempt) % len(self.gateways)]
            try:
                status, answer = post(gateway + path, token, body, key)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status, answer = None, None
            if status is None or status in RETRY_STATUSES:
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            with self.lock:
                if status == 201:
                    into[key] = answer["id"]
                else:
                    self.failures.append((key, status, answer))
            return
        with self.lock:
            self.failures.append((key, "no gateway answered", None))

    def answered(self) -> int:
        with self.lock:
            return len(self.units) + len(self.people) + len(self.failures)

    def run(self, at_least: int, threads: int = 4, during=None, at_most: int = 20_000) -> None:
        numbers = iter(range(at_most))
        numbers_lock = threading.Lock()

        def client():
            while True:
                with numbers_lock:
                    n = next(numbers, None)
                if n is None or (n >= at_least and (during is None or self.stop.is_set())):
                    return
                self.write(n)

        clients = [threading.Thread(target=client) for _ in range(threads)]
        for c in clients:
            c.start()
        try:
            if during is not None:
                during(self)
        finally:
            self.stop.set()
            for c in clients:
                c.join()


class Replicas:
    """Two replicas of every process (``start_suite`` per replica, each with its own ports, var folder, logs)."""

    def __init__(self, folder: Path, urls: dict[str, str], vhost: QuorumVhost, redis_url: str, base_port: int,
                 extra_env: dict | None = None):
        self.folder, self.urls, self.vhost = folder, urls, vhost
        self.namespace = f"rep{uuid.uuid4().hex[:8]}"
        self.config = Config(service="bench", jwt_secret=SECRET, broker_url=vhost.url, bus_namespace=self.namespace)
        # the daily idempotency purge is due in every worker at the same minute
        # (the first minute at least 25 s away: the processes are up by then, and it has passed by the time the
        # restarts are done; a worker restarting at that minute leaves it to the others)
        self.job_due = (datetime.now(SHANGHAI) + timedelta(seconds=85)).replace(second=0, microsecond=0)
        self.env = dict(os.environ)
        self.env.update({"ZHIBU_JWT_SECRET": SECRET, "ZHIBU_PII_KEY": "replica-pii-key",
                         "ZHIBU_BROKER_URL": vhost.url, "ZHIBU_BUS_NAMESPACE": self.namespace,
                         "ZHIBU_RELAY_INTERVAL_SECONDS": "0.2", "ZHIBU_LOG_LEVEL": "INFO",
                         "ZHIBU_RATE_LIMIT_REDIS_URL": redis_url, "ZHIBU_RATE_LIMIT_PER_SECOND": str(RATE),
                         "ZHIBU_RATE_LIMIT_BURST": str(BURST),
                         "ZHIBU_JOB_IDEMPOTENCY_PURGE_AT": self.job_due.strftime("%H:%M"),
                         **{f"{s.upper()}_DATABASE_URL": u for s, u in urls.items()}, **(extra_env or {})})
        self.ports = [{"gateway": base_port + 10 * r, **{s: base_port + 10 * r + 1 + i for i, s in enumerate(SERVICES)}}
                      for r in (0, 1)]
        self.processes: list[list] = []  # [label, proc, replica]
        self.starts: dict[int, int] = {}  # process index -> how many times it was started
        self.gateways = [f"http://127.0.0.1:{p['gateway']}" for p in self.ports]
        self.engines = {s: create_engine(normalize_url(u)) for s, u in urls.items()}

    def logs(self, replica: int) -> Path:
        return self.folder / f"r{replica}" / "logs"

    def start(self) -> None:
        for r in (0, 1):
            renv = {**self.env, "ZHIBU_VAR_DIR": str(self.folder / f"r{r}")}
            for label, proc in start_suite(renv, ports=self.ports[r], logs=self.logs(r)):
                self.processes.append([label, proc, r])
        for index in range(len(self.processes)):
            self.wait_started(index, times=1)

    def wait_started(self, index: int, times: int) -> None:
        label, _, r = self.processes[index]
        name, kind = label.split()
        if kind == "web":
            wait_for(f"http://127.0.0.1:{self.ports[r][name]}/healthz", seconds=60)
        else:
            wait_for_log(self.logs(r) / f"{name}-worker.log", f"worker for {name} consuming", times=times)

    def restart(self, indexes: list[int]) -> None:
        """SIGTERM to each (as the kubelet sends), wait for their exits, start them again and wait until they are
        up (the next step goes only then: ``maxUnavailable: 0``)."""
        for index in indexes:
            os.killpg(self.processes[index][1].pid, signal.SIGTERM)
        for index in indexes:
            label, proc, r = self.processes[index]
            proc.wait(timeout=60)
            if proc.returncode not in (0, -15):
                raise AssertionError(f"{label} (replica {r}) exited with {proc.returncode}")
            self.processes[index][1] = proc.again()
            self.starts[index] = self.starts.get(index, 1) + 1
        for index in indexes:
            self.wait_started(index, times=self.starts[index])

    def restart_steps(self, how: str) -> list[list[int]]:
        """``one-by-one``: every process alone, Deployment by Deployment (``kubectl rollout restart`` of each in
        turn), both replicas of one before the next: the workers, the services' web processes, the gateways.
        ``drains``: every process of replica 0 at once, then of replica 1 (a node drained, as the
        PodDisruptionBudgets allow: one pod of each Deployment)."""
        if how == "drains":
            return [[i for i, (_, _, r) in enumerate(self.processes) if r == replica] for replica in (0, 1)]
        rank = {"worker": 0, "web": 1}
        return [[i] for i in sorted(range(len(self.processes)), key=lambda i: (
            self.processes[i][0] == "gateway web", rank[self.processes[i][0].split()[1]], self.processes[i][0],
            self.processes[i][2]))]

    def sessions(self, kinds=None) -> set[int]:
        return {proc.pid for label, proc, _ in self.processes if kinds is None or kind_of(label) in kinds}

    def stop(self) -> None:
        stop_suite([(label, proc) for label, proc, _ in self.processes])
        for engine in self.engines.values():
            engine.dispose()

    # ---- what the databases say
    def outbox_events(self) -> dict[str, str]:
        """event id -> type, over every service's outbox"""
        events = {}
        for engine in self.engines.values():
            with engine.connect() as c:
                for envelope in c.scalars(text("SELECT envelope FROM outbox")):
                    stored = envelope if isinstance(envelope, dict) else json.loads(envelope)
                    events.update({e["id"]: e["type"] for e in stored_envelopes(stored)})
        return events

    def unsent(self) -> int:
        total = 0
        for engine in self.engines.values():
            with engine.connect() as c:
                total += c.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
        return total

    def inbox(self, service: str) -> set[str]:
        with self.engines[service].connect() as c:
            return set(c.scalars(text("SELECT event_id FROM inbox")))

    def consumed_types(self) -> dict[str, set[str]]:
        """service -> the routing keys its queue is bound with"""
        bound = self.vhost.bindings(self.config.events_exchange_name)
        return {s: bound[f"{self.namespace}.{s}"] for s in SERVICES if f"{self.namespace}.{s}" in bound}

    def not_applied(self) -> dict[str, int]:
        """per consumer service: events of a type it is bound to, published, and not in its inbox"""
        events = self.outbox_events()
        missing = {}
        for service, patterns in self.consumed_types().items():
            wanted = {e for e, t in events.items() if any(topic_matches(p, t) for p in patterns)}
            missing[service] = len(wanted - self.inbox(service))
        return missing

    def job_claims(self, service: str) -> list[tuple]:
        with self.engines[service].connect() as c:
            return [tuple(r) for r in c.execute(text(
                "SELECT entity_id, action FROM audit_log WHERE entity = 'daily-job' "
                "AND entity_id LIKE 'idempotency-purge:%' ORDER BY id")).all()]


def kind_of(label: str) -> str:
    return "gateway" if label == "gateway web" else label.split()[1]


def probe_counts(conn, queue: Queue) -> Counter:
    seen: Counter = Counter()
    simple = conn.SimpleQueue(queue)
    while True:
        try:
            message = simple.get(timeout=1)
        except simple.Empty:
            break
        seen[message.payload["id"]] += 1
        message.ack()
    simple.close()
    return seen


def scenario(folder: Path, urls: dict[str, str], amqp_url: str, redis_url: str, *, steady: int,
             rolling_between: int, base_port: int, restart: str = "one-by-one", threads: int = 4) -> dict:
    """Run it all; return the counts (the caller asserts or reports them)."""
    vhost = QuorumVhost(amqp_url)
    suite = Replicas(folder, urls, vhost, redis_url, base_port)
    out: dict = {"processes": 0}
    probe = Queue(f"{suite.namespace}.probe", exchange=events_exchange(suite.config), routing_key="#", durable=True)
    try:
        with Connection(vhost.url) as conn:
            probe(conn.default_channel).declare()
            began = time.monotonic()
            suite.start()
            out["start_seconds"] = round(time.monotonic() - began, 1)
            out["processes"] = len(suite.processes)
            out["queue_types"] = {name: kind for name, kind in vhost.queue_types().items()
                                  if name.startswith(suite.namespace) and name != probe.name}
            admin = mint_token(suite.config, subject="replica-admin", roles=["admin"])
            status, root = post(f"{suite.gateways[0]}/api/org/v1/units", admin,
                                {"kind": "province", "name": "副本省委", "code": "R37"}, "root")
            assert status == 201, root
            root_id = root["id"]
            with suite.engines["members"].connect() as c:
                wait_until(lambda: c.scalar(text("SELECT count(*) FROM org_unit_view WHERE id = :i"), {"i": root_id}),
                           what="members knowing the province")

            # ---- one client's burst spent across the two gateway processes (2 gunicorn workers each)
            probe_token = mint_token(suite.config, subject=f"probe-{suite.namespace}", roles=["admin"])
            statuses = [get_status(f"{suite.gateways[i % 2]}/api/org/v1/units/{root_id}", probe_token)
                        for i in range(BURST + 4)]
            out["rate_limit"] = {"allowed": statuses.count(200), "refused": statuses.count(429),
                                 "other": len(statuses) - statuses.count(200) - statuses.count(429),
                                 "last_four": statuses[-4:]}

            # ---- steady
            load = Load(suite.gateways, suite.config, root_id, "S")
            sessions = suite.sessions()

            def cpu() -> tuple:
                return (cpu_seconds(sessions), cpu_seconds(suite.sessions({"gateway"})),
                        cpu_seconds(names=("postgres",)), cpu_seconds(names=("beam.smp",)))

            idle_before, idle_began = cpu(), time.monotonic()
            time.sleep(3)  # what the 18 processes and the servers spend doing nothing (relays polling, heartbeats)
            idle = [(a - b) / (time.monotonic() - idle_began) for a, b in zip(cpu(), idle_before)]
            before = cpu()
            started = time.monotonic()
            load.run(steady, threads=threads)
            load_seconds = time.monotonic() - started
            wait_until(lambda: suite.unsent() == 0, what="every outbox row sent")
            wait_until(lambda: not any(suite.not_applied().values()), seconds=120, what="every event applied")
            seconds = time.monotonic() - started
            after = cpu()
            writes = len(load.units) + len(load.people)
            cpu_ms = [round(1000 * max(0.0, a - b - rate * seconds) / max(1, writes), 1)
                      for a, b, rate in zip(after, before, idle)]
            out["idle_cpu_cores"] = dict(zip(("zhibu", "of which gateways", "postgresql", "rabbitmq"),
                                             (round(x, 3) for x in idle)))
            out["memory"] = {kind: max((resident_mib(proc.pid) for label, proc, _ in suite.processes
                                        if kind_of(label) == kind), key=sum)
                             for kind in ("web", "worker", "gateway")}
            seen = probe_counts(conn, probe)
            events = suite.outbox_events()
            out["steady"] = {
                "writes": steady, "acknowledged": writes, "failures": load.failures[:5],
                "lost": lost_writes(suite, load), "seconds": round(seconds, 1), "load_seconds": round(load_seconds, 1),
                "threads": threads,
                "cpu_ms_per_write": dict(zip(("zhibu", "of which gateways", "postgresql", "rabbitmq"), cpu_ms)),
                "events": len(events), "events_lost": len(set(events) - set(seen)),
                "published_twice": sum(n - 1 for n in seen.values()), "not_applied": suite.not_applied(),
                "consumers": {s: sorted(p) for s, p in suite.consumed_types().items()}}

            # ---- rolling restart of every process mid-load
            steps = suite.restart_steps(restart)
            restarted: list[str] = []
            step_seconds: list[float] = []

            def rolling(load_: Load):
                for step, indexes in enumerate(steps):
                    wait_until(lambda: load_.answered() >= rolling_between * (step + 1), seconds=120,
                               what="the load going on")
                    began = time.monotonic()
                    suite.restart(indexes)
                    step_seconds.append(round(time.monotonic() - began, 1))
                    restarted.extend(f"{suite.processes[i][0]} {suite.processes[i][2]}" for i in indexes)
                wait_until(lambda: load_.answered() >= rolling_between * (len(steps) + 1), seconds=120,
                           what="the load going on after the last restart")

            rolling_load = Load(suite.gateways, suite.config, root_id, "R")
            started = time.monotonic()
            rolling_load.run(0, threads=threads, during=rolling)
            rolling_seconds = time.monotonic() - started
            wait_until(lambda: suite.unsent() == 0, what="every outbox row sent after the restarts")
            wait_until(lambda: not any(suite.not_applied().values()), seconds=120,
                       what="every event applied after the restarts")
            seen_rolling = probe_counts(conn, probe)
            events_after = suite.outbox_events()
            new_events = set(events_after) - set(events)
            out["rolling"] = {
                "how": restart, "restarted": len(restarted), "steps": len(steps), "step_seconds": step_seconds,
                "seconds": round(rolling_seconds, 1),
                "acknowledged": len(rolling_load.units) + len(rolling_load.people),
                "units": len(rolling_load.units), "people": len(rolling_load.people),
                "failures": rolling_load.failures[:5], "failure_count": len(rolling_load.failures),
                "lost": lost_writes(suite, rolling_load), "retries": rolling_load.retries,
                "events": len(new_events), "events_lost": len(new_events - set(seen_rolling)),
                "published_twice": sum(n - 1 for e, n in seen_rolling.items() if e in new_events),
                "not_applied": suite.not_applied()}

            # ---- the daily job, due in both workers of every service at the same minute
            day = f"idempotency-purge:{suite.job_due.date().isoformat()}"
            for service in SERVICES:
                wait_until(lambda: len(suite.job_claims(service)) >= 2, seconds=150, what=f"{service}'s daily job")
            time.sleep(1)  # a second claim, were there one, would be written by now: the workers woke together
            out["daily_job"] = {s: suite.job_claims(s) for s in SERVICES}
            out["daily_job_expected"] = [(day, "started"), (day, "done")]
    finally:
        suite.stop()
        vhost.delete()  # its queues and exchanges with it
    return out


def lost_writes(suite: Replicas, load: Load) -> dict:
    """Acknowledged writes not in their database, and rows written twice for one key."""
    with suite.engines["org"].connect() as c:
        units = dict(c.execute(text("SELECT code, id FROM units WHERE code LIKE :p"), {"p": f"{load.prefix}-%"}).all())
    with suite.engines["members"].connect() as c:
        rows = c.execute(text("SELECT name, id FROM people WHERE name LIKE :p"), {"p": f"副本{load.prefix}-%"}).all()
    people, person_ids = Counter(name for name, _ in rows), {pid for _, pid in rows}
    return {"units_missing": sum(1 for k, i in load.units.items() if units.get(k) != i),
            "people_missing": sum(1 for i in load.people.values() if i not in person_ids),
            "people_doubled": sum(n - 1 for n in people.values()),
            "units_unacknowledged": len(set(units) - set(load.units) - {f[0] for f in load.failures})}


def summary(out: dict) -> str:
    s, r = out["steady"], out["rolling"]
    mem = ", ".join(f"{k} {' + '.join(f'{m:.0f}' for m in v)} MiB" for k, v in out["memory"].items())
    return (f"{out['processes']} processes (2 replicas of every web and worker, 2 gateways) up in "
            f"{out['start_seconds']} s, quorum queues; rate limit over both gateways: {out['rate_limit']}; "
            f"steady: {s['acknowledged']} writes in {s['load_seconds']} s (applied everywhere in {s['seconds']} s), "
            f"CPU per write (ms, idle polling subtracted) {s['cpu_ms_per_write']}, {s['events']} events, "
            f"{s['events_lost']} lost, {s['published_twice']} published twice, not applied {s['not_applied']}; "
            f"restart ({r['how']}) of {r['restarted']} processes in {r['steps']} steps (each {r['step_seconds']} s) "
            f"within {r['seconds']} s of load: {r['acknowledged']} acknowledged writes ({r['units']} units, "
            f"{r['people']} people), {r['failure_count']} refused, lost {r['lost']}, {r['retries']} client retries, "
            f"{r['events']} events, {r['events_lost']} lost, {r['published_twice']} published twice, not applied "
            f"{r['not_applied']}; memory (leader + gunicorn workers): {mem}")


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    import tempfile

    from shared.migrations import upgrade

    urls = {s: fresh_database(f"zhibu_bench_replicas_{s}", pg_admin_url) for s in SERVICES}
    for service, url in urls.items():
        upgrade(service, url)
    steady, between = (300, 20) if size == "small" else (2000, 100)
    out = scenario(Path(tempfile.mkdtemp(prefix="zhibu-bench-replicas-")), urls, AMQP_URL, REDIS_URL,
                   steady=steady, rolling_between=between, base_port=18960)
    print("   " + summary(out), flush=True)
    s, r = out["steady"], out["rolling"]
    data = (f"2 replicas of every process ({out['processes']}: web and worker of {len(SERVICES)} services, "
            f"2 gateways), PostgreSQL, RabbitMQ quorum queues, Redis; 4 clients writing units and people through "
            f"both gateways, a write retried on the other gateway (same Idempotency-Key) while a process restarts")
    lost = sum(v for k, v in r["lost"].items() if k != "units_unacknowledged")
    cpu = s["cpu_ms_per_write"]
    return [
        {"name": "rolling restart of every process under the write load: acknowledged writes lost or doubled",
         "figure": lost, "unit": "writes", "target": "0", "baseline_name": "acknowledged writes",
         "baseline": r["acknowledged"], "ratio": None,
         "data_size": f"{data}; {r['restarted']} processes restarted one after another (SIGTERM, then a new one, "
                      f"the next once it is up) in {r['seconds']} s, {between} writes between two; "
                      f"{r['retries']} client retries, {r['failure_count']} writes refused"},
        {"name": "rolling restart: events lost (published, never on the exchange)", "figure": r["events_lost"],
         "unit": "events", "target": "0", "baseline_name": "events published", "baseline": r["events"],
         "ratio": None, "data_size": f"{r['published_twice']} published twice (at least once), applied once each "
                                     f"(inbox); not applied per consumer: {r['not_applied']}"},
        {"name": "steady load: events published twice", "figure": s["published_twice"], "unit": "events",
         "target": "0", "baseline_name": "events published", "baseline": s["events"], "ratio": None,
         "data_size": f"{s['acknowledged']} writes in {s['seconds']} s, {s['events_lost']} events lost; "
                      f"not applied per consumer: {s['not_applied']}"},
        {"name": "steady load: CPU per write, end to end (gateway, service, events applied by every consumer)",
         "figure": round(cpu["zhibu"] + cpu["postgresql"] + cpu["rabbitmq"], 1), "unit": "ms",
         "target": "(for docs/scale.md)", "baseline_name": "of which PostgreSQL", "baseline": cpu["postgresql"],
         "ratio": None, "data_size": f"Zhibu processes {cpu['zhibu']} (gateways {cpu['of which gateways']}), "
                                     f"RabbitMQ {cpu['rabbitmq']}; {s['acknowledged']} writes, half units half "
                                     f"people; CPU from /proc, less what the {out['processes']} processes and the "
                                     f"servers spend idle (measured 3 s before: {out['idle_cpu_cores']} cores)"},
        {"name": "resident memory after the load (gunicorn master + 1 worker; worker; gateway master + 2 workers)",
         "figure": round(sum(out["memory"]["web"]), 0), "unit": "MiB (service web)",
         "target": "(for the manifests' requests)", "baseline_name": "worker",
         "baseline": round(sum(out["memory"]["worker"]), 0), "ratio": None,
         "data_size": f"largest of each kind: {out['memory']}"},
        {"name": "one client's burst through two gateway processes (rate limits in Redis)",
         "figure": out["rate_limit"]["allowed"], "unit": "requests allowed", "target": f"{BURST} (the burst)",
         "baseline_name": "sent", "baseline": BURST + 4, "ratio": None,
         "data_size": f"alternating between the 2 gateways of 2 gunicorn workers each: {out['rate_limit']}"},
    ]
