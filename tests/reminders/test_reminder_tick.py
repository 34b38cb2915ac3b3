"""The reminder tick end to end: due reminders reach the patient's devices once, decrypted there.

Each test arranges real rows, moves the tick's clock, ticks, and reads what the fake push
service decrypted and what the send record says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Clinic, Patient
from afterglow.alerts.escalation import escalation_recipients
from afterglow.alerts.models import SafetyAlert
from afterglow.audit.models import AuditEvent
from afterglow.checkins.models import CheckIn
from afterglow.db import create_engine, session_maker
from afterglow.infusions.models import Infusion
from afterglow.push.delivery import PushSender
from afterglow.push.models import PushMessage, PushSubscription
from afterglow.push.outbox import LEASE
from afterglow.push.vapid import load_vapid
from afterglow.relief.models import PatientSummary
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.schemas import ReminderSettingsIn
from afterglow.reminders.service import (
    change_reminder_settings,
    plan_due_reminders,
    replan_patient,
)
from afterglow.settings import Settings
from afterglow.worker import ReminderTick
from conftest import Clock, World, add_device, add_urgent_alert
from fake_push_service import FakePushService

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=NEW_YORK)
Ticks = Callable[[Clock], ReminderTick]


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


async def sends(db: AsyncSession) -> list[PushMessage]:
    await db.commit()  # end the read snapshot: the ticks wrote through other connections
    rows = await db.execute(
        select(PushMessage)
        .order_by(col(PushMessage.fire_at))
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def plan_of(db: AsyncSession, patient: Patient) -> ReminderPlan:
    await db.commit()
    plan = await db.get(ReminderPlan, patient.id, populate_existing=True)
    assert plan is not None
    return plan


async def only_mood(db: AsyncSession, patient: Patient, now: datetime, **changes: object) -> None:
    """A schedule with just the daily mood reminder (and whatever `changes` say)."""
    fields: dict[str, object] = {
        "daily_mood_at": "20:00",
        "weekly_phq9": None,
        "weekly_gad7": None,
        "infusion_nudges": False,
    }
    fields.update(changes)
    await change_reminder_settings(db, patient, ReminderSettingsIn(**fields), now)  # type: ignore[arg-type]
    await db.commit()


async def phone_with_daily_mood(
    db: AsyncSession, world: World, service: FakePushService, **changes: object
) -> Patient:
    """Patient A1 (New York) with just the 20:00 mood reminder and a phone, set up at noon."""
    patient = world.patient_a1
    await only_mood(db, patient, NOON, **changes)
    await add_device(db, service, patient.user_id, "phone", NOON)
    return patient


async def add_checkin(
    db: AsyncSession, patient: Patient, instrument: str, taken_at: datetime, score: int = 6
) -> None:
    db.add(
        CheckIn(
            patient_id=patient.id or 0,
            instrument=instrument,
            answers=[score],
            score=score,
            taken_at=taken_at.astimezone(UTC),
            received_at=taken_at.astimezone(UTC),
            idempotency_key=f"test-{instrument}-{taken_at.isoformat()}",
            request_hash="0" * 64,
        )
    )
    await db.commit()


async def test_it_sends_the_daily_mood_reminder_once_at_eight_pm_local_time(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    make_tick: Ticks,
    settings: Settings,
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    clock = Clock(NOON)
    tick = make_tick(clock)

    await tick()
    clock.set(local(NEW_YORK, 2026, 11, 26, 19, 59))
    await tick()
    assert push_service.received == []

    clock.set(local(NEW_YORK, 2026, 11, 26, 20, 0, 10))
    await tick()
    await tick()
    [message] = push_service.received
    assert message.payload == {
        "title": "How is your mood today?",
        "body": "Tap to log it: it takes a few seconds.",
        "url": "/#/checkin/mood",
        "kind": "daily_mood",
        "tag": "mood",
        "lang": "en",
    }
    # Signed by this server for this push service, and kept until the end of the local day.
    assert message.vapid_key == load_vapid(settings).public_key
    assert message.vapid_claims["aud"] == push_service.base_url
    assert message.vapid_claims["sub"].startswith("mailto:")
    midnight = local(NEW_YORK, 2026, 11, 27, 0, 0)
    assert abs(int(message.headers["ttl"]) - (midnight - clock.now).total_seconds()) <= 2
    assert message.headers["topic"] == "mood"
    assert message.headers["urgency"] == "normal"
    [record] = await sends(db)
    assert (record.status, record.kind, record.send_key) == (
        "sent",
        "daily_mood",
        "mood:2026-11-26",
    )
    assert record.sent_at == clock.now and record.last_status == 201


async def test_a_reminder_whose_check_in_is_done_is_not_sent_but_recorded_as_skipped(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = await phone_with_daily_mood(db, world, push_service)
    await add_checkin(db, patient, "mood", local(NEW_YORK, 2026, 11, 26, 18, 30))
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 0, 30))
    await make_tick(clock)()
    assert push_service.received == []
    assert [(s.status, s.send_key) for s in await sends(db)] == [("skipped", "mood:2026-11-26")]


async def test_a_reminder_no_tick_could_send_within_its_day_expires(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = await phone_with_daily_mood(db, world, push_service)
    # Every instance was down from before 20:00 until the next morning.
    clock = Clock(local(NEW_YORK, 2026, 11, 27, 9, 0))
    await make_tick(clock)()
    assert push_service.received == []
    assert [(s.status, s.send_key) for s in await sends(db)] == [("expired", "mood:2026-11-26")]
    plan = await plan_of(db, patient)
    assert plan.next_fire_at == local(NEW_YORK, 2026, 11, 27, 20, 0)


async def test_a_side_effect_check_due_in_quiet_hours_waits_for_the_morning(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = await phone_with_daily_mood(
        db, world, push_service, daily_mood_at=None, infusion_nudges=True
    )
    given_at = local(NEW_YORK, 2026, 11, 26, 20, 30)
    db.add(
        Infusion(
            patient_id=patient.id or 0,
            given_at=given_at,
            route="iv",
            kind="induction",
            created_at=given_at,
            updated_at=given_at,
        )
    )
    await db.flush()
    await replan_patient(db, patient.id or 0, given_at)
    await db.commit()
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 22, 31))
    tick = make_tick(clock)
    await tick()
    assert push_service.received == []  # +2 h is 22:30, inside quiet hours (21:30-08:00)
    clock.set(local(NEW_YORK, 2026, 11, 27, 8, 0, 5))
    await tick()
    assert [p["kind"] for p in push_service.payloads()] == ["after_2h"]
    assert push_service.payloads()[0]["url"] == "/#/checkin/after"


async def test_every_device_of_the_patient_gets_the_reminder(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = await phone_with_daily_mood(db, world, push_service)
    await add_device(db, push_service, patient.user_id, "tablet", NOON)
    await make_tick(Clock(local(NEW_YORK, 2026, 11, 26, 20, 1)))()
    assert sorted(r.device for r in push_service.received) == ["phone", "tablet"]
    assert len(await sends(db)) == 1


async def test_spanish_speaking_patients_get_the_reminder_in_spanish(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await db.execute(
        update(Patient).where(col(Patient.id) == world.patient_a1.id).values(locale="es-MX")
    )
    await phone_with_daily_mood(db, world, push_service)
    await make_tick(Clock(local(NEW_YORK, 2026, 11, 26, 20, 1)))()
    [payload] = push_service.payloads()
    assert payload["lang"] == "es"
    assert payload["title"] == "¿Cómo está su ánimo hoy?"


async def test_a_device_the_push_service_no_longer_knows_is_removed(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = await phone_with_daily_mood(db, world, push_service)
    push_service.answer("phone", 410)
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 1))
    tick = make_tick(clock)
    await tick()
    [record] = await sends(db)
    assert (record.status, record.last_status) == ("failed", 410)
    assert (await db.execute(select(PushSubscription))).first() is None
    # With no device left, the next day's reminder is not even planned.
    clock.set(local(NEW_YORK, 2026, 11, 27, 20, 1))
    await tick()
    assert len(await sends(db)) == 1
    plan = await plan_of(db, patient)
    assert plan.next_fire_at is None


async def test_a_refusal_of_our_credentials_keeps_the_device_and_fails_the_message(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    push_service.answer("phone", 403)
    await make_tick(Clock(local(NEW_YORK, 2026, 11, 26, 20, 1)))()
    [record] = await sends(db)
    assert (record.status, record.last_status) == ("failed", 403)
    assert len((await db.execute(select(PushSubscription))).all()) == 1


async def test_a_rate_limited_message_waits_for_retry_after_then_goes(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    push_service.answer("phone", 429, retry_after="600")
    first = local(NEW_YORK, 2026, 11, 26, 20, 0, 5)
    clock = Clock(first)
    tick = make_tick(clock)
    await tick()
    [record] = await sends(db)
    assert (record.status, record.last_status) == ("queued", 429)
    assert record.next_attempt_at >= first.astimezone(UTC) + timedelta(seconds=600)
    clock.set(first + timedelta(seconds=300))
    await tick()
    assert push_service.refused == [("phone", 429)] and push_service.received == []
    clock.set(first + timedelta(seconds=601))
    tick_after_rest = make_tick(clock)  # a fresh instance: the push service's rest is over
    await tick_after_rest()
    assert [p["kind"] for p in push_service.payloads()] == ["daily_mood"]
    assert [(s.status, s.attempts) for s in await sends(db)] == [("sent", 2)]


async def test_a_push_service_down_for_a_while_loses_nothing_within_the_ttl(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await phone_with_daily_mood(db, world, push_service, daily_mood_at="19:00")
    push_service.answer("phone", 503, 503, 503, 500)
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 19, 0, 5))
    tick = make_tick(clock)
    for _ in range(40):  # ticks every 15 s for 10 minutes
        await tick()
        clock.set(clock.now + timedelta(seconds=15))
    assert [p["kind"] for p in push_service.payloads()] == ["daily_mood"]
    assert push_service.refused == [("phone", 503)] * 3 + [("phone", 500)]
    [record] = await sends(db)
    assert (record.status, record.attempts) == ("sent", 5)


async def test_a_message_the_push_service_never_took_before_its_day_ended_expires(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    push_service.answer("phone", *[503] * 50)
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 0, 5))
    tick = make_tick(clock)
    while clock.now < local(NEW_YORK, 2026, 11, 27, 0, 30):
        await tick()
        clock.set(clock.now + timedelta(minutes=5))
    [record] = await sends(db)
    assert (record.status, record.last_status) == ("expired", 503)
    assert push_service.received == []


async def test_relief_turning_waning_asks_for_one_extra_phq9(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = world.patient_a1
    morning = local(NEW_YORK, 2026, 11, 26, 9, 0)
    await only_mood(db, patient, morning)
    await add_device(db, push_service, patient.user_id, "phone", morning)
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 1))
    tick = make_tick(clock)
    await tick()
    # The relief analysis finds the patient's relief waning (as after a low mood).
    await db.execute(
        update(PatientSummary)
        .where(col(PatientSummary.patient_id) == patient.id)
        .values(relief_status="waning")
    )
    await db.commit()
    clock.set(local(NEW_YORK, 2026, 11, 27, 20, 1))
    await tick()
    clock.set(local(NEW_YORK, 2026, 11, 28, 20, 1))
    await tick()
    kinds = [p["kind"] for p in push_service.payloads()]
    assert kinds.count("waning_phq9") == 1
    assert kinds.count("daily_mood") == 3
    [waning] = [p for p in push_service.payloads() if p["kind"] == "waning_phq9"]
    assert waning["url"] == "/#/checkin/phq9"


async def test_a_patient_who_travels_gets_the_next_reminder_in_the_new_zone_and_never_twice(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = await phone_with_daily_mood(db, world, push_service)  # in New York
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 1))
    tick = make_tick(clock)
    await tick()
    # Lands in London on the 27th at 09:00 local and says so in the app.
    landed = local(LONDON, 2026, 11, 27, 9, 0)
    await only_mood(db, patient, landed, timezone="Europe/London")
    clock.set(landed)
    await tick()
    clock.set(local(LONDON, 2026, 11, 27, 20, 0, 30))
    await tick()
    records = await sends(db)
    assert [(s.send_key, s.fire_at) for s in records] == [
        ("mood:2026-11-26", local(NEW_YORK, 2026, 11, 26, 20, 0)),
        ("mood:2026-11-27", local(LONDON, 2026, 11, 27, 20, 0)),
    ]
    assert len(push_service.received) == 2


@pytest.mark.parametrize(
    ("zone_name", "transition_day"),
    [
        ("America/New_York", (2026, 3, 8)),
        ("America/New_York", (2026, 11, 1)),
        ("Europe/London", (2026, 3, 29)),
        ("Europe/London", (2026, 10, 25)),
        ("Australia/Lord_Howe", (2026, 4, 5)),
        ("Australia/Lord_Howe", (2026, 10, 4)),
        ("Pacific/Chatham", (2026, 4, 5)),
        ("Pacific/Chatham", (2026, 9, 27)),
        ("Asia/Kolkata", (2026, 3, 8)),
    ],
)
async def test_the_daily_reminder_fires_once_per_local_day_across_clock_changes(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    make_tick: Ticks,
    zone_name: str,
    transition_day: tuple[int, int, int],
) -> None:
    zone = ZoneInfo(zone_name)
    patient = world.patient_a1
    start = local(zone, *transition_day, 0, 0) - timedelta(days=2)
    await only_mood(db, patient, start, timezone=zone_name)
    await add_device(db, push_service, patient.user_id, "phone", start)
    clock = Clock(start)
    tick = make_tick(clock)
    end = start + timedelta(days=5)
    # Tick the way the scheduler does (every 15 s), jumping over the idle stretches.
    while clock.now < end:
        plan = await plan_of(db, patient)
        assert plan.next_fire_at is not None
        clock.set(plan.next_fire_at + timedelta(seconds=7))
        if clock.now >= end:
            break
        await tick()
    records = await sends(db)
    local_days = [s.fire_at.astimezone(zone).date() for s in records]
    assert len(local_days) == len(set(local_days)) == len(push_service.received)
    for record in records:
        fired = record.fire_at.astimezone(zone)
        assert (fired.hour, fired.minute) == (20, 0), fired
        expected = datetime.combine(fired.date(), fired.timetz().replace(tzinfo=None), zone)
        assert record.fire_at == expected.astimezone(UTC)
    assert [r.status for r in records] == ["sent"] * len(records)
    assert len(records) >= 4


async def test_a_wall_time_in_the_spring_forward_gap_fires_at_the_first_valid_minute(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = world.patient_a1
    before = local(NEW_YORK, 2026, 3, 7, 12, 0)
    await only_mood(
        db, patient, before, daily_mood_at="02:30", quiet_start="00:00", quiet_end="00:00"
    )
    await add_device(db, push_service, patient.user_id, "phone", before)
    plan = await plan_of(db, patient)
    # 02:30 does not exist on 8 March 2026 in New York: clocks jump from 02:00 to 03:00.
    assert plan.next_fire_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    clock = Clock(datetime(2026, 3, 8, 7, 0, 5, tzinfo=UTC))
    await make_tick(clock)()
    assert [s.send_key for s in await sends(db)] == ["mood:2026-03-08"]


async def test_an_unacknowledged_safety_alert_is_pushed_to_the_clinics_clinicians_once(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    for user, name in (
        (world.clinician_a, "doc-a"),
        (world.clinician_a2, "doc-a2"),
        (world.admin_a, "admin-a"),
        (world.clinician_b, "doc-b"),
    ):
        await add_device(db, push_service, user.id, name, now)
    await add_urgent_alert(db, world, now, now + timedelta(hours=1))
    clock = Clock(now + timedelta(minutes=59))
    tick = make_tick(clock)
    await tick()
    assert push_service.received == []
    clock.set(now + timedelta(hours=1, seconds=5))
    await tick()
    clock.set(now + timedelta(hours=2))
    await tick()
    assert sorted(r.device for r in push_service.received) == ["doc-a", "doc-a2"]
    payload = push_service.received[0].payload
    assert payload["kind"] == "alert_escalation" and payload["url"].startswith("/clinic/#/alerts/")
    assert "Patient A1" not in str(payload)  # lock screens show no names
    assert push_service.received[0].headers["urgency"] == "high"
    audit = (
        (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "alert.escalate")))
        .scalars()
        .all()
    )
    assert len(audit) == 1 and audit[0].actor_role == "system"
    assert audit[0].detail["recipients"] == sorted([world.clinician_a.id, world.clinician_a2.id])
    alert = (await db.execute(select(SafetyAlert))).scalars().one()
    await db.refresh(alert)
    assert alert.escalated_at == now + timedelta(hours=1, seconds=5)


async def test_a_dead_instances_claimed_messages_are_sent_by_another_after_the_lease(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 0, 5))
    survivor = make_tick(clock)
    # The first instance plans the reminder, leased to itself to send, then dies before sending.
    async with session_maker(survivor.engine)() as session, session.begin():
        planned = await plan_due_reminders(session, clock.now, claim_for="dead-instance")
    assert len(planned.claimed) == 1
    await survivor()
    assert push_service.received == []
    clock.set(clock.now + LEASE + timedelta(seconds=1))
    await survivor()
    assert len(push_service.received) == 1
    [record] = await sends(db)
    assert (record.status, record.attempts) == ("sent", 2)


async def test_a_queued_message_no_tick_delivered_before_its_day_ended_is_not_sent_late(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 0, 5))
    tick = make_tick(clock)
    # Planned at 20:00, then every instance went down before delivering it.
    async with session_maker(tick.engine)() as session, session.begin():
        await plan_due_reminders(session, clock.now)
    clock.set(local(NEW_YORK, 2026, 11, 27, 0, 30))
    await tick()
    assert push_service.received == []
    assert [(s.send_key, s.status) for s in await sends(db)] == [("mood:2026-11-26", "expired")]


async def test_an_admin_stored_as_on_call_is_not_sent_alerts_they_cannot_open(
    db: AsyncSession, world: World
) -> None:
    # Settings written before the on-call had to be a clinician (admins open no patient record).
    await db.execute(
        update(Clinic)
        .where(col(Clinic.id) == world.clinic_a.id)
        .values(settings={"on_call_user_id": world.admin_a.id})
    )
    await db.commit()
    recipients = await escalation_recipients(db, world.clinic_a.id or 0)
    assert recipients == sorted([world.clinician_a.id, world.clinician_a2.id])


async def test_a_push_service_that_does_not_answer_in_time_is_tried_again_later(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    settings: Settings,
) -> None:
    await phone_with_daily_mood(db, world, push_service)
    push_service.latency = 1.0
    clock = Clock(local(NEW_YORK, 2026, 11, 26, 20, 0, 5))
    engine = create_engine(settings)
    try:
        async with PushSender(load_vapid(settings), timeout_seconds=0.2) as sender:
            tick = ReminderTick(engine, sender, clock=clock)
            await tick()
            [record] = await sends(db)
            assert record.status == "queued" and "Timeout" in (record.last_error or "")
            push_service.latency = 0.0
            clock.set(clock.now + timedelta(seconds=31))
            await tick()
    finally:
        await engine.dispose()
    [record] = await sends(db)
    assert (record.status, record.attempts) == ("sent", 2)
