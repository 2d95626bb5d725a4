"""On the real PostgreSQL and RabbitMQ, with real HTTP receivers on 127.0.0.1: org creates units, its relay
publishes them, the webhooks consumer queues them per subscription and the delivery loop POSTs them.

- a subscription for ``org.unit.*`` under one county gets every unit created there, signed as the
  documentation says, and none from the next county;
- a receiver that is down, then up, gets every event afterwards, in order;
- a receiver that does not answer does not delay another one.
"""
import threading

import pytest
from kombu import Connection
from sqlalchemy import func, select

from services.webhooks.models import Delivery
from shared.consumer import EventConsumer
from shared.events import service_queues
from shared.testing import kit_of

from tests.org.conftest import Org

from .conftest import RULES, World, wait_until
from .test_delivery import created_ids, documented_verify, free_port

pytestmark = pytest.mark.infra


class Running:
    """The webhooks worker's two halves in this process: the event consumer (on RabbitMQ) and the delivery
    loop, each on its own thread."""

    def __init__(self, app):
        kit = kit_of(app)
        self.consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._consume, daemon=True)
        self.loop = World(app).loop()

    def _consume(self):
        while not self.stopping.is_set():
            self.consumer.consume_for(0.3)

    def start(self):
        self.consumer.consume_for(0.3)  # declares the queue and its bindings before anything is published
        self.thread.start()
        self.loop.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        self.loop.stop()


@pytest.fixture
def suite(make_app, pg_url, amqp_url, auth_headers):
    org_app = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    namespace = kit_of(org_app).config.bus_namespace
    hooks = make_app("webhooks", database_url=pg_url("webhooks"), broker_url=amqp_url, bus_namespace=namespace,
                     rules=dict(RULES))
    org = Org(org_app, auth_headers(org_app, "admin"))
    world = World(hooks)
    running = Running(hooks)
    running.start()
    try:
        province = org.unit("province", name="山东省委")
        city = org.unit("city", province, name="济宁市委")
        counties = [org.unit("county", city, name="邹城市委"), org.unit("county", city, name="曲阜市委")]
        relay(org)
        wait_until(lambda: known(world, counties[1]["id"]), what="the tree in the webhooks read-model")
        yield org, world, counties
    finally:
        running.stop()
    with Connection(amqp_url) as conn:
        for queue in service_queues(kit_of(hooks).config, []):
            try:
                queue(conn.default_channel).delete()
            except Exception:  # noqa: BLE001 - already gone
                pass


def relay(org) -> int:
    return kit_of(org.app).relay.sweep(500)


def known(world, unit_id) -> bool:
    with world.kit.db.Session() as session:
        return session.get(world.kit.models.OrgUnitView, unit_id) is not None


def subscribe_under(world, org, county, url, **fields) -> dict:
    resp = world.client.post("/api/webhooks/v1/subscriptions", headers=world.headers(),
                             json={"name": fields.pop("name", "platform"), "url": url,
                                   "event_types": ["org.unit.*"], "under": county["id"], **fields})
    assert resp.status_code == 201, resp.json
    return resp.json


def branches(org, county, n: int, prefix: str) -> list[str]:
    township = org.unit("township", county, name=f"{prefix}街道党工委")
    return [township["id"]] + [org.unit("branch", township, name=f"{prefix}第{i}党支部")["id"] for i in range(n)]


def feed(org, county, after: str | None = None) -> tuple[list[dict], str | None]:
    """org's change feed of ``org.unit.*`` under the county, from ``after`` to its head."""
    items: list[dict] = []
    while True:
        page = org.get("/changes", types="org.unit.*", under=county["id"], **({"after": after} if after else {}))
        assert page.status_code == 200, page.json
        items += page.json["items"]
        after = page.json["next_cursor"] or after
        if not page.json["more"]:
            return items, after


def test_a_county_subscription_gets_its_units_signed_and_none_of_the_next_county(suite, receiver):
    org, world, (county, next_county) = suite
    platform = receiver()
    seen: list[dict] = []
    position = [None]

    def pull(count: int) -> bool:
        items, position[0] = feed(org, county, position[0])
        seen.extend(items)
        return len(seen) >= count

    # a platform that pulls, from the moment the other subscribes: it has read the county's creation (on
    # PostgreSQL the feed's horizon may wait a moment for a transaction of another database)
    wait_until(lambda: pull(1), what="the county in the change feed")
    sub = subscribe_under(world, org, county, platform.url)
    theirs = branches(org, next_county, 3, "曲阜")
    mine = branches(org, county, 4, "邹城")
    last = branches(org, next_county, 1, "曲阜二")
    relay(org)
    wait_until(lambda: known(world, last[-1]) and len(platform.got) >= len(mine), what="the deliveries")
    assert created_ids(platform) == mine
    verify = documented_verify()
    assert all(verify(sub["secret"], r["headers"], r["body"]) for r in platform.got)
    unit_of = Delivery.envelope["data"]["id"].as_string()
    with world.kit.db.Session() as session:  # the next county's units were consumed, and queued for no one
        assert session.scalar(select(func.count()).select_from(Delivery).where(unit_of.in_(theirs + last))) == 0
        assert session.scalar(select(func.count()).select_from(Delivery).where(unit_of.in_(mine))) == len(mine)
    assert not set(theirs + last) & set(created_ids(platform))
    wait_until(lambda: pull(1 + len(mine)), what="the change feed's events")
    assert seen[1:] == platform.envelopes()  # the same events, in the same order, as the webhook delivered


def test_a_receiver_down_then_up_gets_every_event_afterwards_in_order(suite, receiver):
    org, world, (county, _) = suite
    port = free_port()
    sub = subscribe_under(world, org, county, f"http://127.0.0.1:{port}/hook")
    made = branches(org, county, 4, "停机")
    relay(org)
    log = f"/api/webhooks/v1/subscriptions/{sub['id']}/deliveries"
    wait_until(lambda: len(world.client.get(log, headers=world.headers(), query_string={"status": "failed"})
                           .json["items"]) >= 3, what="three failed attempts")
    platform = receiver(port=port)
    made += branches(org, county, 3, "恢复")
    relay(org)
    wait_until(lambda: len(platform.got) >= len(made), what="every delivery")
    assert created_ids(platform) == made


def test_a_receiver_that_does_not_answer_does_not_delay_another(suite, receiver):
    org, world, (county, _) = suite
    slow, fast = receiver(), receiver()
    slow.gate = threading.Event()
    subscribe_under(world, org, county, slow.url, name="slow")
    subscribe_under(world, org, county, fast.url, name="fast")
    made = branches(org, county, 9, "快慢")
    relay(org)
    try:
        wait_until(lambda: len(fast.got) == len(made), what="the fast receiver's deliveries")
        assert created_ids(fast) == made
        assert len(slow.got) == 1
    finally:
        slow.gate.set()
    wait_until(lambda: len(slow.got) == len(made), what="the slow receiver's deliveries")
    assert created_ids(slow) == made
