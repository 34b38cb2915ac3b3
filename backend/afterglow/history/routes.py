"""HTTP for the history import."""

from __future__ import annotations

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import clinicians_only
from afterglow.clock import utcnow
from afterglow.fields import Id
from afterglow.history import schemas
from afterglow.history.service import import_history
from afterglow.http import DB, CurrentViewer
from afterglow.text import decode_client_json


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
    ) -> schemas.ImportResult:
        counts = {
            "checkins": len(data.checkins),
            "infusions": len(data.infusions),
            "events": len(data.events),
        }
        patient = await open_patient(
            db, viewer, patient_id, "history.import", staff_only=True, detail=counts
        )
        result = await import_history(db, patient, data, utcnow(), viewer.user_id)
        await db.commit()
        return result


def parse_import_file(raw: bytes) -> schemas.HistoryImport:
    """The CLI's reading of an import file: the same shape and text cleaning as the HTTP body."""
    return msgspec.convert(decode_client_json(raw), type=schemas.HistoryImport)
