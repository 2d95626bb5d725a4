"""On PostgreSQL + RabbitMQ: org, members and training events through the real broker move a branch's stars,
and the ratings the evaluation service publishes leave through its outbox and relay."""
import time
from datetime import date

import pytest
from kombu import Connection, Producer, Queue

from shared.consumer import EventConsumer
from shared.events import events_exchange, publish_envelope, service_queues
from shared.testing import kit_of
from tests.evaluation.conftest import API, YEAR, Feed

pytestmark = pytest.mark.infra


def consume_until(consumer, processed: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while consumer.processed < processed and time.monotonic() < deadline:
        consumer.consume_for(0.3)
    assert consumer.processed >= processed, f"consumed {consumer.processed} of {processed} events"


class BrokerFeed(Feed):
    """The same events as the unit tests, published on the kit's exchange instead of applied directly."""

    def __init__(self, app, producer, exchange):
        super().__init__(app)
        self.producer, self.exchange, self.sent = producer, exchange, 0

    def apply(self, envelope) -> bool:
        publish_envelope(self.producer, self.exchange, envelope.as_dict())
        self.sent += 1
        return True


def test_events_through_rabbitmq_move_a_branchs_stars(make_app, auth_headers, pg_url, amqp_url):
    org = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    namespace = kit_of(org).config.bus_namespace
    evaluation = make_app("evaluation", database_url=pg_url("evaluation"), broker_url=amqp_url,
                          bus_namespace=namespace)
    kit = kit_of(evaluation)
    consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)
    ratings_out = Queue(f"{namespace}.test-ratings", exchange=events_exchange(kit.config),
                        routing_key="evaluation.rating.published", durable=False, auto_delete=False)
    try:
        consumer.consume_for(0.5)  # declares the evaluation queue and its bindings
        with Connection(amqp_url) as conn:
            ratings_out(conn.default_channel).declare()

        # the org tree, created through the org API and relayed from its outbox
        admin_org = auth_headers(org, "admin")
        client = org.test_client()
        ids = {}
        for kind, name, parent in [("province", "山东省委", None), ("city", "济宁市委", "province"),
                                   ("county", "邹城市委", "city"), ("branch", "一支部", "county")]:
            body = {"kind": kind, "name": name, "code": f"{kind}-{namespace}"}
            if parent:
                body["parent_id"] = ids[parent]["id"]
            resp = client.post("/api/org/v1/units", json=body, headers=admin_org)
            assert resp.status_code == 201, resp.get_json()
            ids[kind] = resp.get_json()
        assert kit_of(org).relay.drain() == 4
        consume_until(consumer, 4)

        admin = auth_headers(evaluation, "admin")
        ev = evaluation.test_client()
        branch = ids["branch"]

        def recompute_and_read():
            resp = ev.post(f"{API}/assessments/recompute", json={"under": ids["county"]["id"], "year": YEAR},
                           headers=admin)
            assert resp.status_code == 200, resp.get_json()
            return ev.get(f"{API}/units/{branch['id']}/assessment?year={YEAR}", headers=admin).get_json()["assessment"]

        before = recompute_and_read()
        assert before["stars"] == 1
        assert before["weak"] is True

        # committee, meetings, people, points, review, training and venue: published on the kit's exchange
        with Connection(amqp_url) as conn:
            feed = BrokerFeed(evaluation, Producer(conn.default_channel), events_exchange(kit.config))
            people = [feed.person(branch, "full"), feed.person(branch, "full"),
                      feed.person(branch, "probationary", probationary_since=date(YEAR, 3, 1))]
            feed.committee(branch, [{"role": "secretary", "person_id": people[0], "since": date(YEAR - 1, 6, 1)}])
            feed.full_year_of_meetings(branch)
            feed.review(branch)
            for person in people:
                feed.points(person, branch, 100.0)
                feed.attendance(person, branch, 40.0)
            feed.requirement(people[0], branch, "secretary_rotation")
            feed.support(branch, True)
        consume_until(consumer, 4 + feed.sent)

        entered = ev.post(f"{API}/inputs", headers=admin, json={
            "unit_id": branch["id"], "year": YEAR, "name": "public_satisfaction", "value": 100})
        assert entered.status_code == 201
        after = recompute_and_read()
        assert after["score"] == 100.0
        assert after["weak"] is False
        assert after["stars"] == 4  # 100 points; a county of one branch has no five-star place (30% of 1 is 0)
        assert after["limits"][0]["code"] == "EVAL.STARS"

        published = ev.post(f"{API}/ratings", json={"region_id": ids["county"]["id"], "year": YEAR}, headers=admin)
        assert published.status_code == 201
        assert kit.relay.drain() == 1
        with Connection(amqp_url) as conn:
            message = ratings_out(conn.default_channel).get(no_ack=True)
        assert message is not None
        assert message.payload["data"]["unit_id"] == branch["id"]
        assert message.payload["data"]["stars"] == 4
    finally:
        with Connection(amqp_url) as conn:
            channel = conn.default_channel
            for queue in [*service_queues(kit.config, []), ratings_out]:
                try:
                    queue(channel).delete()
                except Exception:  # noqa: BLE001 - already gone
                    pass


def test_the_nightly_recompute_on_postgresql_leaves_the_night_to_the_worker_holding_its_lock(make_app, pg_url):
    import psycopg

    from services.evaluation.assessing import NIGHTLY_LOCK, nightly_recompute

    url = pg_url("evaluation")
    evaluation = make_app("evaluation", database_url=url)
    feed = Feed(evaluation)
    tree = feed.tree()
    feed.healthy_branch(tree["township"], "支部")
    with psycopg.connect(url) as other:             # another worker is in the middle of tonight's run
        other.execute("SELECT pg_advisory_lock(%s)", (NIGHTLY_LOCK,))
        assert nightly_recompute(evaluation) == {"skipped": "another worker is recomputing"}
        other.execute("SELECT pg_advisory_unlock(%s)", (NIGHTLY_LOCK,))
    result = nightly_recompute(evaluation)
    assert sum(result["branches"].values()) == 1
