"""the outbox as the change feed's history: the writing transaction (commit order) and the unit path

Revision ID: c4b52ca462db
Revises: 6107a25497cc
Create Date: 2026-12-07 10:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.migrations import add_outbox_change_feed, drop_outbox_change_feed


revision: str = 'c4b52ca462db'
down_revision: Union[str, Sequence[str], None] = '6107a25497cc'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_outbox_change_feed(op, sa)


def downgrade() -> None:
    drop_outbox_change_feed(op)
