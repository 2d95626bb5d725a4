"""A service's worker process: the outbox relay, the event consumer and the service's daily jobs.

The relay sweeps unsent outbox rows every ``ZHIBU_RELAY_INTERVAL_SECONDS`` and
backs off while the broker is down; the consumer applies the events the service
handles; a daily job (``DailyJob``, declared in a service's ``JOBS``) runs once a
day at its time in Asia/Shanghai (``ZHIBU_JOB_<NAME>_AT=HH:MM`` moves it, ``off``
stops it). SIGTERM / SIGINT stop them all cleanly.

Every replica of a worker schedules the same jobs, and a job runs once a day for the
service however many workers it has: before running, a worker claims the job's day
(``claim_day``) in the service's database, under the advisory lock ``job:<name>`` on
PostgreSQL (``BEGIN IMMEDIATE`` serializes it on SQLite), by writing the audit entry
``daily-job <name>:<YYYY-MM-DD> started``. The worker that finds that entry already
written leaves the day to the one that wrote it. A run that fails or whose worker dies
is not taken over that day (at most once a day: the jobs catch up on the next run).
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from .audit import record as audit_record
from .consumer import EventConsumer
from .dates import SHANGHAI
from .db import advisory_lock

log = logging.getLogger("zhibu.worker")


#: outbox rows a relay round takes at a time (a packed row holds up to 1,000 events): between two rounds the
#: worker refreshes its heartbeat (the liveness probe's) and sees a stop, even while a province-size import
#: drains; one round of ``relay_batch`` (500) packed rows would be half a million events
SWEEP_ROWS = 20


class RelayLoop(threading.Thread):
    def __init__(self, kit):
        super().__init__(name=f"{kit.name}-relay", daemon=True)
        self.kit = kit
        self.stopping = threading.Event()
        self.heartbeat = os.environ.get("ZHIBU_WORKER_HEARTBEAT")
        self.beats = 0

    def beat(self) -> None:
        """The worker is alive and its relay comes round: a container healthcheck reads the file's age."""
        self.beats += 1
        if self.heartbeat:
            Path(self.heartbeat).write_text(str(time.time()))

    def drain(self) -> int:
        """Publish every unsent row, ``SWEEP_ROWS`` at a time, beating before each; stop early when asked."""
        total = 0
        while not self.stopping.is_set():
            self.beat()
            sent = self.kit.relay.sweep(SWEEP_ROWS)
            if not sent:
                break
            total += sent
        return total

    def run(self):
        backoff = self.kit.config.relay_interval_seconds
        while not self.stopping.is_set():
            try:
                sent = self.drain()
                if sent:
                    log.info("relayed %d events", sent)
                backoff = self.kit.config.relay_interval_seconds
            except Exception as exc:  # noqa: BLE001 - the rows wait; we try again later
                self.beat()  # alive, waiting for the broker
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
            self.run_job(job, due[job.name].date())
            due[job.name] = next_run(datetime.now(SHANGHAI), at)

    def run_job(self, job: DailyJob, day: date | None = None) -> bool:
        """Run ``job`` for ``day`` (its date in Asia/Shanghai) unless another worker of the service has
        claimed that day; True when this worker ran it."""
        day = day or datetime.now(SHANGHAI).date()
        kit = self.app.extensions["zhibu"]
        try:
            claimed = claim_day(kit, job.name, day)
        except Exception:  # noqa: BLE001 - the database did not answer: no claim, no run (nor a dead loop)
            log.exception("job %s for %s: could not be claimed; not run", job.name, day)
            return False
        if not claimed:
            log.info("job %s for %s: claimed by another worker", job.name, day)
            return False
        started = time.monotonic()
        try:
            with self.app.app_context():
                result = job.run(self.app)
            log.info("job %s done in %.1fs: %s", job.name, time.monotonic() - started, result)
            outcome = {"seconds": round(time.monotonic() - started, 3), "result": result}
            action = "done"
        except Exception as exc:  # noqa: BLE001 - tomorrow is another run; the log says what failed
            log.exception("job %s failed", job.name)
            outcome, action = {"error": type(exc).__name__}, "failed"
        try:
            with kit.db.transaction() as session:
                audit_record(session, kit.models.AuditEntry, entity=JOB_ENTITY, entity_id=f"{job.name}:{day}",
                             action=action, change=outcome, actor=f"job:{job.name}")
        except Exception:  # noqa: BLE001 - the run happened; only its record is missing
            log.exception("job %s: its outcome was not recorded", job.name)
        return True


#: the audit log's entity for daily-job runs: ``entity_id`` is ``<job>:<YYYY-MM-DD>``
JOB_ENTITY = "daily-job"


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_day(kit, name: str, day: date) -> bool:
    """Claim the run of job ``name`` for ``day`` for this worker: True for exactly one worker of the service
    (replicas included), which then runs it; the claim is an audit entry, so it also says who ran it."""
    Entry = kit.models.AuditEntry
    entity_id = f"{name}:{day.isoformat()}"
    with kit.db.transaction() as session:
        advisory_lock(session, f"job:{name}")  # two workers at the same moment: the second waits, then sees it
        taken = session.scalar(select(Entry.id).where(Entry.entity == JOB_ENTITY, Entry.entity_id == entity_id,
                                                       Entry.action == "started").limit(1))
        if taken is not None:
            return False
        audit_record(session, Entry, entity=JOB_ENTITY, entity_id=entity_id, action="started",
                     change={"worker": worker_identity()}, actor=f"job:{name}")
    return True


def run_worker(app) -> None:
    kit = app.extensions["zhibu"]
    gc.freeze()  # the loaded app lives as long as the process: full collections need not walk it (web: gunicorn_conf)
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
