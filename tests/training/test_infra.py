"""Training on PostgreSQL + RabbitMQ (run with ZHIBU_TEST_INFRA=1; CI never skips them).

- Development-target training completed in training publishes training.requirement.met through
  the real broker: it arrives on a queue bound to that routing key, consumed by the kit's
  EventConsumer (the members service's own handling of it is tested by members).
- The SQL that differs between databases (upserts with ON CONFLICT, coverage's roll-up, the
  planner's inputs) runs on PostgreSQL.
"""
import time
from datetime import date, datetime

import pytest
from kombu import Connection

from shared.consumer import EventConsumer, Handlers
from shared.events import service_queues
from shared.testing import kit_of
from tests.training.conftest import API, World

pytestmark = pytest.mark.infra


def seeded(app) -> World:
    w = World(app)
    w.unit("P", "province")
    w.unit("C", "city", "P")
    w.unit("K1", "county", "C")
    w.unit("K2", "county", "C")
    w.unit("T1", "township", "K1")
    w.unit("B1", "branch", "T1")
    w.unit("B2", "branch", "K2")
    return w


def test_target_training_met_reaches_a_queue_bound_to_its_routing_key(make_app, pg_url, amqp_url):
    training = make_app("training", database_url=pg_url("training"), broker_url=amqp_url)
    namespace = kit_of(training).config.bus_namespace
    members = make_app("members", database_url=pg_url("members"), broker_url=amqp_url, bus_namespace=namespace)
    received = []
    listens = Handlers()

    @listens.on("training.requirement.met")
    def requirement_met(session, event):
        received.append(event)

    kit = kit_of(members)
    consumer = EventConsumer(kit.config, kit.db, listens, kit.models.InboxEvent)
    try:
        consumer.consume_for(0.3)   # declares the queue and binds it to training.requirement.met
        w = seeded(training)
        target = w.person("发展对象", "B1", "target")
        w.train("K1", "target_training", ["发展对象"], [8, 8, 7.5])      # 3 days, 23.5 class hours
        assert kit_of(training).relay.drain() >= 1
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            consumer.consume_for(0.2)
        assert [e.data["requirement"] for e in received] == ["target_training"]
        met = received[0]
        assert (met.data["person_id"], met.data["unit_id"], met.data["days"], met.data["hours"]) == (
            target, w.id("B1"), 3, 23.5)
        assert met.source == "training"
        assert met.org_path == w.units["B1"]["path"]
        consumer.consume_for(0.3)
        assert consumer.processed == 1   # the queue only hears what it is bound to
    finally:
        with Connection(amqp_url) as conn:
            for queue in service_queues(kit.config, []):
                try:
                    queue(conn.default_channel).delete()
                except Exception:  # noqa: BLE001 - already gone
                    pass


def test_hours_coverage_and_planning_on_postgresql(make_app, pg_url, monkeypatch):
    from services.training import rotation

    app = make_app("training", database_url=pg_url("training"))
    w = seeded(app)
    w.person("书记", "B1")
    w.person("党员", "B1")
    w.person("外县", "B2")
    w.committee("B1", [("secretary", "书记", date(2020, 1, 1))])
    cls = w.train("K1", "secretary_rotation", ["书记", "党员"], [8, 8, 8, 7.5])
    again = w.attend(cls, 0, "书记", "党员")
    assert again.status_code == 200
    assert again.get_json()["credited"] == []  # ON CONFLICT DO NOTHING
    hours = w.client.get(f"{API}/people/{w.id('党员')}/hours?year=2025", headers=w.headers(scope="K1")).get_json()
    assert hours["hours"] == 31.5
    assert hours["gaps"] == ["member_hours"]

    body = w.client.get(f"{API}/coverage?year=2025&under={w.id('C')}", headers=w.headers(scope="C")).get_json()
    rows = {r["unit_name"]: (r["members"], r["members_trained"], r["secretaries_rotated"]) for r in body["by_unit"]}
    assert rows == {"K1": (2, 2, 1), "K2": (1, 0, 0)}
    assert sorted(p["name"] for p in body["uncovered"]["items"]) == ["书记", "党员", "外县"]
    csv = w.client.get(f"{API}/coverage?year=2025&format=csv", headers=w.headers(scope="K1"))
    assert csv.status_code == 200
    assert "党员" in csv.get_data(as_text=True)

    monkeypatch.setattr(rotation, "today", lambda: date(2025, 6, 1))
    w.person("新书记", "B1")
    w.committee("B1", [("secretary", "新书记", date(2025, 5, 1))], version=2, elected_on=date(2025, 5, 1))
    w.make_class("K1", "secretary_rotation", capacity=5, starts_on=date(2025, 9, 1),
                 sessions=[(datetime(2025, 9, 1, 9), datetime(2025, 9, 1, 17), 8)])
    plan = w.client.post(f"{API}/rotation-plans", headers=w.headers(scope="K1"),
                         json={"county_id": w.id("K1"), "year": 2025})
    assert plan.status_code == 201, plan.get_json()
    assert [i["name"] for i in plan.get_json()["items"]] == ["新书记"]


def test_the_same_attendance_twice_at_once_credits_once(make_app, pg_url):
    import threading

    from services.training.models import Attendance

    app = make_app("training", database_url=pg_url("training"))
    w = seeded(app)
    w.person("党员", "B1")
    cls = w.make_class("K1", capacity=5)
    assert w.enrol(cls["id"], "党员").status_code == 201
    barrier = threading.Barrier(4)
    answers = []

    def post():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(f"{API}/classes/{cls['id']}/attendance", headers=w.headers("admin"),
                                   json={"session_id": cls["sessions"][0]["id"], "person_ids": [w.id("党员")]}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert w.count(Attendance) == 1
    hours = w.client.get(f"{API}/people/{w.id('党员')}/hours?year=2025", headers=w.headers("admin")).get_json()
    assert hours["hours"] == 8.0
    assert len(w.events("training.attendance.recorded")) == 1
