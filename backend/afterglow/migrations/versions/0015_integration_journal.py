"""integration journal (reserved for the_journal_work; a no-op until filled in)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
