"""Recording, correcting and reading infusions and clinical events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.access import open_patient
from afterglow.accounts.viewer import Viewer
from afterglow.derived import changed
from afterglow.errors import NotFound, invalid
from afterglow.fields import CALENDAR_PROBLEM, on_the_calendar
from afterglow.infusions import schemas
from afterglow.infusions.models import ClinicalEvent, Infusion

MAX_FUTURE = timedelta(minutes=5)


def checked_past_time(value: datetime, field: str, now: datetime) -> datetime:
    """Clinical facts are recorded after they happen, with a time zone; kept and echoed in UTC."""
    if value.tzinfo is None:
        raise invalid(field, "include the UTC offset, e.g. 2026-11-26T09:00:00-05:00")
    if not on_the_calendar(value):
        raise invalid(field, CALENDAR_PROBLEM)
    if value - now > MAX_FUTURE:
        raise invalid(field, "is in the future; record an infusion or event once it has happened")
    return value.astimezone(UTC)


def infusion_out(infusion: Infusion) -> schemas.InfusionOut:
    return msgspec.convert(infusion.model_dump(), schemas.InfusionOut)


def event_out(event: ClinicalEvent) -> schemas.EventOut:
    return msgspec.convert(event.model_dump(), schemas.EventOut)


async def add_infusion(
    db: AsyncSession, patient_id: int, data: schemas.InfusionCreate, recorded_by: int, now: datetime
) -> Infusion:
    infusion = Infusion(
        **msgspec.structs.asdict(data),
        patient_id=patient_id,
        recorded_by=recorded_by,
        created_at=now,
        updated_at=now,
    )
    infusion.given_at = checked_past_time(data.given_at, "given_at", now)
    db.add(infusion)
    await db.flush()
    return infusion


async def patient_infusions(db: AsyncSession, patient_id: int) -> list[Infusion]:
    rows = await db.execute(
        select(Infusion)
        .where(col(Infusion.patient_id) == patient_id, col(Infusion.deleted_at).is_(None))
        .order_by(col(Infusion.given_at), col(Infusion.id))
    )
    return list(rows.scalars())


async def find_infusion(db: AsyncSession, patient_id: int, infusion_id: int) -> Infusion:
    infusion = await db.get(Infusion, infusion_id)
    if infusion is None or infusion.patient_id != patient_id or infusion.deleted_at is not None:
        raise NotFound(f"No infusion {infusion_id} for patient {patient_id}.")
    return infusion


def infusion_changes(data: schemas.InfusionUpdate, now: datetime) -> dict[str, object]:
    """The fields a correction sets, checked."""
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    if data.given_at is not None:
        changes["given_at"] = checked_past_time(data.given_at, "given_at", now)
    return changes


def apply_infusion_changes(infusion: Infusion, changes: dict[str, object], now: datetime) -> None:
    for key, value in changes.items():
        setattr(infusion, key, value)
    infusion.updated_at = now


def mark_entered_in_error(record: Infusion | ClinicalEvent, user_id: int, now: datetime) -> None:
    record.deleted_at = now
    record.deleted_by = user_id


async def add_event(
    db: AsyncSession, patient_id: int, data: schemas.EventCreate, recorded_by: int, now: datetime
) -> ClinicalEvent:
    event = ClinicalEvent(
        patient_id=patient_id,
        kind=data.kind,
        occurred_at=checked_past_time(data.occurred_at, "occurred_at", now),
        notes=data.notes,
        recorded_by=recorded_by,
        created_at=now,
    )
    db.add(event)
    await db.flush()
    return event


async def patient_events(db: AsyncSession, patient_id: int) -> list[ClinicalEvent]:
    rows = await db.execute(
        select(ClinicalEvent)
        .where(col(ClinicalEvent.patient_id) == patient_id, col(ClinicalEvent.deleted_at).is_(None))
        .order_by(col(ClinicalEvent.occurred_at), col(ClinicalEvent.id))
    )
    return list(rows.scalars())


async def find_event(db: AsyncSession, patient_id: int, event_id: int) -> ClinicalEvent:
    event = await db.get(ClinicalEvent, event_id)
    if event is None or event.patient_id != patient_id or event.deleted_at is not None:
        raise NotFound(f"No clinical event {event_id} for patient {patient_id}.")
    return event


# What the clinic's clinicians do (a patient reads their own infusions): each opens the patient
# (access and audit), and each write marks what it changed. The caller commits.


async def record_infusion(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    data: schemas.InfusionCreate,
    now: datetime,
) -> schemas.InfusionOut:
    await open_patient(db, viewer, patient_id, "infusion.create", staff_only=True)
    infusion = await add_infusion(db, patient_id, data, viewer.user_id, now)
    changed(db, patient_id, "infusion", now)
    return infusion_out(infusion)


async def infusions_of(
    db: AsyncSession, viewer: Viewer, patient_id: int
) -> list[schemas.InfusionOut]:
    await open_patient(db, viewer, patient_id, "infusions.read")
    return [infusion_out(i) for i in await patient_infusions(db, patient_id)]


async def correct_infusion(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    infusion_id: int,
    data: schemas.InfusionUpdate,
    now: datetime,
) -> schemas.InfusionOut:
    """Set the fields given; the audit row names them (never their values)."""
    changes = infusion_changes(data, now)
    await open_patient(
        db,
        viewer,
        patient_id,
        "infusion.update",
        staff_only=True,
        detail={"infusion_id": infusion_id, "changes": msgspec.to_builtins(changes)},
    )
    infusion = await find_infusion(db, patient_id, infusion_id)
    apply_infusion_changes(infusion, changes, now)
    changed(db, patient_id, "infusion", now)
    return infusion_out(infusion)


async def remove_infusion(
    db: AsyncSession, viewer: Viewer, patient_id: int, infusion_id: int, now: datetime
) -> None:
    await open_patient(
        db,
        viewer,
        patient_id,
        "infusion.delete",
        staff_only=True,
        detail={"infusion_id": infusion_id},
    )
    infusion = await find_infusion(db, patient_id, infusion_id)
    mark_entered_in_error(infusion, viewer.user_id, now)
    changed(db, patient_id, "infusion", now)


async def record_event(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    data: schemas.EventCreate,
    now: datetime,
) -> schemas.EventOut:
    await open_patient(
        db, viewer, patient_id, "event.create", staff_only=True, detail={"kind": data.kind}
    )
    event = await add_event(db, patient_id, data, viewer.user_id, now)
    changed(db, patient_id, "event", now)
    return event_out(event)


async def events_of(db: AsyncSession, viewer: Viewer, patient_id: int) -> list[schemas.EventOut]:
    await open_patient(db, viewer, patient_id, "events.read", staff_only=True)
    return [event_out(e) for e in await patient_events(db, patient_id)]


async def remove_event(
    db: AsyncSession, viewer: Viewer, patient_id: int, event_id: int, now: datetime
) -> None:
    await open_patient(
        db, viewer, patient_id, "event.delete", staff_only=True, detail={"event_id": event_id}
    )
    event = await find_event(db, patient_id, event_id)
    mark_entered_in_error(event, viewer.user_id, now)
    changed(db, patient_id, "event", now)
