"""A service's worker process: the outbox relay, the event consumer and the service's daily jobs.

The relay sweeps unsent outbox rows every ``ZHIBU_RELAY_INTERVAL_SECONDS`` and
backs off while the broker is down; the consumer applies the events the service
handles; a daily job (``DailyJob``, given to ``create_service_app``) runs once a
day at its time in Asia/Shanghai (``ZHIBU_JOB_<NAME>_AT=HH:MM`` moves it, ``off``
stops it). SIGTERM / SIGINT stop them all cleanly.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Callable

from .consumer import EventConsumer
from .dates import SHANGHAI

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


@dataclass(frozen=True)
class DailyJob:
    """``run(app)`` once a day at ``at`` (Asia/Shanghai), in the service app's context, in its worker."""

    name: str
    at: clock
    run: Callable


def job_time(job: DailyJob, environ=os.environ) -> clock | None:
    """The job's time of day: ``ZHIBU_JOB_<NAME>_AT`` (``HH:MM``, or ``off``) or its own."""
    value = environ.get(f"ZHIBU_JOB_{job.name.upper().replace('-', '_')}_AT")
    if value is None:
        return job.at
    if value.strip().lower() == "off":
        return None
    return clock.fromisoformat(value.strip())


def next_run(now: datetime, at: clock) -> datetime:
    """The first moment at ``at`` (Asia/Shanghai) strictly after ``now``."""
    local = now.astimezone(SHANGHAI)
    due = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return due if due > local else due + timedelta(days=1)


class JobLoop(threading.Thread):
    """Runs each daily job at its time; a failure is logged and the job runs again the next day."""

    def __init__(self, app, jobs: list[DailyJob]):
        super().__init__(name=f"{app.name}-jobs", daemon=True)
        self.app = app
        self.stopping = threading.Event()
        self.schedule = [(job, at) for job in jobs if (at := job_time(job)) is not None]

    def run(self):
        due = {job.name: next_run(datetime.now(SHANGHAI), at) for job, at in self.schedule}
        while self.schedule and not self.stopping.is_set():
            job, at = min(self.schedule, key=lambda entry: due[entry[0].name])
            wait = (due[job.name] - datetime.now(SHANGHAI)).total_seconds()
            if wait > 0:
                self.stopping.wait(min(wait, 60.0))  # wakes each minute: a changed clock is noticed
                continue
            self.run_job(job)
            due[job.name] = next_run(datetime.now(SHANGHAI), at)

    def run_job(self, job: DailyJob):
        started = time.monotonic()
        try:
            with self.app.app_context():
                result = job.run(self.app)
            log.info("job %s done in %.1fs: %s", job.name, time.monotonic() - started, result)
        except Exception:  # noqa: BLE001 - tomorrow is another run; the log says what failed
            log.exception("job %s failed", job.name)


def run_worker(app) -> None:
    kit = app.extensions["zhibu"]
    relay = RelayLoop(kit)
    relay.start()
    jobs = JobLoop(app, kit.jobs)
    jobs.start()
    consumer = EventConsumer(kit.config, kit.db, kit.handlers, kit.models.InboxEvent)

    def stop(signum, _frame):
        log.info("stopping worker (signal %d)", signum)
        consumer.should_stop = True
        relay.stopping.set()
        jobs.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker for %s consuming %d event types", kit.name, len(kit.handlers.event_types))
    if kit.handlers.event_types:
        consumer.run_forever()
    else:
        relay.stopping.wait()
    relay.stopping.set()
    jobs.stopping.set()
    relay.join(timeout=5)
