"""Recording, correcting, marking entered in error and reading infusions and clinical events.

Nothing a clinician recorded is deleted: a wrong record is marked "entered in error" (who, when,
why) and kept for the record, shown struck through in the workspace, and left out of relief,
charts, reminders and everything else derived. Every write marks what it changed
(`derived.changed`), so the episodes, the outlook and the triage row follow in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.access import open_patient
from afterglow.accounts.models import User
from afterglow.accounts.viewer import Viewer
from afterglow.derived import changed
from afterglow.errors import InvalidInput, NotFound, conflict, invalid
from afterglow.fields import CALENDAR_PROBLEM, on_the_calendar
from afterglow.infusions import schemas
from afterglow.infusions.checks import infusion_problems
from afterglow.infusions.models import ClinicalEvent, Infusion

MAX_FUTURE = timedelta(minutes=5)
# Fields a correction may not clear: without them there is no infusion (or event) to speak of.
REQUIRED = frozenset({"given_at", "route", "kind", "occurred_at"})


def checked_past_time(value: datetime, field: str, now: datetime) -> datetime:
    """Clinical facts are recorded after they happen, with a time zone; kept and echoed in UTC."""
    if value.tzinfo is None:
        raise invalid(field, "include the UTC offset, e.g. 2026-11-26T09:00:00-05:00")
    if not on_the_calendar(value):
        raise invalid(field, CALENDAR_PROBLEM)
    if value - now > MAX_FUTURE:
        raise invalid(field, "is in the future; record an infusion or event once it has happened")
    return value.astimezone(UTC)


def _tidy(value: Any) -> Any:
    """Free text as kept: trimmed, and nothing rather than an empty string."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def checked_infusion(fields: dict[str, object], changed_fields: Iterable[str] | None) -> None:
    problems = infusion_problems(fields, None if changed_fields is None else set(changed_fields))
    if problems:
        raise InvalidInput(
            "Check the infusion: " + "; ".join(f"{p.field}: {p.message}" for p in problems),
            problems,
        )


async def staff_names(db: AsyncSession, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the staff who recorded, corrected or struck records: one query."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = await db.execute(
        select(col(User.id), col(User.display_name)).where(col(User.id).in_(ids))
    )
    return {user_id or 0: name for user_id, name in rows.all()}


def _users_of(record: Infusion | ClinicalEvent) -> tuple[int | None, ...]:
    return (record.recorded_by, record.updated_by, record.deleted_by)


def _entered_in_error(
    record: Infusion | ClinicalEvent, names: dict[int, str]
) -> schemas.EnteredInError | None:
    if record.deleted_at is None:
        return None
    return schemas.EnteredInError(
        at=record.deleted_at,
        by=record.deleted_by,
        by_name=names.get(record.deleted_by) if record.deleted_by else None,
        reason=record.deleted_reason,
    )


def infusion_out(infusion: Infusion, names: dict[int, str]) -> schemas.InfusionOut:
    fields = infusion.model_dump(exclude={"deleted_at", "deleted_by", "deleted_reason"})
    return msgspec.convert(
        {
            **fields,
            "recorded_by_name": names.get(infusion.recorded_by or 0),
            "updated_by_name": names.get(infusion.updated_by or 0),
            "entered_in_error": _entered_in_error(infusion, names),
        },
        schemas.InfusionOut,
    )


def event_out(event: ClinicalEvent, names: dict[int, str]) -> schemas.EventOut:
    fields = event.model_dump(exclude={"deleted_at", "deleted_by", "deleted_reason"})
    return msgspec.convert(
        {
            **fields,
            "recorded_by_name": names.get(event.recorded_by or 0),
            "updated_by_name": names.get(event.updated_by or 0),
            "entered_in_error": _entered_in_error(event, names),
        },
        schemas.EventOut,
    )


