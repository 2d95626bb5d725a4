"""Writing many rows at once, in the caller's transaction (imports, set-wise changes).

- ``copy_rows``: COPY through psycopg's ``cursor.copy`` on PostgreSQL, executemany elsewhere;
- ``copy_stream``: the same fed in pieces, the server storing one while the caller works out the next;
- ``existing``: which of many values a unique column already holds, in one query;
- ``copy_text_lines``: rows encoded for a text COPY, so that another process can prepare them;
- ``Pipeline``: a pure preparation step over chunks of a file, in a pool of processes, results in order;
- ``new_ids``: many random UUIDs at once;
- ``analyze_after``: the statistics of a table anew after a bulk write that changed much of it.

The outbox events of such writes are packed by ``outbox.EventBatch``.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import ARRAY, JSON, any_, bindparam, select, text
from sqlalchemy.exc import IntegrityError

from .db import is_unique_violation


#: a bulk write of at least this many rows refreshes the table's statistics in its own transaction
ANALYZE_AFTER = 10_000


def analyze_after(session, table, rows: int, columns: tuple[str, ...] = ()) -> None:
    """After a bulk write of ``rows`` rows into ``table`` (at least ``ANALYZE_AFTER``), PostgreSQL's statistics
    of it anew, in the caller's transaction (ANALYZE samples the rows the transaction sees, its own
    included): the reports that read the table next are planned for what it holds, not for what it held
    before (autovacuum comes round only minutes later). ``columns``: only these columns' statistics (the
    table's size is counted anew either way); all of them when empty. Elsewhere nothing."""
    if rows >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        session.flush()
        names = [table.c[name].name for name in columns]  # a column the table lacks: a KeyError, not SQL text
        session.execute(text(f"ANALYZE {table.name}" + (f" ({', '.join(names)})" if names else "")))


def new_ids(n: int) -> list[str]:
    """``n`` new UUIDs as text, in ascending order: version 7 (RFC 9562), the time in milliseconds first, then
    a counter and 60 random bits. Rows written together land side by side in a primary-key index instead
    of on random pages all over it; the randomness comes from one read of the system's (one call instead
    of ``n``: each system call hands the interpreter lock to the other threads)."""
    now_ms = time.time_ns() // 1_000_000
    random_hex = os.urandom(8 * n).hex()
    out = []
    for first in range(0, n, 4096):  # 4,096 a millisecond: the counter's 12 bits
        stamp = f"{now_ms + (first >> 12):012x}"
        head = f"{stamp[:8]}-{stamp[8:]}-7"
        for i in range(first, min(n, first + 4096)):
            tail = random_hex[16 * i + 1:16 * i + 16]
            out.append(f"{head}{i & 0xFFF:03x}-{'89ab'[i & 3]}{tail[:3]}-{tail[3:]}")
    return out


