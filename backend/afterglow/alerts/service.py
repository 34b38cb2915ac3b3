"""Safety alerts from PHQ-9 item 9 (CLINICAL.md §5): raise, list for the inbox, acknowledge.

Nothing here batches or delays an alert: it is written in the same transaction as the check-in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, Patient
from afterglow.accounts.viewer import Viewer
from afterglow.alerts.models import SafetyAlert
from afterglow.alerts.schemas import AlertOut
from afterglow.audit.service import record_audit
from afterglow.derived import changed
from afterglow.errors import NotFound, conflict, invalid

URGENT_FROM_ITEM9 = 2


def alert_level(item9: int) -> str:
    return "urgent" if item9 >= URGENT_FROM_ITEM9 else "warning"


async def raise_safety_alert(
    db: AsyncSession, patient_id: int, checkin_id: int, item9: int, now: datetime
) -> SafetyAlert:
    """Add the alert to the check-in's transaction, with the clinic's acknowledgement window."""
    patient = await db.get(Patient, patient_id)
    assert patient is not None
    clinic = await db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    settings = clinic_settings(clinic.settings)
    level = alert_level(item9)
    hours = settings.urgent_alert_window_hours if level == "urgent" else settings.alert_window_hours
    alert = SafetyAlert(
        clinic_id=patient.clinic_id,
        patient_id=patient_id,
        checkin_id=checkin_id,
        item9=item9,
        level=level,
        created_at=now,
        escalate_at=now + timedelta(hours=hours),
    )
    db.add(alert)
    changed(db, patient_id, "alert", now)
    return alert


def _alert_out(alert: SafetyAlert, patient_name: str, now: datetime) -> AlertOut:
    assert alert.id is not None
    return AlertOut(
        id=alert.id,
        patient_id=alert.patient_id,
        patient_name=patient_name,
        checkin_id=alert.checkin_id,
        item9=alert.item9,
        level=alert.level,
        status=alert.status,
        created_at=alert.created_at,
        escalate_at=alert.escalate_at,
        overdue=alert.status == "open" and alert.escalate_at <= now,
        escalated_at=alert.escalated_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        ack_note=alert.ack_note,
    )


async def alert_inbox(
    db: AsyncSession,
    viewer: Viewer,
    now: datetime,
    *,
    status: Literal["open", "acknowledged", "all"],
    patient_id: int | None,
    limit: int,
    offset: int,
) -> list[AlertOut]:
    """Open alerts first, urgent before warning, oldest first; then acknowledged, newest first.

    Every alert shown is an audited view (the caller commits).
    """
    query: Any = (
        select(SafetyAlert, col(Patient.display_name))
        .join(Patient, col(Patient.id) == col(SafetyAlert.patient_id))
        .where(col(SafetyAlert.clinic_id) == viewer.clinic_id)
    )
    if status != "all":
        query = query.where(col(SafetyAlert.status) == status)
    if patient_id is not None:
        query = query.where(col(SafetyAlert.patient_id) == patient_id)
    is_open = case((col(SafetyAlert.status) == "open", 0), else_=1)
    is_urgent = case((col(SafetyAlert.level) == "urgent", 0), else_=1)
    open_age = case(
        (col(SafetyAlert.status) == "open", col(SafetyAlert.id)), else_=-col(SafetyAlert.id)
    )
    query = query.order_by(is_open, is_urgent, open_age).limit(limit).offset(offset)
    rows = (await db.execute(query)).all()
    alerts = [_alert_out(alert, name, now) for alert, name in rows]
    for alert in alerts:
        record_audit(
            db, viewer, "alert.view", patient_id=alert.patient_id, target=f"alert:{alert.id}"
        )
    return alerts


async def view_alert(db: AsyncSession, viewer: Viewer, alert_id: int, now: datetime) -> AlertOut:
    """One alert of the viewer's clinic, an audited view (the caller commits)."""
    row = (
        await db.execute(
            select(SafetyAlert, col(Patient.display_name))
            .join(Patient, col(Patient.id) == col(SafetyAlert.patient_id))
            .where(col(SafetyAlert.id) == alert_id, col(SafetyAlert.clinic_id) == viewer.clinic_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"No safety alert {alert_id} in your clinic.")
    alert, name = row
    record_audit(db, viewer, "alert.view", patient_id=alert.patient_id, target=f"alert:{alert_id}")
    return _alert_out(alert, name, now)


async def acknowledge_alert(
    db: AsyncSession, viewer: Viewer, alert_id: int, note: str, now: datetime
) -> AlertOut:
    """Acknowledge once: a conditional UPDATE, so two clinicians acking at once cannot both win.
    The caller commits."""
    note = note.strip()
    if not note:
        raise invalid("note", "say what you did (called the patient, safety plan reviewed, ...)")
    alert = await db.get(SafetyAlert, alert_id)
    if alert is None or alert.clinic_id != viewer.clinic_id:
        raise NotFound(f"No safety alert {alert_id} in your clinic.")
    result: Any = await db.execute(
        update(SafetyAlert)
        .where(col(SafetyAlert.id) == alert_id, col(SafetyAlert.status) == "open")
        .values(
            status="acknowledged",
            acknowledged_at=now,
            acknowledged_by=viewer.user_id,
            ack_note=note,
        )
    )
    if result.rowcount != 1:
        await db.rollback()
        raise conflict("This alert was already acknowledged.")
    record_audit(
        db,
        viewer,
        "alert.acknowledge",
        patient_id=alert.patient_id,
        target=f"alert:{alert_id}",
        detail={"note": note},
    )
    changed(db, alert.patient_id, "alert", now)
    await db.refresh(alert)
    return await _alert_with_name(db, alert, now)


async def _alert_with_name(db: AsyncSession, alert: SafetyAlert, now: datetime) -> AlertOut:
    patient = await db.get(Patient, alert.patient_id)
    assert patient is not None
    return _alert_out(alert, patient.display_name, now)
