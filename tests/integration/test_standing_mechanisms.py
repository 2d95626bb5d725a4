"""Issue 16's "Done when", through the gateway: a branch heard in Q1 and Q3 only shows in compliance for Q2 and Q4
with its figures; a county that screened 90% of its branches shows 90% on the dashboard; a branch with no reserve
candidate is listed; a meeting corrected with PATCH changes the counts in org and in evaluation's indicators.

Org and evaluation serve on real sockets behind the real gateway; their events travel through the outbox and the
inbox: moved in-process on SQLite, and through RabbitMQ with both services on PostgreSQL.
"""
from __future__ import annotations

import contextlib
import threading
import time
from datetime import date

import pytest
from werkzeug.serving import make_server

from kombu import Connection

from shared.consumer import EventConsumer
from shared.events import service_queues
from shared.testing import auth, deliver, kit_of
from tests.gateway.conftest import gateway_for

YEAR = date.today().year - 1  # a whole year behind us: every quarter of it is due


@contextlib.contextmanager
def served(*apps):
    """Each app on a real socket; yields their addresses."""
    servers = [make_server("127.0.0.1", 0, app, threaded=True) for app in apps]
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield [f"http://127.0.0.1:{s.server_port}" for s in servers]
    finally:
        for server in servers:
            server.shutdown()


class Gateway:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def call(self, method, path, body=None, status=(200, 201), headers=None, **query):
        resp = self.client.open(path, method=method, json=body, query_string=query,
                                headers={**self.headers, **(headers or {})})
        assert resp.status_code in status, (method, path, resp.status_code, resp.get_data(as_text=True)[:500])
        return resp


