"""Tables for ketamine treatments and clinician-recorded clinical events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from afterglow.record_times import updated_at_field


class Infusion(SQLModel, table=True):
    """One ketamine treatment, whatever the route (the clinic calls them all infusions)."""

    __tablename__ = "infusion"
    __table_args__ = (Index("ix_infusion_patient_given", "patient_id", "given_at"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    given_at: datetime
    # One of kinds.DRUGS; null on records made before the drug was recorded (or imported without).
    drug: str | None = Field(default=None, max_length=32)
    route: str = Field(max_length=16)  # one of kinds.ROUTES
    kind: str = Field(max_length=32)  # one of kinds.INFUSION_KINDS
    dose_mg_per_kg: float | None = None
    dose_mg: float | None = None
    bp_systolic_before: int | None = None
    bp_diastolic_before: int | None = None
    bp_systolic_40min: int | None = None
    bp_diastolic_40min: int | None = None
    bp_systolic_discharge: int | None = None
    bp_diastolic_discharge: int | None = None
    dissociation_notes: str | None = Field(default=None, max_length=2000)
    lot_number: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=4000)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    # When the row last changed (recorded, corrected, entered in error): exports' `_since`.
    updated_at: datetime = updated_at_field("created_at")
    # Who last corrected it (null: never corrected); the audit trail names each changed field.
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    # "Entered in error": the row stays for the record and the audit trail, but counts no more.
    deleted_at: datetime | None = None
    deleted_by: int | None = Field(default=None, foreign_key="app_user.id")
    deleted_reason: str | None = Field(default=None, max_length=500)


class ClinicalEvent(SQLModel, table=True):
    """Hospitalisation, suicide attempt, medication change or start of ECT/TMS."""

    __tablename__ = "clinical_event"
    __table_args__ = (Index("ix_clinical_event_patient_at", "patient_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    kind: str = Field(max_length=32)  # one of kinds.EVENT_KINDS
    occurred_at: datetime
    notes: str | None = Field(default=None, max_length=4000)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    # When the row last changed (recorded, corrected, entered in error): exports' `_since`.
    updated_at: datetime = updated_at_field("created_at")
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    deleted_at: datetime | None = None
    deleted_by: int | None = Field(default=None, foreign_key="app_user.id")
    deleted_reason: str | None = Field(default=None, max_length=500)