async def infusions_out(db: AsyncSession, infusions: list[Infusion]) -> list[schemas.InfusionOut]:
    names = await staff_names(db, (u for i in infusions for u in _users_of(i)))
    return [infusion_out(i, names) for i in infusions]


async def events_out(db: AsyncSession, events: list[ClinicalEvent]) -> list[schemas.EventOut]:
    names = await staff_names(db, (u for e in events for u in _users_of(e)))
    return [event_out(e, names) for e in events]


def given_fields(data: msgspec.Struct) -> dict[str, object]:
    """The fields a correction sends (null included: it clears), free text tidied."""
    return {
        key: _tidy(value)
        for key, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET
    }


def refuse_clearing_required(changes: dict[str, object]) -> None:
    for key in REQUIRED & changes.keys():
        if changes[key] is None:
            raise invalid(key, "cannot be cleared; give a value")


async def add_infusion(
    db: AsyncSession, patient_id: int, data: schemas.InfusionCreate, recorded_by: int, now: datetime
) -> Infusion:
    fields: dict[str, Any] = {k: _tidy(v) for k, v in msgspec.structs.asdict(data).items()}
    fields["given_at"] = checked_past_time(data.given_at, "given_at", now)
    checked_infusion(fields, None)
    infusion = Infusion(
        **fields,
        patient_id=patient_id,
        recorded_by=recorded_by,
        created_at=now,
        updated_at=now,
    )
    db.add(infusion)
    await db.flush()
    return infusion


async def patient_infusions(
    db: AsyncSession, patient_id: int, *, include_entered_in_error: bool = False
) -> list[Infusion]:
    query = select(Infusion).where(col(Infusion.patient_id) == patient_id)
    if not include_entered_in_error:
        query = query.where(col(Infusion.deleted_at).is_(None))
    rows = await db.execute(query.order_by(col(Infusion.given_at), col(Infusion.id)))
    return list(rows.scalars())


async def find_infusion(db: AsyncSession, patient_id: int, infusion_id: int) -> Infusion:
    infusion = await db.get(Infusion, infusion_id)
    if infusion is None or infusion.patient_id != patient_id:
        raise NotFound(f"No infusion {infusion_id} for patient {patient_id}.")
    return infusion


def refuse_if_entered_in_error(record: Infusion | ClinicalEvent, what: str) -> None:
    if record.deleted_at is not None:
        raise conflict(
            f"This {what} was marked entered in error; it stays as it was. Record it again if "
            "it did happen."
        )


def infusion_changes(data: schemas.InfusionUpdate, now: datetime) -> dict[str, object]:
    """The fields a correction sets, their times checked."""
    changes = given_fields(data)
    refuse_clearing_required(changes)
    if isinstance(data.given_at, datetime):
        changes["given_at"] = checked_past_time(data.given_at, "given_at", now)
    return changes


def mark_entered_in_error(
    record: Infusion | ClinicalEvent, user_id: int, reason: str | None, now: datetime
) -> None:
    record.deleted_at = now
    record.updated_at = now
    record.deleted_by = user_id
    record.deleted_reason = (reason or "").strip() or None


async def add_event(
    db: AsyncSession, patient_id: int, data: schemas.EventCreate, recorded_by: int, now: datetime
) -> ClinicalEvent:
    event = ClinicalEvent(
        patient_id=patient_id,
        kind=data.kind,
        occurred_at=checked_past_time(data.occurred_at, "occurred_at", now),
        notes=_tidy(data.notes),
        recorded_by=recorded_by,
        created_at=now,
    )
    db.add(event)
    await db.flush()
    return event


async def patient_events(
    db: AsyncSession, patient_id: int, *, include_entered_in_error: bool = False
) -> list[ClinicalEvent]:
    query = select(ClinicalEvent).where(col(ClinicalEvent.patient_id) == patient_id)
    if not include_entered_in_error:
        query = query.where(col(ClinicalEvent.deleted_at).is_(None))
    rows = await db.execute(query.order_by(col(ClinicalEvent.occurred_at), col(ClinicalEvent.id)))
    return list(rows.scalars())


