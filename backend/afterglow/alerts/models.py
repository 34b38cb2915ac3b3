"""The safety alert table (CLINICAL.md §5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class SafetyAlert(SQLModel, table=True):
    __tablename__ = "safety_alert"
    __table_args__ = (
        Index("ix_safety_alert_clinic_status", "clinic_id", "status", "created_at"),
        # The tick looks for open alerts whose window has run out.
        Index("ix_safety_alert_escalation", "status", "escalate_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    checkin_id: int = Field(foreign_key="checkin.id", unique=True)
    item9: int
    level: str = Field(max_length=16)  # urgent (item 9 >= 2) | warning
    status: str = Field(default="open", max_length=16)  # open | acknowledged
    created_at: datetime
    # When the clinic's acknowledgement window runs out and the alert escalates.
    escalate_at: datetime
    escalated_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = Field(default=None, foreign_key="app_user.id")
    ack_note: str | None = Field(default=None, max_length=4000)
