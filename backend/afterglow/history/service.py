"""History import: validate every record, then store all of them or none.

Re-importing the same records adds nothing: a check-in is the same record when its instrument
and time match (its key is derived from them), an infusion when its time, route and kind
match, an event when its kind and time match. The same time with different details is an
error for that record, never a silent overwrite.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.access import open_patient
from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.alerts.service import raise_safety_alert
from afterglow.audit.service import record_operator_audit
from afterglow.checkins.models import CheckIn
from afterglow.checkins.rows import checkin_fingerprint, checkin_row
from afterglow.derived import changed
from afterglow.derived.changes import checkin_change
from afterglow.errors import InvalidInput, NotFound, Problem, invalid
from afterglow.fields import CALENDAR_PROBLEM, on_the_calendar
from afterglow.history import schemas
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.instruments.scoring import AnswerError, score_answers
from afterglow.text import decode_client_json

MAX_FUTURE = timedelta(minutes=5)
# An imported PHQ-9 with a positive item 9 from the last 14 days (its own recall window) is
# still clinically current: it raises an open safety alert like a new check-in. Older answers
# were the previous system's to act on and are stored without one.
ALERT_IF_NEWER_THAN = timedelta(days=14)
IMPORT_KEY_NAMESPACE = uuid.UUID("6f1d5a52-7a8e-4f0e-9a57-1b0c2f1e9d41")
MAX_ERRORS_LISTED = 100


@dataclass
class _Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, key: str, message: str) -> None:
        self.items.append(Problem(key, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(
                f"{len(self.items)} record(s) need fixing; nothing was imported.",
                self.items[:MAX_ERRORS_LISTED],
            )


def _check_time(value: datetime, key: str, now: datetime, problems: _Problems) -> None:
    if value.tzinfo is None:
        problems.add(key, "include the UTC offset, e.g. 2025-03-01T09:00:00-05:00")
    elif not on_the_calendar(value):
        problems.add(key, CALENDAR_PROBLEM)
    elif value - now > MAX_FUTURE:
        problems.add(key, "is in the future")


def checkin_import_key(instrument: str, taken_at: datetime) -> str:
    """The same instrument at the same instant is the same record, however often it is imported."""
    return str(uuid.uuid5(IMPORT_KEY_NAMESPACE, f"{instrument}|{taken_at.timestamp():.6f}"))


def _table(model: type[SQLModel]) -> Any:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def parse_import_file(raw: bytes) -> schemas.HistoryImport:
    """An import file read the way the HTTP body is: the same shape and text cleaning."""
    try:
        return msgspec.convert(decode_client_json(raw), type=schemas.HistoryImport)
    except msgspec.DecodeError as error:  # ValidationError is one too
        raise invalid("file", str(error)) from None


def _counts(data: schemas.HistoryImport) -> dict[str, Any]:
    return {
        "checkins": len(data.checkins),
        "infusions": len(data.infusions),
        "events": len(data.events),
    }


async def import_for_clinician(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    data: schemas.HistoryImport,
    now: datetime,
) -> schemas.ImportResult:
    """A clinician's import (audited with its counts); the caller commits."""
    patient = await open_patient(
        db, viewer, patient_id, "history.import", staff_only=True, detail=_counts(data)
    )
    return await import_history(db, patient, data, now, viewer.user_id)


async def import_as_operator(
    db: AsyncSession, patient_id: int, data: schemas.HistoryImport, now: datetime
) -> schemas.ImportResult:
    """An import run from the command line (`afterglow import`), audited as the operator's."""
    patient = await db.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient {patient_id}.")
    result = await import_history(db, patient, data, now, recorded_by=None)
    record_operator_audit(
        db, patient.clinic_id, "history.import", patient_id=patient_id, detail=_counts(data)
    )
    return result