async def find_event(db: AsyncSession, patient_id: int, event_id: int) -> ClinicalEvent:
    event = await db.get(ClinicalEvent, event_id)
    if event is None or event.patient_id != patient_id:
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
    return (await infusions_out(db, [infusion]))[0]


async def infusions_of(
    db: AsyncSession, viewer: Viewer, patient_id: int, *, include_entered_in_error: bool = False
) -> list[schemas.InfusionOut]:
    await open_patient(db, viewer, patient_id, "infusions.read")
    infusions = await patient_infusions(
        db, patient_id, include_entered_in_error=include_entered_in_error
    )
    return await infusions_out(db, infusions)


async def correct_infusion(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    infusion_id: int,
    data: schemas.InfusionUpdate,
    now: datetime,
) -> schemas.InfusionOut:
    """Set the fields given (null clears one); the audit row names them (never their values)."""
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
    refuse_if_entered_in_error(infusion, "infusion")
    checked_infusion({**infusion.model_dump(), **changes}, changes.keys())
    for key, value in changes.items():
        setattr(infusion, key, value)
    infusion.updated_at = now
    infusion.updated_by = viewer.user_id
    changed(db, patient_id, "infusion", now)
    return (await infusions_out(db, [infusion]))[0]


async def mark_infusion_entered_in_error(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    infusion_id: int,
    data: schemas.EnteredInErrorIn,
    now: datetime,
) -> schemas.InfusionOut:
    await open_patient(
        db,
        viewer,
        patient_id,
        "infusion.entered_in_error",
        staff_only=True,
        detail={"infusion_id": infusion_id},
    )
    infusion = await find_infusion(db, patient_id, infusion_id)
    refuse_if_entered_in_error(infusion, "infusion")
    mark_entered_in_error(infusion, viewer.user_id, data.reason, now)
    changed(db, patient_id, "infusion", now)
    return (await infusions_out(db, [infusion]))[0]


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
    return (await events_out(db, [event]))[0]


async def events_of(
    db: AsyncSession, viewer: Viewer, patient_id: int, *, include_entered_in_error: bool = False
) -> list[schemas.EventOut]:
    await open_patient(db, viewer, patient_id, "events.read", staff_only=True)
    events = await patient_events(db, patient_id, include_entered_in_error=include_entered_in_error)
    return await events_out(db, events)


async def correct_event(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    event_id: int,
    data: schemas.EventUpdate,
    now: datetime,
) -> schemas.EventOut:
    """Set the fields given (null clears the notes); the audit row names them."""
    changes = given_fields(data)
    refuse_clearing_required(changes)
    if isinstance(data.occurred_at, datetime):
        changes["occurred_at"] = checked_past_time(data.occurred_at, "occurred_at", now)
    await open_patient(
        db,
        viewer,
        patient_id,
        "event.update",
        staff_only=True,
        detail={"event_id": event_id, "changes": msgspec.to_builtins(changes)},
    )
    event = await find_event(db, patient_id, event_id)
    refuse_if_entered_in_error(event, "event")
    for key, value in changes.items():
        setattr(event, key, value)
    event.updated_at = now
    event.updated_by = viewer.user_id
    changed(db, patient_id, "event", now)
    return (await events_out(db, [event]))[0]


async def mark_event_entered_in_error(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    event_id: int,
    data: schemas.EnteredInErrorIn,
    now: datetime,
) -> schemas.EventOut:
    await open_patient(
        db,
        viewer,
        patient_id,
        "event.entered_in_error",
        staff_only=True,
        detail={"event_id": event_id},
    )
    event = await find_event(db, patient_id, event_id)
    refuse_if_entered_in_error(event, "event")
    mark_entered_in_error(event, viewer.user_id, data.reason, now)
    changed(db, patient_id, "event", now)
    return (await events_out(db, [event]))[0]
