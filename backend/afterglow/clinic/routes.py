"""HTTP for the clinician workspace's reads: a patient's timeline and the clinic's outcomes."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath

from afterglow.accounts.auth import clinicians_only, staff_only
from afterglow.clinic.schemas import ClinicOutcomesOut, TimelineOut
from afterglow.clinic.service import clinic_outcomes, patient_timeline
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer, Now


class WorkspaceController(Controller):
    tags = ["Relief"]

    @get(
        "/api/patients/{patient_id:int}/timeline",
        guards=[clinicians_only],
        operation_id="getPatientTimeline",
        policy="clinic-clinician",
        summary="Everything the patient screen shows, in one audited read",
        description=(
            "Every check-in with its answers, every infusion and clinical event (not those "
            "entered in error), the safety alerts, the relief episodes with the patient's "
            "Kaplan-Meier and booster outlook (as `GET /api/patients/{id}/relief`), the clinic's "
            "pooled Kaplan-Meier beside it, and each charted instrument's range, severity bands "
            "and item wording with the PHQ-9/GAD-7 attribution, and the journal entries the "
            "patient shares with the clinic (never private ones). One audit row (`timeline.read`)."
        ),
    )
    async def timeline(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> TimelineOut:
        return await patient_timeline(db, viewer, patient_id, now)

    @get(
        "/api/clinic/outcomes",
        guards=[staff_only],
        operation_id="getClinicOutcomes",
        policy="clinic-staff",
        summary="The clinic page: pooled relief, response and remission, boosters, completion",
        description=(
            "Pooled relief (Kaplan-Meier) overall and by route and infusion kind with response "
            "and remission rates (as `GET /api/clinic/relief`), days from an infusion to the "
            "booster after it (all boosters and by kind: median and quartiles), and check-in "
            "completion of the last 28 days (daily mood per day, PHQ-9 per week, for active "
            "enrolled patients). Aggregates only; one audit row per request."
        ),
    )
    async def outcomes(self, db: DB, viewer: CurrentViewer, now: Now) -> ClinicOutcomesOut:
        return await clinic_outcomes(db, viewer, now)