async def import_history(
    db: AsyncSession,
    patient: Patient,
    data: schemas.HistoryImport,
    now: datetime,
    recorded_by: int | None,
) -> schemas.ImportResult:
    """Validate everything, then add what is new in one transaction (the caller commits)."""
    assert patient.id is not None
    problems = _Problems()

    checkins: dict[str, dict[str, Any]] = {}
    checkin_index: dict[str, int] = {}
    for i, record in enumerate(data.checkins):
        _check_time(record.taken_at, f"checkins[{i}].taken_at", now, problems)
        try:
            scored = score_answers(record.instrument, record.answers)
        except AnswerError as error:
            problems.add(f"checkins[{i}].{error.field}", error.message)
            continue
        if scored.instrument.opt_in and not patient.pain_enabled:
            problems.add(
                f"checkins[{i}].instrument",
                f"{scored.instrument.name} is not switched on for this patient; enable it first",
            )
        if record.taken_at.tzinfo is None:
            continue
        key = checkin_import_key(scored.instrument.id, record.taken_at)
        row = checkin_row(
            patient.id,
            scored,
            taken_at=record.taken_at,
            received_at=now,
            note=record.note,
            idempotency_key=key,
            request_hash=checkin_fingerprint(
                scored.instrument.id, scored.answers, record.taken_at, record.note
            ),
            source="import",
        )
        if key in checkins and checkins[key]["request_hash"] != row["request_hash"]:
            problems.add(
                f"checkins[{i}]",
                f"differs from checkins[{checkin_index[key]}] at the same time; keep one of them",
            )
        checkins.setdefault(key, row)
        checkin_index.setdefault(key, i)

    for i, infusion in enumerate(data.infusions):
        _check_time(infusion.given_at, f"infusions[{i}].given_at", now, problems)
    for i, event in enumerate(data.events):
        _check_time(event.at, f"events[{i}].at", now, problems)
    problems.raise_if_any()

    present_checkins = await _present_checkins(db, patient.id, checkins, checkin_index, problems)
    new_infusions, present_infusions = await _new_infusions(db, patient.id, data, problems)
    new_events, present_events = await _new_events(db, patient.id, data)
    problems.raise_if_any()

    new_checkins = [row for key, row in checkins.items() if key not in present_checkins]
    if new_checkins:
        await db.execute(insert(_table(CheckIn)), new_checkins)
    if new_infusions:
        rows = [
            {
                # Raw inserts get no column defaults (SQLModel creates none): name every column.
                "bp_systolic_before": None,
                "bp_diastolic_before": None,
                "bp_systolic_40min": None,
                "bp_diastolic_40min": None,
                "bp_systolic_discharge": None,
                "bp_diastolic_discharge": None,
                "drug": None,
                "dissociation_notes": None,
                "lot_number": None,
                "updated_by": None,
                "deleted_reason": None,
                "patient_id": patient.id,
                "given_at": infusion.given_at,
                "route": infusion.route,
                "kind": infusion.kind,
                "dose_mg_per_kg": infusion.dose_mg_per_kg,
                "dose_mg": infusion.dose_mg,
                "notes": infusion.notes,
                "recorded_by": recorded_by,
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
                "deleted_by": None,
            }
            for infusion in new_infusions
        ]
        await db.execute(insert(_table(Infusion)), rows)
    if new_events:
        rows = [
            {
                "patient_id": patient.id,
                "kind": event.kind,
                "occurred_at": event.at,
                "notes": event.notes,
                "recorded_by": recorded_by,
                "created_at": now,
                "updated_at": None,
                "updated_by": None,
                "deleted_at": None,
                "deleted_by": None,
                "deleted_reason": None,
            }
            for event in new_events
        ]
        await db.execute(insert(_table(ClinicalEvent)), rows)
    alerts = await _alerts_for_recent_item9(db, patient.id, new_checkins, now)
    for instrument in {row["instrument"] for row in new_checkins}:
        changed(db, patient.id, checkin_change(instrument), now)
    if new_infusions:
        # A recent imported infusion anchors reminders like one recorded today.
        changed(db, patient.id, "infusion", now)
    if new_events:
        changed(db, patient.id, "event", now)
    return schemas.ImportResult(
        checkins=schemas.SectionResult(len(new_checkins), len(present_checkins)),
        infusions=schemas.SectionResult(len(new_infusions), present_infusions),
        events=schemas.SectionResult(len(new_events), present_events),
        safety_alerts_raised=alerts,
    )


