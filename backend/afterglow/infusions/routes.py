"""HTTP for infusions and clinical events: clinicians record and correct them or mark them
entered in error (nothing is deleted), patients read their own infusions."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from afterglow.errors import Conflict
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer, Now
from afterglow.infusions import schemas
from afterglow.infusions.kinds import DRUGS, EVENT_KINDS, INFUSION_KINDS, either
from afterglow.infusions.service import (
    correct_event,
    correct_infusion,
    events_of,
    infusions_of,
    mark_event_entered_in_error,
    mark_infusion_entered_in_error,
    record_event,
    record_infusion,
)

INFUSIONS = "/api/patients/{patient_id:int}/infusions"
EVENTS = "/api/patients/{patient_id:int}/events"

CHECKS = (
    "Refused with 400 naming each field to fix: blood pressure outside 60-260 / 30-160 mmHg, a "
    "systolic not above its diastolic, or half a reading; esketamine other than intranasal, in "
    "mg/kg, or other than 28, 56 or 84 mg; racemic ketamine above 3 mg/kg or 500 mg; a dose in mg "
    "and one in mg/kg that together imply a body weight outside 30-250 kg; a time in the future."
)
ENTERED_IN_ERROR = (
    "Nothing is deleted: the record is kept, with who marked it, when and why, and no longer "
    "counts anywhere (relief episodes, outlook, charts, reminders). Lists leave it out unless "
    "asked with `include_entered_in_error=true`. Marking it twice is a 409."
)


class InfusionController(Controller):
    tags = ["Infusions"]

    @post(
        INFUSIONS,
        operation_id="recordInfusion",
        policy="clinic-clinician",
        summary="Record an infusion (clinician)",
        description=f"`kind` drives the relief analysis: {either(INFUSION_KINDS)}. `drug`: "
        f"{either(DRUGS)}. Blood pressure before, at 40 minutes and at discharge. {CHECKS}",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.InfusionCreate],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.InfusionOut:
        infusion = await record_infusion(db, viewer, patient_id, data, now)
        await db.commit()
        return infusion

    @get(
        INFUSIONS,
        operation_id="listInfusions",
        policy="own-patient-or-clinic-clinician",
        summary="A patient's infusions, oldest first",
        description="Those entered in error only with `include_entered_in_error=true`.",
    )
    async def list_infusions(
        self,
        patient_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        include_entered_in_error: FromQuery[bool] = False,
    ) -> list[schemas.InfusionOut]:
        infusions = await infusions_of(
            db, viewer, patient_id, include_entered_in_error=include_entered_in_error
        )
        await db.commit()
        return infusions

    @patch(
        INFUSIONS + "/{infusion_id:int}",
        operation_id="correctInfusion",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Correct an infusion record (clinician)",
        description="Sets the fields sent; `null` clears an optional one. The record says who "
        f"corrected it last; the audit trail names each changed field. {CHECKS} An infusion "
        "marked entered in error cannot be corrected (409).",
    )
    async def update(
        self,
        patient_id: FromPath[Id],
        infusion_id: FromPath[Id],
        data: JSONBody[schemas.InfusionUpdate],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.InfusionOut:
        infusion = await correct_infusion(db, viewer, patient_id, infusion_id, data, now)
        await db.commit()
        return infusion

    @post(
        INFUSIONS + "/{infusion_id:int}/entered-in-error",
        operation_id="markInfusionEnteredInError",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Mark an infusion entered in error (clinician)",
        description=ENTERED_IN_ERROR,
        status_code=HTTP_200_OK,
    )
    async def entered_in_error(
        self,
        patient_id: FromPath[Id],
        infusion_id: FromPath[Id],
        data: JSONBody[schemas.EnteredInErrorIn],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.InfusionOut:
        infusion = await mark_infusion_entered_in_error(
            db, viewer, patient_id, infusion_id, data, now
        )
        await db.commit()
        return infusion


class EventController(Controller):
    tags = ["Clinical events"]

    @post(
        EVENTS,
        operation_id="recordEvent",
        policy="clinic-clinician",
        summary="Record a clinical event (clinician)",
        description=f"{either(EVENT_KINDS)}.",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.EventCreate],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.EventOut:
        event = await record_event(db, viewer, patient_id, data, now)
        await db.commit()
        return event

    @get(
        EVENTS,
        operation_id="listEvents",
        policy="clinic-clinician",
        summary="A patient's clinical events, oldest first",
        description="Those entered in error only with `include_entered_in_error=true`.",
    )
    async def list_events(
        self,
        patient_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        include_entered_in_error: FromQuery[bool] = False,
    ) -> list[schemas.EventOut]:
        events = await events_of(
            db, viewer, patient_id, include_entered_in_error=include_entered_in_error
        )
        await db.commit()
        return events

    @patch(
        EVENTS + "/{event_id:int}",
        operation_id="correctEvent",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Correct a clinical event (clinician)",
        description="Sets the fields sent; `null` clears the notes. The audit trail names each "
        "changed field. An event marked entered in error cannot be corrected (409).",
    )
    async def update(
        self,
        patient_id: FromPath[Id],
        event_id: FromPath[Id],
        data: JSONBody[schemas.EventUpdate],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.EventOut:
        event = await correct_event(db, viewer, patient_id, event_id, data, now)
        await db.commit()
        return event

    @post(
        EVENTS + "/{event_id:int}/entered-in-error",
        operation_id="markEventEnteredInError",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Mark a clinical event entered in error (clinician)",
        description=ENTERED_IN_ERROR,
        status_code=HTTP_200_OK,
    )
    async def entered_in_error(
        self,
        patient_id: FromPath[Id],
        event_id: FromPath[Id],
        data: JSONBody[schemas.EnteredInErrorIn],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.EventOut:
        event = await mark_event_entered_in_error(db, viewer, patient_id, event_id, data, now)
        await db.commit()
        return event