def done_when(gw: Gateway, move_events) -> None:
    """The issue's checks, every call through the gateway; ``move_events()`` carries org's events to evaluation."""
    org, ev = "/api/org/v1", "/api/evaluation/v1"

    def unit(kind, parent=None, **extra):
        body = {"kind": kind, "name": f"{kind}{time.monotonic_ns()}", "code": f"{kind[:2]}{time.monotonic_ns()}",
                **({"parent_id": parent["id"]} if parent else {}), **extra}
        return gw.call("POST", f"{org}/units", body).get_json()

    province = unit("province")
    city = unit("city", province)
    county = unit("county", city)
    township = unit("township", county)
    branches = [unit("branch", township, established_on="2010-01-01") for _ in range(10)]
    heard = branches[0]

    # a branch heard in Q1 and Q3 only shows in compliance for Q2 and Q4, with its figures
    for on in (f"{YEAR}-02-10", f"{YEAR}-08-20"):
        gw.call("POST", f"{org}/hearings", {"unit_id": heard["id"], "committee_unit_id": township["id"],
                                            "held_on": on, "reporter": "王书记",
                                            "points": [{"text": "党员发展断档", "problem": True}]})
    for other in branches[1:]:
        for on in (f"{YEAR}-02-10", f"{YEAR}-05-10", f"{YEAR}-08-10", f"{YEAR}-11-10"):
            gw.call("POST", f"{org}/hearings", {"unit_id": other["id"], "committee_unit_id": township["id"],
                                                "held_on": on, "reporter": "李书记"})
    period = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", "under": county["id"]}
    page = gw.call("GET", f"{org}/compliance/LIFE.HEARING", **period).get_json()
    assert page["count"] == 1
    assert [u["unit_id"] for u in page["items"]] == [heard["id"]]
    assert page["items"][0]["figures"]["missed"] == [f"{YEAR}-Q2", f"{YEAR}-Q4"]
    assert page["items"][0]["figures"]["held"] == 2
    assert page["items"][0]["figures"]["required"] == 4

    # a county that screened 90% of its branches shows 90% on the dashboard
    campaign = gw.call("POST", f"{org}/screenings", {"unit_id": county["id"], "year": YEAR, "title": "全面摸底排查",
                                                     "starts_on": f"{YEAR}-03-01"}).get_json()
    for branch in branches[:9]:
        gw.call("POST", f"{org}/screenings/{campaign['id']}/records", {
            "unit_id": branch["id"], "screened_on": f"{YEAR}-04-02", "screened_by": "县委组织部"})
    move_events()
    dashboard = gw.call("GET", f"{ev}/dashboard", year=YEAR, under=county["id"]).get_json()
    assert dashboard["reports"]["screened_share"] == 0.9
    assert dashboard["reports"]["heard_share"] == 0.9
    city_view = gw.call("GET", f"{ev}/dashboard", year=YEAR, under=city["id"]).get_json()
    assert [(c["unit_id"], c["screened_share"]) for c in city_view["reports"]["counties"]] == [(county["id"], 0.9)]
    problems = gw.call("GET", f"{ev}/problems", year=YEAR, under=county["id"]).get_json()["items"]
    assert [(p["unit_id"], p["source"]) for p in problems] == [(heard["id"], "hearing")] * 2   # one a hearing

    # a branch with no reserve candidate is listed
    reserve = gw.call("GET", f"{org}/compliance/ORG.RESERVE", under=county["id"]).get_json()
    assert reserve["count"] == 10
    assert reserve["items"][0]["figures"] == {"candidates": 0, "minimum": 1}

    # a meeting corrected with PATCH changes the counts in org and in evaluation's indicators
    meeting = gw.call("POST", f"{org}/meetings", {
        "unit_id": heard["id"], "type": "general_meeting", "held_on": f"{YEAR}-06-10", "topic": "支部党员大会",
        "entitled": 10, "present": 4}).get_json()
    move_events()

    def counted():
        life = gw.call("GET", f"{org}/units/{heard['id']}/life", **{"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"})
        in_org = next(t for t in life.get_json()["types"] if t["type"] == "general_meeting")["held"]
        row = gw.call("GET", f"{ev}/units/{heard['id']}/indicators", year=YEAR).get_json()
        return in_org, row["evidence"]["meetings"]["general_meeting"]["held"]

    assert counted() == (0, 0)
    etag = gw.call("GET", f"{org}/meetings/{meeting['id']}").headers["ETag"]
    gw.call("PATCH", f"{org}/meetings/{meeting['id']}", {"present": 6}, headers={"If-Match": etag})
    move_events()
    assert counted() == (1, 1)


def test_done_when_through_the_gateway(make_app, tmp_path):
    org, evaluation = make_app("org"), make_app("evaluation")
    with served(org, evaluation) as (org_url, evaluation_url):
        client = gateway_for(tmp_path, {"org": org_url, "evaluation": evaluation_url})
        done_when(Gateway(client, auth(org, "admin")), lambda: deliver([org], [evaluation]))


@pytest.mark.infra
def test_done_when_on_postgresql_and_rabbitmq(make_app, tmp_path, pg_url, amqp_url):
    org = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    namespace = kit_of(org).config.bus_namespace
    evaluation = make_app("evaluation", database_url=pg_url("evaluation"), broker_url=amqp_url,
                          bus_namespace=namespace)
    kit = kit_of(evaluation)
    consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)
    consumer.consume_for(0.5)  # declares evaluation's queue and its bindings

    def move_events():
        sent = kit_of(org).relay.drain()
        target = consumer.processed + sent
        deadline = time.monotonic() + 60
        while consumer.processed < target and time.monotonic() < deadline:
            consumer.consume_for(0.3)
        assert consumer.processed >= target, f"applied {consumer.processed} of {target}"

    try:
        with served(org, evaluation) as (org_url, evaluation_url):
            client = gateway_for(tmp_path, {"org": org_url, "evaluation": evaluation_url})
            done_when(Gateway(client, auth(org, "admin")), move_events)
    finally:
        with Connection(amqp_url) as conn:
            for queue in service_queues(kit.config, []):
                with contextlib.suppress(Exception):
                    queue(conn.default_channel).delete()
