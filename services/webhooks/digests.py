"""The e-mail channel: one digest a day per address, for the organization departments that have no platform.

A subscription that names an ``email`` instead of a ``url`` queues its matching events like any other (status
``digest`` instead of ``pending``: the delivery loop does not POST them). Once a day (the daily job
``webhooks-digest``, 07:00 Asia/Shanghai) each address gets one message for all its active subscriptions: what
is overdue and what falls due soon in their subtrees (the services' ``*.deadline.overdue`` and
``*.deadline.approaching`` reminders), then the other events queued since the last digest, in Chinese with the
English beside it. Sent, the events are delivered and the delivery log says so; refused by the SMTP server,
they stay queued for the next digest and the log has the error. An address gets at most one digest a day
(``email_digests``), however often the job runs.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from email.message import EmailMessage

from sqlalchemy import select, update

from shared.dates import SHANGHAI
from shared.dates import today as today_in_shanghai
from shared.db import utcnow
from shared.worker import DailyJob

from . import mail
from .delivery import Outcome
from .models import Delivery, DeliveryAttempt, EmailDigest, Subscription

log = logging.getLogger("zhibu.webhooks")

#: events listed in one section of a digest at most (the rest are counted); all are marked delivered
MOST_LISTED = 200
#: queued events one digest takes at most (the rest wait for the next day's)
MOST_EVENTS = 20_000
OVERDUE, APPROACHING, OTHER = "overdue", "approaching", "other"


def section_of(event_type: str) -> str:
    """Which part of the digest an event goes in: a deadline overdue, one approaching, or the day's others."""
    if event_type.endswith(".deadline.overdue"):
        return OVERDUE
    if event_type.endswith(".deadline.approaching"):
        return APPROACHING
    return OTHER


# ----------------------------------------------------------------------------- the message

