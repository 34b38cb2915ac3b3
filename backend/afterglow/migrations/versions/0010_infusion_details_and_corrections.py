"""infusion details (drug, blood pressure, lot, notes) and corrections of infusions and events

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 14:00:00.000000

Blood pressure is taken before, at 40 minutes and at discharge: the one reading "after" kept
until now was the last one taken, so it becomes the discharge reading. Infusions recorded before
have no drug (null: not recorded); no drug is guessed from the route, since racemic ketamine is
also given as a compounded nasal spray. Corrections say who made them; entering in error keeps
its reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.alter_column("bp_systolic_after", new_column_name="bp_systolic_discharge")
        batch_op.alter_column("bp_diastolic_after", new_column_name="bp_diastolic_discharge")
        batch_op.add_column(
            sa.Column("drug", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("bp_systolic_40min", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bp_diastolic_40min", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "dissociation_notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("lot_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("deleted_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_infusion_updated_by_app_user"), "app_user", ["updated_by"], ["id"]
        )
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("deleted_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_clinical_event_updated_by_app_user"), "app_user", ["updated_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_clinical_event_updated_by_app_user"), type_="foreignkey"
        )
        batch_op.drop_column("deleted_reason")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_infusion_updated_by_app_user"), type_="foreignkey")
        batch_op.drop_column("deleted_reason")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("lot_number")
        batch_op.drop_column("dissociation_notes")
        batch_op.drop_column("bp_diastolic_40min")
        batch_op.drop_column("bp_systolic_40min")
        batch_op.drop_column("drug")
        batch_op.alter_column("bp_diastolic_discharge", new_column_name="bp_diastolic_after")
        batch_op.alter_column("bp_systolic_discharge", new_column_name="bp_systolic_after")
