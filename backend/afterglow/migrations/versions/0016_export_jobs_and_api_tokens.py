"""export jobs and api tokens

API tokens that clinicians make for integrations (only their SHA-256 kept), and FHIR Bulk Data
export jobs with their files, the files' contents in chunks: stored in the database so that any
instance can run a job and serve its files.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hint", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_api_token_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_api_token_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["app_user.id"], name=op.f("fk_api_token_revoked_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("request_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("resource_types", sa.JSON(), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("transaction_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("patients_total", sa.Integer(), nullable=False),
        sa.Column("patients_done", sa.Integer(), nullable=False),
        sa.Column("cursor_patient_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_export_job_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["app_user.id"], name=op.f("fk_export_job_requested_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_export_job_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    with op.batch_alter_table("export_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_export_job_clinic_created", ["clinic_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_export_job_active",
            ["status", "lease_until"],
            unique=False,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        )
        batch_op.create_index("ix_export_job_expires", ["expires_at"], unique=False)

    op.create_table(
        "export_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resources", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["export_job.id"], name=op.f("fk_export_file_job_id_export_job")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_file")),
        sa.UniqueConstraint("job_id", "kind", "resource_type", name=op.f("uq_export_file_job_id")),
    )
    with op.batch_alter_table("export_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_file_job_id"), ["job_id"], unique=False)

    op.create_table(
        "export_chunk",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["export_file.id"], name=op.f("fk_export_chunk_file_id_export_file")
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_export_chunk")),
    )


def downgrade() -> None:
    op.drop_table("export_chunk")
    with op.batch_alter_table("export_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_file_job_id"))
    op.drop_table("export_file")
    with op.batch_alter_table("export_job", schema=None) as batch_op:
        batch_op.drop_index("ix_export_job_expires")
        batch_op.drop_index("ix_export_job_active")
        batch_op.drop_index("ix_export_job_clinic_created")
    op.drop_table("export_job")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_clinic_id"))
    op.drop_table("api_token")
