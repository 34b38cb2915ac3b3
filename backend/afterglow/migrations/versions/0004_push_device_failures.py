"""push device failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failure_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("broken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_column("broken_at")
        batch_op.drop_column("failure_count")
