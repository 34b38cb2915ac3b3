"""HTTP for check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import patients_only
from afterglow.checkins import schemas
from afterglow.checkins.service import list_checkins, record_checkin
from afterglow.clock import utcnow
from afterglow.errors import aware
from afterglow.http import DB, CurrentViewer


class CheckinController(Controller):
    tags = ["Check-ins"]

    @post(
        "/api/checkins",
        guards=[patients_only],
        operation_id="createCheckin",
        summary="Record a check-in (patient)",
        description=(
            "Send `Idempotency-Key: <uuid>` made by the app for this check-in. 201 when stored; "
            "replaying the same key returns the original result with 200 and stores nothing; the "
            "same key with a different body is refused with 409. When PHQ-9 item 9 is 1 or more the "
            "response carries a `safety` block that the app must show at once."
        ),
        responses={},
    )
    async def create(
        self,
        data: JSONBody[schemas.CheckinCreate],
        db: DB,
        viewer: CurrentViewer,
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[schemas.CheckinOut]:
        assert viewer.patient_id is not None
        recorded = await record_checkin(db, viewer.patient_id, data, idempotency_key, utcnow())
        return Response(
            recorded.checkin, status_code=HTTP_201_CREATED if recorded.created else HTTP_200_OK
        )

    @get(
        "/api/patients/{patient_id:int}/checkins",
        operation_id="listCheckins",
        summary="A patient's check-ins, oldest first",
        description="For the patient themself and their clinic's clinicians (audited).",
    )
    async def list_for_patient(
        self,
        patient_id: FromPath[int],
        db: DB,
        viewer: CurrentViewer,
        instrument: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10000)] = 2000,
    ) -> list[schemas.CheckinOut]:
        await open_patient(
            db, viewer, patient_id, "checkins.read", detail={"instrument": instrument}
        )
        rows = await list_checkins(
            db,
            patient_id,
            instrument=instrument,
            since=aware(since, "since"),
            until=aware(until, "until"),
            limit=limit,
        )
        await db.commit()
        return rows
