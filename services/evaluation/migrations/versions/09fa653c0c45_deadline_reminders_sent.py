"""the deadline reminders sent (shared/reminders.py): once per rule, subject, due date and threshold

Revision ID: 09fa653c0c45
Revises: 0cb7b79b3109
Create Date: 2026-12-07 10:10:00

"""
from typing import Sequence, Union

from shared.migrations import create_reminders_sent, drop_reminders_sent


# revision identifiers, used by Alembic.
revision: str = '09fa653c0c45'
down_revision: Union[str, Sequence[str], None] = '0cb7b79b3109'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_reminders_sent()


def downgrade() -> None:
    drop_reminders_sent()
