"""infusion details (drug, blood pressure, lot, notes) and corrections of infusions and events

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Reserved during the workspace work for infusion records; its owner fills in both functions.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
