"""HTTP for infusions and clinical events: clinicians record, patients read their own infusions."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer, Now
from afterglow.infusions import schemas
from afterglow.infusions.kinds import EVENT_KINDS, INFUSION_KINDS, either
from afterglow.infusions.service import (
    correct_infusion,
    events_of,
    infusions_of,
    record_event,
    record_infusion,
    remove_event,
    remove_infusion,
)

INFUSIONS = "/api/patients/{patient_id:int}/infusions"
EVENTS = "/api/patients/{patient_id:int}/events"


class InfusionController(Controller):
    tags = ["Infusions"]

    @post(
        INFUSIONS,
        operation_id="recordInfusion",
        policy="clinic-clinician",
        summary="Record an infusion (clinician)",
        description=f"`kind` drives the relief analysis: {either(INFUSION_KINDS)}.",
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
    )
    async def list_infusions(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> list[schemas.InfusionOut]:
        infusions = await infusions_of(db, viewer, patient_id)
        await db.commit()
        return infusions

    @patch(
        INFUSIONS + "/{infusion_id:int}",
        operation_id="correctInfusion",
        policy="clinic-clinician",
        summary="Correct an infusion record (clinician)",
        description="The audit trail keeps what was changed.",
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

    @delete(
        INFUSIONS + "/{infusion_id:int}",
        operation_id="deleteInfusion",
        policy="clinic-clinician",
        summary="Remove an infusion entered in error (clinician)",
        description="The record is kept, marked as entered in error, and no longer counts anywhere.",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove(
        self,
        patient_id: FromPath[Id],
        infusion_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> None:
        await remove_infusion(db, viewer, patient_id, infusion_id, now)
        await db.commit()


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
    )
    async def list_events(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> list[schemas.EventOut]:
        events = await events_of(db, viewer, patient_id)
        await db.commit()
        return events

    @delete(
        EVENTS + "/{event_id:int}",
        operation_id="deleteEvent",
        policy="clinic-clinician",
        summary="Remove a clinical event entered in error (clinician)",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove(
        self,
        patient_id: FromPath[Id],
        event_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> None:
        await remove_event(db, viewer, patient_id, event_id, now)
        await db.commit()
