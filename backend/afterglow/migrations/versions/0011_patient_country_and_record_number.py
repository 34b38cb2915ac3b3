"""a patient's country and the clinic's own record number

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Reserved during the workspace work for enrollment; its owner fills in both functions.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
