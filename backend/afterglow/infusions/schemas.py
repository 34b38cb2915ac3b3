"""Request and response shapes for infusions and clinical events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from afterglow.infusions.kinds import EventKind as EventKind
from afterglow.infusions.kinds import InfusionKind as InfusionKind
from afterglow.infusions.kinds import Route as Route

DosePerKg = Annotated[float, msgspec.Meta(gt=0, le=10)]
DoseMg = Annotated[float, msgspec.Meta(gt=0, le=1000)]
Systolic = Annotated[int, msgspec.Meta(ge=50, le=300)]
Diastolic = Annotated[int, msgspec.Meta(ge=20, le=200)]
Notes = Annotated[str, msgspec.Meta(max_length=4000)]


class InfusionCreate(msgspec.Struct, forbid_unknown_fields=True):
    given_at: datetime
    route: Route
    kind: InfusionKind
    dose_mg_per_kg: DosePerKg | None = None
    dose_mg: DoseMg | None = None
    bp_systolic_before: Systolic | None = None
    bp_diastolic_before: Diastolic | None = None
    bp_systolic_after: Systolic | None = None
    bp_diastolic_after: Diastolic | None = None
    notes: Notes | None = None


class InfusionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    given_at: datetime | None = None
    route: Route | None = None
    kind: InfusionKind | None = None
    dose_mg_per_kg: DosePerKg | None = None
    dose_mg: DoseMg | None = None
    bp_systolic_before: Systolic | None = None
    bp_diastolic_before: Diastolic | None = None
    bp_systolic_after: Systolic | None = None
    bp_diastolic_after: Diastolic | None = None
    notes: Notes | None = None


class InfusionOut(msgspec.Struct):
    id: int
    patient_id: int
    given_at: datetime
    route: str
    kind: str
    dose_mg_per_kg: float | None
    dose_mg: float | None
    bp_systolic_before: int | None
    bp_diastolic_before: int | None
    bp_systolic_after: int | None
    bp_diastolic_after: int | None
    notes: str | None
    recorded_by: int | None
    created_at: datetime
    updated_at: datetime


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind
    occurred_at: datetime
    notes: Notes | None = None


class EventOut(msgspec.Struct):
    id: int
    patient_id: int
    kind: str
    occurred_at: datetime
    notes: str | None
    recorded_by: int | None
    created_at: datetime
