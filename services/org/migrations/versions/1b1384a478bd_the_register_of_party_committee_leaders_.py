"""the register of party committee leaders; liaison points name theirs

Revision ID: 1b1384a478bd
Revises: eb2992fd1991
Create Date: 2026-11-28 07:47:09.425887

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import shared.db  # noqa: F401 (the kit's column types)


# revision identifiers, used by Alembic.
revision: str = '1b1384a478bd'
down_revision: Union[str, Sequence[str], None] = 'eb2992fd1991'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The leaders register (ORG.LIAISON); a liaison point may name the registered leader keeping it."""
    op.create_table('leaders',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('path', sa.String(length=512).with_variant(sa.String(length=512, collation='C'), 'postgresql'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('leaders', schema=None) as batch_op:
        batch_op.create_index('ix_leaders_path', ['path'], unique=False)
        batch_op.create_index(batch_op.f('ix_leaders_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('liaison_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leader_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_liaison_points_leader_id'), ['leader_id'], unique=False)
        batch_op.create_foreign_key('fk_liaison_points_leader_id', 'leaders', ['leader_id'], ['id'])



def downgrade() -> None:
    """Back to liaison points that name their leader in text only."""
    with op.batch_alter_table('liaison_points', schema=None) as batch_op:
        batch_op.drop_constraint('fk_liaison_points_leader_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_liaison_points_leader_id'))
        batch_op.drop_column('leader_id')

    with op.batch_alter_table('leaders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leaders_unit_id'))
        batch_op.drop_index('ix_leaders_path')

    op.drop_table('leaders')
