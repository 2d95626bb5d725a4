"""The service's database connections: a connection that died while idle in the pool is never handed out; rows read
straight from the driver are the rows the session reads."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from shared import db
from tests.conftest import PG_ADMIN_URL


@pytest.mark.infra
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_anyone_uses_it(pg_url, monkeypatch):
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every checkout after a checkin counts as idle
    engine = db.make_engine(pg_url("pool", migrate=False), pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:  # as a database restart or failover does
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    with engine.connect() as conn:
        second = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    engine.dispose()
    assert second != first


@pytest.mark.infra
def test_a_connection_back_in_the_pool_a_moment_ago_is_handed_out_without_a_check(pg_url):
    engine = db.make_engine(pg_url("pool", migrate=False), pool_size=1, max_overflow=0)
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda conn: pings.append(conn) or original(conn)
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    engine.dispose()
    assert pings == []


@pytest.mark.parametrize("on", ["sqlite", "postgresql"])
def test_plain_rows_read_what_the_session_reads(on, pg_url, tmp_path):
    """``plain_rows`` gives the rows a session would, as tuples: dates, zoned timestamps, floats and texts as their
    types read them back on either database, the statement's parameters (a list for IN) bound as usual."""
    from datetime import date, datetime, timezone

    from sqlalchemy import Column, Date, Float, MetaData, String, Table, create_engine, func, insert, select
    from sqlalchemy.orm import Session

    url = db.normalize_url(pg_url("rows", migrate=False)) if on == "postgresql" else f"sqlite:///{tmp_path}/rows.db"
    engine = create_engine(url)
    tables = MetaData()
    table = Table("facts", tables, Column("unit_id", String(36), primary_key=True), Column("held_on", Date),
                  Column("entered_at", db.UTCDateTime), Column("points", Float), Column("name", String(20)))
    tables.create_all(engine)
    try:
        with Session(engine) as session:
            session.execute(insert(table), [
                {"unit_id": f"u{i}", "held_on": date(2024, 2, 29), "name": f"第{i}党支部", "points": i / 4,
                 "entered_at": datetime(2026, 12, 7, 8, i, tzinfo=timezone.utc)} for i in range(5)]
                + [{"unit_id": "u9", "held_on": None, "entered_at": None, "points": None, "name": None}])
            stmt = (select(table.c.unit_id, table.c.held_on, table.c.entered_at, table.c.points, table.c.name,
                           func.count().over())
                    .where(table.c.unit_id.in_(["u1", "u3", "u9"])).order_by(table.c.unit_id))
            rows = db.plain_rows(session, stmt)
            assert rows == [tuple(row) for row in session.execute(stmt)]
            assert rows[0] == ("u1", date(2024, 2, 29), datetime(2026, 12, 7, 8, 1, tzinfo=timezone.utc), 0.25,
                               "第1党支部", 3)
            assert rows[2] == ("u9", None, None, None, None, 3)
            assert all(type(row) is tuple for row in rows)
    finally:
        tables.drop_all(engine)
        engine.dispose()


def test_on_sqlite_a_read_answers_while_a_writer_holds_the_database(make_app, auth_headers):
    """The embedded default: a GET does not queue for SQLite's write lock behind a long writer (an import, a
    worker's batch) and reads what was committed before it; a write still waits for the lock."""
    import sqlite3
    import threading

    from shared.testing import kit_of

    app = make_app("org")
    client, headers = app.test_client(), auth_headers(app, "admin")
    created = client.post("/api/org/v1/units", json={"kind": "province", "name": "省", "code": "P1"},
                          headers=headers)
    assert created.status_code == 201, created.json
    writer = sqlite3.connect(kit_of(app).db.url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the write lock, held as a long import holds it
    writer.execute("UPDATE units SET name = '改名中' WHERE code = 'P1'")
    try:
        read = client.get(f"/api/org/v1/units/{created.json['id']}", headers=headers)
        assert read.status_code == 200 and read.json["name"] == "省"  # the committed state, not the writer's
        answered = []
        write = threading.Thread(target=lambda: answered.append(client.post(
            "/api/org/v1/units", json={"kind": "city", "name": "市", "code": "C1", "parent_id": created.json["id"]},
            headers=headers)))
        write.start()
        write.join(1.0)
        assert answered == []  # the write waits for the lock...
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    write.join(30)
    assert answered[0].status_code == 201  # ...and goes through once the writer is done
