"""Hostile input is refused by the kit before any view: a clear 4xx problem+json in Chinese and English,
nothing written, never a 5xx (the bounds every service's arguments pass through, shared/parsing.py)."""
import io
import json

import pytest
from marshmallow import Schema, fields
from sqlalchemy import text

from shared.parsing import Blueprint
from shared.request import db_session

UNITS = "/api/org/v1/units"


class Loose(Schema):
    count = fields.Integer(required=True)  # no bound of its own: the kit's 64-bit bound still holds


def probe_blueprint() -> Blueprint:
    blp = Blueprint("probe", __name__, url_prefix="/api/org/v1/probe")

    @blp.get("/count")
    @blp.arguments(Loose, location="query")
    def count(args):
        return {"count": args["count"]}

    @blp.get("/cast")
    def cast():
        db_session().execute(text("SELECT CAST('not a number' AS integer)"))
        return {}

    return blp


@pytest.fixture
def org(make_app):
    app = make_app("org", max_request_bytes=64 * 1024, max_import_bytes=256 * 1024)
    app.register_blueprint(probe_blueprint())
    return app


def problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json"
    return resp.get_json(force=True)


def bilingual(text_: str) -> bool:
    return " / " in text_ and any("\u4e00" <= ch <= "\u9fff" for ch in text_)


def post_raw(app, auth_headers, body: str, path: str = UNITS):
    return app.test_client().post(path, data=body.encode("utf-8"), content_type="application/json",
                                  headers=auth_headers(app, "admin"))


def no_units(app, auth_headers) -> bool:
    return app.test_client().get(UNITS, headers=auth_headers(app, "admin")).get_json()["items"] == []


def test_json_nested_deeper_than_the_bound_is_a_422_not_a_crash(org, auth_headers):
    for depth in (33, 1500, 30_000):
        body = problem(post_raw(org, auth_headers, "[" * depth + "]" * depth), 422)
        (messages,) = body["errors"]["json"].values()
        assert bilingual(messages[0]), body
        assert "32" in messages[0], body
    assert no_units(org, auth_headers)


def test_a_nul_in_any_string_or_key_of_the_body_is_refused_naming_the_field(org, auth_headers):
    body = problem(post_raw(org, auth_headers, json.dumps({"kind": "province", "name": "a\u0000b", "code": "P"})),
                   422)
    assert list(body["errors"]["json"]) == ["name"]
    assert "NUL" in body["errors"]["json"]["name"][0]
    problem(post_raw(org, auth_headers, '{"kind": "province", "na\\u0000me": "x", "code": "P"}'), 422)
    assert no_units(org, auth_headers)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_non_finite_numbers_are_refused(org, auth_headers, number):
    body = problem(post_raw(org, auth_headers, '{"kind": "province", "name": %s, "code": "P"}' % number), 422)
    assert bilingual(body["errors"]["json"]["_body"][0])


@pytest.mark.parametrize("number", ["9223372036854775808", "-9223372036854775809", "1" * 5000])
def test_integers_beyond_64_bits_are_refused_in_the_body(org, auth_headers, number):
    body = problem(post_raw(org, auth_headers, '{"kind": "province", "name": %s, "code": "P"}' % number), 422)
    assert "9223372036854775807" in json.dumps(body, ensure_ascii=False)


def test_integers_beyond_64_bits_are_refused_in_the_query_whatever_the_schema(org, auth_headers):
    client, admin = org.test_client(), auth_headers(org, "admin")
    assert client.get("/api/org/v1/probe/count?count=9223372036854775807", headers=admin).get_json() == {
        "count": 9223372036854775807}
    body = problem(client.get("/api/org/v1/probe/count?count=9223372036854775808", headers=admin), 422)
    assert list(body["errors"]["query"]) == ["count"]


def test_a_nul_in_the_query_is_a_422_and_in_the_path_a_404(org, auth_headers):
    client, admin = org.test_client(), auth_headers(org, "admin")
    body = problem(client.get(UNITS + "?code=%00", headers=admin), 422)
    assert list(body["errors"]["query"]) == ["code"]
    problem(client.get(UNITS + "/a%00b", headers=admin), 404)


def test_malformed_json_is_a_400_saying_where(org, auth_headers):
    body = problem(post_raw(org, auth_headers, '{"kind": "province",\n "name": }'), 400)
    message = body["errors"]["json"][0]
    assert bilingual(message)
    assert "2" in message


def test_a_body_over_the_limit_is_a_413_and_an_import_has_a_larger_one(org, auth_headers):
    admin = auth_headers(org, "admin")
    big = json.dumps({"kind": "province", "name": "x" * 70_000, "code": "P"})
    body = problem(post_raw(org, auth_headers, big), 413)
    assert "65536" in body["detail"]
    assert bilingual(body["detail"])
    csv_body = ("code,name,kind,parent_code\n" + "P,省,province,\n" * 5000).encode()  # 80 KB: under 256 KiB
    resp = org.test_client().post("/api/org/v1/imports", data=csv_body, content_type="text/csv", headers=admin)
    assert resp.status_code != 413, resp.get_data(as_text=True)[:300]
    resp = org.test_client().post("/api/org/v1/imports", data=csv_body * 4, content_type="text/csv",
                                  headers=admin)
    problem(resp, 413)
    assert no_units(org, auth_headers)


def test_a_body_without_a_length_stops_at_the_limit(org, auth_headers):
    stream = io.BytesIO(b"x" * 100 * 1024)  # 100 KiB streamed, no Content-Length
    resp = org.test_client().post(UNITS, input_stream=stream, content_type="application/json",
                                  headers={**auth_headers(org, "admin"), "Transfer-Encoding": "chunked"},
                                  environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it
    problem(resp, 413)


@pytest.mark.parametrize("query", ["from=1600-01-01", "to=7602-06-16", "from=2020-01-01&to=2026-01-02",
                                   "from=2021-01-01&to=2099-12-31"])
def test_a_period_is_at_most_five_years_whichever_end_is_given(org, auth_headers, query):
    body = problem(org.test_client().get(f"/api/org/v1/compliance?{query}", headers=auth_headers(org, "admin")), 422)
    (message,) = [m for messages in body["errors"]["query"].values() for m in messages]
    assert bilingual(message)
    assert "5" in message or "2099-12-31" in message


def test_a_period_given_by_its_end_alone_starts_on_january_first_of_that_year(org, auth_headers):
    resp = org.test_client().get("/api/org/v1/compliance?to=2025-06-30", headers=auth_headers(org, "admin"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert (resp.get_json()["from"], resp.get_json()["to"]) == ("2025-01-01", "2025-06-30")


@pytest.mark.infra
def test_a_value_the_database_refuses_is_a_422_on_postgresql(make_app, pg_url, auth_headers):
    app = make_app("org", database_url=pg_url("org"))
    app.register_blueprint(probe_blueprint())
    body = problem(app.test_client().get("/api/org/v1/probe/cast", headers=auth_headers(app, "admin")), 422)
    assert bilingual(body["detail"])


@pytest.mark.infra
def test_a_nul_never_reaches_postgresql(make_app, pg_url, auth_headers):
    app = make_app("org", database_url=pg_url("org"))
    problem(post_raw(app, auth_headers, json.dumps({"kind": "province", "name": "a\u0000b", "code": "P"})), 422)
    assert no_units(app, auth_headers)
