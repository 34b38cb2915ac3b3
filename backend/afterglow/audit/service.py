"""Writing and reading the audit trail: who did what to which record, and when, never the content.

Admins read the trail but do not open patient records, so a row must not carry what a record
says (a note, a dose, a blood pressure, the kind of a clinical event, an alert's level).

A row's `at` is the real time it was written (`utcnow`), not the app's settable clock: the trail
says when someone really did something, whatever clock a test or a simulation runs the app on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from afterglow.accounts.models import User
from afterglow.accounts.viewer import Viewer
from afterglow.audit.models import AuditEvent
from afterglow.clock import utcnow

# Detail keys that name no clinical content: how many records a list showed or an import brought,
# the staff role or active flag an admin set, which questionnaire was read.
FACT_KEYS = frozenset(
    {"count", "shown", "checkins", "infusions", "events", "role", "is_active", "instrument"}
)


def _is_reference(key: str, value: Any) -> bool:
    if not (key.endswith("_id") or key.endswith("_ids") or key == "recipients"):
        return False
    if isinstance(value, list):
        return all(isinstance(item, int) for item in value)
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _is_fact(key: str, value: Any) -> bool:
    return key in FACT_KEYS and (value is None or isinstance(value, int | bool | str))


def audit_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """What of a writer's detail the trail may keep: record ids, counts and administrative facts.

    A changed record (a mapping such as an infusion's `changes`) is reduced to the names of the
    fields that changed; anything else (notes, kinds, levels, search words) is left out.
    """
    kept: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if _is_reference(key, value) or _is_fact(key, value):
            kept[key] = value
        elif isinstance(value, dict):
            kept[key] = sorted(str(field) for field in value)
    return kept


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
            detail=audit_detail(detail),
            address=viewer.address,
        )
    )


def record_account_audit(
    db: AsyncSession,
    user: User,
    action: str,
    *,
    address: str | None,
    target: str | None = None,
) -> None:
    """Audit what someone did to their own account before they had a session (e.g. using a
    password reset link), as that account."""
    db.add(
        AuditEvent(
            at=utcnow(),
            clinic_id=user.clinic_id,
            actor_user_id=user.id,
            actor_role=user.role,
            action=action,
            target=target,
            address=address,
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
            detail=audit_detail(detail),
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
