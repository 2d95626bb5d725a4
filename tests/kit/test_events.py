"""Events end to end: outbox, relay, broker, consumer, inbox, retries, dead-letter queue.

Each scenario runs on kombu's in-memory transport here and, marked ``infra``,
on PostgreSQL + RabbitMQ (tests/integration/test_events_real.py reuses them).
The producer is the org service (org.unit.created), the consumer the members
service's org-unit read-model.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select, update

from shared.consumer import EventConsumer, Handlers, RunFailed, apply_event, apply_events, dead_letters
from shared.config import Config
from shared.events import Envelope, service_queues
from shared.outbox import BackgroundPublisher, Relay
from shared.testing import kit_of, pending_events
from tests.conftest import TEST_SECRET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def count(app, model) -> int:
    with kit_of(app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(model))


def consumer_for(app) -> EventConsumer:
    k = kit_of(app)
    return EventConsumer(k.config, k.db, k.handlers, k.models.InboxEvent)


def consume_until(consumer: EventConsumer, done, seconds: float = 15.0) -> None:
    """Consume on one connection (a failed event's retry waits in it) until ``done()``."""
    if not consumer.consume_for(seconds, until=done):
        raise AssertionError("the events did not arrive in time")


def make_units(org, headers, codes, parent=None):
    client = org.test_client()
    ids = []
    for code in codes:
        kind = "province" if parent is None else "city"
        body = {"kind": kind, "name": code, "code": code, **({"parent_id": parent} if parent else {})}
        resp = client.post("/api/org/v1/units", headers=headers, json=body)
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
        parent = parent or ids[0]
    return ids


def refuse_poison(members) -> list:
    """A handler of org.unit.created that fails on the unit coded POISON; the returned list gets the event's
    id at every attempt."""
    attempts = []

    @kit_of(members).handlers.on("org.unit.created")
    def refuse(session, event):
        if event.data["code"] == "POISON":
            attempts.append(event.id)
            raise RuntimeError("this handler cannot apply POISON")

    return attempts


def emit_a_province_renamed(province: str) -> None:
    """Inside a request: write an ``org.unit.updated`` event of ``province`` to the outbox (what a write emits)."""
    from shared.request import emit

    emit("org.unit.updated", {"id": province, "key": "1", "path": "/1/", "parent_id": None, "kind": "province",
                              "name": "P", "code": "P", "status": "active", "unit_version": 2}, org_path="/1/")


# ----------------------------------------------------------------------------- scenarios

def scenario_broker_down_then_back(org, members, headers, unreachable_url):
    View = kit_of(members).models.OrgUnitView
    consumer = consumer_for(members)
    consumer.consume_for(0.2)  # declares the queue and its bindings
    make_units(org, headers, ["P", "C1", "C2"])
    down = Relay(kit_of(org).db, kit_of(org).models.OutboxEvent, kit_of(org).config.with_(broker_url=unreachable_url))
    with pytest.raises(Exception):
        down.sweep()
    Outbox = kit_of(org).models.OutboxEvent
    with kit_of(org).db.Session() as session:
        unsent = session.scalars(select(Outbox).where(Outbox.sent_at.is_(None))).all()
        assert len(unsent) == 3
        assert unsent[0].attempts == 1
        assert unsent[0].last_error
    assert count(members, View) == 0
    assert kit_of(org).relay.drain() == 3  # the broker is back
    consume_until(consumer, lambda: count(members, View) == 3)
    assert kit_of(org).relay.drain() == 0
    consumer.consume_for(0.3)
    assert count(members, View) == 3
    assert count(members, kit_of(members).models.InboxEvent) == 3


def scenario_duplicate_delivery(org, members, headers):
    View = kit_of(members).models.OrgUnitView
    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    make_units(org, headers, ["P"])
    Outbox = kit_of(org).models.OutboxEvent
    with kit_of(org).db.Session() as session:
        row = session.scalars(select(Outbox)).one()
        envelope = row.envelope
    assert kit_of(org).relay.drain() == 1
    # the relay crashed before marking the row sent: the same event goes out again
    with kit_of(org).db.Session() as session:
        session.scalars(select(Outbox)).one().sent_at = None
        session.commit()
    assert kit_of(org).relay.drain() == 1
    consume_until(consumer, lambda: consumer.processed >= 2)
    assert count(members, View) == 1
    assert count(members, kit_of(members).models.InboxEvent) == 1
    k = kit_of(members)
    assert apply_event(k.db, k.handlers, k.models.InboxEvent, Envelope.from_dict(envelope)) is False


def scenario_a_pack_goes_out_as_separate_events(org, members, headers):
    """A bulk write (org's import) packs its events into one outbox row; each reaches the consumer as its
    own event, and a pack sent again after a crash is applied once."""
    View = kit_of(members).models.OrgUnitView
    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    body = "code,name,kind,parent_code\nP,省,province,\nC1,市一,city,P\nC2,市二,city,P\n".encode()
    resp = org.test_client().post("/api/org/v1/imports", data=body, headers={**headers, "Content-Type": "text/csv"})
    assert resp.status_code == 201, resp.get_json()
    assert count(org, kit_of(org).models.OutboxEvent) == 1
    assert kit_of(org).relay.drain() == 3
    consume_until(consumer, lambda: count(members, View) == 3)
    assert {v.code for v in _all(members, View)} == {"P", "C1", "C2"}
    Outbox = kit_of(org).models.OutboxEvent
    with kit_of(org).db.Session() as session:  # the relay died before marking the pack sent
        session.scalars(select(Outbox)).one().sent_at = None
        session.commit()
    assert kit_of(org).relay.drain() == 3
    consume_until(consumer, lambda: consumer.processed >= 6)
    assert count(members, View) == 3
    assert count(members, kit_of(members).models.InboxEvent) == 3


def _all(app, model):
    with kit_of(app).db.Session() as session:
        return session.scalars(select(model)).all()


def scenario_poison_goes_to_dead_letters(org, members, headers):
    k = kit_of(members)
    View = k.models.OrgUnitView
    attempts = refuse_poison(members)

    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    province = make_units(org, headers, ["P"])[0]
    make_units(org, headers, ["POISON", "LATER"], parent=province)
    assert kit_of(org).relay.drain() == 3
    consume_until(consumer, lambda: consumer.dead_lettered == 1 and count(members, View) == 2)
    assert len(attempts) == k.config.max_attempts
    with k.db.Session() as session:
        codes = sorted(session.scalars(select(View.code)))
    assert codes == ["LATER", "P"]  # the event after the poison one was applied

    dead = []
    with consumer.connection.clone() as conn:
        queue = consumer.dead_queue(conn.default_channel)
        queue.declare()
        deadline = time.monotonic() + 5
        while not dead and time.monotonic() < deadline:
            message = queue.get(no_ack=False)
            if message is None:
                time.sleep(0.05)
                continue
            dead.append(message)
            message.ack()
    assert dead[0].payload["data"]["code"] == "POISON"
    assert "cannot apply POISON" in dead[0].headers["x-zhibu-error"]
    assert dead[0].headers["x-zhibu-attempts"] == k.config.max_attempts


def scenario_dead_letters_go_back_once_mended(org, members, headers):
    """An event dead-lettered by a handler's fault is listed with its error, stays until asked, and once the
    cause is mended goes back to the work queue and is applied."""
    k = kit_of(members)
    View = k.models.OrgUnitView
    mended = []

    @k.handlers.on("org.unit.created")
    def refuse_until_mended(session, event):
        if event.data["code"] == "POISON" and not mended:
            raise RuntimeError("this handler cannot apply POISON yet")

    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    province = make_units(org, headers, ["P"])[0]
    make_units(org, headers, ["POISON"], parent=province)
    assert kit_of(org).relay.drain() == 2
    consume_until(consumer, lambda: consumer.dead_lettered == 1 and count(members, View) == 1)

    listed = dead_letters(k.config, k.handlers.event_types)
    assert [(e["type"], e["attempts"], e["requeued"]) for e in listed] == [
        ("org.unit.created", k.config.max_attempts, False)]
    assert "cannot apply POISON yet" in listed[0]["error"]
    assert [e["id"] for e in dead_letters(k.config, k.handlers.event_types)] == [listed[0]["id"]]  # still there

    mended.append(True)
    assert [e["id"] for e in dead_letters(k.config, k.handlers.event_types, requeue=True)] == [listed[0]["id"]]
    assert dead_letters(k.config, k.handlers.event_types) == []
    consume_until(consumer, lambda: count(members, View) == 2)
    with k.db.Session() as session:
        assert sorted(session.scalars(select(View.code))) == ["P", "POISON"]
    assert consumer.dead_lettered == 1  # once, before it was mended


def scenario_a_backlog_is_applied_in_runs_around_the_event_at_fault(org, members, headers):
    """An import's events queue up: the consumer applies them in runs of ``consume_batch``, one transaction
    each; the run holding a poison event is applied around it, every other event once, and the poison one is
    tried exactly ``max_attempts`` times, then dead-lettered."""
    k = kit_of(members)
    View = k.models.OrgUnitView
    attempts = refuse_poison(members)

    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    cities = [f"C{i:02d}" for i in range(60)]
    cities[37] = "POISON"
    body = "code,name,kind,parent_code\nP,省,province,\n" + "".join(f"{c},市{c},city,P\n" for c in cities)
    resp = org.test_client().post("/api/org/v1/imports", data=body.encode(),
                                  headers={**headers, "Content-Type": "text/csv"})
    assert resp.status_code == 201, resp.get_json()
    assert kit_of(org).relay.drain() == 61
    consume_until(consumer, lambda: consumer.dead_lettered == 1 and count(members, View) == 60)
    assert len(attempts) == k.config.max_attempts
    assert consumer.processed == 60
    assert 0 < consumer.runs < 60  # runs of several events, not one transaction per event
    with k.db.Session() as session:
        assert set(session.scalars(select(View.code))) == {"P", *cities} - {"POISON"}
    assert count(members, k.models.InboxEvent) == 60


def scenario_separate_processes(org, members, headers, env_overrides: dict):
    """The members worker runs as its own process (`zhibu worker members`); org publishes from this one."""
    k = kit_of(members)
    env = dict(os.environ)
    env.update({
        "MEMBERS_DATABASE_URL": k.config.database_url,
        "ZHIBU_BROKER_URL": k.config.broker_url,
        "ZHIBU_BUS_FOLDER": k.config.bus_folder,
        "ZHIBU_BUS_NAMESPACE": k.config.bus_namespace,
        "ZHIBU_JWT_SECRET": TEST_SECRET,
        "ZHIBU_PII_KEY": k.config.pii_key,
        "ZHIBU_VAR_DIR": os.path.dirname(k.config.bus_folder),
        **env_overrides,
    })
    worker = subprocess.Popen([sys.executable, "-m", "zhibu.cli", "worker", "members"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        consumer_for(members).consume_for(0.2)  # the queue and its bindings exist before org publishes (the
        # worker process declares them too, but on a loaded machine it may still be importing)
        make_units(org, headers, ["P", "C1"])
        assert kit_of(org).relay.drain() == 2
        View = k.models.OrgUnitView
        deadline = time.monotonic() + 20
        while count(members, View) < 2 and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.1)
        assert count(members, View) == 2
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode()
    assert worker.returncode == 0, output


# ----------------------------------------------------------------------------- embedded runs

@pytest.fixture
def pair(make_app, auth_headers, tmp_path):
    def build(**overrides):
        org = make_app("org", **overrides)
        members = make_app("members", **{**overrides, "bus_namespace": kit_of(org).config.bus_namespace})
        return org, members, auth_headers(org, "admin")

    return build


def test_broker_down_then_back_memory(pair):
    org, members, headers = pair()
    scenario_broker_down_then_back(org, members, headers, "amqp://guest:guest@127.0.0.1:1//")


def test_duplicate_delivery_memory(pair):
    scenario_duplicate_delivery(*pair())


def test_a_pack_goes_out_as_separate_events_memory(pair):
    scenario_a_pack_goes_out_as_separate_events(*pair())


def test_poison_message_memory(pair):
    scenario_poison_goes_to_dead_letters(*pair())


def test_a_backlog_is_applied_in_runs_around_the_event_at_fault_memory(pair):
    scenario_a_backlog_is_applied_in_runs_around_the_event_at_fault(*pair())


def test_a_run_reads_what_each_event_before_it_wrote(pair):
    """In a run, each event's handlers see the database as a transaction of their own would: what an earlier
    event wrote by a set-wise statement (which leaves the session's loaded objects as they were) is read
    afresh."""
    org, members, headers = pair()
    k = kit_of(members)
    View = k.models.OrgUnitView
    province = make_units(org, headers, ["P"])[0]
    resp = org.test_client().patch(f"/api/org/v1/units/{province}", json={"name": "省"},
                                   headers={**headers, "If-Match": org.test_client().get(
                                       f"/api/org/v1/units/{province}", headers=headers).headers["ETag"]})
    assert resp.status_code == 200, resp.get_json()
    created, updated = pending_events(org)
    seen, held = [], []
    handlers = Handlers()

    @handlers.on("org.unit.created")
    def keep_then_rename_in_bulk(session, event):
        for keep in k.handlers.for_type(event.type):
            keep(session, event)
        # loaded and still referenced (the session keeps objects only while something does), then changed
        # behind the session's back
        held.append(session.get(View, event.data["id"]))
        session.execute(update(View).where(View.id == event.data["id"]).values(name="set-wise")
                        .execution_options(synchronize_session=False))

    @handlers.on("org.unit.updated")
    def look(session, event):
        seen.append(session.get(View, event.data["id"]).name)

    assert apply_events(k.db, handlers, k.models.InboxEvent, [created, updated, created]) == 2
    assert seen == ["set-wise"]
    assert apply_events(k.db, handlers, k.models.InboxEvent, [created, updated]) == 0  # applied already


def test_a_failing_run_keeps_nothing_and_names_the_event_at_fault(pair):
    org, members, headers = pair()
    k = kit_of(members)
    make_units(org, headers, ["P", "BAD", "C2"])
    envelopes = pending_events(org)

    @k.handlers.on("org.unit.created")
    def refuse(session, event):
        if event.data["code"] == "BAD":
            raise ValueError("refused")

    with pytest.raises(RunFailed) as failed:
        apply_events(k.db, k.handlers, k.models.InboxEvent, envelopes)
    assert failed.value.position == 1 and isinstance(failed.value.error, ValueError)
    assert count(members, k.models.OrgUnitView) == 0
    assert count(members, k.models.InboxEvent) == 0
    with pytest.raises(ValueError):  # alone, the handler's own exception
        apply_event(k.db, k.handlers, k.models.InboxEvent, envelopes[1])


def test_poison_message_filesystem(pair, tmp_path):
    scenario_poison_goes_to_dead_letters(*pair(broker_url="filesystem://", bus_folder=str(tmp_path / "bus")))


def test_separate_processes_filesystem(pair, tmp_path):
    org, members, headers = pair(broker_url="filesystem://", bus_folder=str(tmp_path / "bus"))
    scenario_separate_processes(org, members, headers, {})


def test_an_event_not_in_the_catalog_cannot_be_emitted(make_app):
    org = make_app("org")
    with kit_of(org).db.Session() as session, pytest.raises(KeyError):
        kit_of(org).outbox.emit(session, "org.unit.teleported", {}, org_path="/1/")


def test_an_event_whose_data_breaks_its_schema_cannot_be_emitted(make_app):
    from marshmallow import ValidationError

    org = make_app("org")
    with kit_of(org).db.Session() as session, pytest.raises(ValidationError):
        kit_of(org).outbox.emit(session, "org.unit.created", {"id": "not-a-uuid"}, org_path="/1/")


def test_a_rolled_back_request_leaves_no_event(make_app, auth_headers):
    from shared.errors import Problem

    org = make_app("org")
    headers = auth_headers(org, "admin")
    province = "5f1d7c2e-0000-4000-8000-000000000001"

    def emit_then_fail():
        emit_a_province_renamed(province)
        raise Problem(409, "Conflict", "refused after the event was written")

    org.add_url_rule("/api/org/v1/emit-then-fail", "emit_then_fail", emit_then_fail, methods=["POST"])
    assert org.test_client().post("/api/org/v1/emit-then-fail", headers=headers).status_code == 409
    assert count(org, kit_of(org).models.OutboxEvent) == 0


def test_dead_letters_go_back_once_mended_memory(pair):
    scenario_dead_letters_go_back_once_mended(*pair())


def test_dead_letters_go_back_once_mended_filesystem(pair, tmp_path):
    scenario_dead_letters_go_back_once_mended(*pair(broker_url="filesystem://", bus_folder=str(tmp_path / "bus")))


def test_an_event_waits_while_the_database_does_not_answer(pair, tmp_path):
    """Failures of the service's own database are not counted against the event: it is applied once the
    database answers, however many more times than max_attempts it had to wait."""
    from sqlalchemy.exc import OperationalError

    org, members, headers = pair(broker_url="filesystem://", bus_folder=str(tmp_path / "bus"))
    k = kit_of(members)
    outage = [k.config.max_attempts * 2]

    @k.handlers.on("org.unit.created")
    def database_down(session, event):
        if outage[0]:
            outage[0] -= 1
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("connection refused"))

    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    make_units(org, headers, ["P"])
    assert kit_of(org).relay.drain() == 1
    consume_until(consumer, lambda: count(members, k.models.OrgUnitView) == 1, seconds=30)
    assert outage == [0]
    assert consumer.dead_lettered == 0


def test_the_dead_letters_command_lists_and_requeues(pair, tmp_path):
    """`zhibu dead-letters members [--requeue]` as an operator runs it, on the embedded bus."""
    org, members, headers = pair(broker_url="filesystem://", bus_folder=str(tmp_path / "bus"))
    k = kit_of(members)

    @k.handlers.on("org.unit.created")
    def refuse(session, event):
        raise RuntimeError("no")

    consumer = consumer_for(members)
    consumer.consume_for(0.2)
    make_units(org, headers, ["P"])
    assert kit_of(org).relay.drain() == 1
    consume_until(consumer, lambda: consumer.dead_lettered == 1)
    env = dict(os.environ)
    env.update({"MEMBERS_DATABASE_URL": k.config.database_url, "ZHIBU_BROKER_URL": "filesystem://",
                "ZHIBU_BUS_FOLDER": k.config.bus_folder, "ZHIBU_BUS_NAMESPACE": k.config.bus_namespace,
                "ZHIBU_JWT_SECRET": TEST_SECRET, "ZHIBU_PII_KEY": k.config.pii_key, "ZHIBU_VAR_DIR": str(tmp_path)})

    def command(*args):
        done = subprocess.run([sys.executable, "-m", "zhibu.cli", "dead-letters", "members", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if line.startswith("{")], done.stderr

    listed, said = command()
    assert len(listed) == 1
    assert '"type": "org.unit.created"' in listed[0]
    assert '"error": "RuntimeError: no"' in listed[0]
    assert "1 events in the dead-letter queue (left there)" in said
    assert len(command("--requeue")[0]) == 1
    assert command() == ([], "0 events in the dead-letter queue (left there)\n")


@pytest.mark.parametrize("queue_type, arguments", [
    ("", {}),                                         # the virtual host's default type
    ("classic", {"x-queue-type": "classic"}),
    ("quorum", {"x-queue-type": "quorum"}),
])
def test_the_queue_type_is_declared_with_every_queue(queue_type, arguments):
    config = Config(service="members", queue_type=queue_type)
    work, dead = service_queues(config, ["org.unit.created"])
    assert work.queue_arguments == arguments
    assert dead.queue_arguments == arguments


def test_an_unknown_queue_type_stops_the_process_at_start():
    with pytest.raises(ValueError, match="ZHIBU_QUEUE_TYPE"):
        Config(service="members", queue_type="mirrored")


def test_requests_committing_at_once_start_one_background_publisher(make_app):
    """The first writes after a web process starts come from several request threads at once: they start one
    publisher thread between them (two shared the relay's channel and published rows twice under load)."""
    publisher = BackgroundPublisher(kit_of(make_app("org")).relay)
    before = {t.ident for t in threading.enumerate() if t.name == "outbox-publisher"}
    start = threading.Barrier(16)

    def commit():
        start.wait()
        publisher.notify()

    threads = [threading.Thread(target=commit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    started = {t.ident for t in threading.enumerate() if t.name == "outbox-publisher"} - before

    assert len(started) == 1


def test_the_background_publisher_and_the_relay_loop_publish_on_channels_of_their_own(make_app):
    """In a worker both run: the relay loop's sweep and the publisher woken by a handler's commit, on two
    threads; one kombu channel used from both interleaves their frames."""
    kit = kit_of(make_app("org", publish_in_web=True))

    assert kit.publisher is not None
    assert kit.publisher.relay is not kit.relay
