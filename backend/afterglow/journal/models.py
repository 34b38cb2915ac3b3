"""The journal table: one row per entry, holding its latest version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

# How much of the patient's words each answer keeps (longer text is kept cut, never refused).
PROMPT_LIMIT = 2000
TEXT_LIMIT = 10000


class JournalEntry(SQLModel, table=True):
    """A patient's journal entry: private to them unless `shared_at` is set.

    `entry_key` is the UUID the app made when the entry was first written: it names the entry
    in every write, so a phone replaying its outbox stores each version once. `revision` counts
    the versions the app wrote (words, sharing); a write is applied only when it is newer.
    """

    __tablename__ = "journal_entry"
    __table_args__ = (
        # Unique across patients: a key names one entry of one patient, never another's.
        UniqueConstraint("entry_key", name="uq_journal_entry_key"),
        Index("ix_journal_entry_patient_written", "patient_id", "written_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    entry_key: str = Field(max_length=36)
    # The prompts (Afterglow's own words, in the app's catalogue) and the patient's free text.
    stood_out: str | None = Field(default=None, max_length=PROMPT_LIMIT)
    day_after: str | None = Field(default=None, max_length=PROMPT_LIMIT)
    carry_forward: str | None = Field(default=None, max_length=PROMPT_LIMIT)
    text: str | None = Field(default=None, max_length=TEXT_LIMIT)
    written_at: datetime
    received_at: datetime
    # When the words last changed after the first version (sharing is not an edit).
    edited_at: datetime | None = None
    # Shared with the clinic since then; null: private (the default).
    shared_at: datetime | None = None
    revision: int
    # SHA-256 of the stored version as the app sent it, to tell a replay from a different write.
    version_hash: str = Field(max_length=64)
