"""escalation by email, the on-call clinician and the clinic's phone number

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Reserved during the workspace work for alerts that reach someone; its owner fills in both functions.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
