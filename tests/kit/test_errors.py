"""Every error path answers RFC 9457 problem+json, and a 500 never shows a stack trace."""
import pytest
from sqlalchemy import text

from shared.testing import kit_of
from tests.kit.test_events import count, emit_a_province_renamed


@pytest.fixture
def org(make_app):
    app = make_app("org")

    def explode():
        raise RuntimeError("secret internals: /srv/zhibu/db.py line 42")

    app.add_url_rule("/api/org/v1/explode", "explode", explode)
    return app


def problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    assert body["type"].startswith("https://")
    return body


def test_unknown_route_is_404(org, auth_headers):
    problem(org.test_client().get("/api/org/v1/nowhere", headers=auth_headers(org, "admin")), 404)


def test_unknown_unit_is_404(org, auth_headers):
    body = problem(org.test_client().get("/api/org/v1/units/5f1d7c2e-0000-4000-8000-000000000000",
                                         headers=auth_headers(org, "admin")), 404)
    assert body["detail_en"] == "no such unit"


def test_wrong_method_is_405_with_allow(org, auth_headers):
    resp = org.test_client().delete("/api/org/v1/units", headers=auth_headers(org, "admin"))
    problem(resp, 405)
    assert "GET" in resp.headers["Allow"]
    assert "POST" in resp.headers["Allow"]


def test_bad_input_is_422_with_field_errors_and_writes_nothing(org, auth_headers):
    client = org.test_client()
    admin = auth_headers(org, "admin")
    body = problem(client.post("/api/org/v1/units", headers=admin,
                               json={"kind": "castle", "name": "", "code": "bad code!"}), 422)
    assert set(body["errors"]["json"]) == {"kind", "name", "code"}
    assert client.get("/api/org/v1/units", headers=admin).get_json()["items"] == []


def test_broken_rule_is_409_with_its_code(org, auth_headers):
    client = org.test_client()
    admin = auth_headers(org, "admin")
    province = client.post("/api/org/v1/units", headers=admin,
                           json={"kind": "province", "name": "省委", "code": "P"}).get_json()
    body = problem(client.post("/api/org/v1/units", headers=admin, json={
        "kind": "party_group", "name": "第一党小组", "code": "G1", "parent_id": province["id"]}), 409)
    assert body["code"] == "ORG.UNIT_NESTING"
    assert "cannot stand under" in body["detail"]
    assert "不能设在" in body["detail"]


def test_unexpected_error_is_500_without_internals(org, auth_headers):
    body = problem(org.test_client().get("/api/org/v1/explode", headers=auth_headers(org, "admin")), 500)
    text = str(body)
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert "db.py" not in text
    assert body["request_id"]


def test_missing_token_is_401(org):
    resp = org.test_client().get("/api/org/v1/units")
    problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_role_is_403(org, auth_headers):
    client = org.test_client()
    province = client.post("/api/org/v1/units", headers=auth_headers(org, "admin"),
                           json={"kind": "province", "name": "省委", "code": "P"}).get_json()
    viewer = auth_headers(org, "viewer", scope=province["id"])
    problem(client.post("/api/org/v1/units", headers=viewer,
                        json={"kind": "city", "name": "市委", "code": "C", "parent_id": province["id"]}), 403)


def test_probes_are_public(org):
    client = org.test_client()
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz").get_json()
    assert ready["checks"]["database"]["ok"] is True
    assert client.get("/metrics").status_code == 200


@pytest.mark.infra
def test_a_request_rolled_back_in_a_deadlock_gets_503_with_retry_after_and_changes_nothing(make_app, auth_headers,
                                                                                          pg_url):
    """PostgreSQL breaks a deadlock by rolling back one of the two transactions: the request it picked answers 503
    with ``Retry-After: 1`` (the same request again is all it takes), keeps nothing it wrote (its event
    included), and goes through when sent again."""
    from shared.request import db_session
    from tests.conftest import DeadlockPartner

    url = pg_url("org")
    app = make_app("org", database_url=url)
    headers = auth_headers(app, "admin")
    partner = DeadlockPartner(url)
    province = "5f1d7c2e-0000-4000-8000-000000000001"

    def rename():
        emit_a_province_renamed(province)
        if partner.thread.is_alive():
            partner.cross(db_session())
        else:
            db_session().execute(text("UPDATE deadlock_rows SET n = n + 1"))
        return {"renamed": True}

    app.add_url_rule("/api/org/v1/rename-in-a-deadlock", "rename_in_a_deadlock", rename, methods=["POST"])
    resp = app.test_client().post("/api/org/v1/rename-in-a-deadlock", headers=headers)
    partner.join()
    body = problem(resp, 503)
    assert resp.headers["Retry-After"] == "1"
    assert body["type"].endswith("unavailable")
    assert "同时进行的另一项修改" in body["detail_zh"]
    assert "a concurrent change" in body["detail_en"]
    assert partner.counts() == {1: 1, 2: 1}               # the partner's, nothing of the request's
    assert count(app, kit_of(app).models.OutboxEvent) == 0
    again = app.test_client().post("/api/org/v1/rename-in-a-deadlock", headers=headers)
    assert again.status_code == 200
    assert partner.counts() == {1: 2, 2: 2}
    assert count(app, kit_of(app).models.OutboxEvent) == 1


@pytest.mark.infra
def test_a_request_whose_commit_finds_the_database_gone_gets_503_and_keeps_nothing(make_app, auth_headers, pg_url):
    """The database goes away between the request's work and its commit (a restart, a failover): the answer is
    503 with ``Retry-After``, not a 500, and nothing of the request is kept; sent again, it goes through."""
    import psycopg

    from shared.request import db_session
    from tests.conftest import PG_ADMIN_URL

    url = pg_url("org")
    app = make_app("org", database_url=url)
    headers = auth_headers(app, "admin")
    province = "5f1d7c2e-0000-4000-8000-000000000002"
    cut = [True]

    def write_then_lose_the_connection():
        emit_a_province_renamed(province)
        session = db_session()
        session.flush()
        if cut[0]:
            cut[0] = False
            backend = session.execute(text("SELECT pg_backend_pid()")).scalar()
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        return {"written": True}

    app.add_url_rule("/api/org/v1/write-then-lose", "write_then_lose", write_then_lose_the_connection,
                     methods=["POST"])
    resp = app.test_client().post("/api/org/v1/write-then-lose", headers=headers)
    body = problem(resp, 503)
    assert resp.headers["Retry-After"] == "5"
    assert body["type"].endswith("unavailable")
    assert count(app, kit_of(app).models.OutboxEvent) == 0
    assert app.test_client().post("/api/org/v1/write-then-lose", headers=headers).status_code == 200
    assert count(app, kit_of(app).models.OutboxEvent) == 1
