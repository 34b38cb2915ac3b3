"""One check-in write: the unit of work, its summary update and the one fingerprint."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.checkins.models import CheckIn
from afterglow.clock import SetClock
from afterglow.history import schemas
from afterglow.history.service import checkin_import_key, import_history
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import refresh_patient_relief
from afterglow.unit_of_work import run_unit
from conftest import World, checkin_key

SUMMARY_AFTER_CHECKIN = (
    "last_checkin_at",
    "activity_at",
    "relief_status",
    "urgency_tier",
    "stale_after",
    "open_alerts",
)


async def summary_of(db: AsyncSession, patient_id: int) -> dict[str, object]:
    row = (
        await db.execute(
            select(*(getattr(PatientSummary, name) for name in SUMMARY_AFTER_CHECKIN)).where(
                PatientSummary.patient_id == patient_id
            )
        )
    ).one()
    return dict(zip(SUMMARY_AFTER_CHECKIN, row, strict=True))


async def in_relief(db: AsyncSession, world: World, app_clock: SetClock) -> None:
    """Patient A1: induction ending 20 days ago, responding since; a 7 every evening."""
    now = app_clock.now()
    phq9 = schemas.ImportedCheckin
    await import_history(
        db,
        world.patient_a1,
        schemas.HistoryImport(
            infusions=[
                schemas.ImportedInfusion(
                    now - timedelta(days=d), "iv", "induction", dose_mg_per_kg=0.5
                )
                for d in (30, 28, 26, 24, 22, 20)
            ],
            checkins=[
                phq9("phq9", [3, 3, 3, 3, 2, 2, 2, 1, 0], now - timedelta(days=32)),
                phq9("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], now - timedelta(days=13)),
                phq9("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0], now - timedelta(days=6)),
                *[phq9("mood", [7], now - timedelta(days=d, hours=1)) for d in range(1, 20)],
            ],
        ),
        now,
        recorded_by=None,
    )
    await db.commit()


async def test_each_check_in_leaves_the_summary_a_full_derivation_gives(
    make_client, world: World, db, app_clock: SetClock, settings
):
    """The check-in's own update (note_checkin, one read and one write) against re-deriving
    the patient from scratch, after every mood of a fall from 7 to 2 that turns relief waning."""
    # A fixed start, 19:00 in the patient's New York: whether the fall is waning depends on how
    # the moods fall into local days (the 3-day mean), so the real time of day made it flaky.
    app_clock.set(datetime(2026, 11, 29, 0, 0, tzinfo=UTC))
    await in_relief(db, world, app_clock)
    patient = await make_client("p1@a.test")
    patient_id = world.patient_a1.id or 0
    statuses = []
    for score in (7, 6, 4, 3, 2, 2):
        app_clock.advance(timedelta(hours=7))
        response = await patient.post(
            "/api/checkins", json={"instrument": "mood", "answers": [score]}, headers=checkin_key()
        )
        assert response.status_code == 201, response.text
        await db.rollback()
        kept = await summary_of(db, patient_id)
        await refresh_patient_relief(db, patient_id, app_clock.now())
        await db.flush()
        derived = await summary_of(db, patient_id)
        await db.rollback()
        assert kept == derived, score
        statuses.append(kept["relief_status"])
    assert statuses[0] == "holding" and statuses[-1] == "waning"


async def test_a_check_in_waits_for_another_sessions_open_transaction(
    make_client, world: World, running_app, backend: str
):
    patient = await make_client("p1@a.test")
    async with AsyncSession(running_app.state.engine) as other:
        await other.execute(text("SELECT 1"))  # its transaction is open on SQLite's one connection
        posting = asyncio.create_task(
            patient.post(
                "/api/checkins", json={"instrument": "mood", "answers": [5]}, headers=checkin_key()
            )
        )
        await asyncio.sleep(0.3)
        if backend == "sqlite":
            assert not posting.done()
        await other.commit()
    assert (await posting).status_code == 201


async def test_a_unit_that_fails_leaves_the_connection_as_it_found_it(running_app, backend: str):
    engine = running_app.state.engine

    async def fails(db: AsyncSession) -> None:
        await db.execute(text("SELECT 1"))
        raise LookupError("the unit's own failure")

    async def waits_on_the_loop(db: AsyncSession) -> None:
        await db.execute(text("SELECT 1"))
        await asyncio.sleep(0)

    async def counts(db: AsyncSession) -> int:
        return int(await db.scalar(select(func.count()).select_from(CheckIn)) or 0)

    with pytest.raises(LookupError):
        await run_unit(engine, fails)
    if backend == "sqlite":
        with pytest.raises(RuntimeError, match="waited on the event loop"):
            await run_unit(engine, waits_on_the_loop)
    assert await run_unit(engine, counts) == 0


async def test_an_imported_check_in_sent_again_by_the_app_is_a_replay(
    make_client, world: World, db, app_clock: SetClock
):
    """One fingerprint: the same check-in imported and then sent with the import's key is the
    same check-in (200, nothing stored), not a clash."""
    taken_at = app_clock.now() - timedelta(days=2)
    await import_history(
        db,
        world.patient_a1,
        schemas.HistoryImport(checkins=[schemas.ImportedCheckin("mood", [6], taken_at, "ok")]),
        app_clock.now(),
        recorded_by=None,
    )
    await db.commit()
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [6], "taken_at": taken_at.isoformat(), "note": "ok"},
        headers={"Idempotency-Key": checkin_import_key("mood", taken_at)},
    )
    assert response.status_code == 200, response.text
    count = await db.scalar(select(func.count()).where(CheckIn.patient_id == world.patient_a1.id))
    assert count == 1
