"""The background job that runs Bulk Data exports: its own scheduler job beside the reminder
tick (worker.py), so an export never delays a reminder or an escalation.

Any instance may run any export: a job is claimed with a lease (leases.claim_due) and the lease
is renewed at every checkpoint. A checkpoint stores the lines written since the last one, as one
chunk per file, with the job's cursor (the last patient whose record is whole in the files) in
one transaction: an instance that dies loses at most what followed, and whoever claims the job
after its lease ran out goes on from the cursor. Memory stays flat whatever the clinic's size:
one page of patient ids, a page of rows per table (fhir/export.py's RecordRows, read across a few
patients at a time), and at most CHUNK_BYTES of compressed lines waiting (storage.py).

A patient whose record cannot be read is left out whole and named in the error file (an
OperationOutcome); the export goes on. A job that fails as a whole (the database away) is tried
again after a pause, from its cursor, at most MAX_ATTEMPTS times.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.clock import utcnow
from afterglow.db import session_maker
from afterglow.exports.bulk import ACTIVE, INSTRUMENT_TYPES, KEEP_FILES
from afterglow.exports.models import ExportJob
from afterglow.exports.storage import ERROR, OUTPUT, FileWriter, delete_files
from afterglow.fhir.export import RecordRows, patient_resources
from afterglow.fhir.questionnaires import afterglow_code_system, instrument_questionnaires
from afterglow.leases import claim_due, held_by
from afterglow.operations.failures import failure_summary

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# Compressed lines waiting before a checkpoint stores them (about twenty times as much NDJSON);
# and the longest between two checkpoints (which renew the lease, show progress and notice a
# cancel).
CHUNK_BYTES = 512 * 1024
CHECKPOINT_SECONDS = 5.0
PATIENT_PAGE = 200
# Patients whose records are read together, a page of rows at a time across them (RecordRows).
PATIENTS_READ_TOGETHER = 25
MAX_ATTEMPTS = 5
RETRY_PAUSE = timedelta(seconds=30)

_encode = msgspec.json.Encoder().encode


class ResourceSource(Protocol):
    """Where a patient's FHIR resources come from (fhir.export.patient_resources)."""

    def __call__(
        self,
        session: AsyncSession,
        clinic_id: int,
        patient_id: int,
        *,
        since: datetime | None = None,
        types: frozenset[str] | None = None,
        now: datetime | None = None,
        rows: RecordRows | None = None,
    ) -> AsyncIterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class _Claimed:
    id: int
    clinic_id: int
    types: frozenset[str]
    since: datetime | None
    attempts: int
    cursor: int
    done: int


class _Stopped(Exception):
    """The job was cancelled, or another instance holds it now."""


