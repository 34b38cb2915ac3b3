"""HTTP for relief: one patient's episodes and outlook, and the clinic's pooled estimates."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import staff_only
from afterglow.audit.service import record_audit
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer, Now
from afterglow.infusions.schemas import InfusionKind, Route
from afterglow.relief.schemas import ClinicReliefOut, ReliefOut
from afterglow.relief.view import clinic_relief_out, relief_view


class ReliefController(Controller):
    tags = ["Relief"]

    @get(
        "/api/patients/{patient_id:int}/relief",
        operation_id="getRelief",
        policy="own-patient-or-clinic-clinician",
        summary="How long relief lasted after each infusion",
        description=(
            "Relief episodes with every point, threshold and censoring mark used (CLINICAL.md "
            "§3), the patient's Kaplan-Meier estimate, and for the current episode the booster "
            "outlook. Clinicians see the suggested booster window; a patient reading their own "
            "relief gets everything but the window."
        ),
    )
    async def patient_relief(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> ReliefOut:
        patient = await open_patient(db, viewer, patient_id, "relief.read")
        return (await relief_view(db, patient, viewer, now)).relief

    @get(
        "/api/clinic/relief",
        guards=[staff_only],
        operation_id="getClinicRelief",
        policy="clinic-staff",
        summary="The clinic's pooled relief: Kaplan-Meier by route and infusion kind",
        description=(
            "Pooled over every patient's responding episodes, with response and remission rates. "
            "Filter with `route` and `kind`; the breakdowns always cover the whole clinic."
        ),
    )
    async def clinic_relief(
        self,
        db: DB,
        viewer: CurrentViewer,
        now: Now,
        route: FromQuery[Route | None] = None,
        kind: FromQuery[InfusionKind | None] = None,
    ) -> ClinicReliefOut:
        relief = await clinic_relief_out(db, viewer.clinic_id, now, route=route, kind=kind)
        record_audit(db, viewer, "clinic.relief.read")
        await db.commit()
        return relief
