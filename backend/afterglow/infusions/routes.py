"""HTTP for infusions and clinical events: clinicians record, patients read their own infusions."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from afterglow.accounts.access import open_patient
from afterglow.clock import utcnow
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer
from afterglow.infusions import schemas
from afterglow.infusions.service import (
    add_event,
    add_infusion,
    apply_infusion_changes,
    event_out,
    find_event,
    find_infusion,
    infusion_changes,
    infusion_out,
    mark_entered_in_error,
    patient_events,
    patient_infusions,
)
from afterglow.relief.service import refresh_patient_relief
from afterglow.reminders.service import replan_patient

INFUSIONS = "/api/patients/{patient_id:int}/infusions"
EVENTS = "/api/patients/{patient_id:int}/events"


class InfusionController(Controller):
    tags = ["Infusions"]

    @post(
        INFUSIONS,
        operation_id="recordInfusion",
        policy="clinic-clinician",
        summary="Record an infusion (clinician)",
        description="`kind` drives the relief analysis: induction, scheduled_booster or symptom_triggered_booster.",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.InfusionCreate],
        db: DB,
        viewer: CurrentViewer,
    ) -> schemas.InfusionOut:
        await open_patient(db, viewer, patient_id, "infusion.create", staff_only=True)
        now = utcnow()
        infusion = await add_infusion(db, patient_id, data, viewer.user_id, now)
        await refresh_patient_relief(db, patient_id, now)
        await replan_patient(db, patient_id, now)
        await db.commit()
        return infusion_out(infusion)

    @get(
        INFUSIONS,
        operation_id="listInfusions",
        policy="own-patient-or-clinic-clinician",
        summary="A patient's infusions, oldest first",
    )
    async def list_infusions(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> list[schemas.InfusionOut]:
        await open_patient(db, viewer, patient_id, "infusions.read")
        infusions = await patient_infusions(db, patient_id)
        await db.commit()
        return [infusion_out(i) for i in infusions]

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
    ) -> schemas.InfusionOut:
        now = utcnow()
        changes = infusion_changes(data, now)
        await open_patient(
            db,
            viewer,
            patient_id,
            "infusion.update",
            staff_only=True,
            detail={"infusion_id": infusion_id, "changes": msgspec.to_builtins(changes)},
        )
        infusion = await find_infusion(db, patient_id, infusion_id)
        apply_infusion_changes(infusion, changes, now)
        await db.flush()
        await refresh_patient_relief(db, patient_id, now)
        await replan_patient(db, patient_id, now)
        await db.commit()
        return infusion_out(infusion)

    @delete(
        INFUSIONS + "/{infusion_id:int}",
        operation_id="deleteInfusion",
        policy="clinic-clinician",
        summary="Remove an infusion entered in error (clinician)",
        description="The record is kept, marked as entered in error, and no longer counts anywhere.",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove(
        self, patient_id: FromPath[Id], infusion_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> None:
        await open_patient(
            db,
            viewer,
            patient_id,
            "infusion.delete",
            staff_only=True,
            detail={"infusion_id": infusion_id},
        )
        infusion = await find_infusion(db, patient_id, infusion_id)
        now = utcnow()
        mark_entered_in_error(infusion, viewer.user_id, now)
        await db.flush()
        await refresh_patient_relief(db, patient_id, now)
        await replan_patient(db, patient_id, now)
        await db.commit()


class EventController(Controller):
    tags = ["Clinical events"]

    @post(
        EVENTS,
        operation_id="recordEvent",
        policy="clinic-clinician",
        summary="Record a clinical event (clinician)",
        description="hospitalisation, suicide_attempt, medication_change or ect_tms_start.",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.EventCreate],
        db: DB,
        viewer: CurrentViewer,
    ) -> schemas.EventOut:
        await open_patient(
            db, viewer, patient_id, "event.create", staff_only=True, detail={"kind": data.kind}
        )
        now = utcnow()
        event = await add_event(db, patient_id, data, viewer.user_id, now)
        await refresh_patient_relief(db, patient_id, now)
        await db.commit()
        return event_out(event)

    @get(
        EVENTS,
        operation_id="listEvents",
        policy="clinic-clinician",
        summary="A patient's clinical events, oldest first",
    )
    async def list_events(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> list[schemas.EventOut]:
        await open_patient(db, viewer, patient_id, "events.read", staff_only=True)
        events = await patient_events(db, patient_id)
        await db.commit()
        return [event_out(e) for e in events]

    @delete(
        EVENTS + "/{event_id:int}",
        operation_id="deleteEvent",
        policy="clinic-clinician",
        summary="Remove a clinical event entered in error (clinician)",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove(
        self, patient_id: FromPath[Id], event_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> None:
        await open_patient(
            db, viewer, patient_id, "event.delete", staff_only=True, detail={"event_id": event_id}
        )
        event = await find_event(db, patient_id, event_id)
        now = utcnow()
        mark_entered_in_error(event, viewer.user_id, now)
        await db.flush()
        await refresh_patient_relief(db, patient_id, now)
        await db.commit()
