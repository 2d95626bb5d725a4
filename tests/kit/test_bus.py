"""The embedded bus loses nothing when several processes publish while another consumes."""
import subprocess
import sys
import textwrap
import time

from kombu import Exchange, Queue

from shared.events import broker_connection
from tests.conftest import service_config

PUBLISHER = textwrap.dedent("""
    import sys
    from kombu import Exchange, Producer
    from shared.config import Config
    from shared.events import broker_connection
    config = Config(service="pub", broker_url="filesystem://", bus_folder=sys.argv[1])
    exchange = Exchange("race.events", type="topic", durable=True)
    with broker_connection(config) as conn:
        producer = Producer(conn.channel())
        for i in range(int(sys.argv[3])):
            producer.publish({"writer": sys.argv[2], "n": i}, exchange=exchange, routing_key="race.thing.done",
                             serializer="json", declare=[exchange])
""")


def test_concurrent_publishers_and_a_consumer_in_other_processes(tmp_path):
    config = service_config("race", tmp_path, broker_url="filesystem://", bus_folder=str(tmp_path / "bus"))
    exchange = Exchange("race.events", type="topic", durable=True)
    queue = Queue("race.q", exchange=exchange, routing_key="race.#", durable=True)
    per_writer, writers = 300, 3
    received = []
    with broker_connection(config) as conn:
        queue(conn.default_channel).declare()
        procs = [subprocess.Popen([sys.executable, "-c", PUBLISHER, config.bus_folder, str(w), str(per_writer)])
                 for w in range(writers)]
        deadline = time.monotonic() + 60
        with conn.Consumer(queue, callbacks=[lambda body, msg: (received.append(body), msg.ack())], accept=["json"]):
            while len(received) < per_writer * writers and time.monotonic() < deadline:
                try:
                    conn.drain_events(timeout=0.2)
                except TimeoutError:
                    pass
        for proc in procs:
            assert proc.wait(timeout=30) == 0
    assert len(received) == per_writer * writers
    assert {(m["writer"], m["n"]) for m in received} == {(str(w), n) for w in range(writers) for n in range(per_writer)}


BINDER = textwrap.dedent("""
    import sys, time
    from kombu import Exchange, Queue
    from shared.config import Config
    from shared.events import broker_connection
    folder, worker, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    config = Config(service="bind", broker_url="filesystem://", bus_folder=folder)
    exchange = Exchange("race.events", type="topic", durable=True)
    with broker_connection(config) as conn:
        channel = conn.channel()
        while time.time() < start:  # every process declares at the same moment, as workers starting together do
            time.sleep(0.001)
        for n in range(count):
            Queue(f"race.{worker}.{n}", exchange=exchange, routing_key="race.#", durable=True)(channel).declare()
""")


def test_workers_declaring_their_queues_together_keep_every_binding(tmp_path):
    """Workers starting at once bind their queues to one exchange: none fails, no binding is lost,
    and a message published afterwards reaches every queue."""
    config = service_config("race", tmp_path, broker_url="filesystem://", bus_folder=str(tmp_path / "bus"))
    workers, per_worker = 6, 15
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", BINDER, config.bus_folder, str(w), str(per_worker), str(start)],
                              stderr=subprocess.PIPE) for w in range(workers)]
    failures = [proc.stderr.read().decode() for proc in procs if proc.wait(timeout=60) != 0]
    assert failures == []
    exchange = Exchange("race.events", type="topic", durable=True)
    with broker_connection(config) as conn:
        bound = {binding.queue for binding in conn.default_channel.get_table("race.events")}
        assert bound == {f"race.{w}.{n}" for w in range(workers) for n in range(per_worker)}
        # declared as every publisher declares it (shared.events.publish_envelope): the exchange's type lives in
        # the process, and without it the message would be routed as by a direct exchange, to no queue
        conn.Producer().publish({"n": 1}, exchange=exchange, routing_key="race.thing.done", serializer="json",
                                declare=[exchange])
        reached = sum(conn.SimpleQueue(Queue(name, exchange=exchange, routing_key="race.#")).qsize() for name in bound)
    assert reached == workers * per_worker
