"""FHIR Bulk Data export of a clinic (its Group): asking for one, following it, cancelling it,
and its manifest (FHIR Bulk Data Access 2.0). The work itself is exports/runner.py's.

A job is a row: asked for here (queued), run by whichever instance claims it, its files kept in
the database until they expire. `transactionTime` is when the export was asked for: the job reads
after it, so everything recorded or changed up to it is in the files (records changed while it
runs may be too, and come again in the next export `_since` it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.viewer import Viewer
from afterglow.errors import NotFound, TooManyAttempts, invalid
from afterglow.exports import schemas
from afterglow.exports.access import audit_every_patient, audit_export, exporter
from afterglow.exports.models import ApiToken, ExportFile, ExportJob
from afterglow.exports.storage import ERROR, OUTPUT, delete_files
from afterglow.fhir.export import PATIENT_TYPES
from afterglow.fhir.questionnaires import attribution_lines
from afterglow.fhir.resources import instant
from afterglow.infusions.service import staff_names

# The instruments' Questionnaires and Afterglow's CodeSystem are written once per export.
INSTRUMENT_TYPES = frozenset({"Questionnaire", "CodeSystem"})
BULK_TYPES = PATIENT_TYPES | INSTRUMENT_TYPES
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
# Exports a clinic may have waiting or running at once; one more is asked to come back later.
MAX_ACTIVE_PER_CLINIC = 2
# How long a client is asked to wait between polls.
RETRY_AFTER = timedelta(seconds=5)
# How long finished files are kept (then deleted), counted from the end of the export.
KEEP_FILES = timedelta(hours=24)
ACTIVE = ("queued", "running")
GONE = ("cancelled", "expired")


@dataclass(frozen=True)
class BulkRequest:
    """A kick-off, as the client sent it: its URL is the manifest's `request`."""

    url: str
    types: frozenset[str] | None  # None: every type
    since: datetime | None


def bulk_types(values: Sequence[str]) -> frozenset[str] | None:
    """`_type`, comma-separated and possibly repeated, as a set (None: every type)."""
    names = frozenset(name.strip() for value in values for name in value.split(",") if name.strip())
    if not values:
        return None
    unknown = sorted(names - BULK_TYPES)
    if unknown or not names:
        raise invalid(
            "_type",
            f"{', '.join(unknown) or 'nothing'} is not a type Afterglow exports; use any of "
            f"{', '.join(sorted(BULK_TYPES))}",
        )
    return names


def output_format(value: str | None) -> None:
    if value is not None and value not in OUTPUT_FORMATS:
        raise invalid(
            "_outputFormat",
            "Afterglow writes NDJSON only: application/fhir+ndjson (or leave it out)",
        )


async def start_export(
    db: AsyncSession, viewer: Viewer, clinic_id: int, request: BulkRequest, now: datetime
) -> ExportJob:
    """Queue an export of the clinic's records (the caller commits): audited for every patient
    it covers, refused while the clinic has MAX_ACTIVE_PER_CLINIC exports under way."""
    exporter(viewer, clinic_id)
    active = await db.scalar(
        select(func.count())
        .select_from(ExportJob)
        .where(col(ExportJob.clinic_id) == clinic_id, col(ExportJob.status).in_(ACTIVE))
    )
    if (active or 0) >= MAX_ACTIVE_PER_CLINIC:
        raise TooManyAttempts(
            f"The clinic has {active} exports under way; try again once one has finished.",
            int(RETRY_AFTER.total_seconds()),
        )
    job = ExportJob(
        clinic_id=clinic_id,
        requested_by=viewer.user_id,
        token_id=viewer.token_id,
        request_url=request.url[:2000],
        resource_types=sorted(request.types or BULK_TYPES),
        since=request.since,
        status="queued",
        transaction_time=now,
        created_at=now,
        updated_at=now,
    )
    db.add(job)
    await db.flush()
    assert job.id is not None
    audit_export(db, viewer, "export.bulk.start", {"job_id": job.id}, None)
    await audit_every_patient(db, viewer, "export.bulk", {"job_id": job.id})
    return job


async def visible_job(db: AsyncSession, viewer: Viewer, job_id: int) -> ExportJob:
    """An export of the viewer's clinic; an API token sees only the exports it asked for."""
    exporter(viewer)
    job = await db.get(ExportJob, job_id)
    if (
        job is None
        or job.clinic_id != viewer.clinic_id
        or (viewer.token_id is not None and job.token_id != viewer.token_id)
    ):
        raise NotFound(f"No export {job_id} that you can see.")
    return job


