"""Stored survival pairs of every patient's relief episodes, for the clinic's pooled estimates.

Rewritten for a patient in the same transaction as any write that can change their episodes
(a PHQ-9, an infusion, a clinical event, a history import), so pooled Kaplan-Meier is one
indexed query instead of re-analysing every patient per request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class ReliefEpisode(SQLModel, table=True):
    __tablename__ = "relief_episode"
    __table_args__ = (Index("ix_relief_episode_clinic_route_kind", "clinic_id", "route", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    start: datetime
    route: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    outcome: str = Field(max_length=16)
    remitted: bool
    duration_days: float | None = None
    event: bool
