"""HTTP for the clinician's safety alert inbox."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from afterglow.accounts.auth import clinicians_only
from afterglow.alerts.schemas import AlertAck, AlertOut
from afterglow.alerts.service import acknowledge_alert, alert_inbox, view_alert
from afterglow.errors import Conflict
from afterglow.fields import Id, IdFilter, Offset
from afterglow.http import DB, CurrentViewer, Now


class AlertController(Controller):
    path = "/api/alerts"
    tags = ["Safety alerts"]
    guards = [clinicians_only]

    @get(
        "/",
        operation_id="listAlerts",
        policy="clinic-clinician",
        summary="Safety alert inbox",
        description=(
            "Open alerts whose escalation reached nobody first (`delivery: not_delivered`: no "
            "device, no email, or every send failed), then the other open alerts (urgent, then "
            "oldest), then acknowledged ones (newest first) with their notes. Each alert comes "
            "with its escalation history: who was notified when, by push or email, and whether "
            "it got through. One audit row per request names the alerts shown."
        ),
    )
    async def inbox(
        self,
        db: DB,
        viewer: CurrentViewer,
        now: Now,
        status: FromQuery[Literal["open", "acknowledged", "all"]] = "all",
        patient_id: IdFilter = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> list[AlertOut]:
        alerts = await alert_inbox(
            db, viewer, now, status=status, patient_id=patient_id, limit=limit, offset=offset
        )
        await db.commit()
        return alerts

    @get(
        "/{alert_id:int}",
        operation_id="getAlert",
        policy="clinic-clinician",
        summary="One safety alert with its escalation history (audited)",
    )
    async def show(
        self, alert_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> AlertOut:
        alert = await view_alert(db, viewer, alert_id, now)
        await db.commit()
        return alert

    @post(
        "/{alert_id:int}/ack",
        operation_id="acknowledgeAlert",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Acknowledge a safety alert with a note",
        description="Stops escalation. The note says what was done; it is audited.",
        status_code=HTTP_200_OK,
    )
    async def acknowledge(
        self,
        alert_id: FromPath[Id],
        data: JSONBody[AlertAck],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> AlertOut:
        alert = await acknowledge_alert(db, viewer, alert_id, data.note, now)
        await db.commit()
        return alert
