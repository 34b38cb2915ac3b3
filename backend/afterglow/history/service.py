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
from typing import Any, cast

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
from afterglow.history.csv_format import CsvImport, parse_history_csv
from afterglow.infusions.checks import infusion_problems
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


def parse_import_file(raw: bytes) -> schemas.HistoryImport | CsvImport:
    """An import file read the way the HTTP body is: the same shapes and text cleaning. JSON
    when it starts with `{`, else a CSV in Afterglow's layout."""
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return parse_history_csv(raw)
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
    db: AsyncSession, patient_id: int, data: schemas.HistoryImport | CsvImport, now: datetime
) -> schemas.ImportResult:
    """An import run from the command line (`afterglow import`), audited as the operator's.
    A CSV's problems are named by its rows and columns."""
    patient = await db.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient {patient_id}.")
    if isinstance(data, CsvImport):
        try:
            result = await import_history(db, patient, data.data, now, recorded_by=None)
        except InvalidInput as error:
            raise data.rekeyed(error) from None
        data = data.data
    else:
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
        for problem in infusion_problems(_infusion_fields(infusion)):
            problems.add(f"infusions[{i}].{problem.field}", problem.message)
        if infusion.entered_in_error is not None:
            _check_time(
                infusion.entered_in_error.at, f"infusions[{i}].entered_in_error.at", now, problems
            )
    for i, event in enumerate(data.events):
        _check_time(event.at, f"events[{i}].at", now, problems)
        if event.entered_in_error is not None:
            _check_time(
                event.entered_in_error.at, f"events[{i}].entered_in_error.at", now, problems
            )
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
                **_infusion_fields(infusion),
                **_entered_in_error(infusion.entered_in_error),
                "patient_id": patient.id,
                "recorded_by": recorded_by,
                "created_at": now,
                "updated_at": now,
                "updated_by": None,
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
                **_entered_in_error(event.entered_in_error),
                "recorded_by": recorded_by,
                "created_at": now,
                "updated_at": now,
                "updated_by": None,
                "deleted_by": None,
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
    """The imported check-ins already recorded: imported before (their key), or recorded in
    another way at the same instant (sent from the app, then exported and imported back)."""
    present: set[str] = set()
    keys = list(checkins)

    def compare(key: str, stored_hash: str) -> None:
        present.add(key)
        if stored_hash != checkins[key]["request_hash"]:
            problems.add(
                f"checkins[{checkin_index[key]}]",
                "a different check-in of this instrument is already recorded at this time",
            )

    for start in range(0, len(keys), 500):
        rows = await db.execute(
            select(col(CheckIn.idempotency_key), col(CheckIn.request_hash)).where(
                col(CheckIn.patient_id) == patient_id,
                col(CheckIn.idempotency_key).in_(keys[start : start + 500]),
            )
        )
        for key, request_hash in rows:
            compare(key, request_hash)
    by_moment = {
        (row["instrument"], row["taken_at"]): key
        for key, row in checkins.items()
        if key not in present
    }
    moments = sorted({taken_at for _, taken_at in by_moment}, key=lambda t: t.timestamp())
    for start in range(0, len(moments), 500):
        rows = await db.execute(
            select(
                col(CheckIn.instrument),
                col(CheckIn.taken_at),
                col(CheckIn.answers),
                col(CheckIn.note),
            ).where(
                col(CheckIn.patient_id) == patient_id,
                col(CheckIn.taken_at).in_(moments[start : start + 500]),
            )
        )
        for row in rows:
            instrument, taken_at, answers, note = cast(Any, row)
            found = by_moment.get((instrument, taken_at))
            if found is not None and found not in present:
                compare(found, checkin_fingerprint(instrument, answers, taken_at, note))
    return present


def _infusion_fields(infusion: schemas.ImportedInfusion) -> dict[str, Any]:
    """The infusion's columns as the import gives them (all but entered in error)."""
    return {name: getattr(infusion, name) for name in _INFUSION_COLUMNS}


