"""HTTP for the audit trail (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from afterglow.accounts.auth import admins_only
from afterglow.audit.service import audit_trail
from afterglow.errors import aware
from afterglow.fields import IdFilter, Offset
from afterglow.http import DB, CurrentViewer


class AuditEventOut(msgspec.Struct):
    id: int
    at: datetime
    actor_user_id: int | None
    actor_role: str
    action: str
    patient_id: int | None
    target: str | None
    detail: dict[str, Any]
    address: str | None


class AuditController(Controller):
    path = "/api/audit"
    tags = ["Clinic administration"]
    guards = [admins_only]

    @get(
        "/",
        operation_id="listAudit",
        policy="clinic-admin",
        summary="Who read or changed what, newest first",
        description="Filter by patient, actor, action and time. Rows name the record (ids) and "
        "the fields changed, never their content.",
    )
    async def trail(
        self,
        db: DB,
        viewer: CurrentViewer,
        patient_id: IdFilter = None,
        actor_user_id: IdFilter = None,
        action: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Offset = 0,
    ) -> list[AuditEventOut]:
        rows = await audit_trail(
            db,
            viewer.clinic_id,
            patient_id=patient_id,
            actor_user_id=actor_user_id,
            action=action,
            since=aware(since, "since"),
            until=aware(until, "until"),
            limit=limit,
            offset=offset,
        )
        return [
            AuditEventOut(
                id=r.id or 0,
                at=r.at,
                actor_user_id=r.actor_user_id,
                actor_role=r.actor_role,
                action=r.action,
                patient_id=r.patient_id,
                target=r.target,
                detail=r.detail,
                address=r.address,
            )
            for r in rows
        ]
