"""A patient's broken reminder plan does not break what replans it: an infusion, a new phone,
the patient's own reminder screen, where they mend it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.clock import utcnow
from afterglow.infusions.models import Infusion
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.service import PLAN_RETRY, reminder_plan
from conftest import ClientFactory, World, add_device
from fake_push_service import FakePushService


async def a_broken_plan(db: AsyncSession, world: World) -> None:
    """Patient A1's stored mood reminder at 23:00, inside their quiet hours (21:30-08:00)."""
    await reminder_plan(db, world.patient_a1, utcnow())
    await db.execute(
        update(ReminderPlan)
        .where(col(ReminderPlan.patient_id) == world.patient_a1.id)
        .values(daily_mood_at=time(23, 0))
    )
    await db.commit()


async def next_fire_at(db: AsyncSession, world: World) -> datetime | None:
    await db.commit()
    plan = await db.get(ReminderPlan, world.patient_a1.id, populate_existing=True)
    assert plan is not None
    return plan.next_fire_at


async def test_an_infusion_for_a_patient_whose_plan_is_broken_is_still_recorded(
    db: AsyncSession, world: World, make_client: ClientFactory
) -> None:
    await a_broken_plan(db, world)
    clinician = await make_client("doc@a.test")
    before = utcnow()
    response = await clinician.post(
        f"/api/patients/{world.patient_a1.id}/infusions",
        json={
            "given_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "route": "iv",
            "kind": "induction",
            "dose_mg_per_kg": 0.5,
        },
    )
    assert response.status_code == 201, response.text
    await db.commit()
    assert len((await db.execute(select(col(Infusion.id)))).all()) == 1
    # The tick will try the plan again, and log it, not at every tick.
    retry_at = await next_fire_at(db, world)
    assert retry_at is not None and retry_at >= before + PLAN_RETRY


async def test_a_new_phone_of_a_patient_whose_plan_is_broken_is_still_registered(
    db: AsyncSession, world: World, push_service: FakePushService
) -> None:
    await a_broken_plan(db, world)
    await add_device(db, push_service, world.patient_a1.user_id, "phone", utcnow())
    assert await next_fire_at(db, world) is not None


async def test_a_patient_whose_plan_is_broken_can_see_and_mend_their_reminders(
    db: AsyncSession, world: World, make_client: ClientFactory
) -> None:
    await a_broken_plan(db, world)
    patient = await make_client("p1@a.test")
    shown = await patient.get("/api/me/reminders")
    assert shown.status_code == 200, shown.text
    assert shown.json()["daily_mood_at"] == "23:00"
    assert shown.json()["next_reminder"] is None
    mended = await patient.put(
        "/api/me/reminders",
        json={
            "daily_mood_at": "20:00",
            "weekly_phq9": None,
            "weekly_gad7": None,
            "quiet_start": "21:30",
            "quiet_end": "08:00",
            "infusion_nudges": False,
        },
    )
    assert mended.status_code == 200, mended.text
    assert mended.json()["next_reminder"]["url"] == "/#/checkin/mood"
