"""Subscriptions: who is called, for which events, of which subtree; the delivery log and redelivery.

A subscription covers the ``under`` unit's subtree (default: its creator's whole scope), which must lie
inside the creator's scope; its ``path`` follows the unit when the unit moves (``follow_moves``). The secret
is made here, answered once by the creating POST, and kept encrypted with the PII key.
"""
from __future__ import annotations

import secrets
from datetime import datetime, time as clock, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from shared import catalog
from shared.audit import diff
from shared.db import utcnow
from shared.errors import Problem, invalid, not_found
from shared.http import if_match, paginate, scope_clause, under_clause
from shared.messages import msg
from shared.request import (audit, current_kit, current_principal, db_session, pii_cipher, rule_config,
                            unit_in_scope)
from shared.worker import DailyJob

from . import delivery, digests, rules
from .models import Delivery, DeliveryAttempt, Subscription
from .targets import check_target

#: who manages subscriptions (DESIGN.md: a registered external platform, or an admin for it)
MANAGERS = ("admin", "integration")
#: a delivery waiting: for the delivery loop (a webhook's) or for the next digest (an e-mail subscription's)
QUEUED = ("pending", "digest")


def check_event_types(patterns: list[str]) -> list[str]:
    unknown = rules.unknown_patterns(patterns, catalog.CATALOG)
    if unknown:
        raise invalid("event_types", str(msg("webhooks-event-types-unknown", patterns=", ".join(unknown))))
    return list(dict.fromkeys(patterns))


def get_in_scope(subscription_id, session=None) -> Subscription:
    """The subscription inside the caller's subtree; 404 otherwise (as for one that does not exist)."""
    row = (session or db_session()).get(Subscription, str(subscription_id))
    if row is None or not current_principal().sees(row.path):
        raise not_found("subscription")
    return row


def create(fields: dict) -> dict:
    session = db_session()
    principal = current_principal()
    config = rule_config()
    patterns = check_event_types(fields["event_types"])
    if fields.get("url") is not None:
        check_target(fields["url"], config)
    if fields.get("under") is not None:
        path = unit_in_scope(fields["under"], "under").path
    elif principal.scope_path is None:
        raise not_found("unit")
    else:
        path = principal.scope_path
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = Subscription(name=fields["name"], url=fields.get("url"), email=fields.get("email"), event_types=patterns,
                       path=path,
                       under_unit_id=str(fields["under"]) if fields.get("under") else None,
                       scope_unit_id=principal.scope, secret=pii_cipher().encrypt(secret),
                       status=fields["status"], created_by=principal.subject)
    session.add(row)
    session.flush()
    audit("subscription", row.id, "created", {"name": row.name, "url": row.url, "email": row.email,
                                               "event_types": patterns, "path": path, "status": row.status})
    return {**view(row), "secret": None if row.email else secret}


def change(subscription_id, fields: dict) -> dict:
    """Name, URL, event types, active / paused (If-Match). Active again clears the flag, and the head
    delivery is tried at once with its retry window started afresh."""
    row = if_match(get_in_scope(subscription_id))
    if "event_types" in fields:
        fields = {**fields, "event_types": check_event_types(fields["event_types"])}
    channel = "email" if row.email else "url"
    other = {"url", "email"} - {channel}
    if other & set(fields):
        raise invalid(other.pop(), str(msg("webhooks-channel-fixed", channel=channel)))
    if "url" in fields:
        check_target(fields["url"], rule_config())
    changes = diff({key: getattr(row, key) for key in fields}, fields)
    for key, value in fields.items():
        setattr(row, key, value)
    if fields.get("status") == "active" and (row.flagged_at is not None or "status" in changes):
        row.flagged_at = None
        row.flag_reason = None
        db_session().execute(update(Delivery).where(Delivery.subscription_id == row.id,
                                                    Delivery.status.in_(QUEUED))
                             .values(next_attempt_at=utcnow(), first_failed_at=None)
                             .execution_options(synchronize_session=False))
    row.version += 1
    db_session().flush()
    audit("subscription", row.id, "updated", changes)
    return view(row)


def remove(subscription_id) -> None:
    """Delete the subscription with its queue and its log (If-Match)."""
    session = db_session()
    row = if_match(get_in_scope(subscription_id))
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.subscription_id == row.id))
    session.execute(delete(Delivery).where(Delivery.subscription_id == row.id))
    audit("subscription", row.id, "deleted", {"name": row.name, "url": row.url})
    session.delete(row)
    session.flush()


