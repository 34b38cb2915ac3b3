"""Units of work that arrive together are committed together, and still succeed or fail alone."""

import asyncio
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.checkins.models import CheckIn
from afterglow.checkins.rows import checkin_row
from afterglow.instruments.scoring import score_answers
from afterglow.relief.models import PatientSummary
from afterglow.unit_of_work import run_unit
from conftest import NOW, World, checkin_key


def a_mood(patient_id: int, note: str) -> CheckIn:
    key = str(uuid.uuid4())
    return CheckIn(
        **checkin_row(
            patient_id,
            score_answers("mood", (6,)),
            taken_at=NOW,
            received_at=NOW,
            note=note,
            idempotency_key=key,
            request_hash=key,
            source="app",
        )
    )


async def test_units_that_arrive_together_each_keep_their_own_outcome(
    running_app, world: World, backend: str
):
    engine = running_app.state.engine
    patient_id = world.patient_a1.id or 0

    def stores(note: str):  # type: ignore[no-untyped-def]
        async def unit(db: AsyncSession) -> str:
            db.add(a_mood(patient_id, note))
            await db.commit()
            return note

        return unit

    def stores_then_fails(note: str):  # type: ignore[no-untyped-def]
        async def unit(db: AsyncSession) -> None:
            db.add(a_mood(patient_id, f"{note} (kept)"))
            await db.commit()
            db.add(a_mood(patient_id, f"{note} (left)"))
            await db.flush()
            raise LookupError(note)

        return unit

    async def waits_on_the_loop(db: AsyncSession) -> None:
        db.add(a_mood(patient_id, "waited"))
        await db.flush()
        await asyncio.sleep(0)

    async def breaks_a_rule(db: AsyncSession) -> None:
        db.add(a_mood(patient_id + 1000, "no such patient"))  # the foreign key refuses it
        await db.commit()

    outcomes = await asyncio.gather(
        run_unit(engine, stores("first")),
        run_unit(engine, stores_then_fails("second")),
        run_unit(engine, stores("third")),
        run_unit(engine, waits_on_the_loop),
        run_unit(engine, breaks_a_rule),
        run_unit(engine, stores("last")),
        return_exceptions=True,
    )

    assert outcomes[0] == "first" and outcomes[2] == "third" and outcomes[5] == "last"
    assert isinstance(outcomes[1], LookupError)
    if backend == "sqlite":
        assert isinstance(outcomes[3], RuntimeError)
    assert isinstance(outcomes[4], Exception) and not isinstance(outcomes[4], LookupError)

    async def notes(db: AsyncSession) -> list[str]:
        rows = await db.execute(
            select(col(CheckIn.note)).where(col(CheckIn.patient_id) == patient_id)
        )
        return sorted(note for (note,) in rows if note)

    # Each kept what it committed; what it flushed and then failed on (or left) is gone.
    assert await run_unit(engine, notes) == ["first", "last", "second (kept)", "third"]


async def test_check_ins_sent_at_once_are_each_stored_and_acknowledged(
    make_client, world: World, running_app
):
    patient = await make_client("p1@a.test")
    keys = [checkin_key() for _ in range(12)]
    answers = await asyncio.gather(
        *(
            patient.post(
                "/api/checkins", json={"instrument": "mood", "answers": [n % 11]}, headers=key
            )
            for n, key in enumerate(keys)
        )
    )
    assert [a.status_code for a in answers] == [201] * 12
    again = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [0]}, headers=keys[0]
    )
    assert again.status_code == 200 and again.json()["id"] == answers[0].json()["id"]

    async def stored(db: AsyncSession) -> tuple[int, object]:
        count = await db.scalar(
            select(func.count())
            .select_from(CheckIn)
            .where(col(CheckIn.patient_id) == world.patient_a1.id)
        )
        last = await db.scalar(
            select(col(PatientSummary.last_checkin_at)).where(
                col(PatientSummary.patient_id) == world.patient_a1.id
            )
        )
        return int(count or 0), last

    count, last_checkin_at = await run_unit(running_app.state.engine, stored)
    assert count == 12
    assert last_checkin_at is not None


async def test_a_group_that_cannot_commit_acknowledges_none_of_its_units(
    running_app, world: World, backend: str
):
    """SQLite commits units that arrive together as one group; PostgreSQL each on its own."""
    engine = running_app.state.engine
    patient_id = world.patient_a1.id or 0

    async def stores(db: AsyncSession) -> str:
        db.add(a_mood(patient_id, "in a group that never commits"))
        await db.commit()
        return "acknowledged"

    async def leaves_a_deferred_rule_broken(db: AsyncSession) -> str:
        # A foreign key checked at COMMIT: the group's one COMMIT fails, so no unit of it is kept.
        await db.execute(text("PRAGMA defer_foreign_keys = ON"))
        db.add(a_mood(patient_id + 1000, "no such patient"))
        await db.commit()
        return "acknowledged"

    outcomes = await asyncio.gather(
        run_unit(engine, stores),
        run_unit(engine, leaves_a_deferred_rule_broken),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], Exception)

    async def count(db: AsyncSession) -> int:
        return int(await db.scalar(select(func.count()).select_from(CheckIn)) or 0)

    if backend == "sqlite":
        # Its COMMIT failed: nothing of the group is stored, so nothing may be acknowledged.
        assert isinstance(outcomes[0], Exception), outcomes
        assert await run_unit(engine, count) == 0
    else:  # PRAGMA is not PostgreSQL: that unit fails alone, before anything is written
        assert outcomes[0] == "acknowledged"
        assert await run_unit(engine, count) == 1
    # The connection is left clean: the next unit runs and commits.
    assert await run_unit(engine, stores) == "acknowledged"
