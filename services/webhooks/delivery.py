"""Delivery: the queue an event leaves in the consumer's transaction, and the loop that POSTs it.

- ``fan_out`` (the handler of every catalog event) writes one pending ``Delivery`` per matching
  subscription in the transaction that writes the event's inbox row: once the broker's message is
  acknowledged the deliveries are committed, and a worker killed at any point loses none.
- ``DeliveryLoop`` (a thread of the worker) looks for subscriptions whose oldest pending delivery is due
  and gives each to a small thread pool, one subscription per thread at a time: a subscription's events go
  out one after the other, in their order, and a slow or dead receiver holds one thread (for at most its
  timeouts), never the others' queues. A subscription is leased in the database while a thread delivers to
  it, so replicas of the worker never send one subscription's events side by side; a dead worker's lease
  runs out and another takes over (the delivery in flight is sent again: at least once).
- A failed delivery is retried with exponential backoff and jitter; while it fails, the ones behind it
  wait (order). After ``retry_window_hours`` the subscription is paused and flagged; making it active
  again resumes the queue where it stopped.
"""
from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import urllib3
from sqlalchemy import bindparam, func, or_, select, update

from shared.db import utcnow
from shared.errors import Problem
from shared.messages import msg
from shared.pii import PiiCipher
from shared.violations import RuleViolation
from shared.worker import worker_identity

from . import rules
from .models import Delivery, DeliveryAttempt, Subscription, kit
from .targets import check_target

log = logging.getLogger("zhibu.webhooks")

#: the most of a receiver's answer read (the rest is dropped): the answer only needs its status
ANSWER_BYTES = 64 * 1024
USER_AGENT = "Zhibu-Webhooks/1"


# ----------------------------------------------------------------------------- the queue

def queued_status(subscription: Subscription) -> str:
    """A webhook's events wait for the delivery loop (pending); an e-mail subscription's for its digest."""
    return "digest" if subscription.email else "pending"


def fan_out(session, event) -> int:
    """One pending delivery per subscription that wants this event and covers its unit."""
    OrgUnitView = kit.OrgUnitView
    rows = session.execute(select(Subscription, OrgUnitView.path)
                           .outerjoin(OrgUnitView, OrgUnitView.id == Subscription.scope_unit_id)).all()
    occurred = event.occurred if event.occurred.tzinfo else event.occurred.replace(tzinfo=timezone.utc)
    queued = 0
    for subscription, scope_path in rows:
        scope_path = "/" if subscription.scope_unit_id is None else scope_path
        if rules.wants(subscription.event_types, event.type) and rules.covers(subscription.path, scope_path,
                                                                             event.org_path):
            session.add(Delivery(subscription_id=subscription.id, event_id=event.id, event_type=event.type,
                                 occurred_at=occurred, envelope=event.as_dict(), status=queued_status(subscription)))
            queued += 1
    return queued


# ----------------------------------------------------------------------------- one POST

@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | failed
    response_code: int | None
    latency_ms: int
    error: str | None


def body_of(envelope: dict) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def headers_for(envelope: dict, body: bytes, secret: str, attempt: int, subscription_id: str,
                timestamp: str | None = None) -> dict:
    """What a receiver reads before the body: which event, which attempt, when, and the signature."""
    timestamp = timestamp or str(int(time.time()))
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
            "Zhibu-Event-Id": envelope["id"], "Zhibu-Event-Type": envelope["type"],
            "Zhibu-Delivery-Attempt": str(attempt), "Zhibu-Subscription-Id": subscription_id,
            "Zhibu-Timestamp": timestamp, "Zhibu-Signature": rules.signature(secret, timestamp, body)}


