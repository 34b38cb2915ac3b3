"""triage inbox: a clinician's review of a patient's check-ins, alert escalation order, sparkline

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00.000000

Existing summaries lose their fingerprint, so they count as stale: the background job (and any
read of the triage list) derives them again, filling the new columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TRIAGE = ["clinic_id", "urgency_tier", "activity_at", "patient_id"]
NEW_TRIAGE = [
    "clinic_id",
    "active",
    "urgency_tier",
    "alert_due_at",
    "nothing_to_review",
    "activity_at",
    "patient_id",
]


def upgrade() -> None:
    with op.batch_alter_table("patient_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_summary_triage")
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("alert_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("nothing_to_review", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("reviewed_through", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("phq9_recent", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("window_start_day", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("window_end_day", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("window_from_clinic", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_patient_summary_triage", NEW_TRIAGE)
    op.execute(
        "UPDATE patient_summary SET derived_with = NULL, active = "
        "(SELECT patient.is_active FROM patient WHERE patient.id = patient_summary.patient_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("patient_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_summary_triage")
        for column in (
            "window_from_clinic",
            "window_end_day",
            "window_start_day",
            "phq9_recent",
            "reviewed_at",
            "reviewed_through",
            "nothing_to_review",
            "alert_due_at",
            "active",
        ):
            batch_op.drop_column(column)
        batch_op.create_index("ix_patient_summary_triage", OLD_TRIAGE)
