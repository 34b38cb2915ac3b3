"""HTTP for relief: one patient's episodes and outlook, and the clinic's pooled estimates."""

from __future__ import annotations

from typing import get_args

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import staff_only
from afterglow.audit.service import record_audit
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer, Now
from afterglow.infusions.schemas import InfusionKind, Route
from afterglow.relief import booster_outlook
from afterglow.relief.facts import INFUSION_KINDS
from afterglow.relief.schemas import ClinicReliefOut, OutlookOut, ReliefOut
from afterglow.relief.service import (
    clinic_thresholds,
    current_episode,
    moods_since,
    patient_km,
    pooled_relief,
    rederive_stale,
    relief_now,
)


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
        thresholds = await clinic_thresholds(db, patient.clinic_id)
        relief = await relief_now(db, patient_id, now, thresholds)
        episodes = relief.episodes
        own = patient_km(episodes, thresholds)
        current = current_episode(episodes)
        pooled = None
        if current is not None and own.events < thresholds.min_events_for_median:
            await rederive_stale(db, patient.clinic_id, now)
            pooled = (await pooled_relief(db, patient.clinic_id, thresholds)).km
        moods = await moods_since(db, patient_id, current.start if current else None)
        # Commit (the audit row) and give the connection back before the analysis runs.
        await db.commit()
        outlook: OutlookOut | None = None
        if current is not None:
            full = booster_outlook(
                current,
                episodes,
                own,
                pooled,
                now,
                moods,
                patient.timezone,
                thresholds,
                stale_after=relief.stale_after,
            )
            outlook = OutlookOut.for_viewer(full, clinician=viewer.is_clinician)
        return ReliefOut(
            patient_id=patient_id,
            generated_at=now,
            thresholds=thresholds,
            episodes=episodes,
            km=own,
            km_summary=own.summary(),
            outlook=outlook,
        )

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
        thresholds = await clinic_thresholds(db, viewer.clinic_id)
        clinic = viewer.clinic_id
        await rederive_stale(db, clinic, now)
        overall = await pooled_relief(db, clinic, thresholds, route=route, kind=kind)
        by_route = [await pooled_relief(db, clinic, thresholds, route=r) for r in get_args(Route)]
        by_kind = [await pooled_relief(db, clinic, thresholds, kind=k) for k in INFUSION_KINDS]
        record_audit(db, viewer, "clinic.relief.read")
        await db.commit()
        return ClinicReliefOut(
            generated_at=now,
            thresholds=thresholds,
            overall=overall,
            overall_summary=overall.km.summary(),
            by_route=[p for p in by_route if p.episodes],
            by_kind=[p for p in by_kind if p.episodes],
        )
