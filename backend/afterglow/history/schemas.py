"""Request and response shapes of the history import."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from afterglow.checkins.schemas import CheckinNote
from afterglow.infusions.schemas import DoseMg, DosePerKg, EventKind, InfusionKind, Notes, Route
from afterglow.text import CutsLongText

MAX_RECORDS = 20_000


class ImportedCheckin(CutsLongText, forbid_unknown_fields=True):
    instrument: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    answers: Annotated[list[int], msgspec.Meta(max_length=50)]
    taken_at: datetime
    note: CheckinNote | None = None


class ImportedInfusion(msgspec.Struct, forbid_unknown_fields=True):
    given_at: datetime
    route: Route
    kind: InfusionKind
    dose_mg_per_kg: DosePerKg | None = None
    dose_mg: DoseMg | None = None
    notes: Notes | None = None


class ImportedEvent(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind
    at: datetime
    notes: Notes | None = None


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
