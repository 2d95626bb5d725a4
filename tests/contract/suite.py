"""The suite in one process for the contract tests: the four services on real sockets (werkzeug, threaded, as
the gateway reaches them), the gateway as a WSGI app in front of them, a small province tree (province, city,
county) known to every service's read-model, and the two tokens Schemathesis calls with: a province-wide admin
and a county organizer."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server

from gateway.app import Gateway, GatewaySettings
from gateway.openapi import merge_documents
from shared.config import SERVICES, Config
from shared.testing import deliver, token
from zhibu.cli import service_app

ORG_API = "/api/org/v1"


@dataclass
class Suite:
    gateway: Gateway
    apps: dict
    servers: list
    units: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def headers(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def client(self):
        from werkzeug.test import Client

        return Client(self.gateway)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for app in self.apps.values():
            app.extensions["zhibu"].db.dispose()


def merged_document(config_for) -> dict:
    """The gateway's merged OpenAPI document, as it merges the services' (``gateway.openapi``), built from the
    service apps alone (``config_for(service)``: a configuration whose database is never reached)."""
    documents = {}
    for service in SERVICES:
        app = service_app(service, config_for(service))
        documents[service] = app.test_client().get(f"/api/{service}/openapi.json").get_json()
        app.extensions["zhibu"].db.dispose()
    return merge_documents(documents)


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def start(configs: dict[str, Config], gateway_config: Config) -> Suite:
    """Every service of ``configs`` (migrated databases) served, the gateway in front, the tree seeded."""
    apps = {service: service_app(service, configs[service]) for service in SERVICES}
    servers = [_serve(app) for app in apps.values()]
    upstreams = {service: f"http://127.0.0.1:{server.server_port}" for service, server in zip(apps, servers)}
    # the rate limit is not under test here: every generated request reaches the service
    settings = GatewaySettings(upstreams=upstreams, rate_per_second=1e6, burst=1_000_000)
    suite = Suite(Gateway(gateway_config, settings), apps, servers)
    seed(suite)
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
    deliver([org], [app for service, app in suite.apps.items() if service != "org"])
    suite.tokens = {
        "admin": token(org, "admin", subject="contract-admin"),
        "county": token(org, "organizer", subject="contract-county", scope=suite.units["county"]["id"]),
    }