_INFUSION_COLUMNS = tuple(
    name for name in schemas.ImportedInfusion.__struct_fields__ if name != "entered_in_error"
)


def _entered_in_error(marked: schemas.ImportedEnteredInError | None) -> dict[str, Any]:
    """The columns of a record's "entered in error" (who marked it is not known here)."""
    if marked is None:
        return {"deleted_at": None, "deleted_reason": None}
    return {"deleted_at": marked.at, "deleted_reason": marked.reason}


def _stored_entered_in_error(record: Infusion | ClinicalEvent) -> tuple[Any, ...]:
    return (record.deleted_at, record.deleted_reason)


def _imported_entered_in_error(marked: schemas.ImportedEnteredInError | None) -> tuple[Any, ...]:
    values = _entered_in_error(marked)
    return (values["deleted_at"], values["deleted_reason"])


def _same_infusion(existing: Infusion, imported: schemas.ImportedInfusion) -> bool:
    return all(
        getattr(existing, name) == value for name, value in _infusion_fields(imported).items()
    ) and _stored_entered_in_error(existing) == _imported_entered_in_error(
        imported.entered_in_error
    )


async def _new_infusions(
    db: AsyncSession, patient_id: int, data: schemas.HistoryImport, problems: _Problems
) -> tuple[list[schemas.ImportedInfusion], int]:
    """What is new. An infusion is the one already recorded at its time; one entered in error
    is present only as the same record, also entered in error (there may be several)."""
    live: dict[datetime, Infusion] = {}
    struck: dict[datetime, list[Infusion]] = {}
    for stored in (
        await db.execute(select(Infusion).where(col(Infusion.patient_id) == patient_id))
    ).scalars():
        if stored.deleted_at is None:
            live[stored.given_at] = stored
        else:
            struck.setdefault(stored.given_at, []).append(stored)
    new: dict[datetime, schemas.ImportedInfusion] = {}
    new_struck: list[schemas.ImportedInfusion] = []
    present = 0
    for i, infusion in enumerate(data.infusions):
        if infusion.entered_in_error is not None:
            if any(_same_infusion(s, infusion) for s in struck.get(infusion.given_at, ())):
                present += 1
            elif infusion not in new_struck:
                new_struck.append(infusion)
        elif infusion.given_at in live:
            if _same_infusion(live[infusion.given_at], infusion):
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
    return [*new.values(), *new_struck], present


def _same_event(existing: ClinicalEvent, imported: schemas.ImportedEvent) -> bool:
    return (existing.kind, existing.occurred_at, existing.notes) == (
        imported.kind,
        imported.at,
        imported.notes,
    ) and _stored_entered_in_error(existing) == _imported_entered_in_error(
        imported.entered_in_error
    )


async def _new_events(
    db: AsyncSession, patient_id: int, data: schemas.HistoryImport
) -> tuple[list[schemas.ImportedEvent], int]:
    """What is new: an event of the same kind at the same time is the one recorded; one
    entered in error is present only as the same record, also entered in error."""
    live: set[tuple[str, datetime]] = set()
    struck: list[ClinicalEvent] = []
    for stored in (
        await db.execute(select(ClinicalEvent).where(col(ClinicalEvent.patient_id) == patient_id))
    ).scalars():
        if stored.deleted_at is None:
            live.add((stored.kind, stored.occurred_at))
        else:
            struck.append(stored)
    new: dict[tuple[str, datetime], schemas.ImportedEvent] = {}
    new_struck: list[schemas.ImportedEvent] = []
    present = 0
    for event in data.events:
        if event.entered_in_error is not None:
            if any(_same_event(s, event) for s in struck):
                present += 1
            elif event not in new_struck:
                new_struck.append(event)
        elif (event.kind, event.at) in live:
            present += 1
        else:
            new.setdefault((event.kind, event.at), event)
    return [*new.values(), *new_struck], present


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
