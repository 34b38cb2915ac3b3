"""a patient's country and the clinic's own record number

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 14:00:00.000000

Patients enrolled before get the country of their time zone (America/Mexico_City: MX), as the
crisis help would have chosen; a zone of no country (UTC) leaves it null.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from afterglow.accounts.countries import country_of_zone

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            "uq_patient_clinic_external_id", ["clinic_id", "external_id"]
        )
    patient = sa.table("patient", sa.column("id"), sa.column("timezone"), sa.column("country"))
    bind = op.get_bind()
    zones = [row[0] for row in bind.execute(sa.select(patient.c.timezone).distinct())]
    for zone in zones:
        country = country_of_zone(zone)
        if country is not None:
            bind.execute(patient.update().where(patient.c.timezone == zone).values(country=country))


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patient_clinic_external_id", type_="unique")
        batch_op.drop_column("external_id")
        batch_op.drop_column("country")
