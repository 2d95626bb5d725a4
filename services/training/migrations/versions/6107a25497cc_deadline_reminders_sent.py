"""the deadline reminders sent (shared/reminders.py): once per rule, subject, due date and threshold; the
start dates of TRAIN.NEW_SECRETARY and TRAIN.NEW_MEMBER

Revision ID: 6107a25497cc
Revises: 9a4f2b7c1e30
Create Date: 2026-12-07 10:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.migrations import create_reminders_sent, drop_reminders_sent


# revision identifiers, used by Alembic.
revision: str = '6107a25497cc'
down_revision: Union[str, Sequence[str], None] = '9a4f2b7c1e30'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_reminders_sent()
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_secretary_since', ['secretary_since'], unique=False,
                              sqlite_where=sa.text("category = 'secretary'"),
                              postgresql_where=sa.text("category = 'secretary'"))
        batch_op.create_index('ix_people_probationary_since', ['probationary_since'], unique=False,
                              sqlite_where=sa.text('category IS NOT NULL'),
                              postgresql_where=sa.text('category IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_probationary_since')
        batch_op.drop_index('ix_people_secretary_since')
    drop_reminders_sent()
