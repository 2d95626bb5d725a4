"""import jobs: large imports run in the background, their progress and result (shared.import_jobs)

Revision ID: d5f6a7b8c9e0
Revises: 219d601d9d13
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op

from shared.migrations import create_import_jobs, drop_import_jobs

revision: str = 'd5f6a7b8c9e0'
down_revision: Union[str, Sequence[str], None] = '219d601d9d13'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_import_jobs(op)


def downgrade() -> None:
    drop_import_jobs(op)
