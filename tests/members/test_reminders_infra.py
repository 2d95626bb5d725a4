"""On PostgreSQL + RabbitMQ: a person whose talk is due in 7 days produces one members.deadline.approaching
event however often the job runs, two runs at the same moment included (two worker replicas, or a run by
hand beside the scheduled one), and it reaches a queue bound to ``*.deadline.*``."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from kombu import Connection, Queue
from sqlalchemy import func, select

from services.members import reminders
from shared.events import events_exchange
from shared.reminders import send_reminders
from shared.testing import auth, kit_of, pending_events

from .conftest import TREE, Tree, register
from .test_reminders import APPLIED, TALK_DUE

pytestmark = pytest.mark.infra


def test_a_talk_due_in_7_days_reaches_a_deadline_queue_once(make_app, pg_url, amqp_url):
    members = make_app("members", database_url=pg_url("members"), broker_url=amqp_url)
    kit = kit_of(members)
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = members.test_client(), auth(members, "organizer", scope=tree.id("a"))
    person = register(client, county, tree.id("v"), name="孙申请")
    assert client.post(f"/api/members/v1/people/{person['id']}/steps", json={"kind": "application",
                       "date": APPLIED.isoformat()}, headers=county).status_code == 201
    kit.relay.drain()                                # the person's own events go out first
    day = TALK_DUE - timedelta(days=7)

    def run():
        with members.app_context():
            send_reminders(kit, reminders.SOURCES, members.config["RULES"], day)

    barrier = threading.Barrier(2)

    def at_once():
        barrier.wait()
        run()

    threads = [threading.Thread(target=at_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    run()                                           # and once more, later the same day
    with kit.db.Session() as session:
        sent = session.scalar(select(func.count()).select_from(kit.models.ReminderSent))
    reminders_written = [e for e in pending_events(members) if e.type.startswith("members.deadline.")]
    assert sent == 1
    assert [e.type for e in reminders_written] == ["members.deadline.approaching"]

    queue = Queue(f"{kit.config.bus_namespace}.test-deadlines-{uuid.uuid4().hex[:6]}",
                  exchange=events_exchange(kit.config), routing_key="*.deadline.*", durable=False, auto_delete=False)
    with Connection(amqp_url) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        try:
            kit.relay.drain()
            received, deadline = [], time.monotonic() + 15
            while time.monotonic() < deadline and len(received) < 1:
                message = bound.get(no_ack=True)
                if message is None:
                    time.sleep(0.1)
                    continue
                received.append(message.payload)
            time.sleep(0.5)
            assert bound.get(no_ack=True) is None          # only the reminder: nothing else is bound here
        finally:
            bound.delete()
    [envelope] = received
    assert envelope["type"] == "members.deadline.approaching"
    assert envelope["org_path"] == tree.path("v")
    assert envelope["data"]["subject_id"] == person["id"]
    assert envelope["data"]["days_before"] == 7
    assert envelope["data"]["due_on"] == TALK_DUE.isoformat()
    assert envelope["data"]["message_zh"] == "与入党申请人谈话：应于2026-04-01前完成，还有7天"
