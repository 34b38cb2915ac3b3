"""indexes that find stale triage summaries without scanning a clinic

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 12:35:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_patient_summary_derived_with", "patient_summary", ["clinic_id", "derived_with"]
    )
    op.create_index(
        "ix_patient_summary_rederive_after", "patient_summary", ["clinic_id", "rederive_after"]
    )


def downgrade() -> None:
    op.drop_index("ix_patient_summary_rederive_after", table_name="patient_summary")
    op.drop_index("ix_patient_summary_derived_with", table_name="patient_summary")
