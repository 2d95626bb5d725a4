"""Every write is in the audit log, and GET /audit reads it: who changed what and when, for admins
with a province-wide token only."""
from __future__ import annotations

import pytest


@pytest.fixture
def org(make_app, auth_headers):
    app = make_app("org")
    return app, app.test_client(), auth_headers(app, "admin")


def test_a_unit_s_history_is_read_from_the_audit_log(org):
    unit_history(*org)


@pytest.mark.infra
def test_a_unit_s_history_on_postgresql(make_app, auth_headers, pg_url):
    app = make_app("org", database_url=pg_url("org"))
    unit_history(app, app.test_client(), auth_headers(app, "admin"))


def unit_history(app, client, admin):
    unit = client.post("/api/org/v1/units", json={"kind": "province", "name": "山东省委", "code": "37"},
                       headers=admin).json
    etag = client.get(f"/api/org/v1/units/{unit['id']}", headers=admin).headers["ETag"]
    renamed = client.patch(f"/api/org/v1/units/{unit['id']}", json={"name": "中共山东省委"},
                           headers={**admin, "If-Match": etag})
    assert renamed.status_code == 200
    history = client.get("/api/org/v1/audit", query_string={"entity": "unit", "entity_id": unit["id"]},
                         headers=admin).json
    assert [e["action"] for e in history["items"]] == ["created", "updated"]
    assert history["items"][1]["change"]["name"] == ["山东省委", "中共山东省委"]
    assert history["items"][1]["actor"]
    assert history["items"][1]["request_id"]
    first = client.get("/api/org/v1/audit", query_string={"limit": 1}, headers=admin).json
    rest = client.get("/api/org/v1/audit", query_string={"limit": 1, "cursor": first["next_cursor"]},
                      headers=admin).json
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in history["items"]]
    later = client.get("/api/org/v1/audit", query_string={"since": "2099-01-01T00:00:00+08:00"}, headers=admin).json
    assert later["items"] == []


def test_only_a_province_wide_admin_reads_the_audit_log(org, auth_headers):
    app, client, admin = org
    unit = client.post("/api/org/v1/units", json={"kind": "province", "name": "山东省委", "code": "37"},
                       headers=admin).json
    for headers in (auth_headers(app, "admin", scope=unit["id"]), auth_headers(app, "organizer", scope=unit["id"])):
        resp = client.get("/api/org/v1/audit", headers=headers)
        assert resp.status_code == 403
        assert resp.headers["Content-Type"] == "application/problem+json"
    assert client.get("/api/org/v1/audit").status_code == 401


@pytest.mark.parametrize("query", [{"limit": 0}, {"since": "yesterday"}, {"since": "2026-01-01T00:00:00"}])
def test_bad_audit_queries_are_422(org, query):
    _, client, admin = org
    resp = client.get("/api/org/v1/audit", query_string=query, headers=admin)
    assert resp.status_code == 422
    assert resp.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("service", ["members", "training", "evaluation"])
def test_every_service_has_its_audit_log(make_app, auth_headers, service):
    app = make_app(service)
    resp = app.test_client().get(f"/api/{service}/v1/audit", headers=auth_headers(app, "admin"))
    assert resp.status_code == 200
    assert resp.json == {"items": [], "next_cursor": None}
