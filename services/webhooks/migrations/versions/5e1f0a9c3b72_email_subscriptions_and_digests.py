"""e-mail subscriptions: a subscription names an address instead of a URL; the day's digest per address

Revision ID: 5e1f0a9c3b72
Revises: 1cfb57754769
Create Date: 2026-12-07 11:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.db import UTCDateTime


revision: str = '5e1f0a9c3b72'
down_revision: Union[str, Sequence[str], None] = '1cfb57754769'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.alter_column('url', existing_type=sa.String(length=2000), nullable=True)
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table('email_digests',
                    sa.Column('id', sa.String(length=36), nullable=False),
                    sa.Column('address', sa.String(length=254), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('status', sa.String(length=20), nullable=False),
                    sa.Column('events', sa.Integer(), nullable=False),
                    sa.Column('error', sa.Text(), nullable=True),
                    sa.Column('sent_at', UTCDateTime(), nullable=True),
                    sa.Column('created_at', UTCDateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('address', 'day', name='uq_email_digests_address_day'))


def downgrade() -> None:
    op.drop_table('email_digests')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.alter_column('url', existing_type=sa.String(length=2000), nullable=False)
