"""a clinician's review of a patient's check-ins (triage)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Reserved during the workspace work for the triage inbox; its owner fills in both functions.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
