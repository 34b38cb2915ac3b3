"""Request and response shapes for infusions and clinical events.

The bounds here are what a column and arithmetic can hold; what is clinically plausible (blood
pressure ranges, esketamine's nasal route and 28 mg devices, doses that agree with each other) is
checked by the service, which says in clinical words what to fix.

A correction (PATCH) sets only the fields it sends; `null` clears an optional field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from afterglow.infusions.kinds import Drug as Drug
from afterglow.infusions.kinds import EventKind as EventKind
from afterglow.infusions.kinds import InfusionKind as InfusionKind
from afterglow.infusions.kinds import Route as Route

DosePerKg = Annotated[float, msgspec.Meta(gt=0, le=10, description="mg per kg of body weight")]
DoseMg = Annotated[float, msgspec.Meta(gt=0, le=1000, description="total dose in mg")]
Pressure = Annotated[int, msgspec.Meta(ge=0, le=400, description="mmHg")]
Notes = Annotated[str, msgspec.Meta(max_length=4000)]
ShortNotes = Annotated[str, msgspec.Meta(max_length=2000)]
LotNumber = Annotated[str, msgspec.Meta(max_length=64)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]


class InfusionCreate(msgspec.Struct, forbid_unknown_fields=True):
    given_at: datetime
    route: Route
    kind: InfusionKind
    # Null only for records copied from elsewhere without it; the workspace always sends it.
    drug: Drug | None = None
    dose_mg_per_kg: DosePerKg | None = None
    dose_mg: DoseMg | None = None
    bp_systolic_before: Pressure | None = None
    bp_diastolic_before: Pressure | None = None
    bp_systolic_40min: Pressure | None = None
    bp_diastolic_40min: Pressure | None = None
    bp_systolic_discharge: Pressure | None = None
    bp_diastolic_discharge: Pressure | None = None
    dissociation_notes: ShortNotes | None = None
    lot_number: LotNumber | None = None
    notes: Notes | None = None


class InfusionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    given_at: datetime | UnsetType = UNSET
    route: Route | UnsetType = UNSET
    kind: InfusionKind | UnsetType = UNSET
    drug: Drug | UnsetType | None = UNSET
    dose_mg_per_kg: DosePerKg | UnsetType | None = UNSET
    dose_mg: DoseMg | UnsetType | None = UNSET
    bp_systolic_before: Pressure | UnsetType | None = UNSET
    bp_diastolic_before: Pressure | UnsetType | None = UNSET
    bp_systolic_40min: Pressure | UnsetType | None = UNSET
    bp_diastolic_40min: Pressure | UnsetType | None = UNSET
    bp_systolic_discharge: Pressure | UnsetType | None = UNSET
    bp_diastolic_discharge: Pressure | UnsetType | None = UNSET
    dissociation_notes: ShortNotes | UnsetType | None = UNSET
    lot_number: LotNumber | UnsetType | None = UNSET
    notes: Notes | UnsetType | None = UNSET


class EnteredInErrorIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the record was wrong (wrong patient, duplicate ...); optional."""

    reason: Reason | None = None


class EnteredInError(msgspec.Struct):
    """A record marked entered in error: kept for the record, counted nowhere."""

    at: datetime
    by: int | None
    by_name: str | None
    reason: str | None


class InfusionOut(msgspec.Struct):
    id: int
    patient_id: int
    given_at: datetime
    drug: str | None
    route: str
    kind: str
    dose_mg_per_kg: float | None
    dose_mg: float | None
    bp_systolic_before: int | None
    bp_diastolic_before: int | None
    bp_systolic_40min: int | None
    bp_diastolic_40min: int | None
    bp_systolic_discharge: int | None
    bp_diastolic_discharge: int | None
    dissociation_notes: str | None
    lot_number: str | None
    notes: str | None
    recorded_by: int | None
    recorded_by_name: str | None
    created_at: datetime
    updated_at: datetime
    # Who last corrected it; null when never corrected.
    updated_by: int | None
    updated_by_name: str | None
    entered_in_error: EnteredInError | None


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind
    occurred_at: datetime
    notes: Notes | None = None


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind | UnsetType = UNSET
    occurred_at: datetime | UnsetType = UNSET
    notes: Notes | UnsetType | None = UNSET


class EventOut(msgspec.Struct):
    id: int
    patient_id: int
    kind: str
    occurred_at: datetime
    notes: str | None
    recorded_by: int | None
    recorded_by_name: str | None
    created_at: datetime
    updated_at: datetime | None
    updated_by: int | None
    updated_by_name: str | None
    entered_in_error: EnteredInError | None