def post(http: urllib3.PoolManager, url: str, secret: str, envelope: dict, attempt: int, subscription_id: str,
         config: dict) -> Outcome:
    """POST the envelope, signed; any 2xx is a delivery. The target is checked again (its name may resolve
    elsewhere since the subscription was made); timeouts bound the wait."""
    started = time.perf_counter()

    def outcome(status, code=None, error=None):
        return Outcome(status, code, round((time.perf_counter() - started) * 1000), error and error[:1000])

    try:
        check_target(url, config)
    except RuleViolation as exc:
        return outcome("failed", error=exc.violations[0].en)
    except Problem as exc:
        return outcome("failed", error=str(exc))
    body = body_of(envelope)
    try:
        response = http.request("POST", url, body=body,
                                headers=headers_for(envelope, body, secret, attempt, subscription_id),
                                timeout=urllib3.Timeout(connect=config["connect_timeout_seconds"],
                                                        read=config["timeout_seconds"]),
                                retries=False, redirect=False, preload_content=False)
        try:
            response.read(ANSWER_BYTES)
        finally:
            response.release_conn()
    except Exception as exc:  # noqa: BLE001 - a receiver's failure is recorded and retried
        return outcome("failed", error=f"{type(exc).__name__}: {exc}")
    if rules.delivered(response.status):
        return outcome("delivered", response.status)
    return outcome("failed", response.status, f"HTTP {response.status}")


def http_pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(num_pools=200, maxsize=4, block=False)


# ----------------------------------------------------------------------------- the loop

@dataclass(frozen=True)
class _Job:
    delivery_id: int
    subscription_id: str
    url: str
    secret: str
    envelope: dict
    attempt: int


def _due_statement():
    heads = (select(Delivery.subscription_id, func.min(Delivery.id).label("head"))
             .where(Delivery.status == "pending").group_by(Delivery.subscription_id).subquery())
    now = bindparam("now", type_=Delivery.next_attempt_at.type)
    return (select(Subscription.id).join(heads, heads.c.subscription_id == Subscription.id)
            .join(Delivery, Delivery.id == heads.c.head)
            .where(Subscription.status == "active", Delivery.next_attempt_at <= now,
                   or_(Subscription.lease_until.is_(None), Subscription.lease_until < now,
                       Subscription.lease_owner == bindparam("owner"))))


#: the loop's poll, built once (four times a second, building it cost more than running it on an empty queue)
_DUE = _due_statement()


