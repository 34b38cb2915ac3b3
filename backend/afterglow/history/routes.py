"""HTTP for the history import."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from afterglow.accounts.auth import clinicians_only
from afterglow.fields import Id
from afterglow.history import schemas
from afterglow.history.service import import_for_clinician
from afterglow.http import DB, CurrentViewer, Now


class HistoryController(Controller):
    tags = ["Patients"]

    @post(
        "/api/patients/{patient_id:int}/history",
        guards=[clinicians_only],
        operation_id="importHistory",
        policy="clinic-clinician",
        summary="Import a patient's earlier records (clinician)",
        description=(
            "Check-ins (any age), infusions and clinical events from the clinic's previous "
            "records. All or nothing: when any record is invalid the answer is 400 listing each "
            "problem by section, index and field, and nothing is stored. Importing the same "
            "records again adds nothing. A PHQ-9 from the last 14 days with item 9 >= 1 raises "
            "an open safety alert."
        ),
        status_code=HTTP_200_OK,
    )
    async def import_records(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.HistoryImport],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.ImportResult:
        result = await import_for_clinician(db, viewer, patient_id, data, now)
        await db.commit()
        return result
