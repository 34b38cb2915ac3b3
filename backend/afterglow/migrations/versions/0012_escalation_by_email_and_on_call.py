"""escalation by email, the on-call clinician and the clinic's phone number

The on-call clinician and the clinic's phone number are clinic settings (the settings JSON),
so only the escalation emails need a table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["safety_alert.id"],
            name=op.f("fk_escalation_email_alert_id_safety_alert"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["app_user.id"],
            name=op.f("fk_escalation_email_recipient_user_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_email")),
        sa.UniqueConstraint(
            "alert_id", "recipient_user_id", name=op.f("uq_escalation_email_alert_id")
        ),
    )
    with op.batch_alter_table("escalation_email", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_email_alert_id"), ["alert_id"], unique=False
        )
        batch_op.create_index(
            "ix_escalation_email_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("escalation_email", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_email_due")
        batch_op.drop_index(batch_op.f("ix_escalation_email_alert_id"))
    op.drop_table("escalation_email")
