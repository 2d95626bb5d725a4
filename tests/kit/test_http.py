"""HTTP conventions: cursor pagination, Idempotency-Key, If-Match."""
import pytest
from flask import Flask
from sqlalchemy import func, select

from shared.errors import Problem
from shared.http import check_if_match, etag_of, path_upper_bound
from shared.testing import kit_of


def _tree(org, headers, n):
    client = org.test_client()
    province = client.post("/api/org/v1/units", headers=headers,
                           json={"kind": "province", "name": "P", "code": "P"}).get_json()
    for i in range(n):
        resp = client.post("/api/org/v1/units", headers=headers,
                           json={"kind": "city", "name": f"C{i}", "code": f"C{i}", "parent_id": province["id"]})
        assert resp.status_code == 201
    return province


def test_cursor_pagination_walks_every_unit_once(make_app, auth_headers):
    org = make_app("org")
    admin = auth_headers(org, "admin")
    _tree(org, admin, 11)
    client = org.test_client()
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/org/v1/units?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=admin).get_json()
        seen += [u["code"] for u in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 12


def test_a_forged_cursor_is_422(make_app, auth_headers):
    org = make_app("org")
    resp = org.test_client().get("/api/org/v1/units?cursor=bm9wZQ", headers=auth_headers(org, "admin"))
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["query"]["cursor"]


def test_idempotency_key_replays_the_first_answer_and_writes_nothing(make_app, auth_headers):
    org = make_app("org")
    headers = {**auth_headers(org, "admin"), "Idempotency-Key": "create-province-37"}
    client = org.test_client()
    body = {"kind": "province", "name": "山东省委", "code": "37"}
    first = client.post("/api/org/v1/units", headers=headers, json=body)
    again = client.post("/api/org/v1/units", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    kit = kit_of(org)
    from services.org.models import Unit

    with kit.db.Session() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 1
        assert session.scalar(select(func.count()).select_from(kit.models.OutboxEvent)) == 1

    different = client.post("/api/org/v1/units", headers=headers, json={**body, "name": "另一个"})
    assert different.status_code == 422


@pytest.fixture
def request_ctx():
    app = Flask("t")

    def make(if_match=None):
        headers = {"If-Match": if_match} if if_match else {}
        return app.test_request_context("/", method="PATCH", headers=headers)

    return make


def test_update_without_if_match_is_428(request_ctx):
    with request_ctx(), pytest.raises(Problem) as exc:
        check_if_match("u1", 3)
    assert exc.value.status == 428


def test_update_with_a_stale_etag_is_412(request_ctx):
    with request_ctx(etag_of("u1", 2)), pytest.raises(Problem) as exc:
        check_if_match("u1", 3)
    assert exc.value.status == 412


def test_an_update_of_a_record_deleted_while_it_waited_for_the_lock_is_412_without_a_current_etag(request_ctx):
    """if_match found the row gone once it held the lock (another writer deleted it first): 412, never 500;
    tests/webhooks/test_concurrency.py races two deletions on PostgreSQL."""
    for sent in (etag_of("u1", 3), "*"):
        with request_ctx(sent), pytest.raises(Problem) as exc:
            check_if_match("u1", None)
        assert exc.value.status == 412
        assert "current_etag" not in exc.value.extra
    with request_ctx(), pytest.raises(Problem) as exc:
        check_if_match("u1", None)
    assert exc.value.status == 428


def test_update_with_the_current_etag_passes(request_ctx):
    with request_ctx(etag_of("u1", 3)):
        check_if_match("u1", 3)
    with request_ctx(f'W/{etag_of("u1", 3)}'):
        check_if_match("u1", 3)


def test_get_carries_an_etag(make_app, auth_headers):
    org = make_app("org")
    admin = auth_headers(org, "admin")
    created = org.test_client().post("/api/org/v1/units", headers=admin,
                                     json={"kind": "province", "name": "P", "code": "P"})
    got = org.test_client().get(f"/api/org/v1/units/{created.get_json()['id']}", headers=admin)
    assert got.headers["ETag"] == etag_of(created.get_json()["id"], 1) == created.headers["ETag"]


def test_subtree_bounds_do_not_leak_into_siblings():
    # '/1/2/' must not include '/1/20/': the upper bound stops right after the '/' range
    upper = path_upper_bound("/1/2/")
    assert "/1/2/9z/" < upper
    assert not ("/1/20/" >= "/1/2/" and "/1/20/" < upper)


def test_a_scoped_token_with_an_idempotency_key_is_answered(make_app, auth_headers):
    """The scope lookup must not hold the SQLite write lock the idempotency lookup then waits for."""
    org = make_app("org")
    client = org.test_client()
    province = client.post("/api/org/v1/units", headers=auth_headers(org, "admin"),
                           json={"kind": "province", "name": "P", "code": "P"}).get_json()
    headers = {**auth_headers(org, "organizer", scope=province["id"]), "Idempotency-Key": "city-1"}
    body = {"kind": "city", "name": "C", "code": "C", "parent_id": province["id"]}
    first = client.post("/api/org/v1/units", headers=headers, json=body)
    assert first.status_code == 201
    assert client.post("/api/org/v1/units", headers=headers, json=body).get_json() == first.get_json()


def test_a_cursor_over_a_date_column_round_trips(make_app, auth_headers):
    from datetime import date

    from services.org.models import Unit
    from shared.http import encode_cursor, paginate

    org = make_app("org")
    client = org.test_client()
    admin = auth_headers(org, "admin")
    province = client.post("/api/org/v1/units", headers=admin, json={
        "kind": "province", "name": "P", "code": "P", "established_on": "1949-10-01"}).get_json()
    for i, day in enumerate(["2001-01-01", "2002-02-02", "2003-03-03"]):
        client.post("/api/org/v1/units", headers=admin, json={
            "kind": "city", "name": f"C{i}", "code": f"C{i}", "parent_id": province["id"], "established_on": day})
    from sqlalchemy import select

    with kit_of(org).db.Session() as session:
        stmt = select(Unit).where(Unit.established_on.is_not(None))
        first = paginate(session, stmt, [Unit.established_on, Unit.id], cursor=None, limit=2)
        second = paginate(session, stmt, [Unit.established_on, Unit.id], cursor=first["next_cursor"], limit=2)
    assert [u.established_on for u in first["items"] + second["items"]] == [
        date(1949, 10, 1), date(2001, 1, 1), date(2002, 2, 2), date(2003, 3, 3)]
    assert encode_cursor((date(2001, 1, 1), "x")) != encode_cursor(("2001-01-01", "y"))
