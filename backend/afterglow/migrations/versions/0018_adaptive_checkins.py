"""adaptive check-ins: the patient can snooze the extra PHQ-9s for a week

The clinic's switch (`adaptive_checkins` in the clinic settings) needs no migration: a stored
row without it reads as on, the default.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default): no copy of the table, even on SQLite.
    op.add_column(
        "reminder_plan",
        sa.Column("adaptive_snoozed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("reminder_plan") as batch:
        batch.drop_column("adaptive_snoozed_until")
