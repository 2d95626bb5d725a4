"""Alembic, one history per service (``services/<name>/migrations``), applied by ``zhibu migrate``.

Each service's ``migrations/env.py`` is two lines: it hands its metadata to
``run_env``. The database URL comes from the service's configuration.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from .db import make_engine, normalize_url

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    cfg.set_main_option("version_table", "alembic_version")
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def revision(service: str, database_url: str, message: str) -> None:
    command.revision(alembic_config(service, database_url), message=message, autogenerate=True)


def add_outbox_change_feed(op, sa) -> None:
    """The body of each service's migration ``outbox_change_feed`` (2026-12-07; frozen: a later change is a new
    helper): the outbox's ``txid`` (the writing transaction, PostgreSQL's ``pg_current_xact_id()``; 0 for the
    rows written before and on SQLite) and ``org_path`` (filled from the envelopes; "/" for a packed row),
    indexed in the change feed's order."""
    dialect = op.get_bind().dialect.name
    path_type = sa.String(512, collation="C") if dialect == "postgresql" else sa.String(512)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("org_path", path_type, nullable=True))
        batch_op.create_index("ix_outbox_feed", ["txid", "id"], unique=False)
    if dialect == "postgresql":
        op.alter_column("outbox", "txid", server_default=sa.text("((pg_current_xact_id())::text)::bigint"),
                        existing_type=sa.BigInteger(), existing_nullable=False)
        op.execute("UPDATE outbox SET org_path = CASE WHEN (envelope::jsonb) ? 'events' THEN '/' "
                   "ELSE envelope->>'org_path' END")
    elif dialect == "sqlite":
        op.execute("UPDATE outbox SET org_path = CASE WHEN json_type(envelope, '$.events') IS NOT NULL THEN '/' "
                   "ELSE json_extract(envelope, '$.org_path') END")


def drop_outbox_change_feed(op) -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_feed")
        batch_op.drop_column("org_path")
        batch_op.drop_column("txid")


def run_env(target_metadata) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


# ----------------------------------------------------------------------------- the kit's tables, added later

def create_reminders_sent() -> None:
    """The kit table ``reminders_sent`` (``shared.models.kit_models(deadline_reminders=True)``), created by
    the revision of each service that owns deadlines: one definition, not four copies."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "reminders_sent",
        sa.Column("rule", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("rule", "subject_id", "due_on", "threshold"),
    )


def drop_reminders_sent() -> None:
    from alembic import op

    op.drop_table("reminders_sent")


def create_import_jobs(op) -> None:
    """The kit's ``import_jobs`` table (``shared.models``, ``import_jobs=True``), for a service's migration."""
    import sqlalchemy as sa

    from .db import BigId, PathString, UTCDateTime

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("scope_path", PathString, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("size_bytes", BigId, nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_status", sa.Integer(), nullable=True),
        sa.Column("runner", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_import_jobs_scope", "import_jobs", ["scope_path"])


def drop_import_jobs(op) -> None:
    op.drop_index("ix_import_jobs_scope", table_name="import_jobs")
    op.drop_table("import_jobs")
