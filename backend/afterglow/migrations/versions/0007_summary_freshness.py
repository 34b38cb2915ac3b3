"""patient summary freshness: what it was derived with, and when time alone changes it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:30:00.000000

Existing rows get no fingerprint, so they count as stale: the background job re-derives them
in small batches (and any read of one re-derives it first).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient_summary", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stale_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rederive_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("derived_with", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("patient_summary", schema=None) as batch_op:
        batch_op.drop_column("derived_with")
        batch_op.drop_column("rederive_after")
        batch_op.drop_column("stale_after")