def copy_rows(session, table, columns: tuple[str, ...], rows: list[tuple] | bytes) -> int | None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction: a binary COPY
    on PostgreSQL (the cheapest way in for both sides), executemany elsewhere. A JSON column takes a
    Python value or its ready JSON text (a str), on either database. On PostgreSQL ``rows`` may also be the
    ready lines of a text COPY (``copy_text_lines``), written as they are."""
    if not rows:
        return 0
    if isinstance(rows, bytes):
        session.flush()
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            raise TypeError("COPY lines are for PostgreSQL; give rows elsewhere")
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(rows)
        return None
    with copy_stream(session, table, columns, beside=False) as write:
        write(rows)
    return len(rows)


@contextmanager
def copy_stream(session, table, columns: tuple[str, ...], *, beside: bool = True):
    """A bulk insert into ``table`` that the caller feeds in pieces, in the session's transaction: yields
    ``write(rows)`` (tuples in ``columns`` order, as for ``copy_rows``). On PostgreSQL it is one binary COPY;
    with ``beside`` its data goes to the server from a thread of psycopg's (``QueuedLibpqWriter``), so that
    the server stores one piece on one core while the caller works out the next on the other, instead of
    each waiting for the other. Elsewhere each piece is an executemany. An error inside the block
    abandons the whole COPY: nothing of it is kept."""
    session.flush()
    connection = session.connection()
    json_positions = [i for i, name in enumerate(columns) if _is_json(table.c[name].type)]
    if connection.dialect.name != "postgresql":
        def insert(rows):
            if rows:
                connection.execute(table.insert(), [
                    {name: json.loads(value) if i in json_positions and isinstance(value, str) else value
                     for i, (name, value) in enumerate(zip(columns, row))} for row in rows])
        yield insert
        return
    raw = connection.connection.driver_connection
    types = _copy_types(raw, table.name, columns)
    with raw.cursor() as cursor:
        writer = QueuedLibpqWriter(cursor) if beside else None
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)",
                         writer=writer) as copy:
            copy.set_types(types)

            def write(rows):
                for row in rows:
                    if json_positions:
                        row = list(row)
                        for i in json_positions:
                            if row[i] is not None and not isinstance(row[i], str):
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
            yield write


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_str(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_other(value) -> str:
    if isinstance(value, (dict, list)):
        return _copy_str(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return _copy_str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return _copy_str(str(value))


class _Encoders(dict):
    def __missing__(self, _type):
        return _copy_other


_COPY_TEXT = _Encoders({str: _copy_str, type(None): lambda _: "\\N", date: date.isoformat,
                        datetime: datetime.isoformat, int: int.__repr__, float: float.__repr__,
                        bool: lambda value: "t" if value else "f"})


def copy_text_lines(rows, tail: tuple = ()) -> bytes:
    """``rows`` (tuples) as the lines of a PostgreSQL text COPY: ``\\N`` for None, dates in ISO form,
    backslashes and control characters escaped, JSON values as their text; ``tail``, values every row
    ends with, encoded once. (One encoder per value type, looked up by exact type: an import encodes
    tens of millions of values.)"""
    encoders = _COPY_TEXT
    end = "".join("\t" + encoders[type(value)](value) for value in tail) + "\n"
    return "".join(["\t".join([encoders[type(value)](value) for value in row]) + end for row in rows]).encode()


def _is_json(column_type) -> bool:
    return isinstance(column_type, JSON)


_TYPES: dict[tuple, list[str]] = {}


def _copy_types(raw, table: str, columns: tuple[str, ...]) -> list[str]:
    """The columns' types as the server names them (a json column takes its text as it is)."""
    key = (table, columns)
    if key not in _TYPES:
        found = dict(raw.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (table,)).fetchall())
        _TYPES[key] = ["text" if found[c] == "json" else found[c] for c in columns]
    return _TYPES[key]


def unique_violation(exc: BaseException) -> bool:
    """A unique index refused a row (SQLAlchemy's IntegrityError, or psycopg's own error from a COPY)."""
    if isinstance(exc, IntegrityError):
        return is_unique_violation(exc)
    return getattr(exc, "sqlstate", None) == "23505"


def existing(session, column, values: list) -> set:
    """The ``values`` already in ``column`` (one query; one array parameter on PostgreSQL)."""
    if not values:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        found: set = set()
        for i in range(0, len(values), 900):  # SQLite's limit on bound parameters
            found.update(session.scalars(select(column).where(column.in_(values[i:i + 900]))))
        return found
    # the planner has no statistics on rows this transaction wrote and could scan the whole table for every
    # batch; each value is one probe of a unique index
    session.execute(text("SET LOCAL enable_seqscan = off"))
    found = set(session.scalars(select(column).where(
        column == any_(bindparam("values", values, type_=ARRAY(column.type))))))
    session.execute(text("SET LOCAL enable_seqscan = on"))
    return found


@dataclass
class _Pool:
    """A process pool of this process, with what its reaper needs to know."""

    executor: ProcessPoolExecutor
    idle_seconds: float            # how long it may stay unused
    busy: int = 0                  # pipelines using it now
    used: float = field(default_factory=time.monotonic)  # when it was last taken or given back


_POOLS: dict[tuple[int, int], _Pool] = {}           # by (pid, processes): a forked child starts its own
_POOLS_LOCK = threading.Lock()
_REAPERS: set[int] = set()                          # the processes whose idle pools a thread shuts down
_REAPER_WAKE = threading.Event()                    # a pool was taken or given back: look again


