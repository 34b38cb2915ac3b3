"""HTTP for the history import."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK
from litestar.utils.scope.state import ScopeState

from afterglow.accounts.auth import clinicians_only
from afterglow.errors import InvalidInput
from afterglow.fields import Id
from afterglow.history import schemas
from afterglow.history.csv_format import CsvImport, parse_history_csv
from afterglow.history.service import import_for_clinician
from afterglow.http import DB, CurrentViewer, Now

CSV_IMPORT = "csv_import"


async def read_csv_body(request: Request[Any, Any, Any]) -> None:
    """A `text/csv` body is read as Afterglow's CSV layout into the records the JSON body would
    hold, before the body is validated: the same import follows, and its problems are named by
    the CSV's rows and columns."""
    if request.content_type[0] != "text/csv":
        return
    parsed = parse_history_csv(await request.body())
    request.state[CSV_IMPORT] = parsed
    ScopeState.from_scope(request.scope).json = msgspec.to_builtins(parsed.data)


class HistoryController(Controller):
    tags = ["Patients"]

    @post(
        "/api/patients/{patient_id:int}/history",
        guards=[clinicians_only],
        operation_id="importHistory",
        policy="clinic-clinician",
        summary="Import a patient's earlier records (clinician)",
        description=(
            "Check-ins (any age), infusions (drug, doses, blood pressures, lot number, notes, "
            "and whether entered in error) and clinical events from the clinic's previous "
            "records, as JSON or as a CSV in Afterglow's layout (`Content-Type: text/csv`, what "
            "`GET /api/patients/{id}/export.csv` writes; README). All or nothing: when any "
            "record is invalid the answer is 400 listing each problem by section, index and "
            "field (for a CSV, by row and column), and nothing is stored. Importing the same "
            "records again adds nothing, nor does importing a patient's own export back. A "
            "PHQ-9 from the last 14 days with item 9 >= 1 raises an open safety alert."
        ),
        status_code=HTTP_200_OK,
        before_request=read_csv_body,
    )
    async def import_records(
        self,
        request: Request[Any, Any, Any],
        patient_id: FromPath[Id],
        data: JSONBody[schemas.HistoryImport],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.ImportResult:
        try:
            result = await import_for_clinician(db, viewer, patient_id, data, now)
        except InvalidInput as error:
            parsed: CsvImport | None = request.state.get(CSV_IMPORT)
            if parsed is None:
                raise
            raise parsed.rekeyed(error) from None
        await db.commit()
        return result
