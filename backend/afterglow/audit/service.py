"""Writing and reading the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from afterglow.accounts.viewer import Viewer
from afterglow.audit.models import AuditEvent
from afterglow.clock import utcnow


def record_audit(
    db: AsyncSession,
    viewer: Viewer,
    action: str,
    *,
    patient_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the current transaction (committed with the work it describes)."""
    db.add(
        AuditEvent(
            at=utcnow(),
            clinic_id=viewer.clinic_id,
            actor_user_id=viewer.user_id,
            actor_role=viewer.role,
            action=action,
            patient_id=patient_id,
            target=target,
            detail=detail or {},
            address=viewer.address,
        )
    )


def record_operator_audit(
    db: AsyncSession,
    clinic_id: int,
    action: str,
    *,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor_role: str = "operator",
) -> None:
    """Audit work done with no signed-in user: by whoever runs the server from the command line
    (`operator`), or by Afterglow itself (`system`, e.g. escalating an alert)."""
    db.add(
        AuditEvent(
            at=utcnow(),
            clinic_id=clinic_id,
            actor_user_id=None,
            actor_role=actor_role,
            action=action,
            patient_id=patient_id,
            detail=detail or {},
        )
    )


async def audit_trail(
    db: AsyncSession,
    clinic_id: int,
    *,
    patient_id: int | None = None,
    actor_user_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    query = select(AuditEvent).where(col(AuditEvent.clinic_id) == clinic_id)
    if patient_id is not None:
        query = query.where(col(AuditEvent.patient_id) == patient_id)
    if actor_user_id is not None:
        query = query.where(col(AuditEvent.actor_user_id) == actor_user_id)
    if action is not None:
        query = query.where(col(AuditEvent.action) == action)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    rows = await db.execute(query.limit(limit).offset(offset))
    return list(rows.scalars())
