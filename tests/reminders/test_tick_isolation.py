"""One patient's broken reminder plan, or one clinic's unreadable settings, stops no one else.

Each test writes the bad row straight into the database (as a bug, an old release or a hand edit
would leave it), runs the real tick against the fake push service, and checks what the other
patients' phones and the clinicians' phones received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Clinic, Patient
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.schemas import ReminderSettingsIn
from afterglow.reminders.service import PLAN_RETRY, change_reminder_settings
from afterglow.worker import ReminderTick
from conftest import Clock, World, add_device, add_urgent_alert
from fake_push_service import FakePushService

NEW_YORK = ZoneInfo("America/New_York")
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=NEW_YORK)
EIGHT_PM = datetime(2026, 11, 26, 20, 0, tzinfo=NEW_YORK)
Ticks = Callable[[Clock], ReminderTick]


async def mood_at_eight_with_a_phone(
    db: AsyncSession, service: FakePushService, patient: Patient, phone: str
) -> None:
    settings = ReminderSettingsIn(
        daily_mood_at="20:00", weekly_phq9=None, weekly_gad7=None, infusion_nudges=False
    )
    await change_reminder_settings(db, patient, settings, NOON)
    await db.commit()
    await add_device(db, service, patient.user_id, phone, NOON)


async def plan_of(db: AsyncSession, patient: Patient) -> ReminderPlan:
    await db.commit()  # end the read snapshot: the tick wrote through its own connection
    plan = await db.get(ReminderPlan, patient.id, populate_existing=True)
    assert plan is not None
    return plan


async def break_the_plan_of(db: AsyncSession, patient: Patient) -> None:
    """Patient A1's stored reminder at 23:00, inside their quiet hours (21:30-08:00), due first.

    The settings routes refuse such a time; a row written before they did, or by hand, has it.
    """
    await db.execute(
        update(ReminderPlan)
        .where(col(ReminderPlan.patient_id) == patient.id)
        .values(daily_mood_at=time(23, 0), next_fire_at=EIGHT_PM - timedelta(minutes=1))
    )
    await db.commit()


async def test_a_plan_that_cannot_be_worked_does_not_stop_other_patients_reminders(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await mood_at_eight_with_a_phone(db, push_service, world.patient_a1, "a1-phone")
    await mood_at_eight_with_a_phone(db, push_service, world.patient_b1, "b1-phone")
    await break_the_plan_of(db, world.patient_a1)
    await make_tick(Clock(EIGHT_PM + timedelta(seconds=10)))()
    assert [(r.device, r.payload["kind"]) for r in push_service.received] == [
        ("b1-phone", "daily_mood")
    ]


async def test_a_plan_that_cannot_be_worked_is_tried_again_later_not_at_every_tick(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await mood_at_eight_with_a_phone(db, push_service, world.patient_a1, "a1-phone")
    await break_the_plan_of(db, world.patient_a1)
    clock = Clock(EIGHT_PM + timedelta(seconds=10))
    tick = make_tick(clock)
    await tick()
    retry_at = (await plan_of(db, world.patient_a1)).next_fire_at
    assert retry_at == clock.now + PLAN_RETRY
    clock.set(clock.now + timedelta(seconds=15))
    await tick()
    assert (await plan_of(db, world.patient_a1)).next_fire_at == retry_at


async def test_a_broken_plan_mended_by_new_settings_sends_that_days_reminder(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = world.patient_a1
    await mood_at_eight_with_a_phone(db, push_service, patient, "a1-phone")
    await break_the_plan_of(db, patient)
    clock = Clock(EIGHT_PM + timedelta(seconds=10))
    tick = make_tick(clock)
    await tick()
    assert push_service.received == []
    # The patient opens the app and saves a reminder time that works.
    mended = ReminderSettingsIn(
        daily_mood_at="20:30", weekly_phq9=None, weekly_gad7=None, infusion_nudges=False
    )
    await change_reminder_settings(db, patient, mended, EIGHT_PM + timedelta(minutes=5))
    await db.commit()
    clock.set(EIGHT_PM + timedelta(minutes=30, seconds=5))
    await tick()
    assert [p["kind"] for p in push_service.payloads()] == ["daily_mood"]


async def test_an_unreadable_stored_plan_does_not_stop_other_patients_reminders(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    make_tick: Ticks,
    backend: str,
) -> None:
    await mood_at_eight_with_a_phone(db, push_service, world.patient_a1, "a1-phone")
    await mood_at_eight_with_a_phone(db, push_service, world.patient_b1, "b1-phone")
    # What each database lets a bad write leave behind in a time column and Python cannot read:
    # SQLite keeps any text, PostgreSQL keeps 24:00.
    corrupt = {"sqlite": "'at eight-ish'", "postgresql": "TIME '24:00'"}[backend]
    await db.execute(
        text(f"UPDATE reminder_plan SET daily_mood_at = {corrupt} WHERE patient_id = :id"),
        {"id": world.patient_a1.id},
    )
    await db.commit()
    clock = Clock(EIGHT_PM + timedelta(seconds=10))
    await make_tick(clock)()
    assert [r.device for r in push_service.received] == ["b1-phone"]
    await db.commit()
    retry_at = await db.scalar(
        select(col(ReminderPlan.next_fire_at)).where(
            col(ReminderPlan.patient_id) == world.patient_a1.id
        )
    )
    assert retry_at == clock.now + PLAN_RETRY


async def test_escalations_still_go_out_when_a_plan_is_broken(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await mood_at_eight_with_a_phone(db, push_service, world.patient_a1, "a1-phone")
    await break_the_plan_of(db, world.patient_a1)
    now = EIGHT_PM.astimezone(UTC)
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", now)
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))
    # The push service is briefly down: the escalation has to be retried by a later tick.
    push_service.answer("doc-phone", 503)
    clock = Clock(now + timedelta(seconds=10))
    tick = make_tick(clock)
    await tick()
    clock.set(clock.now + timedelta(minutes=1))
    await tick()
    assert [(r.device, r.payload["kind"]) for r in push_service.received] == [
        ("doc-phone", "alert_escalation")
    ]


async def test_an_alert_of_a_clinic_whose_settings_cannot_be_read_still_reaches_its_clinicians(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    now = EIGHT_PM.astimezone(UTC)
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", now)
    await db.execute(
        update(Clinic)
        .where(col(Clinic.id) == world.clinic_a.id)
        .values(settings={"on_call_user_id": "whoever is on the rota"})
    )
    await db.commit()
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))
    await make_tick(Clock(now))()
    assert [(r.device, r.payload["kind"]) for r in push_service.received] == [
        ("doc-phone", "alert_escalation")
    ]


async def test_an_on_call_id_the_database_cannot_look_up_still_lets_the_alert_escalate(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    now = EIGHT_PM.astimezone(UTC)
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", now)
    await db.execute(
        update(Clinic)
        .where(col(Clinic.id) == world.clinic_a.id)
        .values(settings={"on_call_user_id": 2**40})
    )
    await db.commit()
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))
    await make_tick(Clock(now))()
    assert [r.device for r in push_service.received] == ["doc-phone"]


@asynccontextmanager
async def table_gone(db: AsyncSession, table: str) -> AsyncIterator[None]:
    """A table the tick needs is missing (a migration half run, a restore in progress)."""
    await db.commit()
    await db.execute(text(f'ALTER TABLE "{table}" RENAME TO "{table}_away"'))
    await db.commit()
    try:
        yield
    finally:
        await db.execute(text(f'ALTER TABLE "{table}_away" RENAME TO "{table}"'))
        await db.commit()


def tick_failures(phase: str) -> float:
    return REGISTRY.get_sample_value("afterglow_tick_failures_total", {"phase": phase}) or 0.0


async def test_reminders_still_go_out_when_escalation_fails(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await mood_at_eight_with_a_phone(db, push_service, world.patient_a1, "a1-phone")
    now = EIGHT_PM.astimezone(UTC)
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", now)
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))
    failures_before = tick_failures("escalation")
    clock = Clock(now + timedelta(seconds=10))
    tick = make_tick(clock)
    # Escalating writes the audit trail: without its table, escalation fails.
    async with table_gone(db, "audit_event"):
        report = await tick()
    assert [r.device for r in push_service.received] == ["a1-phone"]
    assert report.failed_phases == ["escalation"]
    assert tick_failures("escalation") == failures_before + 1
    # Nothing was lost: the next tick escalates.
    clock.set(clock.now + timedelta(seconds=15))
    await tick()
    assert [r.device for r in push_service.received] == ["a1-phone", "doc-phone"]


async def test_escalations_and_retries_still_go_out_when_planning_fails(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await mood_at_eight_with_a_phone(db, push_service, world.patient_a1, "a1-phone")
    await mood_at_eight_with_a_phone(db, push_service, world.patient_b1, "b1-phone")
    now = EIGHT_PM.astimezone(UTC)
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", now)
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(seconds=30))
    push_service.answer("doc-phone", 503)
    clock = Clock(now - timedelta(seconds=20))
    tick = make_tick(clock)
    await tick()  # escalated; the push service answered 503, to be retried in 30 s
    failures_before = tick_failures("planning")
    clock.set(now + timedelta(seconds=15))
    # Planning reads the patients' relief status: without its table, planning fails.
    async with table_gone(db, "patient_summary"):
        report = await tick()
    assert [r.device for r in push_service.received] == ["doc-phone"]
    assert report.failed_phases == ["planning"]
    assert tick_failures("planning") == failures_before + 1
    # Both plans were due and both failed: the cause was not in them, so none was set aside.
    clock.set(clock.now + timedelta(seconds=15))
    await tick()
    assert sorted(r.device for r in push_service.received) == ["a1-phone", "b1-phone", "doc-phone"]


@asynccontextmanager
async def audit_refused_for(db: AsyncSession, patient: Patient) -> AsyncIterator[None]:
    """The database refuses the escalation's audit row for this one patient's alerts."""
    postgres = db.get_bind().dialect.name == "postgresql"
    when = f"NEW.patient_id = {patient.id} AND NEW.action = 'alert.escalate'"
    if postgres:
        await db.execute(
            text(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit refused'; END $$"
            )
        )
        await db.execute(
            text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION refuse_audit()"
            )
        )
    else:
        await db.execute(
            text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW "
                f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
        )
    await db.commit()
    try:
        yield
    finally:
        await db.execute(
            text("DROP TRIGGER refuse_audit" + (" ON audit_event" if postgres else ""))
        )
        if postgres:
            await db.execute(text("DROP FUNCTION refuse_audit()"))
        await db.commit()


async def test_an_alert_that_cannot_be_escalated_does_not_keep_other_alerts_from_their_clinicians(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    now = EIGHT_PM.astimezone(UTC)
    await add_device(db, push_service, world.clinician_a.id, "doc-a-phone", now)
    await add_device(db, push_service, world.clinician_b.id, "doc-b-phone", now)
    # Clinic A's alert falls due first, so it comes first in the escalation round.
    await add_urgent_alert(db, world, now - timedelta(hours=3), now - timedelta(minutes=30))
    await add_urgent_alert(
        db, world, now - timedelta(hours=2), now - timedelta(minutes=1), patient=world.patient_b1
    )
    clock = Clock(now)
    tick = make_tick(clock)
    async with audit_refused_for(db, world.patient_a1):
        await tick()
    assert [(r.device, r.payload["kind"]) for r in push_service.received] == [
        ("doc-b-phone", "alert_escalation")
    ]
    # The alert that failed stays due: once the database takes it, the next tick escalates it.
    clock.set(now + timedelta(seconds=15))
    await tick()
    assert [(r.device, r.payload["kind"]) for r in push_service.received] == [
        ("doc-b-phone", "alert_escalation"),
        ("doc-a-phone", "alert_escalation"),
    ]
