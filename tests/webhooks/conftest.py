"""A webhooks app, the org tree it learns from events, and real HTTP receivers on 127.0.0.1.

Everything webhooks knows about units arrives as events, so the fixtures apply real catalog events through
the same inbox path the worker uses (``apply_event``). Receivers are ``http.server`` threads: what they got
(headers and body) is what a platform would get.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.webhooks.delivery import DeliveryLoop
from shared.consumer import apply_event
from shared.events import make_envelope
from shared.testing import auth, kit_of

API = "/api/webhooks/v1"
#: fast retries, loopback allowed: what a test needs to see a receiver come back
RULES = {"allowed_networks": ["127.0.0.0/8"], "retry_base_seconds": 0.05, "retry_max_seconds": 0.2,
         "poll_seconds": 0.02, "timeout_seconds": 20.0, "connect_timeout_seconds": 2.0}


class Receiver:
    """A platform's endpoint: answers ``status`` (after ``gate`` opens, when one is set) and keeps every
    request it got."""

    def __init__(self, port: int = 0, status: int = 200):
        self.status = status
        self.gate: threading.Event | None = None
        self.got: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.got.append({"headers": dict(self.headers), "body": body})
                if receiver.gate is not None:
                    receiver.gate.wait(30)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def envelopes(self) -> list[dict]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.got]

    def event_ids(self) -> list[str]:
        return [e["id"] for e in self.envelopes()]

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def wait_until(condition, seconds: float = 30.0, what: str = "the condition"):
    """Wait for what another thread does (a bound on waiting, not an assertion about speed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {seconds} s")


class World:
    """One webhooks app, its org tree fed by events, tokens and API helpers."""

    def __init__(self, app):
        self.app = app
        self.kit = kit_of(app)
        self.client = app.test_client()
        self._keys = itertools.count(1)
        self.units: dict[str, dict] = {}

    def apply(self, type_: str, data: dict, org_path: str | None = None) -> bool:
        envelope = make_envelope(type_, data, source=type_.split(".")[0], org_path=org_path)
        return apply_event(self.kit.db, self.kit.handlers, self.kit.models.InboxEvent, envelope)

    def unit(self, name: str, kind: str, parent: str | None = None) -> dict:
        key = format(next(self._keys), "x")
        parent_unit = self.units[parent] if parent else None
        unit = {"id": str(uuid.uuid4()), "key": key, "path": (parent_unit["path"] if parent_unit else "/") + key + "/",
                "parent_id": parent_unit["id"] if parent_unit else None, "kind": kind, "domain": None, "name": name,
                "code": f"C{key}", "status": "active", "established_on": None, "unit_version": 1}
        self.apply("org.unit.created", unit, unit["path"])
        self.units[name] = unit
        return unit

    def headers(self, *roles: str, scope: str | None = None, **extra) -> dict:
        return {**auth(self.app, *(roles or ("admin",)), scope=scope), **extra}

    def subscribe(self, url: str, event_types=("org.unit.*",), under: str | None = None,
                  headers: dict | None = None, **fields) -> dict:
        body = {"name": fields.pop("name", "platform"), "url": url, "event_types": list(event_types), **fields}
        if under:
            body["under"] = self.units[under]["id"]
        resp = self.client.post(f"{API}/subscriptions", json=body, headers=headers or self.headers())
        assert resp.status_code == 201, resp.json
        return resp.json

    def loop(self) -> DeliveryLoop:
        return DeliveryLoop(self.app)


@pytest.fixture
def world(make_app):
    w = World(make_app("webhooks", rules=dict(RULES)))
    w.unit("province", "province")
    w.unit("city", "city", "province")
    w.unit("county", "county", "city")
    w.unit("township", "township", "county")
    w.unit("other county", "county", "city")
    return w
