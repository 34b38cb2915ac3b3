"""Who may export, and the audit of it: every patient whose record an export covers gets a row,
so that "who has read this patient's record" has the same answer for exports as for screens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.audit.models import AuditEvent
from afterglow.audit.service import audit_detail, record_audit
from afterglow.clock import utcnow
from afterglow.errors import Forbidden, NotFound


def exporter(viewer: Viewer, clinic_id: int | None = None) -> Viewer:
    """The viewer, when they may export the clinic's records: its clinicians (and the API tokens
    they made), never its admins, who manage the clinic without reading patients' records."""
    if not viewer.is_clinician:
        raise Forbidden("Exports of patients' records are for the clinic's clinicians.")
    if clinic_id is not None and clinic_id != viewer.clinic_id:
        raise NotFound(f"No clinic {clinic_id} whose records you can export.")
    return viewer


def by_token(viewer: Viewer, detail: dict[str, Any]) -> dict[str, Any]:
    """An audit detail that names the API token the request came with, if any."""
    return {**detail, "token_id": viewer.token_id} if viewer.token_id is not None else detail


def audit_export(
    db: AsyncSession, viewer: Viewer, action: str, detail: dict[str, Any], patient_id: int | None
) -> None:
    record_audit(db, viewer, action, patient_id=patient_id, detail=by_token(viewer, detail))


async def audit_every_patient(
    db: AsyncSession, viewer: Viewer, action: str, detail: dict[str, Any]
) -> None:
    """One audit row per patient of the viewer's clinic, written by one INSERT ... SELECT (the
    clinic's patients are never loaded), in `db`'s transaction."""
    patients: Any = Patient
    audit: Any = AuditEvent
    rows = select(
        literal(utcnow(), audit.at.type),
        col(patients.clinic_id),
        literal(viewer.user_id),
        literal(viewer.role),
        literal(action),
        col(patients.id),
        literal(audit_detail(by_token(viewer, detail)), JSON),
        literal(viewer.address, audit.address.type),
    ).where(col(patients.clinic_id) == viewer.clinic_id)
    await db.execute(
        insert(AuditEvent).from_select(
            [
                "at",
                "clinic_id",
                "actor_user_id",
                "actor_role",
                "action",
                "patient_id",
                "detail",
                "address",
            ],
            rows,
        )
    )