async def live_job(db: AsyncSession, viewer: Viewer, job_id: int) -> ExportJob:
    """As `visible_job`, but a cancelled or expired export is gone (404, as the spec asks)."""
    job = await visible_job(db, viewer, job_id)
    if job.status == "cancelled":
        raise NotFound(f"Export {job_id} was cancelled; its files are deleted.")
    if job.status == "expired":
        raise NotFound(f"Export {job_id} has expired and its files are deleted; start a new one.")
    return job


async def job_files(db: AsyncSession, job_id: int) -> list[ExportFile]:
    rows = await db.execute(
        select(ExportFile)
        .where(col(ExportFile.job_id) == job_id)
        .order_by(col(ExportFile.kind).desc(), col(ExportFile.resource_type))
    )
    return list(rows.scalars())


def progress(job: ExportJob) -> str:
    """The X-Progress text (under 100 characters)."""
    if job.status == "queued":
        return "waiting to start"
    if job.patients_total:
        return f"{job.patients_done} of {job.patients_total} patients exported"
    return "starting"


def status_url(base: str, job_id: int) -> str:
    """Where a client polls the export (the kick-off's Content-Location)."""
    return f"{base}/fhir/bulk-export/{job_id}"


def file_url(base: str, job_id: int, file_id: int) -> str:
    return f"{status_url(base, job_id)}/files/{file_id}"


def manifest(job: ExportJob, files: Sequence[ExportFile], base: str) -> dict[str, Any]:
    """The completion manifest. `extension` carries the instruments' attribution, which the
    Questionnaire file carries too (in `copyright`)."""
    assert job.id is not None and job.transaction_time is not None
    return {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": f.resource_type,
                "url": file_url(base, job.id, f.id or 0),
                "count": f.resources,
            }
            for f in files
            if f.kind == OUTPUT
        ],
        "error": [
            {"type": "OperationOutcome", "url": file_url(base, job.id, f.id or 0)}
            for f in files
            if f.kind == ERROR
        ],
        "extension": {"instrumentAttribution": attribution_lines()},
    }


async def cancel_export(db: AsyncSession, viewer: Viewer, job_id: int, now: datetime) -> None:
    """Cancel an export, or say a finished one's files may go: either way its files are deleted
    now, and it is gone (the caller commits). A run still going stops at its next checkpoint."""
    job = await live_job(db, viewer, job_id)
    await db.execute(
        update(ExportJob)
        .where(col(ExportJob.id) == job_id, col(ExportJob.status).not_in(GONE))
        .values(status="cancelled", lease_owner=None, lease_until=None, updated_at=now)
    )
    await delete_files(db, job_id)
    audit_export(db, viewer, "export.bulk.cancel", {"job_id": job.id}, None)


async def clinic_exports(
    db: AsyncSession, viewer: Viewer, base: str, limit: int = 20
) -> list[schemas.ExportJobOut]:
    """The clinic's latest exports, as the workspace lists them."""
    exporter(viewer)
    jobs = list(
        (
            await db.execute(
                select(ExportJob)
                .where(col(ExportJob.clinic_id) == viewer.clinic_id)
                .order_by(col(ExportJob.created_at).desc(), col(ExportJob.id).desc())
                .limit(limit)
            )
        ).scalars()
    )
    files: dict[int, list[ExportFile]] = {}
    for file in (
        await db.execute(
            select(ExportFile)
            .where(col(ExportFile.job_id).in_([j.id for j in jobs]))
            .order_by(col(ExportFile.kind).desc(), col(ExportFile.resource_type))
        )
    ).scalars():
        files.setdefault(file.job_id, []).append(file)
    names = await staff_names(db, (j.requested_by for j in jobs))
    tokens = {j.token_id for j in jobs if j.token_id}
    token_names = {
        token_id: name
        for token_id, name in await db.execute(
            select(col(ApiToken.id), col(ApiToken.name)).where(col(ApiToken.id).in_(tokens))
        )
    }
    return [
        schemas.ExportJobOut(
            id=job.id or 0,
            status=job.status,
            progress=progress(job),
            status_url=status_url(base, job.id or 0),
            requested_by_name=names.get(job.requested_by or 0),
            token_name=token_names.get(job.token_id or 0),
            resource_types=job.resource_types,
            since=job.since,
            patients_done=job.patients_done,
            patients_total=job.patients_total,
            created_at=job.created_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            error=job.error,
            files=[
                schemas.ExportFileOut(
                    kind=f.kind,
                    type=f.resource_type,
                    url=file_url(base, job.id or 0, f.id or 0),
                    count=f.resources,
                    size_bytes=f.size_bytes,
                )
                for f in files.get(job.id or 0, [])
            ]
            if job.status == "completed"
            else [],
        )
        for job in jobs
    ]
