"""What training says differently to PostgreSQL and to SQLite."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert_for(session, model):
    """``INSERT`` that accepts ``on_conflict_do_nothing`` / ``on_conflict_do_update`` on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
