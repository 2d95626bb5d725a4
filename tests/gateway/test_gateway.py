"""The gateway: token checks before forwarding, request ids, rate limits, merged docs, health."""
from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server

from shared.config import SERVICES
from shared.testing import kit_of
from tests.gateway.conftest import bearer, gateway_for, token


@pytest.mark.parametrize("headers, reason", [
    ({}, "required"),
    (bearer(token(exp=int(time.time()) - 120)), "expired"),
    (bearer(token(_secret="x" * 40)), "signature"),
    (bearer(token(iss="elsewhere")), "issuer"),
    ({"Authorization": "Basic dTpw"}, "Bearer"),
])
def test_the_gateway_refuses_bad_tokens_before_forwarding(tmp_path, headers, reason):
    # the upstream is unreachable: a 401 proves the gateway answered without forwarding
    gw = gateway_for(tmp_path, {})
    resp = gw.get("/api/org/v1/units", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert reason in resp.get_json()["detail"]
    assert resp.headers["X-Request-Id"]


def test_forwarding_keeps_the_request_id_and_passes_the_body(tmp_path, upstream_org):
    app, url = upstream_org
    gw = gateway_for(tmp_path, {"org": url})
    created = gw.post("/api/org/v1/units", headers={**bearer(token()), "X-Request-Id": "req-123"},
                      json={"kind": "province", "name": "山东省委", "code": "37"})
    assert created.status_code == 201
    assert created.headers["X-Request-Id"] == "req-123"
    assert created.get_json()["name"] == "山东省委"
    with kit_of(app).db.Session() as session:
        from sqlalchemy import select

        AuditEntry = kit_of(app).models.AuditEntry
        assert session.scalars(select(AuditEntry.request_id)).all() == ["req-123"]


def test_a_county_token_gets_404_for_another_county_through_the_gateway(tmp_path, upstream_org, auth_headers):
    from tests.kit.test_auth import build_two_counties

    app, url = upstream_org
    units = build_two_counties(app, auth_headers)
    gw = gateway_for(tmp_path, {"org": url})
    county_a = bearer(token(roles=["organizer"], scope=units["a"]))
    assert gw.get(f"/api/org/v1/units/{units['a']}", headers=county_a).status_code == 200
    assert gw.get(f"/api/org/v1/units/{units['b1']}", headers=county_a).status_code == 404


def test_rate_limit_answers_429_with_retry_after(tmp_path, upstream_org):
    _, url = upstream_org
    gw = gateway_for(tmp_path, {"org": url}, rate_per_second=1, burst=3)
    headers = bearer(token())
    statuses = [gw.get("/api/org/v1/units", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = gw.get("/api/org/v1/units", headers=headers)
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    other_client = bearer(token(sub="someone-else"))
    assert gw.get("/api/org/v1/units", headers=other_client).status_code == 200


def test_unknown_service_and_route_are_problem_404(tmp_path):
    gw = gateway_for(tmp_path, {})
    for path in ("/api/nosuch/v1/x", "/elsewhere"):
        resp = gw.get(path, headers=bearer(token()))
        assert resp.status_code == 404
        assert resp.headers["Content-Type"] == "application/problem+json"


def test_an_unreachable_service_is_502_problem(tmp_path):
    resp = gateway_for(tmp_path, {}).get("/api/org/v1/units", headers=bearer(token()))
    assert resp.status_code == 502
    assert resp.get_json()["status"] == 502


def test_readyz_reports_each_service(tmp_path, upstream_org):
    _, url = upstream_org
    resp = gateway_for(tmp_path, {"org": url}).get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 503
    assert body["services"]["org"]["ok"] is True
    assert body["services"]["members"]["ok"] is False


def test_docs_page_and_assets_are_served_locally(tmp_path):
    gw = gateway_for(tmp_path, {})
    page = gw.get("/api/docs")
    assert page.status_code == 200
    assert b"/api/docs/static/swagger-ui-bundle.js" in page.data
    assert b"http" not in page.data.split(b"<script>")[0].replace(b"http-equiv", b"")  # no CDN
    asset = gw.get("/api/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.data) > 100_000
    assert gw.get("/api/docs/static/../app.py").status_code == 404


def test_openapi_merges_every_service(tmp_path, make_app):
    servers, upstreams = [], {}
    for service in SERVICES:
        server = make_server("127.0.0.1", 0, make_app(service), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        upstreams[service] = f"http://127.0.0.1:{server.server_port}"
    try:
        doc = gateway_for(tmp_path, upstreams).get("/api/openapi.json").get_json()
    finally:
        for server in servers:
            server.shutdown()
    assert "/api/org/v1/units" in doc["paths"]
    assert "/api/members/v1/people" in doc["paths"]
    refs = []

    def walk(node):
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc["paths"])
    assert refs
    tag_names = [t["name"] for t in doc["tags"]]
    assert len(tag_names) == len(set(tag_names))
    assert "org · units" in tag_names
    assert doc["paths"]["/api/org/v1/units"]["get"]["tags"] == ["org · units"]
    for ref in refs:
        kind, name = ref.split("/")[2:4]
        assert name in doc["components"][kind], ref


def test_registered_platform_obtains_a_token(tmp_path, upstream_org):
    import hashlib
    import json

    _, url = upstream_org
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({"dengta": {"secret_sha256": hashlib.sha256(b"s3cret").hexdigest(),
                                              "roles": ["admin"], "ttl_seconds": 600}}))
    gw = gateway_for(tmp_path, {"org": url}, clients_file=str(clients))
    assert gw.post("/auth/token", json={"client_id": "dengta", "client_secret": "wrong"}).status_code == 401
    issued = gw.post("/auth/token", json={"client_id": "dengta", "client_secret": "s3cret"}).get_json()
    assert issued["token_type"] == "Bearer"
    assert gw.get("/api/org/v1/units", headers=bearer(issued["access_token"])).status_code == 200
