"""The check-in table: one row per answered instrument."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from afterglow.record_times import updated_at_field


class CheckIn(SQLModel, table=True):
    __tablename__ = "checkin"
    __table_args__ = (
        # Idempotency: a phone replaying its outbox sends the same key again.
        UniqueConstraint("patient_id", "idempotency_key", name="uq_checkin_patient_key"),
        Index("ix_checkin_patient_instrument_taken", "patient_id", "instrument", "taken_at"),
        # The triage list counts each patient's check-ins of the last 7 days, any instrument.
        Index("ix_checkin_patient_taken", "patient_id", "taken_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    instrument: str = Field(max_length=32)
    answers: list[int] = Field(sa_column=Column(JSON, nullable=False))
    score: int | None = None
    band: str | None = Field(default=None, max_length=32)
    # PHQ-9 item 9 (thoughts of self-harm), kept apart because the safety rules and relapse rules read it.
    item9: int | None = None
    note: str | None = Field(default=None, max_length=2000)
    taken_at: datetime
    received_at: datetime
    idempotency_key: str = Field(max_length=64)
    # SHA-256 of the canonical request, to tell a true replay from a reused key.
    request_hash: str = Field(max_length=64)
    source: str = Field(default="app", max_length=16)  # app | import | demo
    # When the row last changed (exports' `_since`); a check-in is written once, so: received.
    updated_at: datetime = updated_at_field("received_at")
