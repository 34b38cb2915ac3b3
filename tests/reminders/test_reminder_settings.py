"""Reminder schedules through the API: the patient's own, and set by their clinician."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import col

from afterglow.audit.models import AuditEvent
from conftest import Clock, World, add_device
from fake_push_service import FakePushService

SCHEDULE = {
    "daily_mood_at": "19:30",
    "weekly_phq9": {"weekday": 2, "at": "18:00"},
    "weekly_gad7": None,
    "quiet_start": "22:00",
    "quiet_end": "07:30",
    "infusion_nudges": False,
}


async def test_a_new_patient_gets_the_clinical_defaults(make_client, world: World) -> None:
    patient = await make_client("p1@a.test")
    response = await patient.get("/api/me/reminders")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("timezone", "daily_mood_at", "quiet_start", "quiet_end")} == {
        "timezone": "America/New_York",
        "daily_mood_at": "20:00",
        "quiet_start": "21:30",
        "quiet_end": "08:00",
    }
    assert body["weekly_phq9"] == {"weekday": 6, "at": "19:00"}
    assert body["weekly_gad7"] == {"weekday": 6, "at": "19:00"}
    assert body["infusion_nudges"] is True
    assert body["push_devices"] == 0
    assert body["next_reminder"]["url"].startswith("/#/checkin/")


async def test_a_patient_changes_their_schedule_and_sees_the_next_reminder_move(
    make_client, world: World
) -> None:
    patient = await make_client("p1@a.test")
    response = await patient.put("/api/me/reminders", json=SCHEDULE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["daily_mood_at"] == "19:30"
    assert body["weekly_phq9"] == {"weekday": 2, "at": "18:00"}
    assert body["weekly_gad7"] is None
    assert (body["quiet_start"], body["quiet_end"]) == ("22:00", "07:30")
    next_at = datetime.fromisoformat(body["next_reminder"]["fire_at"])
    assert body["next_reminder"]["kind"] in ("daily_mood", "weekly_phq9")
    assert (await patient.get("/api/me/reminders")).json() == body
    local = next_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) in ((19, 30), (18, 0))


async def test_a_reminder_inside_quiet_hours_is_refused_with_the_field_named(
    make_client, world: World
) -> None:
    patient = await make_client("p1@a.test")
    response = await patient.put("/api/me/reminders", json={**SCHEDULE, "daily_mood_at": "23:00"})
    assert response.status_code == 400
    assert "daily_mood_at" in response.json()["detail"]
    assert "quiet hours" in response.json()["detail"]
    unchanged = (await patient.get("/api/me/reminders")).json()
    assert unchanged["daily_mood_at"] == "20:00"


async def test_malformed_times_weekdays_and_zones_are_refused(make_client, world: World) -> None:
    patient = await make_client("p1@a.test")
    for bad in (
        {**SCHEDULE, "daily_mood_at": "8pm"},
        {**SCHEDULE, "weekly_phq9": {"weekday": 7, "at": "18:00"}},
        {**SCHEDULE, "timezone": "EST+5"},
        {**SCHEDULE, "bedtime": "22:00"},
    ):
        response = await patient.put("/api/me/reminders", json=bad)
        assert response.status_code == 400, bad


async def test_a_travelling_patient_moves_their_reminders_to_the_new_zone(
    make_client, world: World
) -> None:
    patient = await make_client("p1@a.test")
    response = await patient.put(
        "/api/me/reminders", json={**SCHEDULE, "timezone": "Asia/Tokyo", "weekly_phq9": None}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "Asia/Tokyo"
    fire_at = datetime.fromisoformat(body["next_reminder"]["fire_at"])
    tokyo = fire_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (tokyo.hour, tokyo.minute) == (19, 30)
    assert (await patient.get("/api/me")).status_code == 200


async def test_a_clinician_sets_a_patients_schedule_and_it_is_audited(
    make_client, world: World, db
) -> None:
    clinician = await make_client("doc@a.test")
    response = await clinician.put(f"/api/patients/{world.patient_a1.id}/reminders", json=SCHEDULE)
    assert response.status_code == 200
    patient = await make_client("p1@a.test")
    assert (await patient.get("/api/me/reminders")).json()["daily_mood_at"] == "19:30"
    actions = (
        (
            await db.execute(
                select(AuditEvent.action).where(col(AuditEvent.patient_id) == world.patient_a1.id)
            )
        )
        .scalars()
        .all()
    )
    assert "reminders.update" in actions


async def test_reminder_schedules_stay_inside_the_clinic(make_client, world: World) -> None:
    other_clinic = await make_client("doc@b.test")
    admin = await make_client("admin@a.test")
    other_patient = await make_client("p2@a.test")
    url = f"/api/patients/{world.patient_a1.id}/reminders"
    assert (await other_clinic.get(url)).status_code == 404
    assert (await other_clinic.put(url, json=SCHEDULE)).status_code == 404
    assert (await admin.get(url)).status_code == 403
    assert (await other_patient.get(url)).status_code == 404
    staff = await make_client("doc@a.test")
    assert (await staff.get("/api/me/reminders")).status_code == 403


async def test_the_clinician_sees_every_send_and_patients_do_not(
    make_client, world: World, db, push_service: FakePushService, make_tick
) -> None:
    await add_device(
        db,
        push_service,
        world.patient_a1.user_id,
        "phone",
        datetime.fromisoformat("2026-11-26T12:00:00-05:00"),
    )
    push_service.answer("phone", 403)
    await make_tick(Clock(datetime.fromisoformat("2026-11-26T20:00:30-05:00")))()
    clinician = await make_client("doc@a.test")
    sends = await clinician.get(f"/api/patients/{world.patient_a1.id}/reminders/sends")
    assert sends.status_code == 200
    [send] = sends.json()
    assert (send["kind"], send["status"], send["last_status"]) == ("daily_mood", "failed", 403)
    assert send["send_key"] == "mood:2026-11-26"
    patient = await make_client("p1@a.test")
    assert (
        await patient.get(f"/api/patients/{world.patient_a1.id}/reminders/sends")
    ).status_code == 403