class BulkExports:
    """Runs queued exports one after another, and deletes files that have expired."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        resources: ResourceSource = patient_resources,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
    ) -> None:
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.resources = resources
        self.checkpoint_seconds = checkpoint_seconds
        self._sessions = session_maker(engine)

    async def __call__(self) -> int:
        """One run: expired files deleted, then every export waiting is worked on. Returns how
        many exports this run worked on."""
        await self.delete_expired()
        worked = 0
        while (job := await self._claim()) is not None:
            worked += 1
            try:
                await self._run(job)
            except _Stopped:
                log.info("export %s: cancelled or taken over; stopped", job.id)
            except Exception as error:
                log.error("export %s: failed (%s)", job.id, failure_summary(error))
                await self._set_aside(job, failure_summary(error))
        return worked

    async def _claim(self) -> _Claimed | None:
        """The next export to work on, leased to this run (None: nothing is waiting)."""
        while True:
            now = self.clock()
            async with self._sessions() as db, db.begin():
                rows = await claim_due(
                    db,
                    ExportJob,
                    due=[col(ExportJob.status).in_(ACTIVE)],
                    order_by=[col(ExportJob.created_at), col(ExportJob.id)],
                    now=now,
                    owner=self.owner,
                    lease=LEASE,
                    limit=1,
                    returning=[
                        col(ExportJob.id),
                        col(ExportJob.clinic_id),
                        col(ExportJob.resource_types),
                        col(ExportJob.since),
                        col(ExportJob.attempts),
                        col(ExportJob.cursor_patient_id),
                        col(ExportJob.patients_done),
                    ],
                    also={"status": "running"},
                )
                if not rows:
                    return None
                job_id, clinic_id, types, since, attempts, cursor, done = tuple(rows[0])
                if attempts > MAX_ATTEMPTS:
                    # Its runs kept dying (a crash, not an error it could report): give up.
                    await self._fail(db, job_id, f"stopped after {MAX_ATTEMPTS} attempts", now)
                    continue
                if cursor == 0:
                    total = await db.scalar(
                        select(func.count())
                        .select_from(Patient)
                        .where(col(Patient.clinic_id) == clinic_id)
                    )
                    await db.execute(
                        update(ExportJob)
                        .where(col(ExportJob.id) == job_id)
                        .values(patients_total=total or 0)
                    )
            return _Claimed(job_id, clinic_id, frozenset(types), since, attempts, cursor, done)

    async def _run(self, job: _Claimed) -> None:
        async with self._sessions() as db:
            writer = await FileWriter.resume(db, job.id)
        cursor, done = job.cursor, job.done
        last_checkpoint = time.monotonic()
        async with self._sessions() as reading:
            while True:
                ids = (
                    await reading.execute(
                        select(col(Patient.id))
                        .where(col(Patient.clinic_id) == job.clinic_id, col(Patient.id) > cursor)
                        .order_by(col(Patient.id))
                        .limit(PATIENT_PAGE)
                    )
                ).scalars()
                page = [patient_id for patient_id in ids if patient_id is not None]
                await reading.commit()
                if not page:
                    break
                for position, patient_id in enumerate(page):
                    if position % PATIENTS_READ_TOGETHER == 0:
                        together = page[position : position + PATIENTS_READ_TOGETHER]
                        rows = RecordRows(
                            reading, job.clinic_id, together, since=job.since, types=job.types
                        )
                    await self._write_patient(reading, rows, writer, job, patient_id)
                    cursor, done = patient_id, done + 1
                    if (
                        writer.waiting_bytes >= CHUNK_BYTES
                        or time.monotonic() - last_checkpoint >= self.checkpoint_seconds
                    ):
                        await self._checkpoint(job, writer, cursor, done)
                        last_checkpoint = time.monotonic()
                    # Let the reminder tick and requests run between patients.
                    await asyncio.sleep(0)
        await self._finish(job, writer, cursor, done)

    async def _write_patient(
        self,
        reading: AsyncSession,
        rows: RecordRows,
        writer: FileWriter,
        job: _Claimed,
        patient_id: int,
    ) -> None:
        try:
            async for resource in self.resources(
                reading,
                job.clinic_id,
                patient_id,
                since=job.since,
                types=job.types,
                now=self.clock(),
                rows=rows,
            ):
                writer.add(OUTPUT, resource["resourceType"], _encode(resource))
        except Exception as error:
            await reading.rollback()
            writer.drop()
            log.error(
                "export %s: patient %s left out (%s)", job.id, patient_id, failure_summary(error)
            )
            writer.add(ERROR, "OperationOutcome", _encode(_left_out(patient_id)))
        writer.keep()

    async def _checkpoint(self, job: _Claimed, writer: FileWriter, cursor: int, done: int) -> None:
        now = self.clock()
        async with self._sessions() as db, db.begin():
            await self._still_ours(db, job, now, cursor_patient_id=cursor, patients_done=done)
            await writer.store(db)
        writer.stored()

    async def _finish(self, job: _Claimed, writer: FileWriter, cursor: int, done: int) -> None:
        """The instruments' files, what is left, and the job completed: one transaction."""
        for resource in await _instrument_resources(job.types):
            writer.add(OUTPUT, resource["resourceType"], _encode(resource))
        writer.keep()
        now = self.clock()
        async with self._sessions() as db, db.begin():
            await self._still_ours(
                db,
                job,
                now,
                cursor_patient_id=cursor,
                patients_done=done,
                status="completed",
                finished_at=now,
                expires_at=now + KEEP_FILES,
                lease_owner=None,
                lease_until=None,
            )
            await writer.store(db)
        writer.stored()
        log.info("export %s: completed, %s patients", job.id, done)

    async def _still_ours(
        self, db: AsyncSession, job: _Claimed, now: datetime, **values: Any
    ) -> None:
        """Renew the lease and record progress, only while the job runs under this lease."""
        result: Any = await db.execute(
            update(ExportJob)
            .where(*held_by(ExportJob, job.id, self.owner), col(ExportJob.status) == "running")
            .values({"lease_until": now + LEASE, "updated_at": now, **values})
        )
        if result.rowcount != 1:
            raise _Stopped

    async def _set_aside(self, job: _Claimed, reason: str) -> None:
        """Let the lease go, so that a run after RETRY_PAUSE (here or elsewhere) tries again
        from the cursor; after MAX_ATTEMPTS, the export has failed."""
        now = self.clock()
        try:
            async with self._sessions() as db, db.begin():
                if job.attempts >= MAX_ATTEMPTS:
                    await self._fail(db, job.id, reason, now)
                    return
                await db.execute(
                    update(ExportJob)
                    .where(*held_by(ExportJob, job.id, self.owner))
                    .values(
                        lease_owner=None,
                        lease_until=now + RETRY_PAUSE,
                        error=reason[:500],
                        updated_at=now,
                    )
                )
        except Exception as error:  # the lease runs out by itself
            log.error("export %s: could not be set aside (%s)", job.id, failure_summary(error))

    async def _fail(self, db: AsyncSession, job_id: int, reason: str, now: datetime) -> None:
        await db.execute(
            update(ExportJob)
            .where(col(ExportJob.id) == job_id)
            .values(
                status="failed",
                error=reason[:500],
                lease_owner=None,
                lease_until=None,
                finished_at=now,
                updated_at=now,
            )
        )
        # What it had written is no use without the rest.
        await delete_files(db, job_id)

    async def delete_expired(self) -> int:
        """Delete the files of finished exports whose time is up, one export per transaction."""
        now = self.clock()
        async with self._sessions() as db:
            due = list(
                (
                    await db.execute(
                        select(col(ExportJob.id)).where(
                            col(ExportJob.expires_at) < now,
                            col(ExportJob.status) == "completed",
                        )
                    )
                ).scalars()
            )
            await db.commit()
        for job_id in due:
            async with self._sessions() as db, db.begin():
                await delete_files(db, job_id or 0)
                await db.execute(
                    update(ExportJob)
                    .where(col(ExportJob.id) == job_id, col(ExportJob.status) == "completed")
                    .values(status="expired", updated_at=now)
                )
        return len(due)


async def _instrument_resources(types: frozenset[str]) -> list[dict[str, Any]]:
    """The Questionnaires of the instruments (with their attribution) and Afterglow's CodeSystem,
    once per export, when the export asks for them."""
    if types.isdisjoint(INSTRUMENT_TYPES):
        return []
    found = [*await instrument_questionnaires(), afterglow_code_system()]
    return [r for r in found if r["resourceType"] in types]


def _left_out(patient_id: int) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "exception",
                "diagnostics": (
                    f"Patient/{patient_id}: the record could not be read and is left out of this "
                    "export whole; the server's log says why. Export again to include it."
                ),
            }
        ],
    }
