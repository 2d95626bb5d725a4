"""The event scenarios on PostgreSQL + RabbitMQ (CI runs these; they never skip there)."""
import shutil
import subprocess
import time

import pytest

from shared.consumer import EventConsumer, dead_letters
from shared.testing import kit_of

from tests.kit.test_events import (consume_until, consumer_for, count, make_units, refuse_poison,
                                   scenario_a_backlog_is_applied_in_runs_around_the_event_at_fault,
                                   scenario_a_pack_goes_out_as_separate_events, scenario_broker_down_then_back,
                                   scenario_dead_letters_go_back_once_mended, scenario_duplicate_delivery,
                                   scenario_poison_goes_to_dead_letters, scenario_separate_processes)

pytestmark = pytest.mark.infra


@pytest.fixture
def real_pair(make_app, auth_headers, pg_url, amqp_url):
    org = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    members = make_app("members", database_url=pg_url("members"), broker_url=amqp_url,
                       bus_namespace=kit_of(org).config.bus_namespace)
    yield org, members, auth_headers(org, "admin")
    _delete_queues(members, amqp_url)


def _delete_queues(app, amqp_url):
    from kombu import Connection

    from shared.events import service_queues

    config = kit_of(app).config
    with Connection(amqp_url) as conn:
        channel = conn.default_channel
        for queue in service_queues(config, []):
            try:
                queue(channel).delete()
            except Exception:  # noqa: BLE001 - already gone
                pass


@pytest.fixture
def quorum_pair(make_app, auth_headers, pg_url, amqp_url):
    """The pair with the consumer's queues declared as quorum queues (ZHIBU_QUEUE_TYPE=quorum), as a province's
    RabbitMQ cluster runs them."""
    org = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    members = make_app("members", database_url=pg_url("members"), broker_url=amqp_url,
                       bus_namespace=kit_of(org).config.bus_namespace, queue_type="quorum")
    yield org, members, auth_headers(org, "admin")
    _delete_queues(members, amqp_url)


def queue_types(namespace: str) -> dict[str, str]:
    """queue name -> its type, as RabbitMQ reports it, for the queues of one bus namespace"""
    out = subprocess.run([shutil.which("rabbitmqctl") or "rabbitmqctl", "-q", "list_queues", "name", "type"],
                         capture_output=True, text=True, check=True).stdout
    rows = (line.split("\t")[:2] for line in out.splitlines() if "\t" in line)
    return {name: kind for name, kind in rows if name.startswith(namespace + ".")}


def test_queues_are_quorum_queues_when_configured_and_retries_and_dead_letters_work_on_them(quorum_pair):
    org, members, headers = quorum_pair
    scenario_poison_goes_to_dead_letters(org, members, headers)
    namespace = kit_of(members).config.bus_namespace
    assert queue_types(namespace) == {f"{namespace}.members": "quorum", f"{namespace}.members.dead": "quorum"}


def test_an_event_failing_in_a_consumer_that_went_away_keeps_its_count_on_a_quorum_queue(quorum_pair):
    """A consumer that dies (or loses its connection) holding a failing event gives it back to the queue; the
    next consumer, a new process that remembers nothing, continues the count from the queue's
    x-delivery-count, so an event that kills its worker ends in the dead-letter queue, not in a loop."""
    org, members, headers = quorum_pair
    k = kit_of(members)
    calls = refuse_poison(members)

    # the first process would retry only after a minute: it goes away before that
    first = EventConsumer(k.config.with_(retry_backoff_seconds=60), k.db, k.handlers, k.models.InboxEvent)
    first.consume_for(0.2)
    make_units(org, headers, ["POISON"])
    assert kit_of(org).relay.drain() == 1
    consume_until(first, lambda: len(calls) >= 1)
    first.connection.release()  # the process is gone: its unacknowledged message goes back to the queue
    second = consumer_for(members)  # a new process: no count of its own
    consume_until(second, lambda: second.dead_lettered == 1)
    assert len(calls) == k.config.max_attempts  # counted on from the first process's attempt, not afresh


