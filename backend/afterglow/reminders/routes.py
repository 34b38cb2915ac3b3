"""HTTP for reminder schedules (the patient's own, or set by their clinician) and their sends."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from afterglow.accounts.access import open_patient
from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.fields import Id, Offset
from afterglow.http import DB, CurrentViewer, Now
from afterglow.reminders import schemas
from afterglow.reminders.adaptive_service import snooze_extra_checkins
from afterglow.reminders.service import (
    change_reminder_settings,
    patient_sends,
    reminder_plan,
    reminder_settings,
)

SETTINGS_DESCRIPTION = (
    "Daily mood at a local time (null: off), weekly PHQ-9 and GAD-7 on a weekday, quiet hours "
    "(reminders inside them wait for their end), and the reminders anchored to infusions "
    "(side-effect checks at +2 h and +24 h, 14 days of mood nudges, PHQ-9 on day 7 and 14). "
    "Times are the patient's local wall-clock times; a time inside quiet hours is refused."
)


class MyRemindersController(Controller):
    path = "/api/me/reminders"
    tags = ["Reminders"]

    @get("/", operation_id="getMyReminders", policy="own-patient", summary="Your reminder schedule")
    async def show(self, db: DB, viewer: CurrentViewer, now: Now) -> schemas.ReminderSettingsOut:
        patient = await _own_record(db, viewer)
        settings = await reminder_settings(db, patient, now)
        await db.commit()
        return settings

    @put(
        "/",
        operation_id="updateMyReminders",
        policy="own-patient",
        summary="Change your reminder schedule",
        description=SETTINGS_DESCRIPTION,
    )
    async def update(
        self, data: JSONBody[schemas.ReminderSettingsIn], db: DB, viewer: CurrentViewer, now: Now
    ) -> schemas.ReminderSettingsOut:
        patient = await _own_record(db, viewer)
        await change_reminder_settings(db, patient, data, now)
        settings = await reminder_settings(db, patient, now)
        await db.commit()
        return settings

    @post(
        "/snooze",
        operation_id="snoozeExtraCheckins",
        policy="own-patient",
        summary="Pause the extra PHQ-9s for a week",
        description="Adaptive check-ins ask for an extra PHQ-9 when relief may be changing. This "
        "pauses them for 7 days (the weekly PHQ-9 and every other reminder go on); "
        "`extra_checkins.snoozed_until` in the answer says until when.",
        status_code=HTTP_200_OK,
    )
    async def snooze(self, db: DB, viewer: CurrentViewer, now: Now) -> schemas.ReminderSettingsOut:
        return await _snoozed(db, viewer, now, snooze=True)

    @delete(
        "/snooze",
        operation_id="resumeExtraCheckins",
        policy="own-patient",
        summary="Resume the extra PHQ-9s before the week is over",
        status_code=HTTP_200_OK,
    )
    async def resume(self, db: DB, viewer: CurrentViewer, now: Now) -> schemas.ReminderSettingsOut:
        return await _snoozed(db, viewer, now, snooze=False)


class PatientRemindersController(Controller):
    path = "/api/patients/{patient_id:int}/reminders"
    tags = ["Reminders"]

    @get(
        "/",
        operation_id="getPatientReminders",
        policy="own-patient-or-clinic-clinician",
        summary="A patient's reminder schedule",
    )
    async def show(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> schemas.ReminderSettingsOut:
        patient = await open_patient(db, viewer, patient_id, "reminders.read")
        settings = await reminder_settings(db, patient, now)
        await db.commit()
        return settings

    @put(
        "/",
        operation_id="updatePatientReminders",
        policy="own-patient-or-clinic-clinician",
        summary="Set a patient's reminder schedule (audited)",
        description=SETTINGS_DESCRIPTION,
    )
    async def update(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.ReminderSettingsIn],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.ReminderSettingsOut:
        patient = await open_patient(db, viewer, patient_id, "reminders.update")
        await change_reminder_settings(db, patient, data, now)
        settings = await reminder_settings(db, patient, now)
        await db.commit()
        return settings

    @get(
        "/sends",
        operation_id="listReminderSends",
        policy="clinic-clinician",
        summary="Every notification about a patient and what became of it, newest first",
        description=(
            "`status`: queued (waiting to be sent or retried), sent (a device's push service "
            "took it), failed (with the push service's status), expired (its day ended first), "
            "skipped (the check-in was already done). Includes safety alert escalations."
        ),
    )
    async def sends(
        self,
        patient_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> list[schemas.SendOut]:
        await open_patient(db, viewer, patient_id, "reminders.sends.read", staff_only=True)
        sends = await patient_sends(db, patient_id, limit=limit, offset=offset)
        await db.commit()
        return sends


async def _snoozed(
    db: DB, viewer: Viewer, now: Now, *, snooze: bool
) -> schemas.ReminderSettingsOut:
    patient = await _own_record(db, viewer)
    plan = await reminder_plan(db, patient, now)
    await snooze_extra_checkins(db, plan, now, snooze=snooze)
    settings = await reminder_settings(db, patient, now)
    await db.commit()
    return settings


async def _own_record(db: DB, viewer: Viewer) -> Patient:
    if not viewer.is_patient or viewer.patient_id is None:
        raise PermissionDeniedException(
            detail="This is for patients; staff use /api/patients/{id}/reminders."
        )
    return await open_patient(db, viewer, viewer.patient_id, "reminders.read")