def _local_time(occurred_at: str) -> str:
    try:
        return datetime.fromisoformat(occurred_at).astimezone(SHANGHAI).strftime("%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(occurred_at)


def _deadline_line(envelope: dict) -> str:
    data = envelope["data"]
    days_left = data.get("days_left")
    if days_left is not None and days_left < 0:
        when = f"已逾期 {-days_left} 天 / {-days_left} days overdue"
    elif days_left is not None:
        when = f"还剩 {days_left} 天 / {days_left} days left"
    else:
        when = ""
    who = data.get("subject_name") or data.get("subject_id") or ""
    head = " · ".join(str(part) for part in (f"截止 due {data.get('due_on')}", when, data.get("rule"), who) if part)
    return f"  · {head}\n    {data.get('message_zh', '')}\n    {data.get('message_en', '')}"


def _event_line(envelope: dict) -> str:
    data = envelope.get("data") or {}
    what = data.get("name") or data.get("subject_name") or data.get("title") or data.get("id") or ""
    return f"  · {_local_time(envelope.get('occurred_at'))} · {envelope['type']} · {what}".rstrip(" ·")


SECTIONS = ((OVERDUE, "已逾期", "Overdue", _deadline_line),
            (APPROACHING, "即将到期", "Due soon", _deadline_line),
            (OTHER, "其他事件", "Other events", _event_line))
NUMERALS = "一二三"


@dataclass(frozen=True)
class Digest:
    subject: str
    body: str
    counts: dict


def compose(day: date, subscriptions: list[tuple[str, str]], envelopes: list[dict]) -> Digest:
    """The digest of ``envelopes`` for an address whose subscriptions are ``[(name, subtree path)]``: overdue
    deadlines first (the oldest due first), then those due soon (the nearest first), then the other events in
    the order they happened; each part at most ``MOST_LISTED`` lines."""
    parts: dict[str, list[dict]] = defaultdict(list)
    for envelope in envelopes:
        parts[section_of(envelope["type"])].append(envelope)
    parts[OVERDUE].sort(key=lambda e: str(e["data"].get("due_on")))
    parts[APPROACHING].sort(key=lambda e: str(e["data"].get("due_on")))
    counts = {name: len(parts[name]) for name in (OVERDUE, APPROACHING, OTHER)}
    subject = (f"【支部】每日摘要 {day}：逾期 {counts[OVERDUE]} 项，即将到期 {counts[APPROACHING]} 项，其他事件 "
               f"{counts[OTHER]} 条 / Zhibu daily digest: {counts[OVERDUE]} overdue, {counts[APPROACHING]} due soon, "
               f"{counts[OTHER]} other events")
    lines = [f"支部（Zhibu）每日摘要 / daily digest — {day}", "",
             "订阅 / subscriptions: " + "; ".join(f"{name} ({path})" for name, path in subscriptions), ""]
    for numeral, (name, zh, en, line_of) in zip(NUMERALS, SECTIONS):
        items = parts[name]
        lines.append(f"{numeral}、{zh} / {en} ({len(items)})")
        if not items:
            lines.append("  无 / none")
        lines += [line_of(envelope) for envelope in items[:MOST_LISTED]]
        if len(items) > MOST_LISTED:
            rest = len(items) - MOST_LISTED
            lines.append(f"  …… 另有 {rest} 条 / {rest} more")
        lines.append("")
    lines += ["提醒只发送一次；最新状态以各服务的预警和逾期接口为准。",
              "A reminder is sent once; the services' alert and overdue endpoints give the current state."]
    return Digest(subject, "\n".join(lines) + "\n", counts)


def message(digest: Digest, address: str, settings: mail.SmtpSettings) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = digest.subject
    email["From"] = settings.sender
    email["To"] = address
    email.set_content(digest.body, charset="utf-8")
    return email


# ----------------------------------------------------------------------------- the daily job

def send_digests(app, day: date | None = None) -> dict:
    """The daily job: one digest per address with events queued, unless it already had today's."""
    kit = app.extensions["zhibu"]
    day = day or today_in_shanghai()
    with kit.db.Session() as session:
        subscriptions = session.scalars(select(Subscription).where(Subscription.email.is_not(None),
                                                                   Subscription.status == "active")
                                        .order_by(Subscription.created_at, Subscription.id)).all()
    by_address: dict[str, list[Subscription]] = defaultdict(list)
    for subscription in subscriptions:
        by_address[subscription.email.lower()].append(subscription)
    try:
        settings = mail.SmtpSettings.from_env()
    except mail.MailNotConfigured as exc:
        log.warning("e-mail digests not sent: %s", exc)
        return {"sent": 0, "failed": 0, "addresses": len(by_address), "error": str(exc)}
    outcome = {"sent": 0, "failed": 0, "events": 0}
    for address, subscribed in sorted(by_address.items()):
        sent = send_digest(kit, settings, address, subscribed, day)
        if sent is None:
            continue
        outcome["sent" if sent >= 0 else "failed"] += 1
        outcome["events"] += max(sent, 0)
    return outcome


def send_digest(kit, settings: mail.SmtpSettings, address: str, subscribed: list[Subscription],
                day: date) -> int | None:
    """The digest of ``address`` for ``day``: the count of events sent, -1 when the server refused it, None
    when there was nothing to send (or it was sent already today)."""
    ids = [s.id for s in subscribed]
    with kit.db.Session() as session:
        done = session.scalar(select(EmailDigest.id).where(EmailDigest.address == address, EmailDigest.day == day,
                                                           EmailDigest.status == "sent"))
        queued = session.execute(select(Delivery.id, Delivery.event_id, Delivery.envelope)
                                 .where(Delivery.subscription_id.in_(ids), Delivery.status == "digest")
                                 .order_by(Delivery.id).limit(MOST_EVENTS)).all()
    if done is not None or not queued:
        return None
    envelopes = list({row.event_id: row.envelope for row in queued}.values())  # one line for an event of two
    digest = compose(day, [(s.name, s.path) for s in subscribed], envelopes)
    digest_id = str(uuid.uuid4())
    started = time.perf_counter()
    try:
        mail.send(settings, message(digest, address, settings))
        error = None
    except Exception as exc:  # noqa: BLE001 - the server's refusal is logged; the events wait for the next one
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.warning("digest to %s not sent: %s", address, error)
    latency = round((time.perf_counter() - started) * 1000)
    record(kit, address, day, subscribed, [row.id for row in queued], digest_id, len(envelopes), latency, error)
    return -1 if error else len(envelopes)


def record(kit, address: str, day: date, subscribed: list[Subscription], delivery_ids: list[int], digest_id: str,
           events: int, latency_ms: int, error: str | None) -> None:
    """The outcome in the delivery log of each subscription, the day's digest of the address, and (sent) the
    events delivered."""
    now = utcnow()
    status = "failed" if error else "delivered"
    with kit.db.transaction() as session:
        for subscription in subscribed:
            session.add(DeliveryAttempt(subscription_id=subscription.id, delivery_id=None, event_id=digest_id,
                                        event_type="webhooks.digest", attempt=1, status=status,
                                        response_code=None if error else 250, latency_ms=latency_ms, error=error,
                                        at=now))
        row = session.scalar(select(EmailDigest).where(EmailDigest.address == address, EmailDigest.day == day))
        if row is None:
            row = EmailDigest(address=address, day=day)
            session.add(row)
        row.id, row.status, row.events, row.error, row.sent_at = (
            row.id or digest_id, "failed" if error else "sent", events, error, None if error else now)
        if error is None:
            for start in range(0, len(delivery_ids), 1000):
                session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids[start:start + 1000]))
                                .values(status="delivered", delivered_at=now, attempts=Delivery.attempts + 1)
                                .execution_options(synchronize_session=False))


JOBS = [DailyJob("webhooks-digest", clock(7, 0), send_digests)]


# ----------------------------------------------------------------------------- a ping

def ping(subscription: Subscription, actor: str | None) -> tuple[dict, Outcome]:
    """An e-mail subscription's ping: a short test message to its address, sent at once."""
    envelope = {"id": str(uuid.uuid4()), "type": "webhooks.ping", "version": 1,
                "occurred_at": utcnow().isoformat(), "source": "webhooks", "org_path": subscription.path,
                "correlation_id": None, "actor": actor, "data": {"subscription_id": subscription.id}}
    started = time.perf_counter()
    try:
        settings = mail.SmtpSettings.from_env()
        digest = Digest(subject="【支部】测试邮件 / Zhibu test message",
                        body=f"订阅“{subscription.name}”（{subscription.path}）的每日摘要将发送到此地址。\n"
                             f"The daily digest of the subscription \"{subscription.name}\" ({subscription.path}) "
                             f"will be sent to this address.\n", counts={})
        mail.send(settings, message(digest, subscription.email, settings))
        error = None
    except Exception as exc:  # noqa: BLE001 - answered to the caller and logged
        error = f"{type(exc).__name__}: {exc}"[:1000]
    latency = round((time.perf_counter() - started) * 1000)
    return envelope, Outcome("failed" if error else "delivered", None if error else 250, latency, error)
