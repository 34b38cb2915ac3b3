"""Request and response shapes of the journal API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from afterglow.fields import MAX_ID
from afterglow.journal.models import PROMPT_LIMIT, TEXT_LIMIT
from afterglow.text import CutsLongText, cut_at

# The patient's own words: never a reason to refuse an entry, so longer text is kept cut.
PromptAnswer = Annotated[str, cut_at(PROMPT_LIMIT)]
FreeText = Annotated[str, cut_at(TEXT_LIMIT)]


class JournalEntryWrite(CutsLongText, forbid_unknown_fields=True):
    """One version of an entry, whole: every answer is optional, but not all of them.

    `revision` is the app's count of versions of this entry (1 when first written, one more at
    each edit or change of sharing); `written_at` counts only in the first version.
    """

    stood_out: PromptAnswer | None = None
    day_after: PromptAnswer | None = None
    carry_forward: PromptAnswer | None = None
    text: FreeText | None = None
    shared: bool = False
    written_at: datetime | None = None
    revision: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] = 1


class JournalEntryOut(msgspec.Struct):
    """An entry as its author sees it."""

    key: str
    written_at: datetime
    stood_out: str | None
    day_after: str | None
    carry_forward: str | None
    text: str | None
    shared: bool
    shared_at: datetime | None
    edited_at: datetime | None
    revision: int


class SharedJournalEntryOut(msgspec.Struct):
    """An entry the patient shared with the clinic, as clinicians and exports see it."""

    id: int
    written_at: datetime
    stood_out: str | None
    day_after: str | None
    carry_forward: str | None
    text: str | None
    shared_at: datetime
    edited_at: datetime | None
