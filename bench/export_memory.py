"""Whether exports keep memory flat as the clinic grows.

A Bulk Data export and a clinic CSV are written as they are read (a page of rows, one patient's
record, at most a chunk of lines waiting), so the most memory either needs must not depend on how
many patients the clinic has. In one run this seeds two demo clinics into fresh SQLite databases
(200 and 2,000 patients, `--days` of history each), runs the Bulk Data job (exports/runner.py)
and streams `GET /api/clinic/export.csv`'s generator for each, in this process, and takes the
peak of Python's allocations during each with tracemalloc (after a warm-up export, so that
caches filled once are not counted; the CSV's as the least of 3 runs).

Prints, for each clinic, the resources and CSV bytes written and each peak, then `bulk_ratio`
and `csv_ratio` (peak at 2,000 / peak at 200) and last `ratio=` the larger of the two (target
<= 1.3: ten times the patients, not more memory). `--quick` uses 50 and 500 patients.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from afterglow.accounts.models import Clinic
from afterglow.clock import utcnow
from afterglow.db import create_engine, migrate, session_maker
from afterglow.demo.seed import seed_demo_clinic
from afterglow.exports.bulk import BULK_TYPES
from afterglow.exports.csv_export import clinic_csv
from afterglow.exports.models import ExportFile, ExportJob
from afterglow.exports.runner import BulkExports
from afterglow.settings import Settings

CSV_RUNS = 3


@dataclass
class Measured:
    patients: int
    resources: int
    csv_bytes: int
    bulk_peak: int
    csv_peak: int


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


async def _bulk_export(settings: Settings, clinic_id: int) -> int:
    """Queue an export of every type and run the job to the end; how many resources it wrote."""
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
        assert await BulkExports(engine)() == 1
        async with session_maker(engine)() as db:
            status = await db.scalar(
                select(col(ExportJob.status)).where(col(ExportJob.id) == job.id)
            )
            assert status == "completed", status
            written = await db.scalar(
                select(func.sum(col(ExportFile.resources))).where(col(ExportFile.job_id) == job.id)
            )
        return int(written or 0)
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


async def _peak(work: object) -> tuple[int, int]:
    """(the work's result, the peak of Python's allocations while it ran, above what was held
    when it began, garbage collected first)."""
    gc.collect()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = await work  # type: ignore[misc]
    return result, tracemalloc.get_traced_memory()[1] - base


async def measure(patients: int, days: int) -> Measured:
    settings, clinic_id = await _seeded(patients, days)
    # Warm-up: statement caches and imports are filled once, whatever the clinic's size.
    await _bulk_export(settings, clinic_id)
    await _csv_export(settings, clinic_id)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        resources, bulk_peak = await _peak(_bulk_export(settings, clinic_id))
        bulk_seconds = time.perf_counter() - started
        # The CSV's peak is a fraction of a MiB, as much as when the collector happens to run:
        # the least of a few runs is what the export itself needs.
        started = time.perf_counter()
        runs = [await _peak(_csv_export(settings, clinic_id)) for _ in range(CSV_RUNS)]
        csv_seconds = (time.perf_counter() - started) / CSV_RUNS
        csv_bytes, csv_peak = runs[0][0], min(peak for _, peak in runs)
    finally:
        tracemalloc.stop()
    print(
        f"  {patients} patients: bulk {resources} resources in {bulk_seconds:.0f} s, peak "
        f"{bulk_peak / 2**20:.1f} MiB; csv {csv_bytes / 2**20:.1f} MiB in {csv_seconds:.0f} s, "
        f"peak {csv_peak / 2**20:.1f} MiB",
        flush=True,
    )
    return Measured(patients, resources, csv_bytes, bulk_peak, csv_peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=60, help="days of history per patient")
    parser.add_argument("--quick", action="store_true", help="50 and 500 patients")
    args = parser.parse_args()
    small, large = (50, 500) if args.quick else (200, 2000)

    async def run() -> tuple[Measured, Measured]:
        return await measure(small, args.days), await measure(large, args.days)

    a, b = asyncio.run(run())
    bulk_ratio = b.bulk_peak / a.bulk_peak
    csv_ratio = b.csv_peak / a.csv_peak
    print(f"patients={a.patients},{b.patients} resources={a.resources},{b.resources}")
    print(f"bulk_ratio={bulk_ratio:.2f}")
    print(f"csv_ratio={csv_ratio:.2f}")
    print(f"ratio={max(bulk_ratio, csv_ratio):.2f}")


if __name__ == "__main__":
    main()
