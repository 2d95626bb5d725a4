"""The tables every service keeps besides its own: outbox, inbox, audit log,
idempotency keys, and the read-model of org units used for scope checks; and, in a service
that owns deadlines, the reminders it sent (``shared/reminders.py``).

Each service has its own database and its own ``Base``; ``kit_models(Base)``
declares these tables on it so that the service's Alembic history creates them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from .db import BigId, PathString, UTCDateTime, utcnow


class current_txid(FunctionElement):
    """The writing transaction's id as a number: PostgreSQL's 64-bit ``pg_current_xact_id()`` (it never wraps);
    0 on SQLite, whose writing transactions run one at a time."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_txid)
def _txid_default(element, compiler, **kw):
    return "0"


@compiles(current_txid, "postgresql")
def _txid_postgresql(element, compiler, **kw):
    return "((pg_current_xact_id())::text)::bigint"


class PerMeetingType:
    """A mixin: one integer column per type of organizational life (``shared.catalog.org.MEETING_TYPES``), 0
    by default; org's ``LifeYear`` keeps month masks in them, evaluation's ``MeetingTally`` counts."""

    general_meeting: Mapped[int] = mapped_column(Integer, default=0)
    committee_meeting: Mapped[int] = mapped_column(Integer, default=0)
    group_meeting: Mapped[int] = mapped_column(Integer, default=0)
    party_lecture: Mapped[int] = mapped_column(Integer, default=0)
    theme_day: Mapped[int] = mapped_column(Integer, default=0)
    review_meeting: Mapped[int] = mapped_column(Integer, default=0)
    heart_to_heart_talk: Mapped[int] = mapped_column(Integer, default=0)
    member_review: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class KitModels:
    OutboxEvent: type
    InboxEvent: type
    AuditEntry: type
    IdempotencyRecord: type
    OrgUnitView: type | None
    ReminderSent: type | None = None
    ImportJob: type | None = None


def kit_models(Base, *, org_read_model: bool = True, deadline_reminders: bool = False,
               import_jobs: bool = False) -> KitModels:
    """The kit's tables on ``Base``; ``deadline_reminders`` for a service whose worker sends reminders,
    ``import_jobs`` for a service with bulk imports (``shared.import_jobs``)."""
    class OutboxEvent(Base):
        """An event written in the same transaction as the change it reports (transactional outbox)."""

        __tablename__ = "outbox"
        __table_args__ = (
            Index("ix_outbox_unsent", "id", sqlite_where=text("sent_at IS NULL"),
                  postgresql_where=text("sent_at IS NULL")),
            Index("ix_outbox_feed", "txid", "id"),
        )
        id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
        #: the writing transaction (shared/changes.py: the change feed hands rows out in commit order)
        txid: Mapped[int] = mapped_column(BigInteger, server_default=current_txid())
        event_id: Mapped[str] = mapped_column(String(36), unique=True)
        type: Mapped[str] = mapped_column(String(100))
        #: the event's unit path; a packed row's: its events' common ancestor ("/" when they share none)
        org_path: Mapped[str | None] = mapped_column(PathString, nullable=True)
        envelope: Mapped[dict] = mapped_column(JSON)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
        sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
        attempts: Mapped[int] = mapped_column(Integer, default=0)
        last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    class InboxEvent(Base):
        """An event already applied: written in the same transaction as the handler's effect."""

        __tablename__ = "inbox"
        event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
        type: Mapped[str] = mapped_column(String(100))
        processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    class AuditEntry(Base):
        """Who changed what, when: one row per write."""

        __tablename__ = "audit_log"
        __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
        id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
        occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
        actor: Mapped[str] = mapped_column(String(200))
        entity: Mapped[str] = mapped_column(String(100))
        entity_id: Mapped[str] = mapped_column(String(100))
        action: Mapped[str] = mapped_column(String(50))
        change: Mapped[dict] = mapped_column(JSON, default=dict)
        request_id: Mapped[str | None] = mapped_column(String(100), nullable=True)

    class IdempotencyRecord(Base):
        """The first answer to a creating POST, replayed for the same Idempotency-Key."""

        __tablename__ = "idempotency_keys"
        subject: Mapped[str] = mapped_column(String(200), primary_key=True)
        key: Mapped[str] = mapped_column(String(200), primary_key=True)
        request_hash: Mapped[str] = mapped_column(String(64))
        status: Mapped[int] = mapped_column(Integer)
        body: Mapped[str] = mapped_column(Text)
        headers: Mapped[dict] = mapped_column(JSON, default=dict)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_view = None
    if org_read_model:
        class OrgUnitView(Base):
            """This service's copy of an org unit (id, path, kind, status), fed by org events."""

            __tablename__ = "org_unit_view"
            __table_args__ = (Index("ix_org_unit_view_path", "path"),)
            id: Mapped[str] = mapped_column(String(36), primary_key=True)
            path: Mapped[str] = mapped_column(PathString)
            parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
            kind: Mapped[str] = mapped_column(String(40))
            domain: Mapped[str | None] = mapped_column(String(40), nullable=True)
            name: Mapped[str] = mapped_column(String(200))
            code: Mapped[str] = mapped_column(String(64))
            status: Mapped[str] = mapped_column(String(20))
            #: the org unit's version of the last event applied: an older event never undoes a newer one
            version: Mapped[int] = mapped_column(Integer, default=0)

        org_view = OrgUnitView

    reminder_sent = None
    if deadline_reminders:
        class ReminderSent(Base):
            """A deadline reminder published: once per rule, subject, due date and threshold (days before;
            -1 for the overdue one). Its key is what makes a rerun of the job send nothing new."""

            __tablename__ = "reminders_sent"
            rule: Mapped[str] = mapped_column(String(50), primary_key=True)
            subject_id: Mapped[str] = mapped_column(String(36), primary_key=True)
            due_on: Mapped[date] = mapped_column(Date, primary_key=True)
            threshold: Mapped[int] = mapped_column(Integer, primary_key=True)
            sent_on: Mapped[date] = mapped_column(Date)

        reminder_sent = ReminderSent

    job = None
    if import_jobs:
        class ImportJob(Base):
            """A large import running in the background (``shared.import_jobs``): its progress, written by the
            web process running it (``heartbeat_at`` every few seconds: a job whose heartbeat stops is failed
            by the next poll), and its final answer."""

            __tablename__ = "import_jobs"
            __table_args__ = (Index("ix_import_jobs_scope", "scope_path"),)
            id: Mapped[str] = mapped_column(String(36), primary_key=True)
            kind: Mapped[str] = mapped_column(String(40))
            status: Mapped[str] = mapped_column(String(20))   # queued, running, succeeded, failed
            scope_path: Mapped[str] = mapped_column(PathString)
            actor: Mapped[str] = mapped_column(String(200))
            format: Mapped[str] = mapped_column(String(10))
            size_bytes: Mapped[int] = mapped_column(BigId)
            rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
            rows_done: Mapped[int] = mapped_column(Integer, default=0)
            error_count: Mapped[int] = mapped_column(Integer, default=0)
            errors: Mapped[list] = mapped_column(JSON, default=list)
            result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
            result_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
            runner: Mapped[str] = mapped_column(String(200))
            created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
            started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
            heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
            finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

        job = ImportJob

    return KitModels(OutboxEvent, InboxEvent, AuditEntry, IdempotencyRecord, org_view, reminder_sent, job)
