"""HTTP for the patient's own journal. Clinicians see shared entries on the patient's timeline."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from afterglow.accounts.auth import patients_only
from afterglow.errors import Conflict
from afterglow.fields import Offset
from afterglow.http import DB, CurrentViewer, Now
from afterglow.journal import schemas
from afterglow.journal.service import own_entries, write_entry

EntryKey = Annotated[str, Parameter(min_length=1, max_length=64)]


def _own_patient_id(viewer: CurrentViewer) -> int:
    # patients_only has let only patients in; every patient account has its record.
    assert viewer.patient_id is not None
    return viewer.patient_id


class JournalController(Controller):
    path = "/api/me/journal"
    tags = ["Journal"]
    guards = [patients_only]

    @get(
        "/",
        operation_id="listMyJournal",
        policy="own-patient",
        summary="Your journal, newest first (patients)",
        description=(
            "Every entry you wrote, private and shared. Only you can read this: the clinic sees "
            "an entry only while you share it, on your timeline."
        ),
    )
    async def list_own(
        self,
        db: DB,
        viewer: CurrentViewer,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 200,
        offset: Offset = 0,
    ) -> list[schemas.JournalEntryOut]:
        return await own_entries(db, _own_patient_id(viewer), limit=limit, offset=offset)

    @put(
        "/{entry_key:str}",
        operation_id="writeMyJournalEntry",
        policy="self",
        raises=[Conflict],
        summary="Write a version of one of your journal entries (patients)",
        description=(
            "`entry_key` is a UUID the app made when the entry was first written. The body is "
            "the whole entry: the answers to the prompts and free text (each optional, not all "
            "empty; over-long text is kept cut, never refused), whether it is shared with the "
            "clinic (private unless `shared` is true), and `revision`, the app's count of "
            "versions of the entry. 201 when the entry is new, 200 when a higher revision "
            "replaced it or the same version was sent again (nothing changes); 409 for a "
            "revision older than, or different from, the one stored."
        ),
    )
    async def write(
        self,
        entry_key: FromPath[EntryKey],
        data: JSONBody[schemas.JournalEntryWrite],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> Response[schemas.JournalEntryOut]:
        written = await write_entry(db, _own_patient_id(viewer), entry_key, data, now)
        return Response(
            written.entry, status_code=HTTP_201_CREATED if written.created else HTTP_200_OK
        )
