"""A device whose keys or endpoint cannot be used harms only its own messages.

Devices registered before registration checked keys and endpoints are arranged as rows written
straight into the database; everything else goes through the real tick and the loopback push
service, which decrypts what it receives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.audit.models import AuditEvent
from afterglow.push.models import PushMessage, PushSubscription
from afterglow.push.outbox import LEASE
from afterglow.reminders.schemas import ReminderSettingsIn
from afterglow.reminders.service import change_reminder_settings
from afterglow.worker import ReminderTick
from conftest import Clock, World, add_device, add_urgent_alert
from fake_push_service import FakePushService, b64url

NEW_YORK = ZoneInfo("America/New_York")
Ticks = Callable[[Clock], ReminderTick]
# Right length and prefix for an uncompressed P-256 point, but not a point on the curve.
OFF_CURVE_KEY = b64url(b"\x04" + b"\x01" * 64)


NOON = datetime(2026, 11, 26, 12, 0, tzinfo=NEW_YORK)


def evening(day: int, second: int = 5) -> datetime:
    return datetime(2026, 11, day, 20, 0, second, tzinfo=NEW_YORK)


async def mood_at_eight_in_new_york(db: AsyncSession, patient: Patient) -> None:
    """Just the 20:00 mood reminder, in New York, set at noon (after the devices were added)."""
    settings = ReminderSettingsIn(
        timezone="America/New_York",
        daily_mood_at="20:00",
        weekly_phq9=None,
        weekly_gad7=None,
        infusion_nudges=False,
    )
    await change_reminder_settings(db, patient, settings, NOON)
    await db.commit()


async def add_device_from_before_validation(
    db: AsyncSession,
    service: FakePushService,
    user_id: int | None,
    name: str,
    *,
    p256dh: str | None = None,
    endpoint: str | None = None,
) -> int:
    """A device row as registration stored it before keys and endpoints were checked."""
    assert user_id is not None
    good = service.device(name).subscription()
    device = PushSubscription(
        user_id=user_id,
        endpoint=endpoint or good["endpoint"],
        p256dh=p256dh or good["keys"]["p256dh"],
        auth=good["keys"]["auth"],
        device_label=name,
        created_at=NOON - timedelta(days=30),
    )
    db.add(device)
    await db.commit()
    assert device.id is not None
    return device.id


async def messages_to(db: AsyncSession, user_id: int | None) -> list[PushMessage]:
    await db.commit()  # end the read snapshot: the ticks wrote through other connections
    rows = await db.execute(
        select(PushMessage)
        .where(col(PushMessage.recipient_user_id) == user_id)
        .order_by(col(PushMessage.fire_at))
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def device_row(db: AsyncSession, device_id: int) -> PushSubscription:
    await db.commit()
    device = await db.get(PushSubscription, device_id, populate_existing=True)
    assert device is not None
    return device


async def tick_every_15_seconds(tick: ReminderTick, clock: Clock, until: datetime) -> None:
    while clock.now < until:
        await tick()
        clock.set(clock.now + timedelta(seconds=15))


async def test_one_device_with_an_off_curve_key_does_not_repeat_the_others_notifications(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    # Two patients due a mood reminder at 20:00; A2's only device has an off-curve key.
    await add_device(db, push_service, world.patient_a1.user_id, "phone-a1", NOON)
    bad = await add_device_from_before_validation(
        db, push_service, world.patient_a2.user_id, "phone-a2", p256dh=OFF_CURVE_KEY
    )
    await mood_at_eight_in_new_york(db, world.patient_a1)
    await mood_at_eight_in_new_york(db, world.patient_a2)
    # An item-9 alert escalates in the same tick; one clinician's device is as bad.
    await add_device(db, push_service, world.clinician_a2.id, "doc-a2", NOON)
    await add_device_from_before_validation(
        db, push_service, world.clinician_a.id, "doc-a", p256dh=OFF_CURVE_KEY
    )
    raised = evening(26, 0).astimezone(UTC) - timedelta(hours=1)
    await add_urgent_alert(db, world, raised, evening(26, 0).astimezone(UTC))

    clock = Clock(evening(26))
    # Well past the lease, three times over: a batch that aborted would be sent again.
    await tick_every_15_seconds(make_tick(clock), clock, clock.now + 3 * LEASE + LEASE)

    assert [p["kind"] for p in push_service.payloads("phone-a1")] == ["daily_mood"]
    assert [p["kind"] for p in push_service.payloads("doc-a2")] == ["alert_escalation"]
    assert push_service.payloads("phone-a2") == push_service.payloads("doc-a") == []
    [reminder] = await messages_to(db, world.patient_a2.user_id)
    assert reminder.status == "failed"
    assert f"device {bad}" in (reminder.last_error or "")
    assert "ValueError" in (reminder.last_error or "")
    [escalation] = await messages_to(db, world.clinician_a.id)
    assert escalation.status == "failed" and escalation.last_error
    assert [m.status for m in await messages_to(db, world.patient_a1.user_id)] == ["sent"]


async def test_a_device_whose_endpoint_carries_credentials_does_not_stop_the_batch(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    await add_device(db, push_service, world.patient_a1.user_id, "phone-a1", NOON)
    credentials = push_service.base_url.replace("http://", "http://user:secret@")
    await add_device_from_before_validation(
        db,
        push_service,
        world.patient_a2.user_id,
        "phone-a2",
        endpoint=f"{credentials}/push/phone-a2",
    )
    await mood_at_eight_in_new_york(db, world.patient_a1)
    await mood_at_eight_in_new_york(db, world.patient_a2)
    clock = Clock(evening(26))
    await tick_every_15_seconds(make_tick(clock), clock, clock.now + 3 * LEASE)

    assert [p["kind"] for p in push_service.payloads("phone-a1")] == ["daily_mood"]
    [reminder] = await messages_to(db, world.patient_a2.user_id)
    assert reminder.status == "failed" and reminder.last_error
    assert "secret" not in reminder.last_error


async def test_a_device_that_keeps_failing_is_marked_broken_and_no_longer_tried(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    make_tick: Ticks,
    make_client,
) -> None:
    patient = world.patient_a1
    await add_device(db, push_service, patient.user_id, "phone", NOON)
    tablet = await add_device_from_before_validation(
        db, push_service, patient.user_id, "tablet", p256dh=OFF_CURVE_KEY
    )
    await mood_at_eight_in_new_york(db, patient)
    clock = Clock(evening(26))
    tick = make_tick(clock)
    failures = []
    for day in range(26, 31):
        clock.set(evening(day))
        await tick()
        failures.append((await device_row(db, tablet)).failure_count)

    # Three evenings it failed; from then on it is left out, and the phone still gets each one.
    assert failures == [1, 2, 3, 3, 3]
    assert (await device_row(db, tablet)).broken_at == evening(28).astimezone(UTC)
    assert [p["kind"] for p in push_service.payloads("phone")] == ["daily_mood"] * 5
    assert [m.status for m in await messages_to(db, patient.user_id)] == ["sent"] * 5

    owner = await make_client("p1@a.test")
    listed = {d["device_label"]: d for d in (await owner.get("/api/push/subscriptions")).json()}
    assert listed["tablet"]["broken_at"] is not None
    assert listed["phone"]["broken_at"] is None

    # Turning notifications on again on the tablet (its browser's real keys) repairs it.
    again = await owner.post(
        "/api/push/subscriptions", json=push_service.device("tablet").subscription("tablet")
    )
    assert again.status_code == 200 and again.json()["broken_at"] is None
    clock.set(evening(30) + timedelta(days=1))
    await tick()
    assert [p["kind"] for p in push_service.payloads("tablet")] == ["daily_mood"]
    assert (await device_row(db, tablet)).failure_count == 0


async def test_a_message_whose_outcome_cannot_be_written_does_not_repeat_the_others(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    for patient, name in ((world.patient_a1, "phone-a1"), (world.patient_a2, "phone-a2")):
        await add_device(db, push_service, patient.user_id, name, NOON)
        await mood_at_eight_in_new_york(db, patient)
    # The database refuses to record any outcome of A2's messages (as a row it cannot store).
    refused = world.patient_a2.user_id
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:
        await db.execute(
            text(
                "CREATE FUNCTION refuse_outcome() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'outcome refused'; END $$"
            )
        )
        await db.execute(
            text(
                "CREATE TRIGGER refuse_outcome BEFORE UPDATE ON push_message FOR EACH ROW "
                f"WHEN (NEW.recipient_user_id = {refused} AND NEW.status <> 'queued') "
                "EXECUTE FUNCTION refuse_outcome()"
            )
        )
    else:
        await db.execute(
            text(
                "CREATE TRIGGER refuse_outcome BEFORE UPDATE ON push_message FOR EACH ROW "
                f"WHEN NEW.recipient_user_id = {refused} AND NEW.status <> 'queued' "
                "BEGIN SELECT RAISE(ABORT, 'outcome refused'); END"
            )
        )
    await db.commit()
    try:
        clock = Clock(evening(26))
        await tick_every_15_seconds(make_tick(clock), clock, clock.now + 3 * LEASE)
    finally:
        on_table = " ON push_message" if postgres else ""
        await db.execute(text(f"DROP TRIGGER refuse_outcome{on_table}"))
        if postgres:
            await db.execute(text("DROP FUNCTION refuse_outcome()"))
        await db.commit()

    assert [p["kind"] for p in push_service.payloads("phone-a1")] == ["daily_mood"]
    [reminder] = await messages_to(db, world.patient_a1.user_id)
    assert (reminder.status, reminder.attempts) == ("sent", 1)


async def test_moving_a_device_to_another_account_is_audited(
    make_client, world: World, push_service: FakePushService, db: AsyncSession
) -> None:
    device = push_service.device("family-tablet")
    first = await make_client("p1@a.test")
    second = await make_client("p2@a.test")
    await first.post("/api/push/subscriptions", json=device.subscription())
    again = await first.post("/api/push/subscriptions", json=device.subscription())
    moved = await second.post("/api/push/subscriptions", json=device.subscription())
    assert (again.status_code, moved.status_code) == (200, 201)

    rows = (
        (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "push.device.move")))
        .scalars()
        .all()
    )
    assert len(rows) == 1
    [row] = rows
    assert (row.actor_user_id, row.clinic_id) == (world.patient_a2.user_id, world.clinic_a.id)
    assert row.target == f"push_subscription:{moved.json()['id']}"
    assert row.detail == {"from_user_id": world.patient_a1.user_id}


async def test_a_device_moving_to_another_clinic_is_audited_in_both_without_naming_the_taker(
    make_client, world: World, push_service: FakePushService, db: AsyncSession
) -> None:
    device = push_service.device("kiosk")
    await (await make_client("doc@a.test")).post(
        "/api/push/subscriptions", json=device.subscription()
    )
    moved = await (await make_client("p1@b.test")).post(
        "/api/push/subscriptions", json=device.subscription()
    )
    assert moved.status_code == 201

    rows = (
        (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "push.device.move")))
        .scalars()
        .all()
    )
    by_clinic = {row.clinic_id: row for row in rows}
    assert set(by_clinic) == {world.clinic_a.id, world.clinic_b.id}
    taker = by_clinic[world.clinic_b.id]
    assert (taker.actor_user_id, taker.patient_id) == (
        world.patient_b1.user_id,
        world.patient_b1.id,
    )
    left = by_clinic[world.clinic_a.id]
    assert (left.actor_user_id, left.actor_role) == (None, "system")
    assert left.detail == {"from_user_id": world.clinician_a.id}


async def test_a_patient_whose_only_device_is_broken_is_not_planned_for_and_sees_no_working_device(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    make_tick: Ticks,
    make_client,
) -> None:
    patient = world.patient_a1
    tablet = await add_device_from_before_validation(
        db, push_service, patient.user_id, "tablet", p256dh=OFF_CURVE_KEY
    )
    await mood_at_eight_in_new_york(db, patient)
    clock = Clock(evening(26))
    tick = make_tick(clock)
    for day in range(26, 31):
        clock.set(evening(day))
        await tick()

    assert (await device_row(db, tablet)).broken_at == evening(28).astimezone(UTC)
    # Three failed evenings, then no reminder is queued for a device that cannot take it.
    assert [m.status for m in await messages_to(db, patient.user_id)] == ["failed"] * 3
    owner = await make_client("p1@a.test")
    reminders = (await owner.get("/api/me/reminders")).json()
    assert reminders["push_devices"] == 0
