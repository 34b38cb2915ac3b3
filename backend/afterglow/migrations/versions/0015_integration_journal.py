"""integration journal: the patient's journal entries, and the prompt the day after an infusion

Entries are private to the patient unless `shared_at` is set. Every reminder plan gets the
journal prompt switched on; the patient can turn it off.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("stood_out", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("day_after", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("carry_forward", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
        sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("version_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_journal_entry_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
        sa.UniqueConstraint("entry_key", name="uq_journal_entry_key"),
    )
    op.create_index(
        "ix_journal_entry_patient_written", "journal_entry", ["patient_id", "written_at"]
    )
    # Plain ADD COLUMN: a batch would copy reminder_plan on SQLite for nothing.
    op.add_column(
        "reminder_plan",
        sa.Column("journal_prompts", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.drop_column("reminder_plan", "journal_prompts")
    op.drop_index("ix_journal_entry_patient_written", table_name="journal_entry")
    op.drop_table("journal_entry")