class DeliveryLoop(threading.Thread):
    """The worker's delivery thread and its pool (``delivery_threads``)."""

    def __init__(self, app):
        super().__init__(name="webhooks-delivery", daemon=True)
        self.app = app
        self.kit = app.extensions["zhibu"]
        self.config = app.config["RULES"]
        self.owner = f"{worker_identity()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.http = http_pool()
        self.pool = ThreadPoolExecutor(max_workers=int(self.config["delivery_threads"]),
                                       thread_name_prefix="webhooks-post")
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._random = random.Random()
        self.cipher = PiiCipher(self.kit.config.pii_key)

    def run(self):
        while not self.stopping.is_set():
            try:
                self.round()
            except Exception:  # noqa: BLE001 - the database may be away: the queue waits in it
                log.exception("delivery round failed; trying again")
                self.stopping.wait(min(5.0, 10 * self.config["poll_seconds"]))
            self.wake.wait(self.config["poll_seconds"])
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def round(self) -> int:
        """Give every due subscription that no thread serves to the pool; returns how many were given."""
        given = 0
        for subscription_id in self.due():
            with self._lock:
                if subscription_id in self._busy:
                    continue
                self._busy.add(subscription_id)
            self.pool.submit(self._serve, subscription_id)
            given += 1
        return given

    def due(self) -> list[str]:
        """Active subscriptions whose oldest pending delivery is due and which no other worker holds."""
        with self.kit.db.Session() as session:
            return list(session.scalars(_DUE, {"now": utcnow(), "owner": self.owner}))

    def _serve(self, subscription_id: str) -> None:
        try:
            self.drain(subscription_id)
        except Exception:  # noqa: BLE001 - logged; the delivery stays pending and is tried again
            log.exception("delivering to subscription %s failed", subscription_id)
        finally:
            with self._lock:
                self._busy.discard(subscription_id)
            self.wake.set()

    def drain(self, subscription_id: str) -> int:
        """Deliver the subscription's due events in order, up to ``batch``, stopping at the first failure."""
        sent = 0
        try:
            for _ in range(int(self.config["batch"])):
                if self.stopping.is_set():
                    break
                job = self._claim(subscription_id)
                if job is None:
                    break
                outcome = post(self.http, job.url, job.secret, job.envelope, job.attempt, job.subscription_id,
                               self.config)
                if not self._record(job, outcome):
                    break
                sent += 1
        finally:
            self._release(subscription_id)
        return sent

    def _claim(self, subscription_id: str) -> _Job | None:
        """Lease the subscription and read its head delivery, when it is due (one short transaction)."""
        now = utcnow()
        with self.kit.db.transaction() as session:
            taken = session.execute(
                update(Subscription)
                .where(Subscription.id == subscription_id, Subscription.status == "active",
                       or_(Subscription.lease_until.is_(None), Subscription.lease_until < now,
                           Subscription.lease_owner == self.owner))
                .values(lease_owner=self.owner, lease_until=now + timedelta(seconds=self.config["lease_seconds"]))
                .execution_options(synchronize_session=False)).rowcount
            if not taken:
                return None
            head = session.scalars(select(Delivery).where(Delivery.subscription_id == subscription_id,
                                                          Delivery.status == "pending")
                                   .order_by(Delivery.id).limit(1)).first()
            if head is None or head.next_attempt_at > now:
                return None
            url, secret = session.execute(select(Subscription.url, Subscription.secret)
                                          .where(Subscription.id == subscription_id)).one()
            return _Job(head.id, subscription_id, url, self.cipher.decrypt(secret), head.envelope,
                        head.attempts + 1)

    def _record(self, job: _Job, outcome: Outcome) -> bool:
        """The attempt in the log; the delivery done, or its next try scheduled; the subscription paused and
        flagged once the head has failed for the whole window. True when it was delivered."""
        now = utcnow()
        with self.kit.db.transaction() as session:
            session.add(DeliveryAttempt(subscription_id=job.subscription_id, delivery_id=job.delivery_id,
                                        event_id=job.envelope["id"], event_type=job.envelope["type"],
                                        attempt=job.attempt, status=outcome.status,
                                        response_code=outcome.response_code, latency_ms=outcome.latency_ms,
                                        error=outcome.error, at=now))
            delivery = session.get(Delivery, job.delivery_id)
            if delivery is None:  # the subscription was deleted meanwhile
                return False
            delivery.attempts = job.attempt
            if outcome.status == "delivered":
                delivery.status, delivery.delivered_at = "delivered", now
                return True
            delivery.first_failed_at = delivery.first_failed_at or now
            delivery.next_attempt_at = now + rules.retry_delay(job.attempt, self._random.random(), self.config)
            if rules.gives_up(delivery.first_failed_at, now, self.config):
                reason = str(msg("webhooks-flagged", hours=self.config["retry_window_hours"],
                                 error=outcome.error or "?"))
                session.execute(update(Subscription).where(Subscription.id == job.subscription_id)
                                .values(status="paused", flagged_at=now, flag_reason=reason,
                                        version=Subscription.version + 1, updated_at=now)
                                .execution_options(synchronize_session=False))
                log.warning("subscription %s paused and flagged: %s", job.subscription_id, reason)
            return False

    def _release(self, subscription_id: str) -> None:
        with self.kit.db.transaction() as session:
            session.execute(update(Subscription)
                            .where(Subscription.id == subscription_id, Subscription.lease_owner == self.owner)
                            .values(lease_owner=None, lease_until=None)
                            .execution_options(synchronize_session=False))


def start_delivery_loop(app) -> DeliveryLoop:
    """The worker's delivery thread (``zhibu worker webhooks`` starts it beside the consumer)."""
    loop = DeliveryLoop(app)
    loop.start()
    return loop


#: what ``zhibu worker webhooks`` runs beside the relay, the consumer and the daily jobs
WORKER_THREADS = [start_delivery_loop]


# ----------------------------------------------------------------------------- a ping

def ping(subscription: Subscription, secret: str, config: dict, actor: str | None) -> tuple[dict, Outcome]:
    """A signed ``webhooks.ping`` envelope to the target, at once (not queued): its attempt and answer."""
    envelope = {"id": str(uuid.uuid4()), "type": "webhooks.ping", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "source": "webhooks",
                "org_path": subscription.path, "correlation_id": None, "actor": actor,
                "data": {"subscription_id": subscription.id}}
    with http_pool() as http:
        return envelope, post(http, subscription.url, secret, envelope, 1, subscription.id, config)