def process_pool(processes: int, idle_seconds: float = 300.0) -> ProcessPoolExecutor:
    """This process's pool of ``processes`` workers, started on first use (spawned, not forked: a web process
    runs threads) and shut down once no pipeline has used it for ``idle_seconds``. The caller holds it until
    ``release_pool``."""
    key = (os.getpid(), processes)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = _Pool(ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")),
                                       idle_seconds)
        pool.busy += 1
        pool.used = time.monotonic()
        pool.idle_seconds = idle_seconds
        _REAPER_WAKE.set()
        if key[0] not in _REAPERS:
            _REAPERS.add(key[0])
            threading.Thread(target=_reap_idle_pools, name="pool-reaper", daemon=True).start()
        return pool.executor


def release_pool(processes: int) -> None:
    with _POOLS_LOCK:
        pool = _POOLS.get((os.getpid(), processes))
        if pool is not None:
            pool.busy = max(0, pool.busy - 1)
            pool.used = time.monotonic()
    _REAPER_WAKE.set()


def _reap_idle_pools() -> None:
    pid = os.getpid()
    while True:
        with _POOLS_LOCK:
            waits = [pool.idle_seconds for key, pool in _POOLS.items() if key[0] == pid]
        _REAPER_WAKE.wait(min([30.0, *waits]) / 2)
        _REAPER_WAKE.clear()
        now = time.monotonic()
        with _POOLS_LOCK:
            idle = [key for key, pool in _POOLS.items()
                    if key[0] == pid and not pool.busy and now - pool.used >= pool.idle_seconds]
            executors = [_POOLS.pop(key).executor for key in idle]
        for executor in executors:
            executor.shutdown(wait=False)


def _drop_pool(processes: int) -> None:
    with _POOLS_LOCK:
        pool = _POOLS.pop((os.getpid(), processes), None)
    if pool is not None:
        pool.executor.shutdown(wait=False, cancel_futures=True)


@contextmanager
def collector_paused():
    """Python's cycle collector paused while set-wise work makes millions of short-lived lists, dicts and
    tuples and no cycles: otherwise each generation-2 pass walks all of them again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _without_gc(work, chunk, context):
    with collector_paused():
        return work(chunk, context)


class Pipeline:
    """``work(chunk, context)`` over a stream of chunks: in a pool of ``processes`` worker processes, at most
    ``ahead`` chunks in flight, results handed back in the order the chunks came; or, with no processes,
    at once in the caller (``inline`` stands in for ``work`` there, e.g. with the request's session bound).

    ``work`` must be a module-level function and chunks, context and results plain picklable data. The
    caller writes each result as it comes back while the workers prepare the next chunks: with a
    database that writes in its own process, the import uses every core."""

    def __init__(self, work, context, processes: int = 0, *, inline=None, ahead: int | None = None,
                 idle_seconds: float = 300.0):
        self.work = work
        self.context = context
        self.processes = processes
        self.inline = inline or work
        self.ahead = ahead or 2 * processes
        self._pool = process_pool(processes, idle_seconds) if processes > 0 else None
        self._holding = self._pool is not None
        self._flight: deque = deque()

    def submit(self, chunk) -> list:
        """Hand over one chunk; returns the results now due (oldest first)."""
        if self._pool is None:
            return [_without_gc(self.inline, chunk, self.context)]
        self._flight.append(self._pool.submit(_without_gc, self.work, chunk, self.context))
        due = []
        while len(self._flight) > self.ahead:
            due.append(self._result(self._flight.popleft()))
        return due

    def finish(self):
        """Yield the results still in flight, in order; then the pool is free for others (or to be shut)."""
        while self._flight:
            yield self._result(self._flight.popleft())
        self._release()

    def abandon(self) -> None:
        for future in self._flight:
            future.cancel()
        self._flight.clear()
        self._release()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            release_pool(self.processes)

    def _result(self, future):
        try:
            return future.result()
        except Exception as exc:
            from concurrent.futures.process import BrokenProcessPool

            if isinstance(exc, BrokenProcessPool):  # a worker died: the next import starts a fresh pool
                _drop_pool(self.processes)
            self.abandon()
            raise
