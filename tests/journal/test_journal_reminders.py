"""The journal prompt: the day after each infusion, in the patient's local time, outside quiet
hours, never once an entry was written since the infusion, and off when the patient says so."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.infusions.models import Infusion
from afterglow.journal.schemas import JournalEntryWrite
from afterglow.journal.service import write_entry
from afterglow.push.models import PushMessage
from afterglow.reminders.schedule import (
    CheckinStamp,
    InfusionAnchor,
    ReminderKind,
    ReminderSchedule,
    next_slots,
    satisfied,
)
from afterglow.reminders.schemas import ReminderSettingsIn
from afterglow.reminders.service import change_reminder_settings, replan_patient
from afterglow.worker import ReminderTick
from conftest import ClientFactory, Clock, World, add_device
from fake_push_service import FakePushService

NEW_YORK = ZoneInfo("America/New_York")
NO_QUIET = time(0, 0)
Ticks = Callable[[Clock], ReminderTick]


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)  # type: ignore[misc]


def journal_slots(
    schedule: ReminderSchedule, infusion: InfusionAnchor
) -> list[tuple[str, datetime]]:
    slots = next_slots(
        schedule, [infusion], infusion.given_at, infusion.given_at + timedelta(days=4)
    )
    return [(s.slot_key, s.fire_at) for s in slots if s.kind is ReminderKind.JOURNAL]


def test_the_prompt_comes_the_day_after_an_infusion_an_hour_before_the_check_in_time() -> None:
    schedule = ReminderSchedule("America/New_York", daily_mood_at=time(20, 0), journal_prompts=True)
    infusion = InfusionAnchor(7, local(2026, 11, 26, 10, 0))

    [(key, fire_at)] = journal_slots(schedule, infusion)

    assert key == "journal:infusion-7"
    assert fire_at == local(2026, 11, 27, 19, 0)


def test_a_prompt_that_falls_in_quiet_hours_waits_for_their_end() -> None:
    # Check-in at 08:30 and quiet hours until 08:00: the prompt would be at 07:30.
    schedule = ReminderSchedule("America/New_York", daily_mood_at=time(8, 30), journal_prompts=True)
    infusion = InfusionAnchor(3, local(2026, 11, 26, 11, 0))

    assert journal_slots(schedule, infusion) == [("journal:infusion-3", local(2026, 11, 27, 8, 0))]


def test_a_check_in_just_after_midnight_never_moves_the_prompt_into_the_infusion_day() -> None:
    schedule = ReminderSchedule(
        "America/New_York",
        daily_mood_at=time(0, 30),
        quiet_start=NO_QUIET,
        quiet_end=NO_QUIET,
        journal_prompts=True,
    )
    infusion = InfusionAnchor(4, local(2026, 11, 26, 9, 0))

    assert journal_slots(schedule, infusion) == [("journal:infusion-4", local(2026, 11, 27, 0, 0))]


def test_with_journal_prompts_off_no_prompt_comes() -> None:
    schedule = ReminderSchedule("America/New_York", journal_prompts=False)
    assert journal_slots(schedule, InfusionAnchor(5, local(2026, 11, 26, 10, 0))) == []


def test_an_entry_written_since_the_infusion_answers_the_prompt_and_one_before_does_not() -> None:
    infusion = InfusionAnchor(8, local(2026, 11, 26, 10, 0))

    def answered(written_at: datetime) -> bool:
        stamps = [CheckinStamp("journal", written_at), CheckinStamp("mood", local(2026, 11, 27))]
        return satisfied(ReminderKind.JOURNAL, infusion, stamps, "America/New_York")

    assert answered(local(2026, 11, 26, 18, 0))
    assert not answered(local(2026, 11, 26, 9, 0))


async def _infusion_with_a_phone(
    db: AsyncSession, patient: Patient, service: FakePushService, given_at: datetime
) -> None:
    """Only the journal prompt on (at 19:00, before the usual 20:00 check-in), a phone, an
    infusion."""
    settings = ReminderSettingsIn(
        daily_mood_at=None, weekly_phq9=None, weekly_gad7=None, infusion_nudges=False
    )
    await change_reminder_settings(db, patient, settings, given_at)
    await db.commit()
    await add_device(db, service, patient.user_id, "phone", given_at)
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


async def _sends(db: AsyncSession, patient_id: int) -> list[tuple[str, str, str]]:
    await db.commit()
    rows = await db.scalars(
        select(PushMessage)
        .where(col(PushMessage.patient_id) == patient_id)
        .execution_options(populate_existing=True)
    )
    return [(m.kind, m.send_key, m.status) for m in rows]


async def test_the_tick_sends_the_prompt_in_the_patients_language_and_it_opens_the_journal(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = world.patient_a1
    patient_id = patient.id or 0
    patient.locale = "es-MX"
    await _infusion_with_a_phone(db, patient, push_service, local(2026, 11, 26, 10, 0))
    clock = Clock(local(2026, 11, 27, 18, 59))
    tick = make_tick(clock)
    await tick()
    assert push_service.received == []

    clock.set(local(2026, 11, 27, 19, 0, 5))
    await tick()

    [message] = push_service.received
    assert message.payload["url"] == "/#/journal"
    assert message.payload["kind"] == "journal" and message.payload["lang"] == "es"
    assert message.payload["title"] == "Un momento para su diario"
    assert message.headers["topic"] == "journal"
    assert await _sends(db, patient_id) == [("journal", "journal:infusion-1", "sent")]


async def test_no_prompt_is_sent_when_the_patient_already_wrote_since_the_infusion(
    db: AsyncSession, world: World, push_service: FakePushService, make_tick: Ticks
) -> None:
    patient = world.patient_a1
    patient_id = patient.id or 0
    given_at = local(2026, 11, 26, 10, 0)
    await _infusion_with_a_phone(db, patient, push_service, given_at)
    written_at = local(2026, 11, 26, 21, 0).astimezone(UTC)
    await write_entry(
        db,
        patient_id,
        str(uuid.uuid4()),
        JournalEntryWrite(text="Wrote it that evening.", written_at=written_at),
        written_at,
    )

    await make_tick(Clock(local(2026, 11, 27, 19, 0, 5)))()

    assert push_service.received == []
    assert await _sends(db, patient_id) == [("journal", "journal:infusion-1", "skipped")]


async def test_the_patient_turns_the_prompt_off_and_a_clinicians_change_leaves_it_off(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p1@a.test")
    clinician = await make_client("doc@a.test")
    assert (await patient.get("/api/me/reminders")).json()["journal_prompts"] is True
    schedule = {"daily_mood_at": "19:30", "weekly_phq9": None, "weekly_gad7": None}

    off = await patient.put("/api/me/reminders", json={**schedule, "journal_prompts": False})
    changed = await clinician.put(
        f"/api/patients/{world.patient_a1.id}/reminders",
        json={**schedule, "daily_mood_at": "18:00"},
    )

    assert off.status_code == 200 and off.json()["journal_prompts"] is False
    assert changed.status_code == 200 and changed.json()["journal_prompts"] is False
    assert (await patient.get("/api/me/reminders")).json()["journal_prompts"] is False
    on = await patient.put("/api/me/reminders", json={**schedule, "journal_prompts": True})
    assert on.json()["journal_prompts"] is True
