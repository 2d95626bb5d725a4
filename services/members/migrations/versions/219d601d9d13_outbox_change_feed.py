"""the outbox as the change feed's history: the writing transaction (commit order) and the unit path

Revision ID: 219d601d9d13
Revises: d244f8db37eb
Create Date: 2026-12-07 10:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '219d601d9d13'
down_revision: Union[str, Sequence[str], None] = 'd244f8db37eb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: PostgreSQL: the writing transaction's 64-bit id (shared/models.py current_txid); rows written before are 0
TXID = "((pg_current_xact_id())::text)::bigint"
PATH_OF_ROW = {
    "postgresql": "CASE WHEN (envelope::jsonb) ? 'events' THEN '/' ELSE envelope->>'org_path' END",
    "sqlite": "CASE WHEN json_type(envelope, '$.events') IS NOT NULL THEN '/' "
              "ELSE json_extract(envelope, '$.org_path') END",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    path_type = sa.String(512, collation="C") if dialect == "postgresql" else sa.String(512)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('org_path', path_type, nullable=True))
        batch_op.create_index('ix_outbox_feed', ['txid', 'id'], unique=False)
    if dialect == "postgresql":
        op.alter_column('outbox', 'txid', server_default=sa.text(TXID), existing_type=sa.BigInteger(),
                        existing_nullable=False)
    if dialect in PATH_OF_ROW:
        op.execute(f"UPDATE outbox SET org_path = {PATH_OF_ROW[dialect]}")


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_feed')
        batch_op.drop_column('org_path')
        batch_op.drop_column('txid')
