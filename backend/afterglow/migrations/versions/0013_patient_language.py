"""patient language (reserved for the_language_work; a no-op until filled in)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
