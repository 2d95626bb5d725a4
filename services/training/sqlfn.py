"""What training says differently to PostgreSQL and to SQLite."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(session, model):
    """``INSERT`` that accepts ``on_conflict_do_nothing`` / ``on_conflict_do_update`` on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def without_jit(session) -> None:
    """Report queries over millions of rows: PostgreSQL's JIT compiler spends seconds compiling
    what runs in a fraction of that; turn it off for this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
