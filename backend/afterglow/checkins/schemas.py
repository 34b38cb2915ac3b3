"""Request and response shapes of the check-in API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from afterglow.crisis.schemas import CrisisScreenOut
from afterglow.text import CutsLongText, cut_at

# The patient's own words beside their answers (the side-effect check's "anything else"): never
# a reason to refuse a check-in, so longer text is cut to what the note column holds.
CheckinNote = Annotated[str, cut_at(2000)]


class CheckinCreate(CutsLongText, forbid_unknown_fields=True):
    instrument: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    answers: Annotated[list[int], msgspec.Meta(max_length=50)]
    taken_at: datetime | None = None
    note: CheckinNote | None = None


class SafetyOut(CrisisScreenOut):
    """What the patient must see at once when PHQ-9 item 9 is 1 or more (CLINICAL.md §5): the
    crisis screen, for the country and in the language of the patient."""

    item9: int


class CheckinOut(msgspec.Struct):
    id: int
    patient_id: int
    instrument: str
    answers: list[int]
    score: int | None
    band: str | None
    band_label: str | None
    taken_at: datetime
    received_at: datetime
    note: str | None = None
    safety: SafetyOut | None = None
