"""The service's database connections: a connection that died while idle in the pool is never handed out."""
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
