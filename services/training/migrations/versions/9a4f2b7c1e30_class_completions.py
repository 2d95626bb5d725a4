"""class completions (结业) with their assessment

Revision ID: 9a4f2b7c1e30
Revises: ed7214e1be5c
Create Date: 2026-12-04 23:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import shared.db  # noqa: F401 (the kit's column types)


# revision identifiers, used by Alembic.
revision: str = '9a4f2b7c1e30'
down_revision: Union[str, Sequence[str], None] = 'ed7214e1be5c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """One completion per class and person: the day and the assessment (a development target's training
    counts once passed)."""
    op.create_table('completions',
    sa.Column('class_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('assessment', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], ),
    sa.PrimaryKeyConstraint('class_id', 'person_id')
    )
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.create_index('ix_completions_person', ['person_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_person')
    op.drop_table('completions')
