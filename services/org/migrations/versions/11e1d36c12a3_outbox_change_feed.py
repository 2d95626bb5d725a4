"""the outbox as the change feed's history: the writing transaction (commit order) and the unit path

Revision ID: 11e1d36c12a3
Revises: 226fcec0f133
Create Date: 2026-12-07 10:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.migrations import add_outbox_change_feed, drop_outbox_change_feed


revision: str = '11e1d36c12a3'
down_revision: Union[str, Sequence[str], None] = '226fcec0f133'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_outbox_change_feed(op, sa)


def downgrade() -> None:
    drop_outbox_change_feed(op)
