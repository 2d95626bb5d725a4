"""meetings may be scheduled ahead and corrected (status, version)

Revision ID: 7e1a9c3d5b24
Revises: 5d2c8e19a7f3
Create Date: 2026-12-04 23:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7e1a9c3d5b24'
down_revision: Union[str, Sequence[str], None] = '5d2c8e19a7f3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Every meeting recorded so far was held, at version 1."""
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='held', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('status')