def test_broker_unreachable_then_back_rabbitmq(real_pair):
    org, members, headers = real_pair
    scenario_broker_down_then_back(org, members, headers, "amqp://guest:guest@127.0.0.1:1//")


def test_duplicate_delivery_rabbitmq(real_pair):
    scenario_duplicate_delivery(*real_pair)


def test_a_pack_goes_out_as_separate_events_rabbitmq(real_pair):
    scenario_a_pack_goes_out_as_separate_events(*real_pair)


def test_a_backlog_is_applied_in_runs_around_the_event_at_fault_rabbitmq(real_pair):
    scenario_a_backlog_is_applied_in_runs_around_the_event_at_fault(*real_pair)


def test_poison_message_rabbitmq(real_pair):
    scenario_poison_goes_to_dead_letters(*real_pair)


def test_separate_processes_rabbitmq(real_pair):
    scenario_separate_processes(*real_pair, {})


def test_dead_letters_go_back_once_mended_rabbitmq(real_pair):
    scenario_dead_letters_go_back_once_mended(*real_pair)


def test_events_wait_while_postgresql_refuses_connections(real_pair):
    """The members database stops taking connections (as during a restart or failover): the events wait,
    unacknowledged and not dead-lettered however long it lasts, and are applied once it is back."""
    from tests.conftest import database_refusing_connections

    org, members, headers = real_pair
    k = kit_of(members)
    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    with database_refusing_connections(k.db.engine.url.database):
        make_units(org, headers, ["P", "C1"])
        assert kit_of(org).relay.drain() == 2
        waited = time.monotonic() + k.config.retry_backoff_seconds * 2 ** k.config.max_attempts + 1
        while time.monotonic() < waited:  # longer than every attempt would have taken to dead-letter them
            consumer.consume_for(0.2)
        assert consumer.dead_lettered == 0
        assert consumer.processed == 0
    consume_until(consumer, lambda: count(members, k.models.OrgUnitView) == 2, seconds=60)
    assert consumer.dead_lettered == 0
    assert dead_letters(k.config, k.handlers.event_types) == []


def test_an_event_rolled_back_in_a_deadlock_is_applied_again_without_counting_an_attempt(make_app, pg_url, amqp_url,
                                                                                        auth_headers):
    """Two replicas' transactions wait on each other's rows and PostgreSQL rolls back the one applying the event:
    the event goes again a moment later, and its attempt is not counted (one attempt is all this consumer
    allows: a counted failure would dead-letter it). The other transaction's work and the event's are each
    kept once."""
    from sqlalchemy import text

    from tests.conftest import DeadlockPartner

    org = make_app("org", database_url=pg_url("org"), broker_url=amqp_url)
    members = make_app("members", database_url=pg_url("members"), broker_url=amqp_url, max_attempts=1,
                       bus_namespace=kit_of(org).config.bus_namespace)
    try:
        k = kit_of(members)
        partner = DeadlockPartner(k.config.database_url)
        applying = []

        @k.handlers.on("org.unit.created")
        def count_it_in(session, event):
            applying.append(event.id)
            if len(applying) == 1:
                partner.cross(session)       # another replica holds row 2 and comes for row 1
            else:
                session.execute(text("UPDATE deadlock_rows SET n = n + 1"))

        consumer = consumer_for(members)
        consumer.consume_for(0.2)
        make_units(org, auth_headers(org, "admin"), ["P"])
        assert kit_of(org).relay.drain() == 1
        consume_until(consumer, lambda: count(members, k.models.OrgUnitView) == 1, seconds=30)
        partner.join()
        assert consumer.conflicts == 1
        assert consumer.dead_lettered == 0
        assert len(applying) == 2 and len(set(applying)) == 1
        assert partner.counts() == {1: 2, 2: 2}
        assert dead_letters(k.config, k.handlers.event_types) == []
    finally:
        _delete_queues(members, amqp_url)
