"""the roster as of a date (roster_history); an early election's upper approval on the committee

Revision ID: 5d2c8e19a7f3
Revises: 1b1384a478bd
Create Date: 2026-12-04 23:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import shared.db  # noqa: F401 (the kit's column types)


# revision identifiers, used by Alembic.
revision: str = '5d2c8e19a7f3'
down_revision: Union[str, Sequence[str], None] = '1b1384a478bd'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Every members event kept as a dated state of the person; the people already on the roll enter it as
    registered from the start of the record (their stage bounded by full_member_since)."""
    op.create_table('roster_history',
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('person_version', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('full_member_since', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('person_id', 'person_version')
    )
    with op.batch_alter_table('roster_history', schema=None) as batch_op:
        batch_op.create_index('ix_roster_history_unit_on', ['unit_id', 'effective_on'], unique=False)
    op.execute("INSERT INTO roster_history (person_id, person_version, effective_on, unit_id, name, stage, status, "
               "full_member_since) SELECT person_id, person_version, DATE '1900-01-01', unit_id, name, stage, status, "
               "full_member_since FROM roster" if op.get_bind().dialect.name == "postgresql" else
               "INSERT INTO roster_history (person_id, person_version, effective_on, unit_id, name, stage, status, "
               "full_member_since) SELECT person_id, person_version, '1900-01-01', unit_id, name, stage, status, "
               "full_member_since FROM roster")
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('early_approved_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('early_approved_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('early_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_column('early_reason')
        batch_op.drop_column('early_approved_by')
        batch_op.drop_column('early_approved_on')
    with op.batch_alter_table('roster_history', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_history_unit_on')
    op.drop_table('roster_history')
