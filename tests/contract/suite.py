"""The suite in one process for the contract tests: the services on real sockets (werkzeug, threaded, as the
gateway reaches them), the gateway as a WSGI app in front of them, a small province tree (province, city,
county) known to every service's read-model, and the two tokens Schemathesis calls with: a province-wide admin
and a county organizer.

On the embedded default (the CI test) events are moved once, by ``deliver``; on a real broker (the long run)
each service also runs its worker here (``with_workers``): the outbox relay and the event consumer, so that
what a generated request writes reaches every read-model as it would in production. The suite counts the cases
it sends per token and keeps each distinct failure Schemathesis reports (``Suite.call``)."""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from schemathesis.core.failures import FailureGroup
from sqlalchemy import func, select
from werkzeug.serving import make_server

from gateway.app import Gateway, GatewaySettings
from gateway.openapi import merge_documents
from shared.config import SERVICES, Config
from shared.consumer import EventConsumer, dead_letters
from shared.events import broker_connection, service_queues
from shared.testing import deliver, kit_of, token
from shared.worker import RelayLoop
from zhibu.cli import service_app

ORG_API = "/api/org/v1"


@dataclass
class Suite:
    gateway: Gateway
    apps: dict
    servers: list
    units: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    workers: list = field(default_factory=list)
    #: cases sent, per token
    cases: Counter = field(default_factory=Counter)
    #: (operation, token, check, title) -> how many generated cases failed so (shrinking included)
    failures: Counter = field(default_factory=Counter)
    #: what each service dead-lettered, read once the events settled (the long run)
    dead: dict = field(default_factory=dict)

    def headers(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, case, who: str, checks) -> None:
        """Send a generated case through the gateway with ``who``'s token and run ``checks`` on the answer."""
        self.cases[who] += 1
        try:
            case.call_and_validate(app=self.gateway, headers=self.headers(who), checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                check = (type(failure).checks or (type(failure).__name__,))[0]
                self.failures[(case.operation.label, who, check, failure.title)] += 1
            raise

    def client(self):
        from werkzeug.test import Client

        return Client(self.gateway)

    def settle(self, quiet_seconds: float = 2.0, timeout: float = 120.0) -> None:
        """Wait until every outbox is sent and the consumers have applied nothing for ``quiet_seconds``."""
        deadline, last, quiet_since = time.monotonic() + timeout, None, time.monotonic()
        while time.monotonic() < deadline:
            now = (sum(unsent_events(app) for app in self.apps.values()),
                   tuple(worker.consumer.processed for worker in self.workers))
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif now[0] == 0 and time.monotonic() - quiet_since >= quiet_seconds:
                return
            time.sleep(0.2)
        raise TimeoutError(f"events still moving after {timeout:.0f} s: {last}")

    def dead_letters(self) -> dict[str, list[dict]]:
        """Each service's dead-lettered events (the error each ended with), left in place."""
        return {worker.service: dead_letters(worker.kit.config, worker.kit.handlers.event_types)
                for worker in self.workers}

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for app in self.apps.values():
            kit_of(app).db.dispose()


def merged_document(config_for) -> dict:
    """The gateway's merged OpenAPI document, as it merges the services' (``gateway.openapi``), built from the
    service apps alone (``config_for(service)``: a configuration whose database is never reached)."""
    documents = {}
    for service in SERVICES:
        app = service_app(service, config_for(service))
        documents[service] = app.test_client().get(f"/api/{service}/openapi.json").get_json()
        kit_of(app).db.dispose()
    return merge_documents(documents)


def unsent_events(app) -> int:
    kit = kit_of(app)
    Outbox = kit.models.OutboxEvent
    with kit.db.Session() as session:
        return session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None)))


class Worker:
    """A service's worker in this process: ``shared.worker``'s outbox relay and the event consumer on the
    configured broker (no signals, no daily jobs, no webhook deliveries to the addresses generated)."""

    def __init__(self, service: str, app):
        self.service, self.kit = service, kit_of(app)
        self._each_queue("declare")  # bound before the first event is published
        self.relay = RelayLoop(self.kit)
        self.consumer = EventConsumer(self.kit.config, self.kit.db, self.kit.handlers, self.kit.models.InboxEvent)
        self.thread = threading.Thread(target=self.consumer.run_forever, name=f"{service}-consumer", daemon=True)
        self.relay.start()
        self.thread.start()

    def stop(self) -> None:
        """Stop both loops and remove the service's queues from the broker (their names are this run's)."""
        self.consumer.should_stop = True
        self.relay.stopping.set()
        self.thread.join(timeout=10)
        self.relay.join(timeout=10)
        self._each_queue("delete")

    def _each_queue(self, action: str) -> None:
        """``declare`` or ``delete`` the service's work and dead-letter queues."""
        with broker_connection(self.kit.config) as connection:
            channel = connection.channel()
            for queue in service_queues(self.kit.config, self.kit.handlers.event_types):
                getattr(queue(channel), action)()


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def start(configs: dict[str, Config], gateway_config: Config, *, with_workers: bool = False) -> Suite:
    """Every service of ``configs`` (migrated databases) served, the gateway in front, the tree seeded; with
    ``with_workers``, each service's worker running on the configured broker."""
    apps = {service: service_app(service, configs[service]) for service in SERVICES}
    servers = [_serve(app) for app in apps.values()]
    upstreams = {service: f"http://127.0.0.1:{server.server_port}" for service, server in zip(apps, servers)}
    # the rate limit is not under test here: every generated request reaches the service
    settings = GatewaySettings(upstreams=upstreams, rate_per_second=1e6, burst=1_000_000)
    suite = Suite(Gateway(gateway_config, settings), apps, servers)
    try:
        if with_workers:
            suite.workers = [Worker(service, app) for service, app in apps.items()]
        seed(suite)
    except BaseException:
        suite.close()
        raise
    return suite


def seed(suite: Suite) -> None:
    org = suite.apps["org"]
    admin = {"Authorization": f"Bearer {token(org, 'admin', subject='contract-admin')}"}
    client = org.test_client()
    parent = None
    for kind, name, code in (("province", "山东省委", "37"), ("city", "济宁市委", "3708"),
                             ("county", "邹城市委", "370883")):
        body = {"kind": kind, "name": name, "code": code, **({"parent_id": parent["id"]} if parent else {})}
        resp = client.post(f"{ORG_API}/units", json=body, headers=admin)
        assert resp.status_code == 201, resp.json
        parent = suite.units[kind] = resp.json
    readers = [app for service, app in suite.apps.items() if service != "org"]
    if suite.workers:
        suite.settle()
        for app in readers:
            kit = kit_of(app)
            with kit.db.Session() as session:
                assert session.get(kit.models.OrgUnitView, parent["id"]) is not None, app.name
    else:
        deliver([org], readers)
    suite.tokens = {
        "admin": token(org, "admin", subject="contract-admin"),
        "county": token(org, "organizer", subject="contract-county", scope=suite.units["county"]["id"]),
    }