async def _present_checkins(
    db: AsyncSession,
    patient_id: int,
    checkins: dict[str, dict[str, Any]],
    checkin_index: dict[str, int],
    problems: _Problems,
) -> set[str]:
    present: set[str] = set()
    keys = list(checkins)
    for start in range(0, len(keys), 500):
        rows = await db.execute(
            select(col(CheckIn.idempotency_key), col(CheckIn.request_hash)).where(
                col(CheckIn.patient_id) == patient_id,
                col(CheckIn.idempotency_key).in_(keys[start : start + 500]),
            )
        )
        for key, request_hash in rows:
            present.add(key)
            if request_hash != checkins[key]["request_hash"]:
                problems.add(
                    f"checkins[{checkin_index[key]}]",
                    "a different check-in of this instrument is already recorded at this time",
                )
    return present


def _same_infusion(existing: Infusion, imported: schemas.ImportedInfusion) -> bool:
    return (existing.route, existing.kind, existing.dose_mg_per_kg, existing.dose_mg) == (
        imported.route,
        imported.kind,
        imported.dose_mg_per_kg,
        imported.dose_mg,
    )


async def _new_infusions(
    db: AsyncSession, patient_id: int, data: schemas.HistoryImport, problems: _Problems
) -> tuple[list[schemas.ImportedInfusion], int]:
    existing = {
        infusion.given_at: infusion
        for infusion in (
            await db.execute(
                select(Infusion).where(
                    col(Infusion.patient_id) == patient_id, col(Infusion.deleted_at).is_(None)
                )
            )
        ).scalars()
    }
    new: dict[datetime, schemas.ImportedInfusion] = {}
    present = 0
    for i, infusion in enumerate(data.infusions):
        if infusion.given_at in existing:
            if _same_infusion(existing[infusion.given_at], infusion):
                present += 1
            else:
                problems.add(
                    f"infusions[{i}]",
                    "an infusion with other details is already recorded at this time",
                )
        elif infusion.given_at in new:
            if new[infusion.given_at] != infusion:
                problems.add(f"infusions[{i}]", "another imported infusion has this time")
        else:
            new[infusion.given_at] = infusion
    return list(new.values()), present


async def _new_events(
    db: AsyncSession, patient_id: int, data: schemas.HistoryImport
) -> tuple[list[schemas.ImportedEvent], int]:
    existing = {
        (event.kind, event.occurred_at)
        for event in (
            await db.execute(
                select(ClinicalEvent).where(
                    col(ClinicalEvent.patient_id) == patient_id,
                    col(ClinicalEvent.deleted_at).is_(None),
                )
            )
        ).scalars()
    }
    new: dict[tuple[str, datetime], schemas.ImportedEvent] = {}
    present = 0
    for event in data.events:
        key = (event.kind, event.at)
        if key in existing:
            present += 1
        else:
            new.setdefault(key, event)
    return list(new.values()), present


async def _alerts_for_recent_item9(
    db: AsyncSession, patient_id: int, new_checkins: list[dict[str, Any]], now: datetime
) -> int:
    recent = [
        row for row in new_checkins if row["item9"] and now - row["taken_at"] <= ALERT_IF_NEWER_THAN
    ]
    if not recent:
        return 0
    found = await db.execute(
        select(col(CheckIn.idempotency_key), col(CheckIn.id)).where(
            col(CheckIn.patient_id) == patient_id,
            col(CheckIn.idempotency_key).in_([row["idempotency_key"] for row in recent]),
        )
    )
    ids: dict[str, int] = {key: checkin_id for key, checkin_id in found if checkin_id is not None}
    for row in recent:
        await raise_safety_alert(db, patient_id, ids[row["idempotency_key"]], row["item9"], now)
    return len(recent)
