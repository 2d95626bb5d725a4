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
