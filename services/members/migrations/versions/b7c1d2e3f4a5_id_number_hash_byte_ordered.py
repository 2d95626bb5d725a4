"""the ID number's keyed hash compared byte for byte (collation "C" on PostgreSQL)

Revision ID: b7c1d2e3f4a5
Revises: f91a42369443
Create Date: 2026-11-28 06:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b7c1d2e3f4a5'
down_revision: Union[str, Sequence[str], None] = 'f91a42369443'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The unique index is rebuilt with the column (SQLite compares bytes already)."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("people", "id_number_hash", type_=sa.String(64, collation="C"),
                        existing_type=sa.String(64), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("people", "id_number_hash", type_=sa.String(64), existing_type=sa.String(64, collation="C"),
                        existing_nullable=True)
