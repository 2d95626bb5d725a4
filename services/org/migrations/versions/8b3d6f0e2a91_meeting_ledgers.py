"""meeting ledgers: chair, recorder, attendees by person, topics with decisions, follow-ups

Revision ID: 8b3d6f0e2a91
Revises: 7e1a9c3d5b24
Create Date: 2026-12-05 00:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8b3d6f0e2a91'
down_revision: Union[str, Sequence[str], None] = '7e1a9c3d5b24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The meetings recorded so far have no ledger beyond their counts."""
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chair', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('recorder', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attendees', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('agenda', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('follow_ups', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        for column in ('follow_ups', 'agenda', 'attendees', 'recorder', 'chair'):
            batch_op.drop_column(column)
