"""the deadline reminders sent (shared/reminders.py): once per rule, subject, due date and threshold; the open deadlines by due date

Revision ID: 419d316fb57c
Revises: 7bb4ca512fb2
Create Date: 2026-12-07 10:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.migrations import create_reminders_sent, drop_reminders_sent


# revision identifiers, used by Alembic.
revision: str = '419d316fb57c'
down_revision: Union[str, Sequence[str], None] = '7bb4ca512fb2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_reminders_sent()

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_open_due', ['due_on'], unique=False,
                              sqlite_where=sa.text('met_on IS NULL AND cancelled_on IS NULL'),
                              postgresql_where=sa.text('met_on IS NULL AND cancelled_on IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_open_due', sqlite_where=sa.text('met_on IS NULL AND cancelled_on IS NULL'),
                            postgresql_where=sa.text('met_on IS NULL AND cancelled_on IS NULL'))
    drop_reminders_sent()
