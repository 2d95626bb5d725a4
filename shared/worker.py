"""A service's worker process: the outbox relay and the event consumer.

The relay sweeps unsent outbox rows every ``ZHIBU_RELAY_INTERVAL_SECONDS`` and
backs off while the broker is down; the consumer applies the events the service
handles. SIGTERM / SIGINT stop both cleanly.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

from .consumer import EventConsumer

log = logging.getLogger("zhibu.worker")


class RelayLoop(threading.Thread):
    def __init__(self, kit):
        super().__init__(name=f"{kit.name}-relay", daemon=True)
        self.kit = kit
        self.stopping = threading.Event()

    def run(self):
        backoff = self.kit.config.relay_interval_seconds
        heartbeat = os.environ.get("ZHIBU_WORKER_HEARTBEAT")
        while not self.stopping.is_set():
            if heartbeat:  # a container healthcheck reads its age
                Path(heartbeat).write_text(str(time.time()))
            try:
                sent = self.kit.relay.drain()
                if sent:
                    log.info("relayed %d events", sent)
                backoff = self.kit.config.relay_interval_seconds
            except Exception as exc:  # noqa: BLE001 - the rows wait; we try again later
                backoff = min(backoff * 2, 30.0)
                log.warning("relay: broker unavailable (%s); retrying in %.1fs", type(exc).__name__, backoff)
            self.stopping.wait(backoff)


def run_worker(app) -> None:
    kit = app.extensions["zhibu"]
    relay = RelayLoop(kit)
    relay.start()
    consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)

    def stop(signum, _frame):
        log.info("stopping worker (signal %d)", signum)
        consumer.should_stop = True
        relay.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker for %s consuming %d event types", kit.name, len(kit.handlers.event_types))
    if kit.handlers.event_types:
        consumer.run_forever()
    else:
        relay.stopping.wait()
    relay.stopping.set()
    relay.join(timeout=5)
