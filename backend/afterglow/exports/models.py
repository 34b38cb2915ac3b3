"""Tables of exports: API tokens for integrations, and Bulk Data export jobs with their files,
kept in the database so that any instance can run a job and serve its files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class ApiToken(SQLModel, table=True):
    """A token a clinician made for an integration (an EHR's nightly pull): it may call the export
    routes, as that clinician, and nothing else. Only its SHA-256 is stored; the token itself is
    shown once. Revoking keeps the row (who made it, who revoked it) for the audit trail."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    created_by: int = Field(foreign_key="app_user.id")
    # What the clinician calls it ("EHR nightly export").
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    # The token's first characters, so that a clinician can tell which one a system holds.
    hint: str = Field(max_length=16)
    scope: str = Field(default="export", max_length=16)
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="app_user.id")


class ExportJob(SQLModel, table=True):
    """A FHIR Bulk Data export of a clinic (its Group), run in the background by whichever
    instance claims it (a lease, renewed at every checkpoint), resumable after a crash from its
    cursor: every patient up to `cursor_patient_id` is in its files.

    `status`: queued, running, completed, failed, cancelled (by a DELETE), expired (its files
    deleted after `expires_at`).
    """

    __tablename__ = "export_job"
    __table_args__ = (
        Index("ix_export_job_clinic_created", "clinic_id", "created_at"),
        # What the background job looks for: work to do, and files to delete.
        Index(
            "ix_export_job_active",
            "status",
            "lease_until",
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_export_job_expires", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    # The clinician who asked, or who made the token that asked.
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")
    token_id: int | None = Field(default=None, foreign_key="api_token.id")
    # The kick-off request as the client sent it (the manifest's `request`).
    request_url: str = Field(max_length=2000)
    resource_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    since: datetime | None = None
    status: str = Field(max_length=16)
    # When the export began reading (the manifest's `transactionTime`).
    transaction_time: datetime | None = None
    patients_total: int = 0
    patients_done: int = 0
    cursor_patient_id: int = 0
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    expires_at: datetime | None = None


class ExportFile(SQLModel, table=True):
    """One NDJSON file of a job: every resource of one type (`kind` output), or the
    OperationOutcomes of what could not be exported (`kind` error)."""

    __tablename__ = "export_file"
    __table_args__ = (UniqueConstraint("job_id", "kind", "resource_type"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="export_job.id", index=True)
    kind: str = Field(max_length=8)
    resource_type: str = Field(max_length=64)
    resources: int = 0
    size_bytes: int = 0
    chunks: int = 0


class ExportChunk(SQLModel, table=True):
    """A piece of a file, whole lines only, served in `seq` order."""

    __tablename__ = "export_chunk"

    file_id: int = Field(foreign_key="export_file.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
