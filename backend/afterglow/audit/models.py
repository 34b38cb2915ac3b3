"""The audit trail table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_clinic_at", "clinic_id", "at"),
        Index("ix_audit_event_patient_at", "patient_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    clinic_id: int = Field(foreign_key="clinic.id")
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_role: str = Field(max_length=16)
    # Dotted verb, e.g. "checkins.read", "alert.acknowledge", "infusion.delete".
    action: str = Field(max_length=64)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    target: str | None = Field(default=None, max_length=100)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    address: str | None = Field(default=None, max_length=64)
