"""Request and response shapes of the history import."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from afterglow.checkins.schemas import CheckinNote
from afterglow.infusions.schemas import EventKind, InfusionCreate, Notes, Reason
from afterglow.text import CutsLongText

MAX_RECORDS = 20_000


class ImportedCheckin(CutsLongText, forbid_unknown_fields=True):
    instrument: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    answers: Annotated[list[int], msgspec.Meta(max_length=50)]
    taken_at: datetime
    note: CheckinNote | None = None


class ImportedEnteredInError(msgspec.Struct, forbid_unknown_fields=True):
    """The record was marked entered in error (in the other system, or in Afterglow's export):
    it is kept for the record and counts nowhere, as in the workspace."""

    at: datetime
    reason: Reason | None = None


class ImportedInfusion(InfusionCreate, forbid_unknown_fields=True):
    """An infusion as the workspace records one, and whether it was entered in error."""

    entered_in_error: ImportedEnteredInError | None = None


class ImportedEvent(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind
    at: datetime
    notes: Notes | None = None
    entered_in_error: ImportedEnteredInError | None = None


class HistoryImport(msgspec.Struct, forbid_unknown_fields=True):
    checkins: Annotated[list[ImportedCheckin], msgspec.Meta(max_length=MAX_RECORDS)] = []
    infusions: Annotated[list[ImportedInfusion], msgspec.Meta(max_length=MAX_RECORDS)] = []
    events: Annotated[list[ImportedEvent], msgspec.Meta(max_length=MAX_RECORDS)] = []


class SectionResult(msgspec.Struct):
    added: int
    already_present: int


class ImportResult(msgspec.Struct):
    checkins: SectionResult
    infusions: SectionResult
    events: SectionResult
    safety_alerts_raised: int
