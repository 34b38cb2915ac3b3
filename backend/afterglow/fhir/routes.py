"""HTTP for FHIR: a patient's record as a Bundle, and responses from other systems read back in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import clinicians_only
from afterglow.errors import aware
from afterglow.fhir.bundle import FHIR_JSON, everything_stream, parse_types
from afterglow.fhir.imports import ImportOutcome, import_responses
from afterglow.fhir.outcomes import FHIR_ERRORS, NO_STORE, fhir_errors, fhir_id
from afterglow.http import DB, AppSettings, CurrentViewer, Now

# A whole record exported by Afterglow (years of daily check-ins) comes back in one body.
MAX_IMPORT_BYTES = 32 * 1024 * 1024


class FhirController(Controller):
    tags = ["FHIR"]

    @get(
        "/fhir/Patient/{patient_id:str}/$everything",
        guards=[clinicians_only],
        operation_id="fhirPatientEverything",
        policy="clinic-clinician",
        summary="A patient's whole record as a FHIR R4 Bundle (clinician)",
        description=(
            "A `searchset` Bundle (`application/fhir+json`), streamed: the Patient, Afterglow's "
            "CodeSystem and a Questionnaire per instrument (with the PHQ-9/GAD-7 attribution "
            "in `copyright`), then a QuestionnaireResponse per check-in with the Observations "
            "derived from it, a MedicationAdministration per infusion (with its blood "
            "pressures), clinical events, safety alerts (Flag) and relief episodes. "
            "`_since` keeps what was recorded or changed after that time; `_type` "
            "(comma-separated) keeps those resource types. Audited."
        ),
        media_type=FHIR_JSON,
        exception_handlers=FHIR_ERRORS,
        responses=fhir_errors(
            400,
            401,
            403,
            404,
            described={
                403: "Not a clinician (admins and patients export nothing here).",
                404: "No such patient at your clinic.",
            },
        ),
    )
    async def everything(
        self,
        request: Request[Any, Any, Any],
        patient_id: FromPath[str],
        db: DB,
        viewer: CurrentViewer,
        settings: AppSettings,
        now: Now,
        since: Annotated[datetime | None, QueryParameter(name="_since")] = None,
        resource_types: Annotated[str | None, QueryParameter(name="_type")] = None,
    ) -> Stream:
        record = fhir_id(patient_id, "patient")
        types = parse_types(resource_types)
        since = aware(since, "_since")
        patient = await open_patient(db, viewer, record, "fhir.everything", staff_only=True)
        # The audit row is committed before a byte is sent: the stream reads in sessions of
        # its own, after this request's session has given its connection back.
        await db.commit()
        chunks: AsyncIterator[bytes] = everything_stream(
            request.app.state.engine,
            base=f"{settings.public_url.rstrip('/')}/fhir",
            self_url=str(request.url),
            clinic_id=patient.clinic_id,
            patient_id=record,
            since=since,
            types=types,
            now=now,
        )
        return Stream(chunks, media_type=FHIR_JSON, headers=NO_STORE)

    @post(
        "/fhir/Patient/{patient_id:str}/$import-responses",
        guards=[clinicians_only],
        operation_id="fhirImportResponses",
        policy="clinic-clinician",
        summary="Read check-ins from a FHIR Bundle (clinician)",
        description=(
            "A Bundle of QuestionnaireResponses and Observations, as another system or "
            "Afterglow's own `$everything` writes it. Items are matched by their LOINC (or "
            "Afterglow) codes: through the Questionnaire a response names, which must be in the "
            "Bundle unless it is Afterglow's own, or through the Observations' codes (a panel "
            "with its `hasMember` items). Observations derived from a response in the Bundle "
            "and resources of other types are left out and counted. The history import's rules "
            "hold: all or nothing, importing again adds nothing, and every problem is named by "
            "where it is in the Bundle (`entry[3].resource.item[2].answer[0]`). Refusals are "
            "OperationOutcomes: the first issue says what happened, each further issue names "
            "one problem, where it is in its `expression`. Audited."
        ),
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_IMPORT_BYTES,
        exception_handlers=FHIR_ERRORS,
        responses=fhir_errors(
            400,
            401,
            403,
            404,
            413,
            described={
                400: "Nothing was imported: each problem is an issue, where it is in its "
                "`expression` (`entry[3].resource.item[2].answer[0]`).",
                403: "Not a clinician (admins and patients import nothing here).",
                404: "No such patient at your clinic.",
                413: f"A Bundle over {MAX_IMPORT_BYTES // (1024 * 1024)} MiB: send it in parts.",
            },
        ),
    )
    async def import_bundle(
        self,
        patient_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> ImportOutcome:
        record = fhir_id(patient_id, "patient")
        outcome = await import_responses(db, viewer, record, data, now)
        await db.commit()
        return outcome
