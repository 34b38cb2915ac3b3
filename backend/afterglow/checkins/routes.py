"""HTTP for check-ins."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import PUBLIC, client_address
from afterglow.accounts.sessions import SESSION_COOKIE
from afterglow.checkins import schemas
from afterglow.checkins.service import list_checkins, prepare_checkin, record_for_session
from afterglow.crisis.screen import PHONE_ZONE_HEADER
from afterglow.errors import Conflict, NotSignedIn, aware
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer
from afterglow.settings import Settings
from afterglow.unit_of_work import run_unit


class CheckinController(Controller):
    tags = ["Check-ins"]

    @post(
        "/api/checkins",
        # Signs the patient in itself, in the check-in's own unit of work (record_for_session).
        opt=PUBLIC,
        operation_id="createCheckin",
        raises=[Conflict],
        policy="own-patient",
        summary="Record a check-in (patient)",
        description=(
            "Send `Idempotency-Key: <uuid>` made by the app for this check-in. 201 when stored; "
            "replaying the same key returns the original result with 200 and stores nothing; the "
            "same key with a different body is refused with 409. When PHQ-9 item 9 is 1 or more the "
            "response carries a `safety` block that the app must show at once: the crisis screen "
            "for the patient's country, with the emergency number of the country the phone is in "
            "when the app sends its time zone (`X-Time-Zone`, an IANA name) and that is elsewhere."
        ),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.CheckinCreate],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
        phone_zone: Annotated[str | None, HeaderParameter(name=PHONE_ZONE_HEADER)] = None,
    ) -> Response[schemas.CheckinOut]:
        # No injected dependencies here: on the hot path each costs more than the insert.
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotSignedIn("Sign in first.")
        state = request.app.state
        settings: Settings = state.settings
        now = state.clock.now()
        prepared = prepare_checkin(data, idempotency_key, now, phone_zone)
        address = client_address(request, settings)
        recorded = await run_unit(
            state.engine,
            partial(
                record_for_session,
                settings=settings,
                token=token,
                address=address,
                prepared=prepared,
                now=now,
            ),
        )
        return Response(
            recorded.checkin, status_code=HTTP_201_CREATED if recorded.created else HTTP_200_OK
        )

    @get(
        "/api/patients/{patient_id:int}/checkins",
        operation_id="listCheckins",
        policy="own-patient-or-clinic-clinician",
        summary="A patient's check-ins, oldest first",
        description="For the patient themself and their clinic's clinicians (audited).",
    )
    async def list_for_patient(
        self,
        patient_id: FromPath[Id],
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
