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
