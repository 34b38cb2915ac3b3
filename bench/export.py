"""How fast the Bulk Data export reads a clinic, and whether its memory stays flat as it grows.

For each clinic size (500 and 5,000 patients, `--days` of history each, default 365; `--quick`:
50 and 500 patients, 60 days) this seeds one demo clinic into a fresh SQLite database, then in the
same run, in this process:

1. reads the rows the export turns into resources with bare SELECTs (one per table, the clinic's
   patients, check-ins, infusions, clinical events, safety alerts, stored relief summaries and
   shared journal entries, the columns the export reads, streamed): `rows_per_s`;
2. runs the Bulk Data job (exports/runner.py, every type) over the whole clinic, counting one
   resource per stored row it comes from: a check-in's QuestionnaireResponse counts, the
   Observations derived from it do not; an infusion's MedicationAdministration counts, its
   blood-pressure Observations do not; a patient's relief episodes count once, for the one
   summary row they are stored in (a summary of no episodes makes none: with little history
   the job counts a few rows fewer than the SELECTs read); the instruments' Questionnaires and
   CodeSystem (no row) not at all: `resources_per_s`, and `speed_ratio` = resources/s / rows/s (target >= 0.1);
3. in a separate pass (tracemalloc slows what it traces), the peak of Python's allocations while
   the job runs again, and while `GET /api/clinic/export.csv`'s generator streams the clinic
   (the least of 3 runs): `peak_mib` and `csv_peak_mib`.

Prints those per clinic, then `csv_ratio` and last `ratio=` (the job's peak at the larger clinic
/ at the smaller; target <= 1.3: ten times the patients, not more memory).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Clinic, Patient
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.clock import utcnow
from afterglow.db import create_engine, migrate, session_maker
from afterglow.demo.seed import seed_demo_clinic
from afterglow.exports.bulk import BULK_TYPES
from afterglow.exports.csv_export import clinic_csv
from afterglow.exports.models import ExportJob
from afterglow.exports.runner import BulkExports
from afterglow.fhir import resources
from afterglow.fhir.export import RecordRows, patient_resources
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.journal.models import JournalEntry
from afterglow.relief.models import PatientSummary
from afterglow.settings import Settings

CSV_RUNS = 3
# The resources that stand for a stored row of their own (an id of that prefix and a number);
# the others are derived from one (checkin-7-total, infusion-3-bp-40min) or from the summary row
# (relief-<infusion>, counted once per patient).
ROW_PREFIXES = ("checkin", "infusion", "event", "alert", "journal")


def _table(model: type[SQLModel]) -> Any:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def _columns(model: type[SQLModel], facts: Any) -> list[Any]:
    """The table's columns that a record's facts (a dataclass of fhir.resources) are made of."""
    table = _table(model)
    return [table.c[f.name] for f in fields(facts)]


@dataclass
class Measured:
    patients: int
    rows: int
    rows_per_s: float
    resources: int
    written: int
    resources_per_s: float
    peak: int
    csv_bytes: int
    csv_peak: int

    @property
    def speed_ratio(self) -> float:
        return self.resources_per_s / self.rows_per_s


async def _seeded(patients: int, days: int) -> tuple[Settings, int]:
    data_dir = Path(tempfile.mkdtemp(prefix="afterglow-export-bench-"))
    settings = Settings.from_env(
        {"AFTERGLOW_DATA_DIR": str(data_dir), "AFTERGLOW_SCHEDULER": "off"}
    )
    await asyncio.to_thread(migrate, settings)
    started = time.perf_counter()
    await seed_demo_clinic(settings, seed=13, patients=patients, days=days)
    print(f"  seeded {patients} patients in {time.perf_counter() - started:.0f} s", flush=True)
    engine = create_engine(settings)
    async with session_maker(engine)() as db:
        clinic_id = await db.scalar(select(col(Clinic.id)))
    await engine.dispose()
    assert clinic_id is not None
    return settings, clinic_id


def _bare_selects(clinic_id: int) -> list[Any]:
    """One SELECT per table of what patient_resources reads, for every patient of the clinic."""
    patient = _table(Patient)
    mine = select(patient.c.id).where(patient.c.clinic_id == clinic_id).scalar_subquery()
    summary = _table(PatientSummary)
    journal = _table(JournalEntry)
    return [
        select(
            *(
                patient.c[n]
                for n in resources.PatientFacts.__dataclass_fields__
                if n != "clinic_name"
            ),
            _table(Clinic).c.name,
        )
        .join(_table(Clinic), _table(Clinic).c.id == patient.c.clinic_id)
        .where(patient.c.clinic_id == clinic_id),
        *(
            select(*_columns(model, facts)).where(_table(model).c.patient_id.in_(mine))
            for model, facts in (
                (CheckIn, resources.CheckinFacts),
                (Infusion, resources.InfusionFacts),
                (ClinicalEvent, resources.EventFacts),
                (SafetyAlert, resources.AlertFacts),
            )
        ),
        select(
            summary.c.patient_id,
            summary.c.derived_with,
            summary.c.rederive_after,
            summary.c.stale_after,
            summary.c.updated_at,
            cast(summary.c.episodes, Text),
        ).where(summary.c.patient_id.in_(mine)),
        select(journal).where(journal.c.patient_id.in_(mine), journal.c.shared_at.is_not(None)),
    ]


async def _select_rows(settings: Settings, clinic_id: int) -> int:
    """Every row the export reads, through the same engine, streamed; how many."""
    engine = create_engine(settings)
    rows = 0
    try:
        async with engine.connect() as connection:
            for statement in _bare_selects(clinic_id):
                result = await connection.stream(statement.execution_options(yield_per=2000))
                async for partition in result.partitions():
                    rows += len(partition)
    finally:
        await engine.dispose()
    return rows


class _Counted:
    """patient_resources, counting one resource per stored row it comes from."""

    def __init__(self) -> None:
        self.rows = 0
        self.written = 0

    async def __call__(
        self,
        session: AsyncSession,
        clinic_id: int,
        patient_id: int,
        *,
        since: datetime | None = None,
        types: frozenset[str] | None = None,
        now: datetime | None = None,
        rows: RecordRows | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        relief = False
        async for resource in patient_resources(
            session, clinic_id, patient_id, since=since, types=types, now=now, rows=rows
        ):
            self.written += 1
            prefix, _, rest = resource["id"].partition("-")
            if resource["resourceType"] == "Patient" or (prefix in ROW_PREFIXES and rest.isdigit()):
                self.rows += 1
            elif prefix == "relief" and not relief:
                relief = True
                self.rows += 1
            yield resource


async def _bulk_export(settings: Settings, clinic_id: int, source: Any = patient_resources) -> None:
    """Queue an export of every type and run the job to the end."""
    engine = create_engine(settings)
    now = utcnow()
    try:
        async with session_maker(engine)() as db:
            job = ExportJob(
                clinic_id=clinic_id,
                request_url=f"http://bench.invalid/fhir/Group/{clinic_id}/$export",
                resource_types=sorted(BULK_TYPES),
                status="queued",
                transaction_time=now,
                created_at=now,
                updated_at=now,
            )
            db.add(job)
            await db.commit()
        assert await BulkExports(engine, resources=source)() == 1
        async with session_maker(engine)() as db:
            status = await db.scalar(
                select(col(ExportJob.status)).where(col(ExportJob.id) == job.id)
            )
            assert status == "completed", status
    finally:
        await engine.dispose()


async def _csv_export(settings: Settings, clinic_id: int) -> int:
    engine = create_engine(settings)
    written = 0
    try:
        async for chunk in clinic_csv(engine, clinic_id, utcnow()):
            written += len(chunk)
    finally:
        await engine.dispose()
    return written


async def _peak(work: Any) -> tuple[Any, int]:
    """(the work's result, the peak of Python's allocations while it ran, above what was held
    when it began, garbage collected first)."""
    gc.collect()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = await work
    return result, tracemalloc.get_traced_memory()[1] - base


async def measure(patients: int, days: int) -> Measured:
    settings, clinic_id = await _seeded(patients, days)
    # The rows first: the database's pages are then as warm for the export as for the SELECTs.
    await _select_rows(settings, clinic_id)
    started = time.perf_counter()
    rows = await _select_rows(settings, clinic_id)
    select_seconds = time.perf_counter() - started
    counted = _Counted()
    started = time.perf_counter()
    await _bulk_export(settings, clinic_id, counted)
    export_seconds = time.perf_counter() - started
    print(
        f"  {patients} patients: SELECT {rows} rows in {select_seconds:.1f} s; export "
        f"{counted.written} resources from {counted.rows} rows in {export_seconds:.1f} s",
        flush=True,
    )
    # The timed export was the warm-up too: caches filled once are not counted in the peak.
    await _csv_export(settings, clinic_id)
    tracemalloc.start()
    try:
        _, peak = await _peak(_bulk_export(settings, clinic_id))
        # The CSV's peak is a fraction of a MiB, as much as when the collector happens to run:
        # the least of a few runs is what the export itself needs.
        runs = [await _peak(_csv_export(settings, clinic_id)) for _ in range(CSV_RUNS)]
        csv_bytes, csv_peak = runs[0][0], min(p for _, p in runs)
    finally:
        tracemalloc.stop()
        # A big clinic and its export files take gigabytes of disk.
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    found = Measured(
        patients,
        rows,
        rows / select_seconds,
        counted.rows,
        counted.written,
        counted.rows / export_seconds,
        peak,
        csv_bytes,
        csv_peak,
    )
    print(
        f"patients={patients} rows_per_s={found.rows_per_s:.0f} "
        f"resources_per_s={found.resources_per_s:.0f} speed_ratio={found.speed_ratio:.3f} "
        f"peak_mib={peak / 2**20:.1f} csv_peak_mib={csv_peak / 2**20:.1f}",
        flush=True,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, help="days of history per patient (default 365)")
    parser.add_argument("--quick", action="store_true", help="50 and 500 patients, 60 days")
    parser.add_argument(
        "--patients", type=int, nargs=2, metavar=("SMALL", "LARGE"), help="the two clinic sizes"
    )
    args = parser.parse_args()
    small, large = args.patients or ((50, 500) if args.quick else (500, 5000))
    days = args.days or (60 if args.quick else 365)

    async def run() -> tuple[Measured, Measured]:
        return await measure(small, days), await measure(large, days)

    a, b = asyncio.run(run())
    print(f"csv_ratio={b.csv_peak / a.csv_peak:.2f}")
    print(f"ratio={b.peak / a.peak:.2f}")


if __name__ == "__main__":
    main()
