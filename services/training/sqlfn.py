"""The two SQL spellings training needs that differ between PostgreSQL and SQLite."""
from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def insert_for(session, model):
    """``INSERT`` that accepts ``on_conflict_do_nothing`` / ``on_conflict_do_update`` on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


class position_of(FunctionElement):
    """``position_of(text, part)``: 1-based position of ``part`` in ``text``, 0 when absent."""

    type = Integer()
    name = "position_of"
    inherit_cache = True


@compiles(position_of)
def _instr(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(position_of, "postgresql")
def _strpos(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"