def _pending(session, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    return dict(session.execute(select(Delivery.subscription_id, func.count()).where(
        Delivery.subscription_id.in_(ids), Delivery.status.in_(QUEUED)).group_by(Delivery.subscription_id)).all())


def _dump(row: Subscription, pending: int) -> dict:
    return {"id": row.id, "name": row.name, "channel": "email" if row.email else "webhook", "url": row.url,
            "email": row.email, "event_types": row.event_types,
            "under": row.under_unit_id, "path": row.path, "status": row.status,
            "flagged": row.flagged_at is not None, "flagged_at": row.flagged_at, "flag_reason": row.flag_reason,
            "pending": pending, "created_by": row.created_by, "created_at": row.created_at,
            "updated_at": row.updated_at, "version": row.version}


def view(row: Subscription) -> dict:
    return _dump(row, _pending(db_session(), [row.id]).get(row.id, 0))


def list_subscriptions(args: dict) -> dict:
    session = db_session()
    principal = current_principal()
    stmt = select(Subscription).where(scope_clause(Subscription.path, principal))
    if args.get("under") is not None:
        stmt = stmt.where(under_clause(Subscription.path, unit_in_scope(args["under"], "under").path))
    if args.get("status"):
        stmt = stmt.where(Subscription.status == args["status"])
    page = paginate(session, stmt, [Subscription.created_at, Subscription.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    pending = _pending(session, [row.id for row in page["items"]])
    return {"items": [_dump(row, pending.get(row.id, 0)) for row in page["items"]],
            "next_cursor": page["next_cursor"]}


# ----------------------------------------------------------------------------- the log and redelivery

def log(subscription_id, args: dict) -> dict:
    """The delivery log of one subscription, oldest first (kept ``retention_days``)."""
    session = db_session()
    row = get_in_scope(subscription_id)
    stmt = select(DeliveryAttempt).where(DeliveryAttempt.subscription_id == row.id)
    if args.get("status"):
        stmt = stmt.where(DeliveryAttempt.status == args["status"])
    if args.get("event_id"):
        stmt = stmt.where(DeliveryAttempt.event_id == str(args["event_id"]))
    if args.get("since"):
        stmt = stmt.where(DeliveryAttempt.at >= args["since"])
    page = paginate(session, stmt, [DeliveryAttempt.id], cursor=args.get("cursor"), limit=args["limit"])
    return {"items": [{c.key: getattr(a, c.key) for c in DeliveryAttempt.__table__.columns
                       if c.key not in ("subscription_id",)} for a in page["items"]],
            "next_cursor": page["next_cursor"]}


def redeliver(subscription_id, fields: dict) -> dict:
    """Queue again one event the subscription got, or every event that occurred since a time, in their first
    order, behind what is already queued (set-wise: one INSERT ... SELECT)."""
    session = db_session()
    row = get_in_scope(subscription_id)
    first = aliased(Delivery)
    source = select(first).where(first.subscription_id == row.id, first.redelivery.is_(False))
    if fields.get("event_id"):
        source = source.where(first.event_id == str(fields["event_id"]))
    else:
        source = source.where(first.occurred_at >= fields["since"])
    originals = session.scalars(source.order_by(first.id).limit(100_000)).all()
    if fields.get("event_id") and not originals:
        raise Problem(404, "Not Found", msg("webhooks-not-delivered", event_id=fields["event_id"]),
                      kind="not-found")
    now = utcnow()
    session.add_all([Delivery(subscription_id=row.id, event_id=o.event_id, event_type=o.event_type,
                              occurred_at=o.occurred_at, envelope=o.envelope, status=delivery.queued_status(row),
                              attempts=0,
                              redelivery=True, next_attempt_at=now) for o in originals])
    session.flush()
    audit("subscription", row.id, "redelivered", {"event_id": str(fields.get("event_id") or "") or None,
                                                   "since": fields.get("since"), "queued": len(originals)})
    return {"queued": len(originals)}


def ping(subscription_id) -> dict:
    """A signed test event to the target, sent at once; the answer is recorded in the log. The subscription
    is read in a short session of its own: the request's would hold SQLite's write lock during the POST."""
    with current_kit().db.Session() as session:
        row = get_in_scope(subscription_id, session)
        secret = pii_cipher().decrypt(row.secret)
        session.expunge(row)
    if row.email:
        envelope, outcome = digests.ping(row, current_principal().subject)
    else:
        envelope, outcome = delivery.ping(row, secret, rule_config(), current_principal().subject)
    db_session().add(DeliveryAttempt(subscription_id=row.id, delivery_id=None, event_id=envelope["id"],
                                     event_type=envelope["type"], attempt=1, status=outcome.status,
                                     response_code=outcome.response_code, latency_ms=outcome.latency_ms,
                                     error=outcome.error))
    return {"event_id": envelope["id"], "status": outcome.status, "response_code": outcome.response_code,
            "latency_ms": outcome.latency_ms, "error": outcome.error}


# ----------------------------------------------------------------------------- org moves

def follow_moves(session, OrgUnitView) -> None:
    """After a subtree moved: every subscription's path is its under (else scope) unit's current path."""
    for column in (Subscription.under_unit_id, Subscription.scope_unit_id):
        current = select(OrgUnitView.path).where(OrgUnitView.id == column).scalar_subquery()
        target = Subscription.under_unit_id.is_not(None) if column is Subscription.under_unit_id else (
            Subscription.under_unit_id.is_(None) & Subscription.scope_unit_id.is_not(None))
        session.execute(update(Subscription).where(target, current.is_not(None), Subscription.path != current)
                        .values(path=current).execution_options(synchronize_session=False))


def purge(session, now: datetime, config: dict) -> dict:
    """The delivery log and delivered events older than the retention are deleted."""
    cutoff = now - timedelta(days=config["retention_days"])
    attempts = session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.at < cutoff)).rowcount or 0
    deliveries = session.execute(delete(Delivery).where(Delivery.status == "delivered",
                                                        Delivery.created_at < cutoff)).rowcount or 0
    return {"attempts": attempts, "deliveries": deliveries}


def purge_old(app) -> dict:
    """The daily job: the delivery log and the delivered events older than the retention go."""
    kit = app.extensions["zhibu"]
    with kit.db.transaction() as session:
        return purge(session, utcnow(), app.config["RULES"])


JOBS = [DailyJob("webhooks-purge", clock(3, 50), purge_old)]
