"""On the real PostgreSQL and RabbitMQ: the whole procedure through the members API with the org tree and the
member counts travelling as events; the bulk import's COPY path; the list's index range scan."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import func, select, text

from services.members.models import Deadline, Person
from shared.consumer import EventConsumer
from shared.testing import auth, kit_of, pending_events

from .conftest import Walk
from .test_imports import as_csv, rows

pytestmark = pytest.mark.infra


def consumer_of(app) -> EventConsumer:
    kit = kit_of(app)
    consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)
    consumer.consume_for(0.3)            # declares the queue and its bindings before anything is published
    return consumer


def consume_until(consumer, condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the events did not arrive through the broker"
        consumer.consume_for(0.3)


class OrgTree:
    """Units created by the org service's API, known to members only through RabbitMQ."""

    def __init__(self, org):
        self.org, self.ids = org, {}
        self.headers = auth(org, "admin")

    def add(self, key, parent, kind, domain=None):
        body = {"kind": kind, "name": f"unit {key}", "code": f"{key}-{uuid.uuid4().hex[:6]}", "domain": domain}
        if parent:
            body["parent_id"] = self.ids[parent]
        resp = self.org.test_client().post("/api/org/v1/units", json=body, headers=self.headers)
        assert resp.status_code == 201, resp.json
        self.ids[key] = resp.json["id"]

    def id(self, key):
        return self.ids[key]


@pytest.fixture
def suite(make_app, pg_url, amqp_url):
    namespace = f"t{uuid.uuid4().hex[:10]}"
    org = make_app("org", database_url=pg_url("org"), broker_url=amqp_url, bus_namespace=namespace)
    members = make_app("members", database_url=pg_url("members"), broker_url=amqp_url, bus_namespace=namespace)
    return org, members


def test_the_whole_procedure_on_postgresql_with_events_through_rabbitmq(suite):
    org, members = suite
    to_members, to_org = consumer_of(members), consumer_of(org)
    tree = OrgTree(org)
    for key, parent, kind, domain in (("p", None, "province", None), ("c", "p", "city", None),
                                      ("a", "c", "county", None), ("t", "a", "township", None),
                                      ("v", "t", "branch", "village")):
        tree.add(key, parent, kind, domain)
    assert kit_of(org).relay.drain() == 5
    mkit = kit_of(members)

    def units_known():
        with mkit.db.Session() as s:
            return s.scalar(select(func.count()).select_from(mkit.models.OrgUnitView)) == 5

    consume_until(to_members, units_known)

    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    walk = Walk(client, county, tree)
    walk.through("archive")
    person = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json
    assert (person["stage"], person["full_member_since"], person["reached_step"]) == ("full", "2025-08-05", 25)
    published = len(pending_events(members))
    assert mkit.relay.drain() == published
    assert pending_events(members) == []

    org_client = org.test_client()

    def counted():
        unit = org_client.get(f"/api/org/v1/units/{tree.id('v')}", headers=tree.headers).json
        return unit["full_members"] == 3

    consume_until(to_org, counted)             # org's member counts follow the members events


@pytest.mark.parametrize("processes", [0, 2], ids=["inline", "worker-processes"])
def test_the_import_copies_rows_and_events_on_postgresql(make_app, pg_url, processes):
    from .conftest import TREE, Tree

    members = make_app("members", database_url=pg_url("members"), import_processes=processes,
                       import_parallel_bytes=0)
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    data = rows(tree, 50)
    data[7]["name"] = "王\\五\t(临时)"  # a backslash and a tab travel through the COPY text as they are
    data[8].update(stage="probationary", full_member_since="", probationary_since="2025-12-01",
                   target_since="2025-06-01", activist_since="2024-06-01", applied_on="2024-01-01")
    bad = [dict(r) for r in data]
    bad[40]["unit_id"] = tree.id("bz")
    failed = client.post("/api/members/v1/imports", data=as_csv(bad), headers={**county, "Content-Type": "text/csv"})
    assert failed.status_code == 422
    assert failed.json["report"]["errors"][0]["line"] == 42
    kit = kit_of(members)
    with kit.db.Session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(func.count()).select_from(kit.models.OutboxEvent)) == 0
    first = client.post("/api/members/v1/imports", data=as_csv(data[:30]), headers={**county, "Content-Type": "text/csv"})
    assert first.status_code == 201
    assert first.json["created"] == 30
    # the whole file: the 30 already registered are left alone, their events and clocks are not written twice
    ok = client.post("/api/members/v1/imports", data=as_csv(data), headers={**county, "Content-Type": "text/csv"})
    assert ok.status_code == 201
    assert (ok.json["created"], ok.json["existing"]) == (20, 30)
    again = client.post("/api/members/v1/imports", data=as_csv(data), headers={**county, "Content-Type": "text/csv"})
    assert (again.json["created"], again.json["existing"]) == (0, 50)
    with kit.db.Session() as s:
        people = s.scalars(select(Person)).all()
        assert len(people) == 50
        assert len({p.id for p in people}) == 50
        assert s.scalar(select(func.count()).select_from(Deadline)) == 1  # the one probation running
        named = {p.name: p for p in people}
        assert "王\\五\t(临时)" in named
        assert named["王\\五\t(临时)"].org_path == tree.path("v")
    created = [e for e in pending_events(members) if e.type == "members.person.created"]
    assert sorted(e.data["id"] for e in created) == sorted(p.id for p in people)
    assert len({e.id for e in created}) == 50
    assert {e.org_path for e in created} == {tree.path("v")}
    listed = client.get(f"/api/members/v1/people?under={tree.id('v')}&limit=20", headers=county).json
    assert len(listed["items"]) == 20
    assert listed["next_cursor"]
    assert listed["items"][0]["id_number"] in {r["id_number"] for r in data}
    nxt = client.get(f"/api/members/v1/people?under={tree.id('v')}&limit=20&cursor={listed['next_cursor']}",
                     headers=county).json
    assert not {p["id"] for p in nxt["items"]} & {p["id"] for p in listed["items"]}


