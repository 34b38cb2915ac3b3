"""HTTP for exports: FHIR Bulk Data (kick-off, status, files, cancel), the clinic's exports as
the workspace lists them, and the API tokens integrations call exports with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from email.utils import format_datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import clinicians_only, staff_only
from afterglow.errors import NotFound, aware, invalid
from afterglow.exports import schemas
from afterglow.exports.access import audit_every_patient, audit_export, by_token, exporter
from afterglow.exports.bulk import (
    RETRY_AFTER,
    BulkRequest,
    bulk_types,
    cancel_export,
    clinic_exports,
    job_files,
    live_job,
    manifest,
    output_format,
    progress,
    start_export,
    status_url,
)
from afterglow.exports.csv_export import clinic_csv, patient_csv
from afterglow.exports.storage import ERROR, file_chunks
from afterglow.exports.tokens import API_TOKENS, clinic_tokens, create_token, revoke_token
from afterglow.fhir.bundle import FHIR_JSON
from afterglow.fhir.outcomes import (
    FHIR_ERRORS,
    NO_STORE,
    fhir_errors,
    fhir_id,
    operation_outcome,
    outcome_response,
)
from afterglow.fields import Id
from afterglow.http import DB, AppSettings, CurrentViewer, Now

NDJSON = "application/fhir+ndjson"
# FHIR paths take any text, so that whatever a client sends is answered in FHIR's way (an
# OperationOutcome), not by the router's plain 404.
JOB = "/fhir/bulk-export/{job_id:str}"


# Parameters of the Bulk Data kick-off that Afterglow does not offer: refused by name, unless
# the client says `Prefer: handling=lenient`.
UNSUPPORTED = ("_elements", "patient", "_typeFilter", "includeAssociatedData")
TOKENS = (
    " An integration may call it with an API token (`Authorization: Bearer <token>`, no cookie, "
    "no CSRF header)."
)


def _base(settings: Any) -> str:
    return str(settings.public_url).rstrip("/")


def _prefers(request: Request[Any, Any, Any]) -> set[str]:
    return {
        part.strip().lower()
        for value in request.headers.getall("prefer", [])
        for part in value.split(",")
        if part.strip()
    }


def _kickoff_headers(request: Request[Any, Any, Any], lenient: bool) -> None:
    if "respond-async" not in _prefers(request):
        raise invalid("Prefer", "send `Prefer: respond-async`: a Bulk Data export is asynchronous")
    accept = request.headers.get("accept")
    if accept and not any(
        kind.split(";")[0].strip() in ("*/*", "application/*", FHIR_JSON, "application/json")
        for kind in accept.split(",")
    ):
        raise invalid("Accept", f"answers are {FHIR_JSON}; accept it (or leave Accept out)")
    if lenient:
        return
    asked = sorted(name for name in UNSUPPORTED if name in request.query_params)
    if asked:
        raise invalid(
            asked[0],
            f"{', '.join(asked)} is not supported; leave it out, or send "
            "`Prefer: handling=lenient` to have it ignored",
        )


class BulkExportController(Controller):
    tags = ["FHIR Bulk Data"]
    exception_handlers = FHIR_ERRORS

    @get(
        "/fhir/Group/{clinic_id:str}/$export",
        guards=[clinicians_only],
        opt=API_TOKENS,
        operation_id="fhirGroupExport",
        policy="clinic-clinician",
        raises=[TooManyRequestsException],
        summary="Start a FHIR Bulk Data export of the clinic (clinician or API token)",
        description=(
            "FHIR Bulk Data Access 2.0 kick-off for the clinic's Group (its id is the clinic's "
            "id, `clinic_id` in `GET /api/me`): every patient of the clinic. Send "
            "`Prefer: respond-async`. Answers 202 with `Content-Location`: poll it (202 with "
            "`X-Progress` and `Retry-After` while the export runs, then 200 with the manifest), "
            "DELETE it to cancel. `_type` (comma-separated or repeated) keeps those resource "
            "types; `_since` (an instant with its offset) keeps what was recorded or changed "
            "after it; `_outputFormat` may only be NDJSON. `_elements`, `patient`, "
            "`_typeFilter` and `includeAssociatedData` are refused unless "
            "`Prefer: handling=lenient`. At most 2 exports of a clinic run at once (else 429 "
            "with Retry-After). Audited for every patient." + TOKENS
        ),
        status_code=HTTP_202_ACCEPTED,
        media_type=FHIR_JSON,
        responses=fhir_errors(400, 401, 403, 404, 429),
    )
    async def kick_off(
        self,
        request: Request[Any, Any, Any],
        clinic_id: FromPath[str],
        db: DB,
        viewer: CurrentViewer,
        settings: AppSettings,
        now: Now,
        resource_types: Annotated[list[str] | None, QueryParameter(name="_type")] = None,
        since: Annotated[datetime | None, QueryParameter(name="_since")] = None,
        output: Annotated[str | None, QueryParameter(name="_outputFormat")] = None,
    ) -> Response[dict[str, Any]]:
        # Another clinic's Group is not found, whatever the request says.
        group = fhir_id(clinic_id, "Group")
        exporter(viewer, group)
        _kickoff_headers(request, "handling=lenient" in _prefers(request))
        output_format(output)
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = f"{_base(settings)}{request.url.path}" + (f"?{query}" if query else "")
        job = await start_export(
            db,
            viewer,
            group,
            BulkRequest(url, bulk_types(resource_types or []), aware(since, "_since")),
            now,
        )
        await db.commit()
        assert job.id is not None
        return outcome_response(
            HTTP_202_ACCEPTED,
            operation_outcome(f"Export {job.id} is queued; poll its Content-Location."),
            {"Content-Location": status_url(_base(settings), job.id)},
        )

    @get(
        JOB,
        guards=[clinicians_only],
        opt=API_TOKENS,
        operation_id="fhirBulkExportStatus",
        policy="clinic-clinician",
        summary="A Bulk Data export's status, then its manifest",
        description=(
            "202 with `X-Progress` and `Retry-After` while it waits or runs; 200 with the "
            "manifest (`transactionTime`, `request`, `requiresAccessToken`, `output` of "
            "`{type, url, count}`, `error`) and `Expires` once done; 500 with an "
            "OperationOutcome if it failed; 404 once cancelled or expired. An API token sees "
            "only the exports it started." + TOKENS
        ),
        responses={
            202: ResponseSpec(
                None, description="Waiting or running: see X-Progress, poll after Retry-After."
            ),
            **fhir_errors(400, 401, 403, 404, 500),
        },
    )
    async def status(
        self, job_id: FromPath[str], db: DB, viewer: CurrentViewer, settings: AppSettings
    ) -> Response[Any]:
        job = await live_job(db, viewer, fhir_id(job_id, "export"))
        wait = {"Retry-After": str(int(RETRY_AFTER.total_seconds()))}
        if job.status in ("queued", "running"):
            return Response(
                b"",
                status_code=HTTP_202_ACCEPTED,
                headers={**NO_STORE, **wait, "X-Progress": progress(job)},
            )
        if job.status == "failed":
            return outcome_response(
                500,
                operation_outcome(
                    f"The export failed ({job.error or 'no reason recorded'}); start a new one.",
                    code="exception",
                    severity="error",
                ),
            )
        files = await job_files(db, job.id or 0)
        expires = (
            {"Expires": format_datetime(job.expires_at, usegmt=True)} if job.expires_at else {}
        )
        return Response(
            manifest(job, files, _base(settings)),
            media_type="application/json",
            headers={**NO_STORE, **expires},
        )

    @delete(
        JOB,
        guards=[clinicians_only],
        opt=API_TOKENS,
        operation_id="fhirBulkExportCancel",
        policy="clinic-clinician",
        summary="Cancel a Bulk Data export, or let its files go",
        description=(
            "A running export stops; a finished one's files are deleted at once. Either way "
            "it answers 202, and the status and files answer 404 from then on." + TOKENS
        ),
        status_code=HTTP_202_ACCEPTED,
        media_type=FHIR_JSON,
        responses=fhir_errors(400, 401, 403, 404),
    )
    async def cancel(
        self, job_id: FromPath[str], db: DB, viewer: CurrentViewer, now: Now
    ) -> Response[dict[str, Any]]:
        cancelled = fhir_id(job_id, "export")
        await cancel_export(db, viewer, cancelled, now)
        await db.commit()
        return outcome_response(
            HTTP_202_ACCEPTED, operation_outcome(f"Export {cancelled} is cancelled.")
        )

    @get(
        JOB + "/files/{file_id:str}",
        guards=[clinicians_only],
        opt=API_TOKENS,
        operation_id="fhirBulkExportFile",
        policy="clinic-clinician",
        summary="One NDJSON file of a finished Bulk Data export",
        description=("`application/fhir+ndjson`, one resource a line, streamed. Audited." + TOKENS),
        media_type=NDJSON,
        responses=fhir_errors(400, 401, 403, 404),
    )
    async def file(
        self,
        request: Request[Any, Any, Any],
        job_id: FromPath[str],
        file_id: FromPath[str],
        db: DB,
        viewer: CurrentViewer,
    ) -> Stream:
        job = await live_job(db, viewer, fhir_id(job_id, "export"))
        wanted = fhir_id(file_id, "file")
        stored = next((f for f in await job_files(db, job.id or 0) if f.id == wanted), None)
        if job.status != "completed" or stored is None:
            raise NotFound(f"No file {wanted} of a finished export {job.id}.")
        audit_export(
            db, viewer, "export.bulk.download", {"job_id": job.id, "file_id": wanted}, None
        )
        # Committed before a byte is sent; the chunks are read in sessions of their own.
        await db.commit()
        name = "errors" if stored.kind == ERROR else stored.resource_type
        chunks: AsyncIterator[bytes] = file_chunks(request.app.state.engine, wanted, stored.chunks)
        return Stream(
            chunks,
            media_type=NDJSON,
            headers={
                **NO_STORE,
                "Content-Disposition": f'attachment; filename="export-{job.id}-{name}.ndjson"',
            },
        )


CSV = "text/csv; charset=utf-8"
CSV_LAYOUT = (
    " In Afterglow's CSV layout (README: one row per record, `record` saying its kind; every "
    "item answer; times with their offset in the patient's zone), streamed; the history import "
    "reads it back (`POST /api/patients/{id}/history` with `Content-Type: text/csv`). Audited."
)


class ExportsController(Controller):
    tags = ["Exports"]

    @get(
        "/api/patients/{patient_id:int}/export.csv",
        guards=[clinicians_only],
        opt=API_TOKENS,
        operation_id="exportPatientCsv",
        policy="clinic-clinician",
        summary="A patient's record as CSV (clinician or API token)",
        description=(
            "Check-ins with every item answer, infusions (entered in error too, marked), "
            "clinical events, relief episodes." + CSV_LAYOUT + TOKENS
        ),
        responses={200: ResponseSpec(str, description="The CSV file.", media_type=CSV)},
    )
    async def export_patient_csv(
        self,
        request: Request[Any, Any, Any],
        patient_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> Stream:
        patient = await open_patient(
            db, viewer, patient_id, "export.csv", staff_only=True, detail=by_token(viewer, {})
        )
        # Committed before a byte is sent; the rows are read in sessions of their own.
        await db.commit()
        return Stream(
            patient_csv(request.app.state.engine, patient.clinic_id, patient_id, now),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="patient-{patient_id}.csv"'},
        )

    @get(
        "/api/clinic/export.csv",
        guards=[clinicians_only],
        opt=API_TOKENS,
        operation_id="exportClinicCsv",
        policy="clinic-clinician",
        summary="Every patient's record as CSV (clinician or API token)",
        description="The patients one after another, by id." + CSV_LAYOUT + TOKENS,
        responses={200: ResponseSpec(str, description="The CSV file.", media_type=CSV)},
    )
    async def export_clinic_csv(
        self, request: Request[Any, Any, Any], db: DB, viewer: CurrentViewer, now: Now
    ) -> Stream:
        exporter(viewer)
        audit_export(db, viewer, "export.csv.clinic", {}, None)
        await audit_every_patient(db, viewer, "export.csv", {})
        await db.commit()
        return Stream(
            clinic_csv(request.app.state.engine, viewer.clinic_id, now),
            media_type=CSV,
            headers={"Content-Disposition": 'attachment; filename="clinic.csv"'},
        )

    @get(
        "/api/clinic/exports",
        guards=[clinicians_only],
        operation_id="listExports",
        policy="clinic-clinician",
        summary="The clinic's latest Bulk Data exports (clinician)",
        description="Newest first, with progress and, once finished, their files' links.",
    )
    async def list_exports(
        self, db: DB, viewer: CurrentViewer, settings: AppSettings
    ) -> list[schemas.ExportJobOut]:
        return await clinic_exports(db, viewer, _base(settings))

    @get(
        "/api/clinic/api-tokens",
        guards=[staff_only],
        operation_id="listApiTokens",
        policy="clinic-staff",
        summary="The clinic's API tokens (staff)",
        description="Newest first, revoked ones too; never the tokens themselves.",
    )
    async def list_tokens(self, db: DB, viewer: CurrentViewer) -> list[schemas.ApiTokenOut]:
        return await clinic_tokens(db, viewer)

    @post(
        "/api/clinic/api-tokens",
        guards=[clinicians_only],
        operation_id="createApiToken",
        policy="clinic-clinician",
        summary="Make an API token for an integration (clinician)",
        description=(
            "The answer holds the token, this once: the other system sends it as "
            "`Authorization: Bearer <token>` to the export routes (Bulk Data and CSV), and to "
            "nothing else. It acts as you; it stops working when revoked, when "
            "`expires_in_days` have passed, or when your account is deactivated. Audited."
        ),
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        data: JSONBody[schemas.ApiTokenCreate],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.ApiTokenCreated:
        created = await create_token(db, viewer, data, now)
        await db.commit()
        return created

    @delete(
        "/api/clinic/api-tokens/{token_id:int}",
        guards=[staff_only],
        operation_id="revokeApiToken",
        policy="clinic-staff",
        summary="Revoke an API token (staff)",
        description="It stops working at once; the row stays, saying who revoked it. Audited.",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def revoke(self, token_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now) -> None:
        await revoke_token(db, viewer, token_id, now)
        await db.commit()
