"""Deliveries to real HTTP receivers on 127.0.0.1: what matches, signed as docs/webhooks.md says, in order
through a receiver's downtime, paused and flagged after the retry window, a slow receiver delaying no one
else; the log, redelivery, the ping and the purge."""
import json
import re
import socket
import threading
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from services.webhooks.subscriptions import purge_old
from services.webhooks.models import Delivery, DeliveryAttempt, Subscription
from shared.db import utcnow

from .conftest import API, RULES, Receiver, World, wait_until

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify():
    """The receiver's ``verify`` exactly as docs/webhooks.md shows it."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation's example
    return namespace["verify"]


def units_in(world: World, parent: str, n: int, prefix: str) -> list[str]:
    return [world.unit(f"{prefix} {i}", "branch", parent)["id"] for i in range(n)]


def created_ids(receiver: Receiver) -> list[str]:
    return [e["data"]["id"] for e in receiver.envelopes()]


def test_a_subscription_under_a_county_gets_its_units_signed_and_none_of_the_next_county(world, receiver):
    platform = receiver()
    sub = world.subscribe(platform.url, ["org.unit.*"], under="county")
    mine = units_in(world, "township", 3, "mine")
    units_in(world, "other county", 2, "theirs")
    world.apply("members.stage.changed", {"id": str(uuid.uuid4()), "unit_id": mine[0], "name": "张三",
                                          "stage": "probationary", "status": "active", "full_member_since": None,
                                          "probationary_since": None, "classification": None,
                                          "person_version": 2, "from_stage": "target", "changed_on": date(2026, 12, 1),
                                          "step": "admission"}, world.units["mine 0"]["path"])
    assert world.loop().drain(sub["id"]) == 3
    assert created_ids(platform) == mine
    verify = documented_verify()
    for request in platform.got:
        headers = request["headers"]
        assert verify(sub["secret"], headers, request["body"])
        assert not verify("whsec_another", headers, request["body"])
        assert not verify(sub["secret"], headers, request["body"] + b" ")
        envelope = json.loads(request["body"])
        assert headers["Zhibu-Event-Id"] == envelope["id"]
        assert headers["Zhibu-Event-Type"] == "org.unit.created"
        assert headers["Zhibu-Delivery-Attempt"] == "1"
        assert headers["Zhibu-Subscription-Id"] == sub["id"]
        assert envelope["version"] == 1
        assert envelope["source"] == "org"
        assert envelope["org_path"].startswith(world.units["county"]["path"])
    log = world.client.get(f"{API}/subscriptions/{sub['id']}/deliveries", headers=world.headers()).json["items"]
    assert [(e["status"], e["response_code"], e["attempt"]) for e in log] == [("delivered", 200, 1)] * 3
    assert all(e["latency_ms"] >= 0 and e["error"] is None for e in log)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_receiver_down_then_up_gets_every_event_afterwards_in_order(world, receiver):
    port = free_port()
    sub = world.subscribe(f"http://127.0.0.1:{port}/hook", ["org.unit.created"], under="county")
    loop = world.loop()
    made = units_in(world, "township", 2, "before")
    assert loop.drain(sub["id"]) == 0  # refused: retried later; the second waits behind the first
    made += units_in(world, "township", 3, "while down")
    wait_until(lambda: loop.drain(sub["id"]) == 0 and _attempts(world, sub["id"]) >= 3, what="three failed tries")
    platform = receiver(port=port)
    wait_until(lambda: loop.drain(sub["id"]) >= 0 and len(platform.got) >= 5, what="the deliveries")
    made += units_in(world, "township", 2, "after")
    loop.drain(sub["id"])
    assert created_ids(platform) == made
    attempts = [int(r["headers"]["Zhibu-Delivery-Attempt"]) for r in platform.got]
    assert attempts[0] >= 3
    assert attempts[-1] == 1
    log = world.client.get(f"{API}/subscriptions/{sub['id']}/deliveries", headers=world.headers(),
                           query_string={"status": "failed"}).json["items"]
    assert log
    assert all(e["error"] and e["response_code"] is None for e in log)


def _attempts(world, subscription_id) -> int:
    with world.kit.db.Session() as session:
        return session.scalar(select(func.count()).select_from(DeliveryAttempt)
                              .where(DeliveryAttempt.subscription_id == subscription_id))


def test_failing_for_the_whole_window_pauses_and_flags_then_resuming_sends_the_queue(make_app, receiver):
    world = World(make_app("webhooks", rules={**RULES, "retry_window_hours": 0}))
    world.unit("province", "province")
    platform = receiver(status=500)
    sub = world.subscribe(platform.url, ["org.unit.*"])
    made = units_in(world, "province", 2, "u")
    loop = world.loop()
    assert loop.drain(sub["id"]) == 0
    flagged = world.client.get(f"{API}/subscriptions/{sub['id']}", headers=world.headers())
    assert flagged.json["status"] == "paused"
    assert flagged.json["flagged"]
    assert "500" in flagged.json["flag_reason"]
    assert flagged.json["pending"] == 2
    assert len(platform.got) == 1
    made += units_in(world, "province", 1, "while paused")  # still queued: nothing is lost
    assert loop.drain(sub["id"]) == 0
    assert len(platform.got) == 1
    platform.status = 200
    resumed = world.client.patch(f"{API}/subscriptions/{sub['id']}", json={"status": "active"},
                                 headers=world.headers(**{"If-Match": flagged.headers["ETag"]}))
    assert resumed.json["flagged"] is False
    assert loop.drain(sub["id"]) == 3
    assert created_ids(platform)[1:] == made


def test_a_slow_receiver_does_not_delay_a_fast_one(world, receiver):
    slow, fast = receiver(), receiver()
    slow.gate = threading.Event()  # the slow receiver answers nothing until the test lets it
    slow_sub = world.subscribe(slow.url, ["org.unit.created"], name="slow")
    world.subscribe(fast.url, ["org.unit.created"], name="fast")
    loop = world.loop()
    loop.start()
    try:
        made = units_in(world, "township", 10, "u")
        wait_until(lambda: len(fast.got) == 10, what="the fast receiver's ten deliveries")
        assert created_ids(fast) == made
        assert len(slow.got) == 1  # still holding the first one
        slow.gate.set()
        wait_until(lambda: len(slow.got) == 10, what="the slow receiver's deliveries")
        assert created_ids(slow) == made
    finally:
        slow.gate.set()
        loop.stop()
    with world.kit.db.Session() as session:
        assert session.get(Subscription, slow_sub["id"]).lease_owner is None


def test_redeliver_one_event_or_everything_since_a_time(world, receiver):
    platform = receiver()
    sub = world.subscribe(platform.url, ["org.unit.created"], under="county")
    made = units_in(world, "township", 3, "u")
    loop = world.loop()
    loop.drain(sub["id"])
    first_ids = platform.event_ids()
    redeliver = f"{API}/subscriptions/{sub['id']}/redeliver"
    one = world.client.post(redeliver, json={"event_id": first_ids[1]}, headers=world.headers())
    assert one.status_code == 202
    assert one.json == {"queued": 1}
    loop.drain(sub["id"])
    assert platform.event_ids() == first_ids + [first_ids[1]]
    since = world.client.post(redeliver, json={"since": (utcnow() - timedelta(hours=1)).isoformat()},
                              headers=world.headers())
    assert since.json == {"queued": 3}  # the first deliveries only, not the redelivered copy
    loop.drain(sub["id"])
    assert created_ids(platform)[4:] == made
    assert world.client.post(redeliver, json={"event_id": str(uuid.uuid4())}, headers=world.headers()).status_code == 404
    for bad in ({}, {"event_id": first_ids[0], "since": utcnow().isoformat()}, {"since": "2026-12-01T00:00:00"}):
        assert world.client.post(redeliver, json=bad, headers=world.headers()).status_code == 422, bad


def test_a_ping_is_signed_sent_at_once_and_logged(world, receiver):
    platform = receiver()
    sub = world.subscribe(platform.url, ["org.*"])
    resp = world.client.post(f"{API}/subscriptions/{sub['id']}/ping", headers=world.headers())
    assert resp.status_code == 200
    assert resp.json["status"] == "delivered"
    assert resp.json["response_code"] == 200
    (request,) = platform.got
    assert request["headers"]["Zhibu-Event-Type"] == "webhooks.ping"
    assert documented_verify()(sub["secret"], request["headers"], request["body"])
    platform.close()
    down = world.client.post(f"{API}/subscriptions/{sub['id']}/ping", headers=world.headers()).json
    assert down["status"] == "failed"
    assert down["error"]
    log = world.client.get(f"{API}/subscriptions/{sub['id']}/deliveries", headers=world.headers()).json["items"]
    assert [e["status"] for e in log] == ["delivered", "failed"]


def test_the_daily_purge_keeps_thirty_days(world, receiver):
    platform = receiver()
    sub = world.subscribe(platform.url, ["org.unit.created"])
    units_in(world, "township", 2, "u")
    world.loop().drain(sub["id"])
    units_in(world, "township", 1, "pending")  # not yet delivered: never purged
    old = utcnow() - timedelta(days=31)
    with world.kit.db.transaction() as session:
        session.execute(update(Delivery).values(created_at=old))
        first = session.scalar(select(func.min(DeliveryAttempt.id)))
        session.execute(update(DeliveryAttempt).where(DeliveryAttempt.id == first).values(at=old))
    assert purge_old(world.app) == {"attempts": 1, "deliveries": 2}
    with world.kit.db.Session() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
