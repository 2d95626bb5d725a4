"""the outbox as the change feed's history: the writing transaction (commit order) and the unit path

Revision ID: 219d601d9d13
Revises: d244f8db37eb
Create Date: 2026-12-07 10:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.migrations import add_outbox_change_feed, drop_outbox_change_feed


revision: str = '219d601d9d13'
down_revision: Union[str, Sequence[str], None] = 'd244f8db37eb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_outbox_change_feed(op, sa)


def downgrade() -> None:
    drop_outbox_change_feed(op)
