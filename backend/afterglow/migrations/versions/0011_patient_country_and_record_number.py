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
    # Plain ADD COLUMN and CREATE INDEX: a batch would copy the patient table on SQLite, which
    # the tables that reference patients refuse while foreign keys are enforced.
    op.add_column(
        "patient", sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
    )
    op.add_column(
        "patient",
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.create_index(
        "uq_patient_clinic_external_id", "patient", ["clinic_id", "external_id"], unique=True
    )
    patient = sa.table("patient", sa.column("id"), sa.column("timezone"), sa.column("country"))
    bind = op.get_bind()
    zones = [row[0] for row in bind.execute(sa.select(patient.c.timezone).distinct())]
    for zone in zones:
        country = country_of_zone(zone)
        if country is not None:
            bind.execute(patient.update().where(patient.c.timezone == zone).values(country=country))


def downgrade() -> None:
    op.drop_index("uq_patient_clinic_external_id", table_name="patient")
    # SQLite drops a column in place (3.35+) unless an index or constraint names it.
    op.drop_column("patient", "external_id")
    op.drop_column("patient", "country")