def test_the_subtree_list_is_an_index_range_scan_on_postgresql(make_app, pg_url):
    members = make_app("members", database_url=pg_url("members"))
    kit = kit_of(members)
    with kit.db.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(text(
            "EXPLAIN SELECT * FROM people WHERE org_path >= '/p/c/a/' AND org_path < '/p/c/a0' "
            "AND (org_path, id) > ('/p/c/a/t/', '0') ORDER BY org_path, id LIMIT 51")))
    assert "ix_people_org_path_id" in plan, plan
    assert "Sort" not in plan, plan


def test_alerts_reports_points_and_transfers_on_postgresql(make_app, pg_url):
    from .conftest import TREE, Tree, full_member, register

    members = make_app("members", database_url=pg_url("members"))
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county, admin = members.test_client(), auth(members, "organizer", scope=tree.id("a")), auth(members,
                                                                                                      "admin")
    for i in range(3):
        register(client, county, tree.id("v"), name=f"申请{i}", applied_on=f"2024-10-0{i + 1}")
    page = client.get("/api/members/v1/alerts?as_of=2024-11-30&limit=2", headers=county).json
    rest = client.get(f"/api/members/v1/alerts?as_of=2024-11-30&limit=2&cursor={page['next_cursor']}",
                      headers=county).json
    assert [a["due_on"] for a in page["items"] + rest["items"]] == ["2024-11-01", "2024-11-02", "2024-11-03"]
    a, b = full_member(client, county, tree.id("v"), "甲"), full_member(client, county, tree.id("v"), "乙")
    client.post("/api/members/v1/points", headers=county, json={"person_id": a["id"], "awarded_on": "2026-03-01",
                                                                 "source": "attendance", "points": 10})
    ranking = client.get(f"/api/members/v1/points/ranking?unit_id={tree.id('v')}&year=2026", headers=county).json
    assert [(r["name"], r["rank"]) for r in ranking["items"]] == [("甲", 1), ("乙", 2)]
    stages = client.get(f"/api/members/v1/reports/stages?under={tree.id('a')}", headers=county).json
    assert stages["counts"]["applicant"] == 3
    assert stages["counts"]["full"] == 2
    assert {c["name"]: c["total"] for c in stages["children"]} == {"unit t": 5, "unit g": 0}
    villages = client.get("/api/members/v1/reports/no-development?as_of=2026-11-28", headers=admin).json
    assert {v["unit_id"] for v in villages["flagged"]} == {tree.id("v"), tree.id("bz")}
    breaches = client.get("/api/members/v1/reports/breaches?year=2024", headers=county).json
    assert {"code": "MEMBERS.TALK_DEADLINE", "kind": "talk", "breached": 0, "overdue": 3} in breaches["items"]
    moved = client.post("/api/members/v1/transfers", headers=county, json={
        "person_id": b["id"], "to_unit_id": tree.id("b2"), "requested_on": "2026-03-01"})
    assert moved.status_code == 201
    seen = client.get(f"/api/members/v1/transfers?under={tree.id('b2')}", headers=county).json["items"]
    assert [t["direction"] for t in seen] == ["in"]
