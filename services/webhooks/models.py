"""The webhooks service's tables.

- ``subscriptions``: a platform's target URL, the event types it wants (globs), the subtree it covers
  (``path``: the ``under`` unit's path, kept in step with moves), its secret (encrypted with the PII key),
  active / paused, and the flag set when deliveries failed for the whole retry window;
- ``deliveries``: one row per event and matching subscription, written in the transaction that applies
  the event (the inbox's): the queue, in order per subscription (``id``), kept 30 days once delivered;
- ``delivery_attempts``: the delivery log (status, latency, response code, error), kept 30 days;
- ``email_digests``: the day's digest of each e-mail address (one a day; ``digests.py``).
"""
from __future__ import annotations

from datetime import date, datetime


from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PathString, UTCDateTime, compare_version, new_id, utcnow
from shared.models import kit_models


class Base(DeclarativeBase):
    pass


kit = kit_models(Base)


class Subscription(Base):
    """A platform's subscription to events of a subtree."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_path", "path"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    #: where events are POSTed (a webhook), or none for an e-mail subscription
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: the address that gets the daily digest (an e-mail subscription), or none for a webhook
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    #: globs over the catalog's event types (``members.stage.*``)
    event_types: Mapped[list] = mapped_column(JSON)
    #: the ``under`` unit (None: the creator's whole scope) and the creator's scope unit (None: province)
    under_unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    scope_unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: the subtree delivered: the under unit's (else the scope unit's) path, "/" for the province
    path: Mapped[str] = mapped_column(PathString)
    secret: Mapped[str] = mapped_column(Text)  # AES-GCM under the PII key
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused
    #: set when the head delivery failed for the whole retry window (the subscription was paused)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    flag_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    #: which delivery loop holds the subscription (one at a time: in order), and until when
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Delivery(Base):
    """One event to POST to one subscription; ``id`` orders a subscription's queue."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_pending", "subscription_id", "id", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_deliveries_subscription_event", "subscription_id", "event_id"),
        Index("ix_deliveries_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(String(36), ForeignKey("subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[dict] = mapped_column(JSON)
    #: pending (a webhook's, POSTed by the delivery loop) | digest (an e-mail subscription's, sent in the next
    #: daily digest) | delivered
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: a manual redelivery (a copy of an earlier row), not the event's first recording
    redelivery: Mapped[bool] = mapped_column(default=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryAttempt(Base):
    """The delivery log: one row per POST (a ping included)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_subscription", "subscription_id", "id"),
                      Index("ix_delivery_attempts_at", "at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(String(36), ForeignKey("subscriptions.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # delivered | failed
    response_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailDigest(Base):
    """The day's digest of one e-mail address: sent (at most one a day) or failed (tried again)."""

    __tablename__ = "email_digests"
    __table_args__ = (UniqueConstraint("address", "day", name="uq_email_digests_address_day"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    address: Mapped[str] = mapped_column(String(254))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # sent | failed
    events: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
