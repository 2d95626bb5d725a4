"""SQLAlchemy 2 engine and sessions, one database per service.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE`` so that two processes writing at
once wait for each other instead of failing on a lock upgrade. PostgreSQL goes
through psycopg 3.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, Integer, String, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

#: an auto-incrementing big integer that SQLite also accepts as its rowid alias
BigId = BigInteger().with_variant(Integer, "sqlite")
#: a text column compared byte-wise on every backend, so that ``path >= '/1/' AND path < '/10'``
#: selects a subtree through an ordinary b-tree index
PathString = String(512).with_variant(String(512, collation="C"), "postgresql")
#: a keyed hash as hex: compared byte for byte on PostgreSQL too (its unique index takes an entry for every
#: person imported, and comparing under the database's locale is a good part of that index's work)
HashString = String(64).with_variant(String(64, collation="C"), "postgresql")


def compare_version(column) -> dict:
    """``__mapper_args__`` for a row whose ``version`` column guards every UPDATE: the ORM writes
    ``UPDATE ... WHERE id = :id AND version = :version_read`` and a write based on a stale read fails
    (``StaleDataError``, answered 412) instead of silently overwriting a newer change. The code still sets
    the new version itself (``version_id_generator=False``), as it puts that version in the events."""
    return {"version_id_col": column, "version_id_generator": False}


def without_jit(session) -> None:
    """For the rest of the session's transaction, no JIT compilation on PostgreSQL: for queries over millions
    of rows (reports, batches of a province) its compiler spends seconds on what runs in a fraction of that,
    and pays them again for every query its cost estimate puts over the threshold."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def expire_if_loaded(session, model, key) -> None:
    """A row written by a plain statement (not through the unit of work): if the session holds it as an object,
    loaded earlier in the transaction, that object is read again when next used instead of showing the old
    values."""
    loaded = session.identity_map.get(session.identity_key(model, key))
    if loaded is not None:
        session.expire(loaded)


def plain_rows(session, stmt, params: dict | None = None) -> list[tuple]:
    """Every row of a Core ``select`` as a plain tuple, for reads of hundreds of thousands of rows: the statement
    runs through the session's connection as any other (compiled once, its parameters bound as their types
    say), but its rows come straight from the driver's cursor, a column converted only where its type needs it
    (a date read back from SQLite, a zone added to a timestamp). SQLAlchemy's Row objects cost more than the
    read itself: a province's 330,000 meeting tallies, 0.8 s of CPU through the session, 0.2 s this way."""
    session.flush()
    result = session.connection().execute(stmt, params)
    try:
        cursor = result.cursor
        rows = cursor.fetchall()
        dialect = session.get_bind().dialect
        columns = getattr(stmt, "selected_columns", None)   # a text() statement: values as the driver reads them
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                      for column, described in zip(columns, cursor.description)] if columns is not None else []
    finally:
        result.close()
    if any(processors):
        return [tuple(value if convert is None else convert(value) for convert, value in zip(processors, row))
                for row in rows]
    return rows


def insert_for(session, model):
    """``INSERT`` into ``model`` (a mapped class or a table) in the session's dialect, so that it takes
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` on PostgreSQL and on SQLite alike."""
    return dialect_insert(session.get_bind().dialect.name, model)


def dialect_insert(dialect: str, model):
    """``insert_for`` by the dialect's name: for a statement built once per dialect and kept."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def advisory_lock(session, name: str, *, shared: bool = False) -> None:
    """Serialize the transactions that take the lock ``name`` until each commits or rolls back (PostgreSQL:
    ``pg_advisory_xact_lock``; ``shared``: many holders at once, but none while one holds it exclusively).
    On SQLite every writing transaction already holds the database (``BEGIN IMMEDIATE``), so there is
    nothing more to take."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    session.execute(text(f"SELECT {function}(:key)"), {"key": key})


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; nothing else is rewritten."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_unique_violation(exc: IntegrityError) -> bool:
    """A unique index refused the row (a duplicate code, key or ID number)."""
    text_ = str(exc.orig).lower()
    return "unique" in text_ or "duplicate key" in text_


def database_unavailable(exc: BaseException) -> bool:
    """The service's own database did not answer: down, restarting, refusing connections, locked, or not
    yet migrated (SQLAlchemy's ``OperationalError`` family); not the fault of the request or the event."""
    return isinstance(exc, (OperationalError, InterfaceError, DisconnectionError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


#: SQLSTATEs of a transaction PostgreSQL rolled back for a concurrent one's sake: a deadlock, a serialization failure
CONFLICT_STATES = frozenset({"40P01", "40001"})


def transaction_conflict(exc: BaseException) -> bool:
    """PostgreSQL rolled the transaction back because of a concurrent one (a deadlock between two writers, a
    serialization failure): nothing is wrong with the database or the work, and doing it again is all it
    takes."""
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) in CONFLICT_STATES


def make_engine(url: str, *, reader: bool = False, **kwargs) -> Engine:
    """The engine for ``url``. On SQLite every transaction takes the write lock at its start (``BEGIN
    IMMEDIATE``: no deadlock between two writers), except a ``reader``'s, which only reads and so never
    waits for a writer (WAL)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False, "isolation_level": None},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_use_lifo", True)  # the connection used last is used next: it has not been idle
    engine = create_engine(url, **kwargs)
    ping_when_idle(engine, IDLE_PING_SECONDS)
    return engine


#: a pooled connection idle longer than this is checked (``SELECT 1``) before it is handed out
IDLE_PING_SECONDS = 5.0


def ping_when_idle(engine: Engine, seconds: float) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for a connection that has been idle in the pool for more than
    ``seconds``: a busy process does not pay a round trip per checkout, and a connection left over from before
    a database restart is still found and replaced (the pool retries with a new one) before anyone uses it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["zhibu_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        since = record.info.get("zhibu_idle_since")
        if since is None or time.monotonic() - since < seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure means: replace this connection
            raise DisconnectionError(f"a pooled connection did not answer: {type(exc).__name__}") from exc
        if not alive:
            raise DisconnectionError("a pooled connection did not answer")


class Database:
    """A service's engine and session factory.

    ``on_commit`` callbacks run after a commit that wrote outbox rows; the web
    process uses it to wake its background publisher.
    """

    def __init__(self, url: str, **engine_kwargs):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        #: a session for work that only reads (a GET's): on SQLite its transaction takes no write lock, so it
        #: never waits for a writer such as a long import (WAL); on PostgreSQL the same as ``Session``
        #: (an in-memory SQLite database lives in its one engine's connection: it is its own reader)
        in_memory = self.url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in self.url
        self.reader_engine = (make_engine(self.url, reader=True, **engine_kwargs) if self.is_sqlite and not in_memory
                              else self.engine)
        self.ReadSession = sessionmaker(self.reader_engine, expire_on_commit=False)
        self._commit_listeners: list = []
        self._lock = threading.Lock()

        @event.listens_for(self.Session, "after_commit")
        def _after_commit(session: Session):
            if session.info.pop("outbox_written", False):
                for listener in list(self._commit_listeners):
                    listener()

        @event.listens_for(self.Session, "after_rollback")
        def _after_rollback(session: Session):
            session.info.pop("outbox_written", None)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def on_outbox_commit(self, listener) -> None:
        with self._lock:
            self._commit_listeners.append(listener)

    @contextmanager
    def transaction(self):
        """A session whose work commits at the end of the block, or rolls back on error."""
        with self.Session() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader_engine is not self.engine:
            self.reader_engine.dispose()
