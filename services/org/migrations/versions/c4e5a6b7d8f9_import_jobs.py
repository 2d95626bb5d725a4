"""import jobs: large imports run in the background, their progress and result (shared.import_jobs)

Revision ID: c4e5a6b7d8f9
Revises: 11e1d36c12a3
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op

from shared.migrations import create_import_jobs, drop_import_jobs

revision: str = 'c4e5a6b7d8f9'
down_revision: Union[str, Sequence[str], None] = '11e1d36c12a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_import_jobs(op)


def downgrade() -> None:
    drop_import_jobs(op)
