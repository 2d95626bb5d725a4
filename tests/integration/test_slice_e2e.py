"""The slice through the real processes: gunicorn web + worker per service, and the gateway.

Org creates a tree; members learns of the unit through an org event (never a
call) and registers a person in it; all through the gateway with a token. Once
on the embedded default (SQLite + filesystem bus), once on PostgreSQL + RabbitMQ.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest

from shared.auth import mint_token
from shared.config import Config
from shared.migrations import upgrade
from zhibu.supervisor import start_suite, stop_suite, wait_for
from tests.conftest import TEST_SECRET

NAMES = ("org", "members", "gateway")


def call(method, url, token=None, body=None):
    """(status, JSON body, headers). A GET answered 503 is sent again after its Retry-After, a few times, as
    the API asks of every client (a service whose SQLite database stayed locked past its busy timeout on a
    crowded machine); any other answer is returned as it is."""
    data = json.dumps(body).encode() if body is not None else None
    for _ in range(4):
        request = urllib.request.Request(url, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null"), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            answer = exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)
        if method != "GET" or answer[0] != 503 or "Retry-After" not in answer[2]:
            return answer
        time.sleep(min(5, int(answer[2]["Retry-After"])))
    return answer


@contextlib.contextmanager
def suite_through_the_gateway(tmp_path, base_port: int, env_overrides: dict):
    """Org, members and the gateway as real processes (gunicorn web + worker each); yields the gateway's
    address, a configuration that mints tokens it accepts, and an admin token."""
    ports = {"org": base_port + 1, "members": base_port + 2, "training": base_port + 3,
             "evaluation": base_port + 4, "gateway": base_port}
    env = dict(os.environ)
    env.update({"ZHIBU_VAR_DIR": str(tmp_path), "ZHIBU_JWT_SECRET": TEST_SECRET,
                "ZHIBU_PII_KEY": "e2e-pii-key", "ZHIBU_BUS_NAMESPACE": f"e2e{uuid.uuid4().hex[:8]}",
                "ZHIBU_BUS_FOLDER": str(tmp_path / "bus"), "ZHIBU_WEB_WORKERS": "2", **env_overrides})
    for service in ("org", "members"):
        url = env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{tmp_path / (service + '.db')}"
        env[f"{service.upper()}_DATABASE_URL"] = url
        upgrade(service, url)
    processes = start_suite(env, names=NAMES, ports=ports, logs=tmp_path / "logs", workers="2")
    try:
        for name in NAMES:
            wait_for(f"http://127.0.0.1:{ports[name]}/healthz")
        config = Config(service="gateway", jwt_secret=TEST_SECRET)
        yield (f"http://127.0.0.1:{ports['gateway']}", config, mint_token(config, subject="e2e-admin", roles=["admin"]),
               ports)
    finally:
        stop_suite(processes)
    for label, proc in processes:
        log_tail = (tmp_path / "logs" / f"{label.replace(' ', '-')}.log").read_text()[-3000:]
        assert proc.returncode in (0, -15), f"{label} exited with {proc.returncode}; its log ends:\n{log_tail}"


def run_slice(tmp_path, base_port: int, env_overrides: dict):
    with suite_through_the_gateway(tmp_path, base_port, env_overrides) as (gateway, config, admin, ports):
        status, _, _ = call("GET", f"{gateway}/api/org/v1/units")
        assert status == 401

        status, province, _ = call("POST", f"{gateway}/api/org/v1/units", admin,
                                   {"kind": "province", "name": "山东省委", "code": "37"})
        assert status == 201, province
        status, county, _ = call("POST", f"{gateway}/api/org/v1/units", admin, {
            "kind": "county", "name": "邹城市委", "code": "370883", "parent_id": province["id"]})
        assert status == 409
        assert county["code"] == "ORG.UNIT_NESTING"  # a county stands under a city
        status, city, _ = call("POST", f"{gateway}/api/org/v1/units", admin, {
            "kind": "city", "name": "济宁市委", "code": "3708", "parent_id": province["id"]})
        assert status == 201
        status, county, _ = call("POST", f"{gateway}/api/org/v1/units", admin, {
            "kind": "county", "name": "邹城市委", "code": "370883", "parent_id": city["id"]})
        assert status == 201
        assert county["path"].startswith(city["path"])
        assert city["path"].startswith(province["path"])

        status, tree, _ = call("GET", f"{gateway}/api/org/v1/units?under={province['id']}", admin)
        assert [u["code"] for u in tree["items"]] == ["37", "3708", "370883"]

        person = {"unit_id": county["id"], "name": "张三", "gender": "male", "birth_date": "1990-01-01"}
        deadline = time.monotonic() + 20
        while True:  # members learns of the county through org.unit.created
            status, created, headers = call("POST", f"{gateway}/api/members/v1/people", admin, person)
            if status == 201 or time.monotonic() > deadline:
                break
            assert status == 404
            time.sleep(0.1)
        assert status == 201, created
        assert created["org_path"] == county["path"]
        assert headers["X-Request-Id"]

        county_token = mint_token(config, subject="county", roles=["organizer"], scope=county["id"])
        status, people, _ = call("GET", f"{gateway}/api/members/v1/people", county_token)
        assert status == 200
        assert [p["name"] for p in people["items"]] == ["张三"]
        city_b = call("POST", f"{gateway}/api/org/v1/units", admin, {
            "kind": "city", "name": "另一个市", "code": "3709", "parent_id": province["id"]})[1]
        other = mint_token(config, subject="other", roles=["organizer"], scope=city_b["id"])
        time.sleep(0.5)
        assert call("GET", f"{gateway}/api/members/v1/people/{created['id']}", other)[0] == 404
        assert call("GET", f"{gateway}/api/org/v1/units/{county['id']}", other)[0] == 404

        # /metrics adds up every gunicorn worker's samples (2 workers here): 5 POSTs of units, 201 or 409
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['org']}/metrics", timeout=5) as resp:
            exposition = resp.read().decode()
        posts = sum(float(line.rsplit(" ", 1)[1]) for line in exposition.splitlines()
                    if line.startswith("zhibu_http_requests_total{") and 'method="POST"' in line
                    and 'endpoint="/api/org/v1/units"' in line)
        assert posts == 5

        if env_overrides.get("ZHIBU_RATE_LIMIT_REDIS_URL"):  # both gateway workers draw on the bucket in Redis
            import redis

            bucket = redis.Redis.from_url(env_overrides["ZHIBU_RATE_LIMIT_REDIS_URL"]).hgetall("zhibu:rate:sub:e2e-admin")
            assert 0 <= float(bucket[b"tokens"]) < 100


def test_slice_through_the_gateway_embedded(tmp_path):
    run_slice(tmp_path, 18600, {"ZHIBU_BROKER_URL": "filesystem://"})


@pytest.mark.infra
def test_slice_through_the_gateway_postgres_rabbitmq(tmp_path, pg_url, amqp_url, redis_url):
    run_slice(tmp_path, 18650, {"ZHIBU_BROKER_URL": amqp_url, "ZHIBU_RATE_LIMIT_REDIS_URL": redis_url,
                                "ORG_DATABASE_URL": pg_url("org", migrate=False),
                                "MEMBERS_DATABASE_URL": pg_url("members", migrate=False)})


class GatewayClient:
    """The Flask test client's ``post``/``get`` over HTTP through the gateway: the members tests' ``Walk``
    runs the procedure through the real processes with it."""

    class Response:
        def __init__(self, status, body):
            self.status_code, self.json = status, body

    def __init__(self, base: str):
        self.base = base

    def _call(self, method, url, json=None, headers=None):
        token = (headers or {}).get("Authorization", "").removeprefix("Bearer ") or None
        status, body, _ = call(method, self.base + url, token, json)
        return self.Response(status, body)

    def post(self, url, json=None, headers=None):
        return self._call("POST", url, json, headers)

    def get(self, url, headers=None):
        return self._call("GET", url, None, headers)


@pytest.mark.infra
def test_the_whole_procedure_through_the_gateway_on_postgresql_and_rabbitmq(tmp_path, pg_url, amqp_url):
    """Application to full member, every step through the gateway to the members service, on PostgreSQL with
    the events through RabbitMQ: members learns of the branch from org, org counts the new full member."""
    from tests.members.conftest import Walk

    with suite_through_the_gateway(tmp_path, 18750, {
            "ZHIBU_BROKER_URL": amqp_url, "ORG_DATABASE_URL": pg_url("org", migrate=False),
            "MEMBERS_DATABASE_URL": pg_url("members", migrate=False)}) as (gateway, config, admin, _):
        ids = {}
        for key, parent, kind, domain in (("p", None, "province", None), ("c", "p", "city", None),
                                          ("a", "c", "county", None), ("t", "a", "township", None),
                                          ("v", "t", "branch", "village")):
            body = {"kind": kind, "name": f"单位{key}", "code": f"E2E-{key}", "domain": domain,
                    **({"parent_id": ids[parent]} if parent else {})}
            status, unit, _ = call("POST", f"{gateway}/api/org/v1/units", admin, body)
            assert status == 201, unit
            ids[key] = unit["id"]

        class Tree:
            def id(self, key):
                return ids[key]

        county = mint_token(config, subject="county", roles=["organizer"], scope=ids["a"])
        deadline = time.monotonic() + 30
        while call("GET", f"{gateway}/api/members/v1/people?under={ids['v']}", county)[0] != 200:
            assert time.monotonic() < deadline, "members did not learn of the branch through RabbitMQ"
            time.sleep(0.2)
        walk = Walk(GatewayClient(gateway), {"Authorization": f"Bearer {county}"}, Tree())
        walk.through("archive")
        status, person, _ = call("GET", f"{gateway}/api/members/v1/people/{walk.person['id']}", county)
        assert status == 200
        assert (person["stage"], person["full_member_since"], person["reached_step"]) == ("full", "2025-08-05", 25)
        status, timeline, _ = call("GET", f"{gateway}/api/members/v1/people/{walk.person['id']}/timeline", county)
        assert status == 200
        assert timeline["next"] == []
        assert timeline["breaches"] == []
        deadline = time.monotonic() + 30
        while True:  # org's member count follows the members events through RabbitMQ
            branch = call("GET", f"{gateway}/api/org/v1/units/{ids['v']}", admin)[1]
            if branch["full_members"] == 3:
                break
            assert time.monotonic() < deadline, branch
            time.sleep(0.2)
