"""The one place that decides who may see a patient, and that audits every staff read or write.

Every route that touches a patient's data goes through `open_patient`. A patient sees only
themself; a clinician only their clinic's patients; an admin manages the clinic (staff,
settings, audit) but does not read clinical data. Someone who may not see a patient gets 404,
so that patient ids of other clinics cannot be probed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_audit
from afterglow.errors import Forbidden, NotFound


def may_see_patient(viewer: Viewer, patient: Patient) -> bool:
    if viewer.role == "patient":
        return viewer.patient_id == patient.id
    if viewer.role == "clinician":
        return viewer.clinic_id == patient.clinic_id
    return False


async def open_patient(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    action: str,
    *,
    staff_only: bool = False,
    detail: dict[str, Any] | None = None,
) -> Patient:
    """Load a patient the viewer may see, and leave an audit row when staff open the record.

    The audit row is added to the request's transaction; the caller commits.
    """
    if viewer.is_admin:
        raise Forbidden("Admins manage the clinic; patient records are open to clinicians only.")
    if staff_only and viewer.is_patient:
        raise Forbidden("Only the clinic's clinicians can do this.")
    patient = await db.get(Patient, patient_id)
    if patient is None or not may_see_patient(viewer, patient):
        raise NotFound(f"No patient {patient_id} that you can see.")
    if not viewer.is_patient:
        record_audit(db, viewer, action, patient_id=patient_id, detail=detail)
    return patient
