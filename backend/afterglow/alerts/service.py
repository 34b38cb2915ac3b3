"""Safety alerts from PHQ-9 item 9 (CLINICAL.md §5): raise, list for the inbox with each
escalation's history (who was told, when, by push or email, and whether it got through),
acknowledge.

Nothing here batches or delays an alert: it is written in the same transaction as the check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, and_, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.viewer import Viewer
from afterglow.alerts.email import escalation_push_key, escalation_push_key_of
from afterglow.alerts.models import EscalationEmail, SafetyAlert
from afterglow.alerts.schemas import AlertOut, EscalationOut
from afterglow.audit.service import record_audit
from afterglow.derived import changed
from afterglow.errors import NotFound, conflict, invalid
from afterglow.push.models import PushMessage

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


def delivery_of(alert: SafetyAlert, escalations: list[EscalationOut]) -> str | None:
    """Whether an escalation reached someone: None before it escalated; `delivered` when any
    push or email got through, `sending` while any is still tried, else `not_delivered`."""
    if alert.escalated_at is None:
        return None
    if any(e.status == "sent" for e in escalations):
        return "delivered"
    if any(e.status == "queued" for e in escalations):
        return "sending"
    return "not_delivered"


def not_delivered_sql() -> ColumnElement[bool]:
    """`delivery_of(...) == 'not_delivered'` for an open alert, in SQL, for the inbox's order."""
    trying_or_reached = ("queued", "sent")
    pushed = (
        select(col(PushMessage.id))
        .where(
            col(PushMessage.patient_id) == col(SafetyAlert.patient_id),
            col(PushMessage.kind) == "alert_escalation",
            col(PushMessage.send_key) == escalation_push_key_of(col(SafetyAlert.id)),
            col(PushMessage.status).in_(trying_or_reached),
        )
        .correlate(SafetyAlert)
        .exists()
    )
    emailed = (
        select(col(EscalationEmail.id))
        .where(
            col(EscalationEmail.alert_id) == col(SafetyAlert.id),
            col(EscalationEmail.status).in_(trying_or_reached),
        )
        .correlate(SafetyAlert)
        .exists()
    )
    return and_(
        col(SafetyAlert.status) == "open",
        col(SafetyAlert.escalated_at).is_not(None),
        ~pushed,
        ~emailed,
    )


async def escalation_histories(
    db: AsyncSession, alerts: Sequence[SafetyAlert]
) -> tuple[dict[int, list[EscalationOut]], dict[int, str]]:
    """Who each escalated alert was sent to, by what, and how it went (two queries for a
    page, not two per alert); and the names of the staff involved, by id (acknowledgers too)."""
    escalated = {alert.id: alert for alert in alerts if alert.escalated_at is not None}
    pushes: list[Any] = []
    emails: list[Any] = []
    if escalated:
        keys = {escalation_push_key(alert_id): alert_id for alert_id in escalated if alert_id}
        pushes = list(
            await db.execute(
                select(
                    col(PushMessage.send_key),
                    col(PushMessage.recipient_user_id),
                    col(PushMessage.status),
                    col(PushMessage.created_at),
                    col(PushMessage.sent_at),
                    col(PushMessage.last_error),
                ).where(
                    col(PushMessage.patient_id).in_({a.patient_id for a in escalated.values()}),
                    col(PushMessage.kind) == "alert_escalation",
                    col(PushMessage.send_key).in_(keys),
                )
            )
        )
        emails = list(
            await db.execute(
                select(
                    col(EscalationEmail.alert_id),
                    col(EscalationEmail.recipient_user_id),
                    col(EscalationEmail.status),
                    col(EscalationEmail.created_at),
                    col(EscalationEmail.sent_at),
                    col(EscalationEmail.last_error),
                    col(EscalationEmail.reason),
                ).where(col(EscalationEmail.alert_id).in_(list(escalated)))
            )
        )
    user_ids = {row[1] for row in pushes} | {row[1] for row in emails}
    user_ids |= {a.acknowledged_by for a in alerts if a.acknowledged_by is not None}
    names: dict[int, str] = {}
    if user_ids:
        names = {
            cast(int, user_id): name
            for user_id, name in await db.execute(
                select(col(User.id), col(User.display_name)).where(col(User.id).in_(user_ids))
            )
        }
    histories: dict[int, list[EscalationOut]] = {alert_id: [] for alert_id in escalated if alert_id}
    for key, user_id, status, queued_at, sent_at, error in pushes:
        histories[keys[key]].append(
            EscalationOut(
                user_id, names.get(user_id, "?"), "push", status, queued_at, sent_at, error
            )
        )
    for alert_id, user_id, status, queued_at, sent_at, error, reason in emails:
        histories[alert_id].append(
            EscalationOut(
                user_id, names.get(user_id, "?"), "email", status, queued_at, sent_at, error, reason
            )
        )
    for history in histories.values():
        history.sort(key=lambda e: (e.queued_at, e.channel != "push", e.recipient_name))
    return histories, names


async def alerts_out(
    db: AsyncSession, rows: Sequence[tuple[SafetyAlert, str]], now: datetime
) -> list[AlertOut]:
    histories, names = await escalation_histories(db, [alert for alert, _ in rows])
    out = []
    for alert, patient_name in rows:
        assert alert.id is not None
        escalations = histories.get(alert.id, [])
        out.append(
            AlertOut(
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
                delivery=cast(Any, delivery_of(alert, escalations)),
                escalations=escalations,
                acknowledged_at=alert.acknowledged_at,
                acknowledged_by=alert.acknowledged_by,
                acknowledged_by_name=(
                    names.get(alert.acknowledged_by) if alert.acknowledged_by else None
                ),
                ack_note=alert.ack_note,
            )
        )
    return out


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
    """Open alerts whose escalation reached nobody first; then the other open ones, urgent
    before warning, oldest first; then acknowledged ones, newest first, with their notes.

    The list is one audited view, naming every alert and patient it showed (the caller commits).
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
    not_delivered = case((not_delivered_sql(), 0), else_=1)
    is_open = case((col(SafetyAlert.status) == "open", 0), else_=1)
    is_urgent = case((col(SafetyAlert.level) == "urgent", 0), else_=1)
    open_age = case(
        (col(SafetyAlert.status) == "open", col(SafetyAlert.id)), else_=-col(SafetyAlert.id)
    )
    query = query.order_by(not_delivered, is_open, is_urgent, open_age).limit(limit).offset(offset)
    rows = [(alert, name) for alert, name in (await db.execute(query)).all()]
    alerts = await alerts_out(db, rows, now)
    record_audit(
        db,
        viewer,
        "alerts.list",
        detail={
            "alert_ids": [alert.id for alert in alerts],
            "patient_ids": sorted({alert.patient_id for alert in alerts}),
            "shown": len(alerts),
        },
    )
    return alerts


async def view_alert(db: AsyncSession, viewer: Viewer, alert_id: int, now: datetime) -> AlertOut:
    """One alert of the viewer's clinic, with its escalation history; an audited view (the
    caller commits)."""
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
    return (await alerts_out(db, [(alert, name)], now))[0]


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
            updated_at=now,
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
    return (await alerts_out(db, [(alert, patient.display_name)], now))[0]
