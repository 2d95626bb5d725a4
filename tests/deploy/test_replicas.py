"""Replicas are safe: two of every process of org and members (web and worker) at once on one PostgreSQL
database per service and one RabbitMQ (its queues quorum queues, as a province runs them), under a write load
through both org web replicas.

- steady: every org.unit.created event reaches the exchange exactly once (the relays and background
  publishers skip each other's locked outbox rows) and is applied once by members (two competing consumers
  on one queue, the inbox);
- rolling restart of every process mid-load (SIGTERM, then started again, one at a time, as a Deployment
  does): no acknowledged write lost, none doubled (a client retries on the other replica with the same
  Idempotency-Key), no event lost (a duplicate publish is allowed, and dropped by the inbox).

- the daily job, due in every worker at the same minute, runs once per service (its claim in the audit log).

A probe queue bound to ``org.#`` counts what reaches the exchange. The counts are printed
(``-s``) for docs/scale.md.
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
from urllib.parse import urlsplit
from datetime import datetime, timedelta

import pytest
from kombu import Connection, Queue
from sqlalchemy import create_engine, text

from shared.auth import mint_token
from shared.config import Config
from shared.dates import SHANGHAI
from shared.db import normalize_url
from shared.events import events_exchange
from zhibu.supervisor import start_suite, stop_suite, wait_for
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.infra

BASE_PORT = 18760
STEADY = 300


def post(url: str, token: str, body: dict, key: str):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_for_log(path, text: str, seconds: float = 30, times: int = 1) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count(text) >= times:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path.name} never said {text!r}")


class Load:
    """Creates units under ``parent`` from ``threads`` clients, each request sent to one org web replica and,
    when that replica does not answer (it is restarting), to the other, with the same Idempotency-Key."""

    def __init__(self, webs: list[str], token: str, parent: str, prefix: str):
        self.webs, self.token, self.parent, self.prefix = webs, token, parent, prefix
        self.acknowledged: dict[str, str] = {}  # key -> unit id answered 201
        self.failures: list = []
        self.retries = 0
        self.lock = threading.Lock()

    def create(self, n: int) -> None:
        key = f"{self.prefix}-{n}"
        body = {"kind": "city", "name": f"市{self.prefix}{n}", "code": key, "parent_id": self.parent}
        for attempt in range(200):
            web = self.webs[(n + attempt) % len(self.webs)]
            try:
                status, answer = post(f"{web}/api/org/v1/units", self.token, body, key)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            with self.lock:
                if status == 201:
                    self.acknowledged[key] = answer["id"]
                else:
                    self.failures.append((key, status, answer))
            return
        with self.lock:
            self.failures.append((key, "no replica answered", None))

    def answered(self) -> int:
        with self.lock:
            return len(self.acknowledged) + len(self.failures)

    def run(self, count: int, threads: int = 4, during=None) -> None:
        numbers = iter(range(count))
        numbers_lock = threading.Lock()

        def client():
            while True:
                with numbers_lock:
                    n = next(numbers, None)
                if n is None:
                    return
                self.create(n)

        workers = [threading.Thread(target=client) for _ in range(threads)]
        for w in workers:
            w.start()
        if during is not None:
            during(self)
        for w in workers:
            w.join()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(sessions: set[int] = frozenset(), names: tuple = ()) -> float:
    """User + system CPU of every live process in one of ``sessions`` or named one of ``names`` (/proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(rest[3]) in sessions or name in names:  # rest[3]: session id; rest[11], rest[12]: utime, stime
            total += int(rest[11]) + int(rest[12])
    return total / CLOCK_TICKS


def probe_counts(conn, queue: Queue) -> Counter:
    seen: Counter = Counter()
    simple = conn.SimpleQueue(queue)
    while True:
        try:
            message = simple.get(timeout=1)
        except simple.Empty:
            break
        body = message.payload
        seen[body["id"]] += 1
        message.ack()
    simple.close()
    return seen


def wait_until(check, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached in {seconds:.0f} s: {what}")


def rabbitmqctl(*args: str) -> str:
    found = shutil.which("rabbitmqctl")
    if found is None:
        pytest.fail("rabbitmqctl is needed to make the test's quorum-queue virtual host")
    return subprocess.run([found, "-q", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def quorum_broker(amqp_url):
    """A virtual host of the real RabbitMQ whose default queue type is quorum (what a province configures:
    ``rabbitmqctl add_vhost zhibu --default-queue-type quorum``, or the topology operator's Vhost
    ``defaultQueueType: quorum``): the kit's durable queues are declared there as quorum queues."""
    vhost = f"zhibu-rep-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost, "--default-queue-type", "quorum")
    try:
        parts = urlsplit(amqp_url)
        rabbitmqctl("set_permissions", "-p", vhost, parts.username, ".*", ".*", ".*")
        yield vhost, f"{parts.scheme}://{parts.netloc}/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


def test_two_replicas_of_every_process_publish_apply_and_survive_a_rolling_restart(tmp_path, pg_url, quorum_broker,
                                                                                   capsys):
    vhost, amqp_url = quorum_broker
    namespace = f"rep{uuid.uuid4().hex[:8]}"
    # the daily idempotency purge is due in every worker at the start of a minute at least 20 s from now
    now = datetime.now(SHANGHAI)
    due = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    urls = {"org": pg_url("org"), "members": pg_url("members")}
    env = dict(os.environ)
    env.update({"ZHIBU_JWT_SECRET": TEST_SECRET, "ZHIBU_PII_KEY": "replica-pii-key", "ZHIBU_BROKER_URL": amqp_url,
                "ZHIBU_BUS_NAMESPACE": namespace, "ZHIBU_RELAY_INTERVAL_SECONDS": "0.2",
                "ZHIBU_JOB_IDEMPOTENCY_PURGE_AT": due.strftime("%H:%M"),
                "ORG_DATABASE_URL": urls["org"], "MEMBERS_DATABASE_URL": urls["members"]})
    config = Config(service="org", jwt_secret=TEST_SECRET, broker_url=amqp_url, bus_namespace=namespace)
    token = mint_token(config, subject="replica-admin", roles=["admin"])
    probe = Queue(f"{namespace}.probe", exchange=events_exchange(config), routing_key="org.#", durable=True)
    replicas, all_processes = [], []
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            for r in (0, 1):  # replica r: org web + worker, members web + worker, its own var folder and logs
                ports = {"org": BASE_PORT + 10 * r + 1, "members": BASE_PORT + 10 * r + 2,
                         "training": BASE_PORT + 10 * r + 3, "evaluation": BASE_PORT + 10 * r + 4,
                         "gateway": BASE_PORT + 10 * r}
                renv = {**env, "ZHIBU_VAR_DIR": str(tmp_path / f"r{r}")}
                procs = start_suite(renv, names=("org", "members"), ports=ports, logs=tmp_path / f"r{r}" / "logs")
                replicas.append((ports, procs, tmp_path / f"r{r}" / "logs"))
                all_processes += procs
            for ports, _, logs in replicas:
                wait_for(f"http://127.0.0.1:{ports['org']}/healthz")
                wait_for(f"http://127.0.0.1:{ports['members']}/healthz")
                wait_for_log(logs / "members-worker.log", "worker for members consuming")
                wait_for_log(logs / "org-worker.log", "worker for org consuming")
            types = dict(line.split("\t")[:2] for line in rabbitmqctl("list_queues", "-p", vhost, "name", "type")
                         .splitlines()[1:] if line.strip())
            assert types[f"{namespace}.members"] == "quorum" and types[f"{namespace}.members.dead"] == "quorum"
            webs = [f"http://127.0.0.1:{ports['org']}" for ports, _, _ in replicas]
            status, root = post(f"{webs[0]}/api/org/v1/units", token,
                                {"kind": "province", "name": "副本省委", "code": "R37"}, "root")
            assert status == 201, root

            org_db = create_engine(normalize_url(urls["org"]))
            members_db = create_engine(normalize_url(urls["members"]))

            def outbox_unsent() -> int:
                with org_db.connect() as c:
                    return c.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))

            def outbox_ids() -> set[str]:
                with org_db.connect() as c:
                    return set(c.scalars(text("SELECT event_id FROM outbox WHERE type = 'org.unit.created'")))

            def members_views(ids) -> int:
                with members_db.connect() as c:
                    return c.scalar(text("SELECT count(*) FROM org_unit_view WHERE id = ANY(:ids)"), {"ids": list(ids)})

            # ---- steady: 2 web + 2 workers per service
            steady = Load(webs, token, root["id"], "S")
            sessions = {proc.pid for _, proc in all_processes}
            cpu_before = (cpu_seconds(sessions), cpu_seconds(names=("postgres",)), cpu_seconds(names=("beam.smp",)))
            started = time.monotonic()
            steady.run(STEADY)
            assert steady.failures == [] and len(steady.acknowledged) == STEADY
            wait_until(lambda: outbox_unsent() == 0, what="every outbox row sent")
            wait_until(lambda: members_views(steady.acknowledged.values()) == STEADY, what="members applied all")
            steady_seconds = time.monotonic() - started
            cpu = [after - before for after, before in zip(
                (cpu_seconds(sessions), cpu_seconds(names=("postgres",)), cpu_seconds(names=("beam.smp",))),
                cpu_before)]
            seen = probe_counts(conn, probe)
            assert set(seen) == outbox_ids() and len(seen) == STEADY + 1  # the root and the cities
            assert max(seen.values()) == 1, "an event published twice in steady state"

            # ---- rolling restart of every process, one after another, while the load goes on
            restarted = []

            def rolling_restart(load: Load):
                for index in range(len(all_processes)):  # 20 more writes answered between two restarts
                    wait_until(lambda: load.answered() >= 20 * (index + 1), what="the load going on")
                    label, proc = all_processes[index]
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=30)
                    assert proc.returncode in (0, -15), f"{label} exited with {proc.returncode}"
                    all_processes[index] = (label, proc.again())
                    restarted.append(label)
                    service, kind = label.split()
                    if kind == "web":  # its successor is ready before the next process goes (maxUnavailable 0)
                        wait_for(f"http://127.0.0.1:{replicas[index // 4][0][service]}/healthz")
                    else:
                        wait_for_log(replicas[index // 4][2] / f"{service}-worker.log",
                                     f"worker for {service} consuming", times=2)

            rolling = Load(webs, token, root["id"], "R")
            rolling.run(200, during=rolling_restart)
            assert len(restarted) == 8
            assert rolling.failures == []
            assert len(rolling.acknowledged) == 200
            with org_db.connect() as c:  # every acknowledged write is there, once
                cities = dict(c.execute(text("SELECT code, id FROM units WHERE code LIKE 'R-%'")).all())
            assert cities == rolling.acknowledged
            wait_until(lambda: outbox_unsent() == 0, what="every outbox row sent after the restarts")
            wait_until(lambda: members_views(rolling.acknowledged.values()) == 200, seconds=90,
                       what="members applied every event after the restarts")
            seen_rolling = probe_counts(conn, probe)
            published = outbox_ids() - set(seen)
            assert published <= set(seen_rolling), "an event never reached the exchange"
            with members_db.connect() as c:
                applied = set(c.scalars(text("SELECT event_id FROM inbox WHERE type = 'org.unit.created'")))
            assert outbox_ids() <= applied
            duplicates = sum(n - 1 for n in seen_rolling.values())

            # ---- the daily job: due in both workers of each service at the same minute; run once per service
            def job_runs(engine) -> list:
                with engine.connect() as c:
                    return c.execute(text("SELECT entity_id, action FROM audit_log WHERE entity = 'daily-job' "
                                          "ORDER BY id")).all()

            day = f"idempotency-purge:{due.date().isoformat()}"
            for engine in (org_db, members_db):
                wait_until(lambda: len(job_runs(engine)) >= 2, seconds=120, what="the daily job run")
            time.sleep(1)  # a second claim, were there one, would be written by now: the workers woke together
            for engine in (org_db, members_db):
                assert [tuple(r) for r in job_runs(engine)] == [(day, "started"), (day, "done")]
            with capsys.disabled():
                print(f"\nreplicas: steady {STEADY} writes (4 clients) through 2 org web replicas, each event "
                      f"relayed and applied by members, in {steady_seconds:.1f} s; CPU per write (ms): Zhibu "
                      f"processes {1000 * cpu[0] / STEADY:.1f}, PostgreSQL {1000 * cpu[1] / STEADY:.1f}, "
                      f"RabbitMQ {1000 * cpu[2] / STEADY:.1f}; {STEADY + 1} events published once each, applied "
                      f"once by 2 members workers; rolling restart of "
                      f"{len(restarted)} processes under 200 writes: {len(rolling.acknowledged)} acknowledged, "
                      f"0 lost, {rolling.retries} client retries on the other replica, "
                      f"{len(published)} events, {duplicates} published twice, 0 lost; the daily job due in 2 workers "
                      f"of each service ran once in each")
            org_db.dispose()
            members_db.dispose()
        finally:
            stop_suite(all_processes)
            channel = conn.default_channel
            for name in (f"{namespace}.probe", f"{namespace}.org", f"{namespace}.org.dead",
                         f"{namespace}.members", f"{namespace}.members.dead"):
                try:
                    channel.queue_delete(name)
                except Exception:  # noqa: BLE001 - a queue that was never declared
                    channel = conn.channel()
            for exchange in (config.events_exchange_name, config.dead_letter_exchange_name):
                try:
                    channel.exchange_delete(exchange)
                except Exception:  # noqa: BLE001
                    channel = conn.channel()
